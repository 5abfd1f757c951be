/**
 * What batch sizes the streams want, so a device's driver can pace its reads (docs/performance.md
 * "Read pacing"): a driver that knows every consumer cuts batches of N samples at index
 * multiples of N (StreamGroup aligns them to the segment) may let bytes wait in the OS buffer
 * until the sample that completes a batch can arrive, instead of waking for every frame.
 *
 * With several consumers the driver must wake for every boundary of every one of them: it paces
 * at the greatest common divisor of their sizes (40 and 10 → 10; 40 and 7 → 1, no pacing). With
 * no consumer at all it paces at the default the composition root gives (the config's batch).
 */

/** Samples per batch a consumer wants for a device at a rate (read when the rate is known). */
export type BatchSize = (rate: number, device: string) => number;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

export class BatchDemand {
  private readonly wants = new Map<object, BatchSize>();
  private readonly listeners = new Set<() => void>();

  /** @param fallback the read batch with no consumer (default 1: read every frame). */
  constructor(private readonly fallback: BatchSize = () => 1) {}

  /** A consumer's batch size (replacing its earlier one); `release` it when the consumer goes. */
  want(consumer: object, size: BatchSize): void {
    this.wants.set(consumer, size);
    this.changed();
  }

  release(consumer: object): void {
    if (this.wants.delete(consumer)) this.changed();
  }

  /** The read batch for a device at a rate: the gcd of what every consumer wants (≥ 1). */
  readBatch(rate: number, device: string): number {
    if (this.wants.size === 0) return Math.max(1, Math.floor(this.fallback(rate, device)));
    let g = 0;
    for (const size of this.wants.values()) {
      const n = Math.max(1, Math.floor(size(rate, device)));
      g = g === 0 ? n : gcd(g, n);
      if (g === 1) break;
    }
    return g;
  }

  /** Something a size depends on changed (the config's batch period): drivers re-read their read batch. */
  refresh(): void {
    this.changed();
  }

  /** Called whenever the demand changes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
