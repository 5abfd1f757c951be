/**
 * Samples per second measured from the data actually received (not the configured rate): the
 * status panel shows it so a stalled or lossy link is visible at a glance.
 *
 * Bound: one entry per data message inside the window (at 1000 Hz and 1-sample messages,
 * ≤ 2000 entries for a 2 s window); older entries are dropped on every call.
 */
export class RateMeter {
  private readonly times: number[] = [];
  private readonly counts: number[] = [];
  private head = 0;
  private total = 0;
  private first: number | undefined;

  /** @param windowMs averaging window, ms (default 2000). */
  constructor(private readonly windowMs = 2000) {}

  add(count: number, nowMs: number): void {
    this.first ??= nowMs;
    this.times.push(nowMs);
    this.counts.push(count);
    this.total += count;
    this.trim(nowMs);
  }

  /** Samples per second over the last window (or since the first sample, if sooner). */
  rate(nowMs: number): number {
    this.trim(nowMs);
    if (this.first === undefined) return 0;
    const span = Math.min(this.windowMs, nowMs - this.first);
    return span > 0 ? (this.total * 1000) / span : 0;
  }

  reset(): void {
    this.times.length = 0;
    this.counts.length = 0;
    this.head = 0;
    this.total = 0;
    this.first = undefined;
  }

  private trim(nowMs: number): void {
    const cut = nowMs - this.windowMs;
    while (this.head < this.times.length && this.times[this.head] <= cut) {
      this.total -= this.counts[this.head];
      this.head++;
    }
    // Compact now and then instead of shifting on every call.
    if (this.head > 1024 || (this.head > 0 && this.head === this.times.length)) {
      this.times.splice(0, this.head);
      this.counts.splice(0, this.head);
      this.head = 0;
    }
  }
}
