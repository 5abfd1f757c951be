/**
 * Fixed-size storage for the live plot's history: one ring of doubles per trace.
 *
 * Bound: `capacity` values (e.g. 5 s × 1000 Hz = 5000, 40 kB); when full, the oldest value is
 * overwritten. Nothing here allocates after construction.
 */

/** A read-only window on a ring: value i (0 = oldest) is `data[(start + i) % capacity]`. */
export interface RingView {
  readonly data: Float64Array;
  readonly start: number;
  readonly length: number;
  readonly capacity: number;
}

export class RingBuffer implements RingView {
  readonly capacity: number;
  readonly data: Float64Array;
  /** Position of the oldest value in `data`. */
  start = 0;
  length = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new TypeError(`RingBuffer: "capacity" must be a positive integer (got ${String(capacity)})`);
    this.capacity = capacity;
    this.data = new Float64Array(capacity);
  }

  push(value: number): void {
    const cap = this.capacity;
    if (this.length < cap) {
      const j = this.start + this.length;
      this.data[j >= cap ? j - cap : j] = value;
      this.length++;
    } else {
      this.data[this.start] = value;
      this.start = this.start + 1 === cap ? 0 : this.start + 1;
    }
  }

  /** Pushes `count` copies of `value` (at most `capacity` are actually written). */
  fill(value: number, count: number): void {
    const n = Math.min(count, this.capacity);
    for (let i = 0; i < n; i++) this.push(value);
  }

  /** Pushes values in order; of a run longer than the ring only the last `capacity` are written. */
  pushAll(values: ArrayLike<number>): void {
    const from = Math.max(0, values.length - this.capacity);
    for (let i = from; i < values.length; i++) this.push(values[i]);
  }

  /** Value i, 0 = oldest; NaN outside 0..length-1. */
  get(i: number): number {
    if (i < 0 || i >= this.length) return NaN;
    const j = this.start + i;
    return this.data[j >= this.capacity ? j - this.capacity : j];
  }

  clear(): void {
    this.start = 0;
    this.length = 0;
  }

  toArray(): number[] {
    return Array.from({ length: this.length }, (_, i) => this.get(i));
  }
}

/**
 * A ring fed by indexed runs of samples (data messages carry the index of their first sample).
 * Lost samples (a jump forward in the index: a gap) are stored as NaN so the line breaks there;
 * an index that goes backwards means a new acquisition started, so the history is cleared.
 */
export class SampleSeries {
  readonly ring: RingBuffer;
  /** Index the next sample is expected to have; undefined before the first. */
  nextIndex: number | undefined;

  constructor(capacity: number) {
    this.ring = new RingBuffer(capacity);
  }

  append(index: number, values: ArrayLike<number>): void {
    if (this.nextIndex !== undefined) {
      if (index < this.nextIndex) this.ring.clear();
      else if (index > this.nextIndex) this.ring.fill(NaN, index - this.nextIndex);
    }
    this.ring.pushAll(values);
    this.nextIndex = index + values.length;
  }

  clear(): void {
    this.ring.clear();
    this.nextIndex = undefined;
  }
}
