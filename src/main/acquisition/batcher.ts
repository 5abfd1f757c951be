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
 * - batches are `size` long except the one emitted by `flush()` (a gap, a stop), which is shorter.
 *
 * Bound: at most `size - 1` samples are held between calls. Output batches own fresh arrays of
 * exactly `count` entries, so consumers may keep them; inputs may be longer than their `count`
 * (only the first `count` entries are read).
 */
import type { SampleBatch } from '../../shared/acquisition.js';

interface Pending {
  device: string;
  index: number;
  time: number;
  rate: number;
  channels: number[];
  seq: Uint8Array;
  digital: Uint8Array;
  analog: Uint16Array[];
  fill: number;
}

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

  push(batch: SampleBatch): void {
    const n = batch.count;
    if (n <= 0) return;
    if (this.pend && !this.continues(this.pend, batch)) this.flush();
    let off = 0;
    let failed = false;
    let error: unknown;
    while (off < n) {
      const p = (this.pend ??= this.open(batch, off));
      const take = Math.min(this.size - p.fill, n - off);
      p.seq.set(batch.seq.subarray(off, off + take), p.fill);
      p.digital.set(batch.digital.subarray(off, off + take), p.fill);
      for (let k = 0; k < p.analog.length; k++) p.analog[k].set(batch.analog[k].subarray(off, off + take), p.fill);
      p.fill += take;
      off += take;
      if (p.fill !== this.size) continue;
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
    const full = n === this.size;
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

  private open(b: SampleBatch, off: number): Pending {
    return {
      device: b.device,
      index: b.index + off,
      time: b.time + (off * 1000) / b.rate,
      rate: b.rate,
      channels: b.channels.slice(),
      seq: new Uint8Array(this.size),
      digital: new Uint8Array(this.size),
      analog: b.channels.map(() => new Uint16Array(this.size)),
      fill: 0,
    };
  }
}
