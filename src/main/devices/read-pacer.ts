/**
 * Read pacing: wake for the samples a consumer needs, not for every frame the link delivers.
 *
 * A consumer that sends batches of N samples (the compatible stream: 40 at 1000 Hz) has no use
 * for a sample until the one that completes its batch has arrived. On a link that delivers one
 * frame per write, reading each frame as it arrives costs a wake-up per sample (1000/s); the
 * pacer instead lets the bytes wait in the OS's tty buffer until just before the completing
 * sample can arrive, then reads as bytes arrive again, so that sample is read the moment it
 * comes: a few wake-ups per batch, and no added latency for the newest sample of a batch.
 *
 * When can the completing sample arrive? Frames leave the device on its clock, one period apart,
 * and the link only ever delays them: sample k arrives no earlier than `a + k × period`, where
 * `a` is the smallest `arrival − k × period` seen. The pacer keeps that lower envelope over the
 * last 2–3 s (`arrival` = when a read returned sample k, an upper bound of when it arrived), so
 * it follows a device clock that runs slower or faster than the host's, and holds the reads until
 * `guardMs` before the envelope says the completing sample can first arrive. A link that delivers
 * late costs a few more wake-ups (reads on arrival after the hold), never latency; only a sample
 * that arrives earlier than any before it, by more than `guardMs`, waits — at most until the hold
 * ends.
 *
 * Batches are assumed to be cut at index multiples of N (the sample with index k completes a
 * batch when (k + 1) % N === 0), so the consumer's batcher must align its batches to the index.
 */
import type { Transport } from './transport.js';

/** A transport that can let bytes wait in the OS buffer (serial-transport.ts on Linux and macOS). */
export interface HoldableTransport extends Transport {
  /** Delivers nothing for up to `ms` (bytes wait in the OS buffer), then reads what collected; ≤ 0 ends a hold. */
  holdReads(ms: number): void;
}

export function canHoldReads(t: Transport): t is HoldableTransport {
  return typeof (t as Partial<HoldableTransport>).holdReads === 'function';
}

export interface ReadPacerOptions {
  /** Samples per consumer batch (≥ 1; 1 turns pacing off). */
  every: number;
  /** Sampling rate, Hz. */
  rate: number;
  /**
   * Stop holding this long before the completing sample can first arrive, ms. Default 0: the hold
   * already ends up to 1 ms early (whole-millisecond timers, rounded down), and each millisecond
   * of guard costs a wake-up per batch on a frame-per-write link (~0.2 % of a core at 1000 Hz,
   * docs/performance.md "The read path").
   */
  guardMs?: number;
  /** A hold shorter than this is not worth a timer, ms. Default 2. */
  minHoldMs?: number;
  /** Longest hold, ms. Default 50 (the tty reader's own cap; ≈ 800 bytes at 1000 Hz × 6 channels). */
  maxHoldMs?: number;
}

/** The envelope's window: this many buckets of BUCKET_MS, the oldest dropped as time moves on. */
const BUCKETS = 3;
const BUCKET_MS = 1000;

export class ReadPacer {
  readonly every: number;
  private readonly period: number;
  private readonly guardMs: number;
  private readonly minHoldMs: number;
  private readonly maxHoldMs: number;
  /** Lowest `t − k × period` per bucket, newest first (Infinity: nothing seen yet). */
  private readonly env = new Float64Array(BUCKETS).fill(Infinity);
  private bucket = -1;

  constructor(options: ReadPacerOptions) {
    const { every, rate } = options;
    if (!Number.isInteger(every) || every < 1) throw new TypeError(`every must be an integer ≥ 1 (samples), got ${String(every)}`);
    if (!(rate > 0)) throw new TypeError(`rate must be > 0 (Hz), got ${String(rate)}`);
    this.every = every;
    this.period = 1000 / rate;
    this.guardMs = options.guardMs ?? 0;
    this.minHoldMs = options.minHoldMs ?? 2;
    this.maxHoldMs = options.maxHoldMs ?? 50;
  }

  /**
   * After a read: `last` is the index of the newest sample decoded so far, `t` the time of the
   * read (ms, monotonic: performance.now()). Returns how long the next read may wait, ms (0: read
   * as bytes arrive).
   */
  next(last: number, t: number): number {
    this.note(last, t);
    if (this.every === 1) return 0;
    const a = Math.min(this.env[0], this.env[1], this.env[2]);
    if (a === Infinity) return 0;
    // The next sample that completes a batch.
    const target = Math.ceil((last + 2) / this.every) * this.every - 1;
    const hold = Math.floor(a + target * this.period - t - this.guardMs);
    return hold < this.minHoldMs ? 0 : Math.min(hold, this.maxHoldMs);
  }

  private note(k: number, t: number): void {
    const b = Math.floor(t / BUCKET_MS);
    if (b !== this.bucket) {
      // Shift the window by the buckets that passed (all of them after a long silence).
      const shift = this.bucket < 0 ? BUCKETS : Math.min(BUCKETS, b - this.bucket);
      for (let i = BUCKETS - 1; i >= 0; i--) this.env[i] = i - shift >= 0 ? this.env[i - shift] : Infinity;
      this.bucket = b;
    }
    const v = t - k * this.period;
    if (v < this.env[0]) this.env[0] = v;
  }
}
