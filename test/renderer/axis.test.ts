import { describe, expect, it } from 'vitest';
import { niceRange, niceStep, rawRange } from '../../src/renderer/axis.js';

describe('axis ranges', () => {
  it('nice steps are 1, 2 or 5 × 10^k', () => {
    expect(niceStep(10)).toBe(2);
    expect(niceStep(3)).toBe(1);
    expect(niceStep(0.3)).toBeCloseTo(0.1);
    expect(niceStep(2000)).toBe(500);
    expect(niceStep(0)).toBe(1);
  });

  it('rounds a range outwards to whole steps', () => {
    expect(niceRange(-1.43, 1.37)).toEqual({ min: -2, max: 2 });
    expect(niceRange(-0.43, 0.37)).toEqual({ min: -0.6, max: 0.4 });
    expect(niceRange(0.2, 9.7)).toEqual({ min: 0, max: 10 });
  });

  it('gives a flat or empty signal a usable range', () => {
    const r = niceRange(5, 5);
    expect(r.min).toBeLessThan(5);
    expect(r.max).toBeGreaterThan(5);
    expect(niceRange(0, 0).max).toBeGreaterThan(0);
    expect(niceRange(NaN, NaN)).toEqual({ min: 0, max: 1 });
  });

  it('raw range follows the resolution', () => {
    expect(rawRange(10)).toEqual({ min: 0, max: 1023 });
    expect(rawRange(6)).toEqual({ min: 0, max: 63 });
    expect(rawRange(99)).toEqual({ min: 0, max: 1023 });
  });
});
