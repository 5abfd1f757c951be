/**
 * The publisher's bounded queue (src/main/outputs/mqtt/publish-queue.ts, docs/mqtt.md "When the
 * broker is down or slow"): data past the bound is dropped and announced as ONE output_overflow
 * gap per run of dropped samples, placed just before the device's next message; order is kept.
 */
import { describe, expect, it } from 'vitest';
import { PublishQueue, type QueuedMessage } from '../../../src/main/outputs/mqtt/publish-queue.js';

const gap = (device: string, from: number, to: number): QueuedMessage => ({ topic: `p/${device}/gap`, payload: JSON.stringify({ from, to }), qos: 1, retain: false });
const data = (device: string, from: number, n: number, bytes = 100) => ({ topic: `p/${device}/data`, payload: 'x'.repeat(bytes), qos: 0 as const, retain: false, samples: { device, from, to: from + n } });
const drain = (q: PublishQueue) => {
  const out: string[] = [];
  for (let m = q.shift(); m; m = q.shift()) out.push(m.samples ? `data ${m.samples.device} ${m.samples.from}` : `${m.topic} ${m.payload}`);
  return out;
};

describe('PublishQueue', () => {
  it('keeps hub order and holds at most maxDataBytes of data; what does not fit becomes one gap before the next message that fits', () => {
    const q = new PublishQueue({ maxDataBytes: 300, overflowGap: gap });
    q.pushControl({ topic: 'p/0/meta', payload: 'm', qos: 1, retain: true }, '0');
    expect([0, 40, 80].map((i) => q.pushData(data('0', i, 40)))).toEqual([true, true, true]);
    expect(q.bytes).toBe(300);
    // Full: 120..240 dropped, one range.
    expect([120, 160, 200].map((i) => q.pushData(data('0', i, 40)))).toEqual([false, false, false]);
    expect(q.counters).toMatchObject({ droppedMessages: 3, droppedSamples: 120, overflowGaps: 0 });
    expect(q.pendingGaps).toBe(1);
    // The broker takes two messages: room again; the gap goes in before the data that now fits.
    q.shift();
    q.shift();
    expect(q.pushData(data('0', 240, 40))).toBe(true);
    expect(drain(q)).toEqual(['data 0 40', 'data 0 80', 'p/0/gap {"from":120,"to":240}', 'data 0 240']);
    expect(q.counters.overflowGaps).toBe(1);
    expect(q.bytes).toBe(0);
  });

  it('an event about the device (status, gap, meta) announces its pending loss first; other devices are not held up', () => {
    const q = new PublishQueue({ maxDataBytes: 100, overflowGap: gap });
    q.pushData(data('a', 0, 10));
    q.pushData(data('a', 10, 10)); // dropped
    q.pushData(data('b', 0, 10)); // dropped too: the bound is shared
    q.pushControl({ topic: 'p/a/status', payload: 's', qos: 1, retain: true }, 'a');
    expect(drain(q)).toEqual(['data a 0', 'p/a/gap {"from":10,"to":20}', 'p/a/status s']);
    expect(q.pendingGaps).toBe(1); // b's, until b's next message or flushGaps()
    q.flushGaps();
    expect(drain(q)).toEqual(['p/b/gap {"from":0,"to":10}']);
  });

  it('non-data messages are bounded by count: past maxControl they are dropped and counted', () => {
    const q = new PublishQueue({ maxDataBytes: 1000, maxControl: 3, overflowGap: gap });
    for (let i = 0; i < 5; i++) q.pushControl({ topic: 'p/reply', payload: String(i), qos: 1, retain: false });
    expect(q.length).toBe(3);
    expect(q.counters.droppedControl).toBe(2);
    expect(drain(q)).toEqual(['p/reply 0', 'p/reply 1', 'p/reply 2']);
  });

  it('stays O(1) per message over a long run (the array is compacted as it drains)', () => {
    const q = new PublishQueue({ maxDataBytes: 10_000, overflowGap: gap });
    for (let i = 0; i < 100_000; i++) {
      q.pushData(data('0', i, 1, 10));
      if (i % 2 === 1) {
        q.shift();
        q.shift();
      }
    }
    expect(q.length).toBe(0);
    expect(q.counters.droppedMessages).toBe(0);
  });
});
