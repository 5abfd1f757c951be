import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { SampleBatch } from '../../src/shared/acquisition.js';
import { Batcher } from '../../src/main/acquisition/batcher.js';
import { RATE, T0, makeBatch } from '../server/helpers.js';

/** Pushes consecutive batches of the given sizes starting at `start`; returns the next index. */
function feed(b: Batcher, sizes: number[], start = 0, channels?: number[]): number {
  let i = start;
  for (const n of sizes) {
    b.push(makeBatch(i, n, channels));
    i += n;
  }
  return i;
}

/** Checks an output batch is self-consistent with the makeBatch encoding, returns its indices. */
function check(out: SampleBatch): number[] {
  expect(out.seq.length).toBe(out.count);
  expect(out.time).toBeCloseTo(T0 + (out.index * 1000) / RATE, 6);
  const idx: number[] = [];
  for (let j = 0; j < out.count; j++) {
    const i = out.analog[0][j] + 1024 * out.analog[1][j];
    const ok = i === out.index + j && out.seq[j] === (i & 15) && out.digital[j] === ((i >> 4) & 15) && out.analog[2][j] === ((7 * i + 2) & 1023);
    if (!ok) throw new Error(`batch at ${out.index}: sample ${j} is wrong`);
    idx.push(i);
  }
  return idx;
}

describe('Batcher', () => {
  it('re-chunks irregular input into exact sizes; every sample once, in order (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), fc.array(fc.integer({ min: 0, max: 150 }), { maxLength: 60 }), (size, sizes) => {
        const outs: SampleBatch[] = [];
        const b = new Batcher(size, (x) => outs.push(x));
        const total = feed(b, sizes);
        expect(b.pending).toBe(total % size);
        b.flush();
        expect(b.pending).toBe(0);
        const all = outs.flatMap(check);
        expect(all).toEqual(Array.from({ length: total }, (_, i) => i));
        outs.slice(0, -1).forEach((o) => expect(o.count).toBe(size));
      }),
      { numRuns: 200 },
    );
  });

  it('reads only the first `count` entries of longer arrays', () => {
    const outs: SampleBatch[] = [];
    const b = new Batcher(4, (x) => outs.push(x));
    b.push(makeBatch(0, 3, [1, 2, 6], 10));
    b.push(makeBatch(3, 3, [1, 2, 6], 10));
    b.flush();
    expect(outs.map((o) => o.count)).toEqual([4, 2]);
    expect(outs.flatMap(check)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(outs[1].seq)).toEqual([4, 5]);
  });

  it('never lets a batch straddle a discontinuity (index jump or new channel set)', () => {
    const outs: SampleBatch[] = [];
    const b = new Batcher(10, (x) => outs.push(x));
    feed(b, [7]);
    feed(b, [5], 100); // jump without a flush
    b.push(makeBatch(105, 3, [1, 2, 3, 4]));
    b.flush();
    expect(outs.map((o) => [o.index, o.count, o.channels.length])).toEqual([[0, 7, 3], [100, 5, 3], [105, 3, 4]]);
  });

  it('a throwing consumer does not lose the rest of the input', () => {
    const outs: number[] = [];
    let first = true;
    const b = new Batcher(2, (x) => {
      if (first) {
        first = false;
        throw new Error('consumer bug');
      }
      outs.push(x.index);
    });
    expect(() => b.push(makeBatch(0, 7))).toThrow('consumer bug');
    expect(outs).toEqual([2, 4]);
    expect(b.pending).toBe(1);
  });

  it('rejects a size that is not an integer ≥ 1', () => {
    expect(() => new Batcher(0, () => undefined)).toThrow(TypeError);
    expect(() => new Batcher(2.5, () => undefined)).toThrow(/size/);
  });
});

describe('Batcher: aligned boundaries, floats and timestamps', () => {
  it('with an origin, cuts at origin + k × size: a batch opened between two boundaries ends at the next one', () => {
    const out: SampleBatch[] = [];
    const b = new Batcher(10, (x) => out.push(x));
    b.push(makeBatch(1003, 25), 1000); // 1003..1009 (7), 1010..1019, then 1020..1027 pending
    expect(out.map((x) => [x.index, x.count])).toEqual([[1003, 7], [1010, 10]]);
    expect(b.pending).toBe(8);
    b.push(makeBatch(1028, 2), 1000);
    expect(out.map((x) => [x.index, x.count]).at(-1)).toEqual([1020, 10]);
    // The values travel with their samples.
    expect([...out[0].seq]).toEqual([1003, 1004, 1005, 1006, 1007, 1008, 1009].map((i) => i & 15));
  });

  it('keeps float values (an R-IoT) and carries per-sample timestamps; the batch time is its first timestamp', () => {
    const out: SampleBatch[] = [];
    const b = new Batcher(3, (x) => out.push(x));
    const base = makeBatch(0, 4, [1], 0);
    b.push({ ...base, analog: [Float32Array.of(0.5, -1.25, 3.75, 7)], timestamps: Float64Array.of(100, 105.5, 111, 116) });
    b.flush();
    expect(out.map((x) => [...x.analog[0]])).toEqual([[0.5, -1.25, 3.75], [7]]);
    expect(out[0].analog[0]).toBeInstanceOf(Float32Array);
    expect(out.map((x) => x.timestamps && [...x.timestamps])).toEqual([[100, 105.5, 111], [116]]);
    expect(out.map((x) => x.time)).toEqual([100, 116]);
  });
});
