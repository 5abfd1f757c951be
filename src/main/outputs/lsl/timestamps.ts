/**
 * Device time onto the LSL clock (docs/lsl.md §9). A BITalino's clock does not jitter: sample i of a
 * segment was taken (i − i₀) / rate seconds after sample i₀. So each segment gets one fixed mapping,
 * anchored when its first batch arrives — the newest sample of that batch is taken to have happened
 * at that LSL-clock instant — and every later timestamp follows from the sample index alone, free of
 * the host's scheduling jitter. The mapping is re-anchored at every segment start (`meta`) and after
 * every gap, since the device clock's continuity across a loss is not certain; gaps stay gaps (no
 * sample is invented). Irregular sources (R-IoT) carry a host time per sample; those are shifted
 * onto the LSL clock by the offset measured at the anchor.
 *
 * The constant delay between acquisition and arrival (Bluetooth, buffering) is not removed — as
 * with liblsl's own `push_sample`, which stamps "now".
 */
import type { SampleBatch } from '#shared/acquisition.js';
import type { Clock } from './clock.js';

export class SegmentClock {
  /** Index and LSL time of the anchor sample; undefined until the segment's first batch. */
  private anchor: { index: number; time: number } | undefined;
  /** Irregular sources: host time (ms) and LSL time (s) of the anchor sample. */
  private hostAnchor: { host: number; time: number } | undefined;

  constructor(
    private readonly clock: Clock,
    private rate: number,
    private irregular: boolean,
  ) {}

  /** A new segment (meta) or a gap: the next batch anchors the mapping again. */
  reset(rate = this.rate, irregular = this.irregular): void {
    this.rate = rate;
    this.irregular = irregular;
    this.anchor = undefined;
    this.hostAnchor = undefined;
  }

  /** Whether the current segment has its mapping (false until its first batch). */
  get anchored(): boolean {
    return this.irregular ? this.hostAnchor !== undefined : this.anchor !== undefined;
  }

  /** The LSL timestamp of each sample of `batch`. */
  stamp(batch: SampleBatch): Float64Array {
    const n = batch.count;
    const out = new Float64Array(n);
    if (n === 0) return out;
    if (this.irregular && batch.timestamps && batch.timestamps.length >= n) {
      // Differences from the anchor keep sub-microsecond precision (epoch ms / 1000 would not).
      this.hostAnchor ??= { host: batch.timestamps[n - 1], time: this.clock() };
      const { host, time } = this.hostAnchor;
      for (let i = 0; i < n; i++) out[i] = time + (batch.timestamps[i] - host) / 1000;
      return out;
    }
    const rate = batch.rate > 0 ? batch.rate : this.rate;
    if (!this.anchor) this.anchor = { index: batch.index + n - 1, time: this.clock() };
    const { index, time } = this.anchor;
    for (let i = 0; i < n; i++) out[i] = time + (batch.index + i - index) / rate;
    return out;
  }
}
