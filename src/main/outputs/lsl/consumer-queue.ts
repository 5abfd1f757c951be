/**
 * One consumer's backlog (docs/lsl.md §8): encoded samples waiting for the consumer's socket, at
 * most `capacity` samples. When a push would exceed it, the oldest waiting samples are dropped and
 * counted — what liblsl's `consumer_queue` does — so a consumer that falls behind keeps receiving
 * the newest data, and its timestamps show the hole. Pure: the data server moves bytes from here to
 * the socket.
 */

export class ConsumerQueue {
  private chunks: Buffer[] = [];
  /** Index of the first live chunk in `chunks` (shifted lazily so take() stays O(1)). */
  private head = 0;
  private samples = 0;
  private droppedSamples = 0;

  /**
   * @param sampleBytes bytes of one encoded sample (every sample has the same size: numeric
   *   formats, timestamps always transmitted)
   * @param capacity most samples held; at least 1
   */
  constructor(
    readonly sampleBytes: number,
    readonly capacity: number,
  ) {
    if (!(sampleBytes > 0) || !Number.isInteger(sampleBytes)) throw new RangeError('sampleBytes must be a positive integer');
    if (!(capacity >= 1) || !Number.isInteger(capacity)) throw new RangeError('capacity must be a positive integer');
  }

  /** Samples waiting. */
  get length(): number {
    return this.samples;
  }

  /** Samples dropped so far because the backlog was full. */
  get dropped(): number {
    return this.droppedSamples;
  }

  /** Appends whole samples (the buffer is kept by reference, not copied). Returns how many older samples were dropped. */
  push(encoded: Buffer): number {
    if (encoded.length % this.sampleBytes !== 0) throw new RangeError('a push must hold whole samples');
    let incoming = encoded;
    // More than the whole capacity at once: only the newest part can ever be sent.
    const max = this.capacity * this.sampleBytes;
    let dropped = 0;
    if (incoming.length > max) {
      dropped += (incoming.length - max) / this.sampleBytes;
      incoming = incoming.subarray(incoming.length - max);
    }
    const n = incoming.length / this.sampleBytes;
    let excess = this.samples + n - this.capacity;
    while (excess > 0) {
      const first = this.chunks[this.head];
      const inFirst = first.length / this.sampleBytes;
      if (inFirst <= excess) {
        this.head++;
        this.samples -= inFirst;
        excess -= inFirst;
        dropped += inFirst;
      } else {
        this.chunks[this.head] = first.subarray(excess * this.sampleBytes);
        this.samples -= excess;
        dropped += excess;
        excess = 0;
      }
    }
    if (n > 0) {
      this.chunks.push(incoming);
      this.samples += n;
    }
    this.compact();
    this.droppedSamples += dropped;
    return dropped;
  }

  /** Removes and returns the oldest waiting chunk, or undefined when empty. */
  take(): Buffer | undefined {
    if (this.head >= this.chunks.length) return undefined;
    const chunk = this.chunks[this.head++];
    this.samples -= chunk.length / this.sampleBytes;
    this.compact();
    return chunk;
  }

  /** Drops everything waiting (the consumer left). */
  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.samples = 0;
  }

  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}
