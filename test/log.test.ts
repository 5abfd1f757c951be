import { describe, expect, it } from 'vitest';
import { debugEnabled } from '../src/main/log.js';

describe('debugEnabled', () => {
  it('follows the DEBUG syntax of the debug package', () => {
    expect(debugEnabled('serverbit:ws', undefined)).toBe(false);
    expect(debugEnabled('serverbit:ws', 'serverbit:*')).toBe(true);
    expect(debugEnabled('serverbit:ws', '*')).toBe(true);
    expect(debugEnabled('serverbit:ws', 'serverbit:hub')).toBe(false);
    expect(debugEnabled('serverbit:ws', 'other, serverbit:ws')).toBe(true);
    expect(debugEnabled('serverbit:ws', 'serverbit:*,-serverbit:ws')).toBe(false);
    expect(debugEnabled('serverbitXws', 'serverbit.ws')).toBe(false);
  });
});
