import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_ORIGINS } from '../../src/shared/config.js';
import { isOriginAllowed } from '../../src/main/server/origin.js';

const D = DEFAULT_ALLOWED_ORIGINS;

describe('isOriginAllowed', () => {
  it.each([
    [undefined, 'no Origin header: not a browser'],
    ['http://localhost:5173', 'localhost, any port'],
    ['http://localhost', 'localhost, no port'],
    ['HTTP://LocalHost:8080', 'case-insensitive scheme and host'],
    ['http://127.0.0.1:9001', '127.0.0.1, any port'],
  ] as [string | undefined, string][])('allows %s (%s) with the defaults', (origin, _why) => {
    expect(isOriginAllowed(origin, D)).toBe(true);
  });

  // Any web site can make a sandboxed frame, which sends "null": opt-in only (issue 9).
  it.each([
    ['null', 'a page opened from disk, or a sandboxed frame'],
    ['file://', 'file pages, as some embedded browsers send them'],
  ])('refuses %s (%s) with the defaults, allows it once "null" or "file://" is listed', (origin) => {
    expect(isOriginAllowed(origin, D)).toBe(false);
    expect(isOriginAllowed(origin, [...D, 'null'])).toBe(origin === 'null');
    expect(isOriginAllowed(origin, [...D, 'file://'])).toBe(true);
  });

  it.each([
    'http://evil.example',
    'http://localhost.evil.com',
    'http://localhost.evil.com:9001',
    'http://localhost:9001@evil.com',
    'http://evil.com/http://localhost:9001',
    'https://localhost:5173',
    'http://127.0.0.2:80',
    'http://localhost:5173/path',
    'http://[::1]:5173',
    'ws://localhost:9001',
    '',
    'localhost',
    'http://localhost:5173, http://evil.example',
  ])('refuses %j with the defaults', (origin) => {
    expect(isOriginAllowed(origin, D)).toBe(false);
  });

  it('matches exact origins only on the same port (default ports normalised)', () => {
    const list = ['https://lab.example.org', 'http://localhost:8080', 'http://Example.com:80/'];
    expect(isOriginAllowed('https://lab.example.org', list)).toBe(true);
    expect(isOriginAllowed('https://lab.example.org:8443', list)).toBe(false);
    expect(isOriginAllowed('http://localhost:8080', list)).toBe(true);
    expect(isOriginAllowed('http://localhost:8081', list)).toBe(false);
    expect(isOriginAllowed('http://example.com', list)).toBe(true);
  });

  it('treats `file://` and `null` separately', () => {
    expect(isOriginAllowed('null', ['null'])).toBe(true);
    expect(isOriginAllowed('file://', ['null'])).toBe(false);
    expect(isOriginAllowed('null', ['file://'])).toBe(true);
    expect(isOriginAllowed('null', ['http://localhost:*'])).toBe(false);
  });

  it('ignores malformed entries', () => {
    const list = ['*', 'localhost', 'http://localhost:80:*', 'http://user@localhost:*', 'http://localhost/x', ''];
    for (const o of ['http://localhost', 'http://localhost:80', 'http://evil.example', 'null']) expect(isOriginAllowed(o, list)).toBe(false);
  });

  it('supports IPv6 wildcards', () => {
    expect(isOriginAllowed('http://[::1]:5173', ['http://[::1]:*'])).toBe(true);
  });
});
