/**
 * Min/max decimation for the live plot: at most two points per pixel column, so chart.js draws
 * ~2 × width points whatever the rate (5 s at 1000 Hz is 5000 samples; an 800 px plot gets
 * ≤ 1600 points). Keeping each column's minimum and maximum, in the order they occurred, draws
 * the same envelope as plotting every sample: spikes (a QRS complex, an EMG burst) never vanish.
 */
import type { RingView } from './ring-buffer.js';

/** A chart.js point with `parsing: false`; y NaN breaks the line (a gap). */
export interface XY {
  x: number;
  y: number;
}

export interface DecimateResult {
  /** Points written to `out` (its length is set to this). */
  count: number;
  /** Smallest and largest finite value seen; NaN when there is none. */
  min: number;
  max: number;
}

/**
 * Writes the decimated series into `out`, reusing its point objects (no garbage in steady state).
 * Sample i (0 = oldest in `ring`) is placed at x = x0 + i × dx.
 * When there are no more samples than 2 × columns, every sample becomes a point.
 */
export function decimateMinMax(ring: RingView, columns: number, x0: number, dx: number, out: XY[]): DecimateResult {
  const n = ring.length;
  const cap = ring.capacity;
  const data = ring.data;
  const start = ring.start;
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  const put = (x: number, y: number): void => {
    const p = out[count];
    if (p) {
      p.x = x;
      p.y = y;
    } else out[count] = { x, y };
    count++;
  };
  const cols = Math.max(1, Math.floor(columns));

  if (n <= 2 * cols) {
    for (let i = 0; i < n; i++) {
      const j = start + i;
      const v = data[j >= cap ? j - cap : j];
      if (v < min) min = v;
      if (v > max) max = v;
      put(x0 + i * dx, v);
    }
  } else {
    for (let c = 0; c < cols; c++) {
      const a = Math.floor((c * n) / cols);
      const b = Math.floor(((c + 1) * n) / cols);
      let lo = Infinity;
      let hi = -Infinity;
      let iLo = -1;
      let iHi = -1;
      for (let i = a; i < b; i++) {
        const j = start + i;
        const v = data[j >= cap ? j - cap : j];
        // NaN fails both comparisons: gaps inside a column are skipped.
        if (v < lo) {
          lo = v;
          iLo = i;
        }
        if (v > hi) {
          hi = v;
          iHi = i;
        }
      }
      if (iLo < 0) {
        put(x0 + a * dx, NaN); // the whole column is a gap
        continue;
      }
      if (lo < min) min = lo;
      if (hi > max) max = hi;
      if (iLo === iHi) put(x0 + iLo * dx, lo);
      else if (iLo < iHi) {
        put(x0 + iLo * dx, lo);
        put(x0 + iHi * dx, hi);
      } else {
        put(x0 + iHi * dx, hi);
        put(x0 + iLo * dx, lo);
      }
    }
  }
  out.length = count;
  return { count, min: min === Infinity ? NaN : min, max: max === -Infinity ? NaN : max };
}

/**
 * Decimation column width, px: one min/max pair per pixel for one trace; overlaid traces share a
 * point budget (2 px columns for two or more), since six full-resolution traces cost about six
 * times as much to stroke while the overlay cannot show more detail anyway.
 */
export function pixelsPerColumn(traces: number): number {
  return traces <= 1 ? 1 : 2;
}
