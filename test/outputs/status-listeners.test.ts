import { describe, expect, it } from 'vitest';
import { StatusListeners, type OutputStatus } from '../../src/main/outputs/output.js';

const status = (datagrams: number, state: OutputStatus['state'] = 'running'): OutputStatus => ({ output: 'osc', state, counters: { datagrams } });

describe('StatusListeners', () => {
  it('calls every listener even when one throws, and stops calling one that unsubscribed', () => {
    const l = new StatusListeners('a test output');
    const seen: number[] = [];
    l.add(() => {
      throw new Error('boom');
    });
    const off = l.add((s) => seen.push(s.counters.datagrams!));
    l.emit(status(1));
    off();
    l.emit(status(2));
    expect(seen).toEqual([1]);
    expect(l.size).toBe(1);
  });

  it('emitIfChanged skips a status equal to the last one emitted, by value', () => {
    const l = new StatusListeners('a test output');
    const seen: string[] = [];
    l.add((s) => seen.push(`${s.state}:${s.counters.datagrams}`));
    l.emitIfChanged(status(1));
    l.emitIfChanged(status(1));
    l.emitIfChanged(status(2));
    l.emitIfChanged(status(2, 'error'));
    l.emit(status(2, 'error')); // emit always emits (a repeated error is news)
    expect(seen).toEqual(['running:1', 'running:2', 'error:2', 'error:2']);
  });
});
