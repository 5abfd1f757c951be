/**
 * Samples per second measured from the data actually received (not the configured rate): the
 * status panel shows it so a stalled, slow or lossy link is visible at a glance.
 *
 * Estimator, over the messages in the window (arrival times t₁ … tₙ, device times d₁ … dₙ of
 * the end of each message): each message's samples were acquired since the previous one, so
 * the rate is the samples of messages 2…n divided by the time they cover, taken as the longest
 * of
 * - tₙ − t₁, the arrival span: a link slower than the device reads below the rate;
 * - dₙ − d₁, the device-time span: messages that queued up while the page was busy and are then
 *   handled at once (a burst) do not read above the rate, and lost samples (gaps) read below;
 * - now − t₁ − (tₙ − tₙ₋₁): when data stops, the reading falls smoothly to 0 instead of freezing.
 * The first message's samples are left out: they belong to time before the window.
 *
 * Bound: one entry per message inside the window (at 1000 Hz and 1-sample messages, ≤ 3000 for
 * the default 3 s window); older entries are dropped on every call.
 */
export class RateMeter {
  private readonly times: number[] = [];
  private readonly ends: number[] = [];
  private readonly counts: number[] = [];
  private head = 0;

  /** @param windowMs averaging window, ms (default 3000). */
  constructor(private readonly windowMs = 3000) {}

  /**
   * @param count samples in the message
   * @param nowMs arrival time, ms (performance.now())
   * @param deviceEndMs device time just after the message's last sample (time + count / rate), ms; NaN when unknown
   */
  add(count: number, nowMs: number, deviceEndMs = NaN): void {
    this.times.push(nowMs);
    this.ends.push(deviceEndMs);
    this.counts.push(count);
    this.trim(nowMs);
  }

  /** Samples per second over the last window; 0 with fewer than two messages in it. */
  rate(nowMs: number): number {
    this.trim(nowMs);
    const n = this.times.length - this.head;
    if (n < 2) return 0;
    const last = this.times.length - 1;
    const first = this.times[this.head];
    let samples = 0;
    for (let i = this.head + 1; i <= last; i++) samples += this.counts[i];
    const deviceSpan = this.ends[last] - this.ends[this.head];
    const span = Math.max(this.times[last] - first, Number.isFinite(deviceSpan) ? deviceSpan : 0, nowMs - first - (this.times[last] - this.times[last - 1]));
    return span > 0 ? (samples * 1000) / span : 0;
  }

  reset(): void {
    this.times.length = 0;
    this.ends.length = 0;
    this.counts.length = 0;
    this.head = 0;
  }

  private trim(nowMs: number): void {
    const cut = nowMs - this.windowMs;
    while (this.head < this.times.length && this.times[this.head] <= cut) this.head++;
    // Compact now and then instead of shifting on every call.
    if (this.head > 1024 || (this.head > 0 && this.head === this.times.length)) {
      this.times.splice(0, this.head);
      this.ends.splice(0, this.head);
      this.counts.splice(0, this.head);
      this.head = 0;
    }
  }
}
