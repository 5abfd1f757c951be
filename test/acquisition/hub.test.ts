import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServiceStatus } from '../../src/shared/acquisition.js';
import { Hub } from '../../src/main/acquisition/hub.js';
import { makeBatch } from '../server/helpers.js';

const status = (state: ServiceStatus['state']): ServiceStatus => ({
  state,
  rate: 1000,
  channels: [1],
  counters: { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0, clients: 0 },
});

describe('Hub', () => {
  afterEach(() => vi.restoreAllMocks());

  it('delivers batches, gaps and statuses to every subscriber, in order', () => {
    const hub = new Hub();
    const a: string[] = [];
    const b: string[] = [];
    hub.subscribe({ batch: (x) => a.push(`b${x.index}`), gap: (g) => a.push(`g${g.from}`), status: (s) => a.push(s.state) });
    hub.subscribe({ batch: (x) => b.push(`b${x.index}`) });
    hub.publish(makeBatch(0, 5));
    hub.publishGap({ device: 'sim', from: 5, to: 9, reason: 'crc_error' });
    hub.publishStatus(status('stopped'));
    hub.publish(makeBatch(9, 5));
    expect(a).toEqual(['b0', 'g5', 'stopped', 'b9']);
    expect(b).toEqual(['b0', 'b9']);
  });

  it('isolates a throwing subscriber: others and the producer carry on; counted, logged once', () => {
    const warn = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const hub = new Hub();
    const got: number[] = [];
    hub.subscribe({ batch: () => { throw new Error('boom'); } });
    hub.subscribe({ batch: (x) => got.push(x.index) });
    expect(() => {
      for (let i = 0; i < 3; i++) hub.publish(makeBatch(i * 10, 10));
    }).not.toThrow();
    expect(got).toEqual([0, 10, 20]);
    expect(hub.subscriberErrors).toBe(3);
    expect(warn.mock.calls.filter(([t]) => String(t).includes('boom'))).toHaveLength(1);
  });

  it('keeps the last status for late subscribers', () => {
    const hub = new Hub();
    expect(hub.lastStatus).toBeUndefined();
    hub.publishStatus(status('connecting'));
    hub.publishStatus(status('streaming'));
    const seen: string[] = [];
    hub.subscribe({ status: (s) => seen.push(s.state) });
    expect(hub.lastStatus?.state).toBe('streaming');
    expect(seen).toEqual([]);
  });

  it('unsubscribes (idempotently), even from inside a callback', () => {
    const hub = new Hub();
    const got: string[] = [];
    const off = hub.subscribe({ batch: () => { got.push('a'); off(); } });
    hub.subscribe({ batch: () => got.push('b') });
    hub.publish(makeBatch(0, 1));
    hub.publish(makeBatch(1, 1));
    off();
    expect(got).toEqual(['a', 'b', 'b']);
    expect(hub.subscriberCount).toBe(1);
  });
});
