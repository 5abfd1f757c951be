import { describe, expect, it } from 'vitest';
import { SegmentClock } from '../../../src/main/outputs/lsl/timestamps.js';
import { batchOf, bitalinoMeta } from './synthetic.js';

describe('SegmentClock (device time onto the LSL clock)', () => {
  const meta = bitalinoMeta({ rate: 1000 });

  it('anchors the newest sample of the first batch at the clock reading, then follows the sample index', () => {
    let now = 500;
    const c = new SegmentClock(() => now, 1000, false);
    const first = c.stamp(batchOf(meta, 0, 40));
    expect(first[39]).toBe(500);
    expect(first[0]).toBe(500 - 39 / 1000);
    now = 777; // host jitter, scheduling: ignored once anchored
    const next = c.stamp(batchOf(meta, 40, 40));
    expect([...next]).toEqual(Array.from({ length: 40 }, (_, i) => 500 + (40 + i - 39) / 1000));
  });

  it('re-anchors after reset (a new segment or a gap), and leaves the gap empty', () => {
    let now = 10;
    const c = new SegmentClock(() => now, 1000, false);
    c.stamp(batchOf(meta, 0, 10));
    c.reset();
    expect(c.anchored).toBe(false);
    now = 20;
    const after = c.stamp(batchOf(meta, 5000, 10));
    expect(after[9]).toBe(20);
    expect(after[0]).toBe(20 - 9 / 1000);
    expect(c.anchored).toBe(true);
  });

  it('keeps 10 s at 1000 Hz exact to the sample (no accumulated rounding)', () => {
    const c = new SegmentClock(() => 12345.6789, 1000, false);
    let worst = 0;
    let anchor = NaN;
    for (let i = 0; i < 10_000; i += 40) {
      const ts = c.stamp(batchOf(meta, i, 40));
      if (Number.isNaN(anchor)) anchor = ts[39] - 39 / 1000;
      for (let k = 0; k < 40; k++) worst = Math.max(worst, Math.abs(ts[k] - (anchor + (i + k) / 1000)));
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it('shifts an irregular source’s host times by the offset measured at the anchor', () => {
    const c = new SegmentClock(() => 100, 0, true);
    const b = { ...batchOf(meta, 0, 3), timestamps: Float64Array.of(1_700_000_000_000, 1_700_000_000_010, 1_700_000_000_030) };
    const ts = c.stamp(b);
    expect(ts[2]).toBe(100);
    expect(ts[0]).toBeCloseTo(100 - 0.03, 9);
    expect(ts[1]).toBeCloseTo(100 - 0.02, 9);
  });
});
