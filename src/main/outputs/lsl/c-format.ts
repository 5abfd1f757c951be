/**
 * Number formatting as C++ iostreams print it, so the XML and the time replies carry the same text
 * liblsl would (docs/lsl.md §3, §4): `setprecision(16)` is C's `%.16g`, and `showpoint` (liblsl's
 * `to_string(double)`) is `%#.16g`, which keeps trailing zeros and the decimal point.
 *
 * Rounding is JavaScript's (ties away from zero on the exact binary value) where glibc rounds ties
 * to even; with 16 significant digits a tie needs a double whose exact decimal expansion has exactly
 * 17 significant digits ending in 5, which the values printed here (rates, clock readings) are not.
 */

/** `%.{precision}g`, or `%#.{precision}g` when `showpoint`. Non-finite values print as C does ("inf", "nan"). */
export function formatG(value: number, precision = 16, showpoint = false): string {
  if (Number.isNaN(value)) return value < 0 ? '-nan' : 'nan';
  if (!Number.isFinite(value)) return value < 0 ? '-inf' : 'inf';
  const p = Math.max(1, Math.min(100, Math.floor(precision)));
  const exp = value.toExponential(p - 1); // correctly rounded mantissa and the exponent C would use
  const e = Number(exp.slice(exp.indexOf('e') + 1));
  let body: string;
  let suffix = '';
  if (e >= -4 && e < p) {
    body = value.toFixed(p - 1 - e);
    if (Object.is(value, -0)) body = '-' + body;
  } else {
    const m = exp.slice(0, exp.indexOf('e'));
    body = Object.is(value, -0) ? '-' + m : m;
    const abs = Math.abs(e);
    suffix = `e${e < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  if (showpoint) {
    if (!body.includes('.')) body += '.';
  } else if (body.includes('.')) {
    body = body.replace(/0+$/, '').replace(/\.$/, '');
  }
  return body + suffix;
}
