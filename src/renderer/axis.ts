/** Y-axis ranges for the live plot that do not jitter from frame to frame. */

/** A "nice" step (1, 2 or 5 × 10^k) of about span / targetTicks. */
export function niceStep(span: number, targetTicks = 5): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / targetTicks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nice * mag;
}

/**
 * [min, max] rounded outwards to multiples of a nice step, so the axis only moves when the data
 * leaves the current range. A flat or empty signal gets a small range around its value.
 */
export function niceRange(min: number, max: number): { min: number; max: number } {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { min: 0, max: 1 };
  if (max - min < 1e-9) {
    const pad = Math.abs(min) > 1e-9 ? Math.abs(min) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  const step = niceStep(max - min);
  // toPrecision drops float noise (-3 × 0.2 = -0.6000000000000001) that would show in tick labels.
  return { min: +(Math.floor(min / step) * step).toPrecision(12), max: +(Math.ceil(max / step) * step).toPrecision(12) };
}

/** The full scale of a raw ADC value of `bits` bits: 0 .. 2^bits − 1 (1023 for 10 bits, 63 for 6). */
export function rawRange(bits: number): { min: number; max: number } {
  const b = Number.isInteger(bits) && bits > 0 && bits <= 16 ? bits : 10;
  return { min: 0, max: 2 ** b - 1 };
}
