import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimateMinMax, pixelsPerColumn, type XY } from '../../src/renderer/decimate.js';
import { RingBuffer } from '../../src/renderer/ring-buffer.js';

const ringOf = (values: number[], capacity = values.length || 1, before: number[] = []) => {
  const r = new RingBuffer(capacity);
  r.pushAll(before);
  r.pushAll(values);
  return r;
};

describe('decimateMinMax', () => {
  it('keeps every sample when there are at most two per column', () => {
    const out: XY[] = [];
    const r = decimateMinMax(ringOf([3, 1, 2]), 2, -2, 1, out);
    expect(r).toEqual({ count: 3, min: 1, max: 3 });
    expect(out).toEqual([
      { x: -2, y: 3 },
      { x: -1, y: 1 },
      { x: 0, y: 2 },
    ]);
  });

  it('keeps each column’s min and max in the order they occurred', () => {
    // 2 columns of 4 samples: [0, 9, 1, 2] then [5, 5, -3, 4]
    const out: XY[] = [];
    const r = decimateMinMax(ringOf([0, 9, 1, 2, 5, 5, -3, 4]), 2, 0, 1, out);
    expect(r).toEqual({ count: 4, min: -3, max: 9 });
    expect(out).toEqual([
      { x: 0, y: 0 },
      { x: 1, y: 9 },
      { x: 4, y: 5 },
      { x: 6, y: -3 },
    ]);
  });

  it('never loses a one-sample spike', () => {
    const values = Array.from({ length: 5000 }, () => 512);
    values[2345] = 1023;
    const out: XY[] = [];
    const r = decimateMinMax(ringOf(values), 800, -4.999, 0.001, out);
    expect(r.max).toBe(1023);
    expect(out.some((p) => p.y === 1023)).toBe(true);
    expect(r.count).toBeLessThanOrEqual(1600);
  });

  it('a column made only of gaps becomes one NaN point (the line breaks)', () => {
    const out: XY[] = [];
    // 3 columns of 4 samples; the middle one is all gap.
    const r = decimateMinMax(ringOf([1, 2, 3, 4, NaN, NaN, NaN, NaN, 5, 6, 7, 8]), 3, 0, 1, out);
    expect(out.map((p) => p.y)).toEqual([1, 4, NaN, 5, 8]);
    expect(out.map((p) => p.x)).toEqual([0, 3, 4, 8, 11]);
    expect(r.min).toBe(1);
    expect(r.max).toBe(8);
  });

  it('reads a wrapped ring in order', () => {
    const out: XY[] = [];
    const ring = ringOf([10, 11, 12], 3, [1, 2]); // data array wraps
    decimateMinMax(ring, 10, 0, 1, out);
    expect(out.map((p) => p.y)).toEqual([10, 11, 12]);
  });

  it('reuses the point objects and trims the array', () => {
    const out: XY[] = [];
    decimateMinMax(ringOf([1, 2, 3, 4]), 10, 0, 1, out);
    const first = out[0];
    decimateMinMax(ringOf([5, 6]), 10, 0, 1, out);
    expect(out).toHaveLength(2);
    expect(out[0]).toBe(first);
    expect(first.y).toBe(5);
  });

  it('empty input: no points, NaN range', () => {
    const out: XY[] = [{ x: 1, y: 1 }];
    const r = decimateMinMax(new RingBuffer(5), 10, 0, 1, out);
    expect(r.count).toBe(0);
    expect(out).toHaveLength(0);
    expect(r.min).toBeNaN();
  });

  it('property: the envelope equals the data’s, points stay sorted by x and within bounds', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1023 }), { minLength: 1, maxLength: 3000 }), fc.integer({ min: 1, max: 400 }), (values, columns) => {
        const out: XY[] = [];
        const r = decimateMinMax(ringOf(values), columns, 0, 1, out);
        expect(r.min).toBe(Math.min(...values));
        expect(r.max).toBe(Math.max(...values));
        expect(r.count).toBeLessThanOrEqual(Math.max(values.length <= 2 * columns ? values.length : 2 * columns, 0));
        for (let i = 1; i < out.length; i++) expect(out[i].x).toBeGreaterThan(out[i - 1].x);
        for (const p of out) expect(values[p.x]).toBe(p.y);
      }),
      { numRuns: 200 },
    );
  });

  it('overlaid traces share a point budget: 2 px columns from two traces on', () => {
    expect(pixelsPerColumn(1)).toBe(1);
    expect(pixelsPerColumn(2)).toBe(2);
    expect(pixelsPerColumn(6)).toBe(2);
  });
});
