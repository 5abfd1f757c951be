/**
 * Re-chunks one device's irregular batches (whatever the serial port delivered) into batches of
 * exactly `size` samples, so that each WebSocket message carries a steady, configured amount of
 * data. ws costs per message, not per byte (docs/performance.md): one Batcher per (device, size) is
 * shared by every client wanting that size, and each output batch is encoded once for all.
 *
 * Guarantees:
 * - every input sample is emitted exactly once, in order;
 * - an output batch is contiguous: `index` and `time` are those of its first sample
 *   (time = input time + offset / rate); a batch never straddles a discontinuity. Callers flush
 *   on a gap; as a safety net, an input that does not continue the pending samples (index jump,
 *   another device, rate or channel set) flushes them first;
 * - batches are `size` long except the one emitted by `flush()` (a gap, a stop), and, when an
 *   `origin` is given, the first one after a (re)start, which ends at the next aligned boundary;
 * - float values (R-IoT) stay floats, and irregular sources' `timestamps` travel with the samples.
 *
 * Bound: at most `size - 1` samples are held between calls. Output batches own fresh arrays of
 * exactly `count` entries, so consumers may keep them; inputs may be longer than their `count`
 * (only the first `count` entries are read).
 */
import type { AnalogValues, SampleBatch } from '../../shared/acquisition.js';

interface Pending {
  device: string;
  index: number;
  time: number;
  rate: number;
  channels: number[];
  seq: Uint8Array;
  digital: Uint8Array;
  analog: AnalogValues[];
  /** Irregular sources: the host time of each sample. */
  timestamps: Float64Array | undefined;
  /** Samples this batch holds when full: `size`, or fewer up to the next aligned boundary. */
  target: number;
  fill: number;
}

/** A new typed array of the same kind (Uint16Array for ADC counts, Float32Array for float sources). */
function like(a: AnalogValues, n: number): AnalogValues {
  return a instanceof Float32Array ? new Float32Array(n) : new Uint16Array(n);
}

const mod = (a: number, n: number): number => ((a % n) + n) % n;

export class Batcher {
  /** Samples per emitted batch (≥ 1). */
  readonly size: number;
  private readonly emit: (batch: SampleBatch) => void;
  private pend: Pending | undefined;

  /** @param emit called synchronously from `push`/`flush` with each complete batch. */
  constructor(size: number, emit: (batch: SampleBatch) => void) {
    if (!Number.isInteger(size) || size < 1) throw new TypeError(`Batcher: "size" must be an integer ≥ 1 (got ${size})`);
    this.size = size;
    this.emit = emit;
  }

  /** Samples held back, waiting for more to fill a batch. */
  get pending(): number {
    return this.pend ? this.pend.fill : 0;
  }

  /**
   * @param origin batches are cut at `origin + k × size` (the segment's first index, so every
   *   consumer of a device cuts at the same boundaries, and the driver's read pacing can aim at
   *   them); a batch opened between two boundaries ends at the next one. Default: the first index seen.
   */
  push(batch: SampleBatch, origin?: number): void {
    const n = batch.count;
    if (n <= 0) return;
    if (this.pend && !this.continues(this.pend, batch)) this.flush();
    let off = 0;
    let failed = false;
    let error: unknown;
    while (off < n) {
      const p = (this.pend ??= this.open(batch, off, origin));
      const take = Math.min(p.target - p.fill, n - off);
      p.seq.set(batch.seq.subarray(off, off + take), p.fill);
      p.digital.set(batch.digital.subarray(off, off + take), p.fill);
      for (let k = 0; k < p.analog.length; k++) p.analog[k].set(batch.analog[k].subarray(off, off + take), p.fill);
      if (p.timestamps && batch.timestamps) p.timestamps.set(batch.timestamps.subarray(off, off + take), p.fill);
      p.fill += take;
      off += take;
      if (p.fill !== p.target) continue;
      // A throwing consumer must not cost the rest of this input: finish, then rethrow.
      try {
        this.flush();
      } catch (err) {
        if (!failed) [failed, error] = [true, err];
      }
    }
    if (failed) throw error;
  }

  /** Emits the pending samples now (a shorter batch), e.g. on a gap or when acquisition stops. */
  flush(): void {
    const p = this.pend;
    if (!p || p.fill === 0) return;
    // Cleared before emitting, so a throwing consumer cannot make us emit these samples twice.
    this.pend = undefined;
    const n = p.fill;
    const full = n === p.seq.length;
    this.emit({
      device: p.device,
      index: p.index,
      time: p.time,
      rate: p.rate,
      count: n,
      seq: full ? p.seq : p.seq.slice(0, n),
      digital: full ? p.digital : p.digital.slice(0, n),
      analog: full ? p.analog : p.analog.map((a) => a.slice(0, n)),
      channels: p.channels,
      ...(p.timestamps ? { timestamps: full ? p.timestamps : p.timestamps.slice(0, n) } : {}),
    });
  }

  /** Drops the pending samples (nobody is listening any more). */
  reset(): void {
    this.pend = undefined;
  }

  private continues(p: Pending, b: SampleBatch): boolean {
    return (
      b.index === p.index + p.fill &&
      b.device === p.device &&
      b.rate === p.rate &&
      b.channels.length === p.channels.length &&
      b.channels.every((c, k) => c === p.channels[k])
    );
  }

  private open(b: SampleBatch, off: number, origin: number | undefined): Pending {
    const index = b.index + off;
    const target = origin === undefined ? this.size : this.size - mod(index - origin, this.size);
    return {
      device: b.device,
      index,
      time: b.timestamps ? b.timestamps[off] : b.time + (off * 1000) / b.rate,
      rate: b.rate,
      channels: b.channels.slice(),
      seq: new Uint8Array(target),
      digital: new Uint8Array(target),
      analog: b.analog.map((a) => like(a, target)),
      timestamps: b.timestamps ? new Float64Array(target) : undefined,
      target,
      fill: 0,
    };
  }
}
