/**
 * Incremental BITalino frame decoder: bytes in (chunk boundaries anywhere), columns of samples
 * and gap notices out. Pure: no I/O, no timers.
 *
 * Synchronisation (docs/bitalino-protocol.md §8): CRC-4 passes about 1 random window in 16, so one passing
 * frame proves little. While locked, a frame is accepted when its CRC passes and its sequence
 * number is the expected one. Anything else loses the lock, and the decoder slides byte by byte
 * until two consecutive windows pass CRC with consecutive sequence numbers (≈ 1 false lock in
 * 16 × 16 × 16 windows instead of 1 in 16). A CRC-valid frame whose sequence jumps is accepted
 * only when the frame after it confirms it: that is how the (r)evolution reports frames it
 * dropped on a full TX buffer (§6.4, §7.2).
 *
 * A re-lock after a loss is only trusted once CONFIRM_FRAMES frames in a row pass: until then
 * its frames are held back, and if the lock breaks first they are dropped (counted in the gap)
 * rather than delivered. Each resync slides over about one frame's worth of misaligned windows,
 * so at 1 % byte noise the plain two-window rule let a few corrupted frames through per 10 000
 * (measured, test/reliability/noise.test.ts); the third window makes that ≈ 256 × rarer. CRC-4
 * cannot catch every multi-bit error inside an aligned frame: that residue (≈ 1 in 16 frames
 * with two or more damaged bits) no decoder can remove.
 *
 * Bounds: the carry-over between pushes is < 2 frames (16 bytes), plus at most CONFIRM_FRAMES
 * decoded frames held during a re-lock; output per push is at most chunk length / frame length
 * samples (plus the held frames it releases). The work buffer that joins the carry-over to the
 * next chunk, and the scratch columns, grow (by doubling) to fit the largest chunk seen — a
 * transport's read size: 16 KiB from the tty reader, 64 KiB from a TCP socket — and are reused.
 *
 * Allocation (docs/performance.md, "Allocation"): frames are decoded into reused scratch columns;
 * each run of frames is then copied into exact-length views of one ArrayBuffer of its own (one
 * allocation per push, not per frame). Views are never written again once handed out, so a
 * consumer may keep them as long as it likes. Not a shared slab: a slab outlives the batches
 * carved from it, so V8 promotes it to the old generation, where its memory (outside the JS heap)
 * waits for a full GC that a steady stream may not trigger for an hour — RSS grew 0.8 MB a
 * minute that way. A run's own buffer dies young with its batch and is freed by the next
 * scavenge.
 */
import { crcMatches, decodeSlot, frameLength } from './codec.js';

export interface DecodedFrames {
  kind: 'frames';
  count: number;
  seq: Uint8Array;
  digital: Uint8Array;
  /** One array per acquisition slot (ascending channel order). */
  analog: Uint16Array[];
}

/** `lost` frames (device ticks) are missing before the next frames. */
export interface DecodedGap {
  kind: 'gap';
  lost: number;
  reason: 'crc_error' | 'sequence_jump';
}

export type DecodedItem = DecodedFrames | DecodedGap;

/** Receives the decoder's output in order, synchronously (see FrameDecoder.decode). */
export interface FrameSink {
  /**
   * `count` ≥ 1 consecutive frames. The arrays have exactly `count` entries and are never written
   * again: they may be kept (the run has a buffer of its own; see the file comment).
   */
  frames(count: number, seq: Uint8Array, digital: Uint8Array, analog: Uint16Array[]): void;
  /** `lost` frames (device ticks) are missing before the next frames. */
  gap(lost: number, reason: DecodedGap['reason']): void;
}

export interface DecoderStats {
  frames: number;
  /** Times the lock was lost on a frame that failed its CRC (or a CRC-valid frame that did not fit). */
  crcErrors: number;
  /** Confirmed sequence jumps on CRC-valid frames (frames dropped by the device). */
  sequenceJumps: number;
  /** Frames known to be missing (sum of all gaps). */
  lostFrames: number;
  /** Bytes discarded while hunting for the frame boundary (includes any preamble). */
  skippedBytes: number;
}

export interface FrameDecoderOptions {
  /**
   * The sequence number of the first frame, when the stream is known to start on a frame
   * boundary (right after a start command the firmware resets the sequence to 0, §6.4).
   * Omit to hunt for the boundary first.
   */
  firstSeq?: number;
}

/** Frames in a row that must pass before a re-lock after a loss is trusted (see the file comment). */
const CONFIRM_FRAMES = 3;

export class FrameDecoder {
  readonly nChannels: number;
  readonly frameLength: number;
  readonly stats: DecoderStats = { frames: 0, crcErrors: 0, sequenceJumps: 0, lostFrames: 0, skippedBytes: 0 };

  /** Bytes of an incomplete window kept from the last push (< 2 frames), at the start of `carryBuf`. */
  private readonly carryBuf: Uint8Array;
  private carryLength = 0;
  /** carry + chunk, joined; reused (see the file comment's bounds). */
  private work: Uint8Array = new Uint8Array(0);
  /** Scratch columns a run is decoded into before it is copied out; grown to the largest run. */
  private runSeq: Uint8Array = new Uint8Array(0);
  private runDigital: Uint8Array = new Uint8Array(0);
  private runAnalog: Uint16Array[] = [];
  private runCount = 0;
  private locked: boolean;
  /** Next expected sequence number while locked; -1 = accept any (first frame after hunting). */
  private expected: number;
  /** Expected sequence number when the lock was lost (for estimating the gap). */
  private expectedAtLoss = -1;
  private skippedSinceLoss = 0;
  /** False until the first frame: bytes before it are a preamble (e.g. a stale frame, §7.2), not an error. */
  private started = false;
  /** During a re-lock (heldCount ≥ 0): frames decoded but not yet delivered, and the gap that goes before them. */
  private heldCount = -1;
  private readonly heldSeq = new Uint8Array(CONFIRM_FRAMES);
  private readonly heldDigital = new Uint8Array(CONFIRM_FRAMES);
  private readonly heldAnalog: Uint16Array;
  private heldGap = 0;
  /** expectedAtLoss / skippedSinceLoss as they were before the re-lock, restored if it breaks. */
  private heldExpectedAtLoss = -1;
  private heldSkipped = 0;

  constructor(nChannels: number, options: FrameDecoderOptions = {}) {
    this.nChannels = nChannels;
    this.frameLength = frameLength(nChannels);
    this.locked = options.firstSeq !== undefined;
    this.expected = options.firstSeq ?? -1;
    this.carryBuf = new Uint8Array(2 * this.frameLength);
    this.heldAnalog = new Uint16Array(CONFIRM_FRAMES * nChannels);
    for (let s = 0; s < nChannels; s++) this.runAnalog.push(new Uint16Array(0));
  }

  /** The bytes carried over to the next push (a view; for tests and debugging). */
  private get carry(): Uint8Array {
    return this.carryBuf.subarray(0, this.carryLength);
  }

  /** Decodes `chunk` and returns what it completed, in order. The items may be kept (see FrameSink). */
  push(chunk: Uint8Array): DecodedItem[] {
    const items: DecodedItem[] = [];
    this.decode(chunk, {
      frames: (count, seq, digital, analog) => items.push({ kind: 'frames', count, seq, digital, analog }),
      gap: (lost, reason) => items.push({ kind: 'gap', lost, reason }),
    });
    return items;
  }

  /**
   * Decodes `chunk`, handing what it completes to `sink` in order before returning. `chunk` is
   * only read during the call (it may be the transport's reused buffer); nothing of it is kept.
   * The hot path allocates nothing but the output views (see the file comment).
   */
  decode(chunk: Uint8Array, sink: FrameSink): void {
    const L = this.frameLength;
    let data: Uint8Array;
    let n: number;
    if (this.carryLength === 0) {
      data = chunk;
      n = chunk.length;
    } else {
      n = this.carryLength + chunk.length;
      if (this.work.length < n) this.work = new Uint8Array(Math.max(n, 2 * this.work.length, 256));
      data = this.work;
      data.set(this.carryBuf.subarray(0, this.carryLength));
      data.set(chunk, this.carryLength);
    }
    this.ensureRun(Math.floor(n / L) + CONFIRM_FRAMES);

    let pos = 0;
    for (;;) {
      if (this.locked) {
        if (pos + L > n) break;
        if (crcMatches(data, pos, L)) {
          const seq = data[pos + L - 1] >> 4;
          if (this.expected < 0 || seq === this.expected) {
            if (this.heldCount >= 0) {
              this.hold(data, pos, seq);
              pos += L;
              if (this.heldCount >= CONFIRM_FRAMES) {
                // The re-lock holds: deliver the gap, then the frames held back.
                this.flush(sink);
                if (this.heldGap > 0) {
                  sink.gap(this.heldGap, 'crc_error');
                  this.stats.lostFrames += this.heldGap;
                }
                for (let h = 0; h < this.heldCount; h++) this.emitHeld(h);
                this.heldCount = -1;
              }
              continue;
            }
            this.emit(data, pos, seq);
            pos += L;
            continue;
          }
          // CRC passes but the sequence jumped: dropped frames, or a false window. Ask the next
          // frame (not during a re-lock: one that breaks at once was a false one).
          const relocking = this.heldCount >= 0;
          if (!relocking && pos + 2 * L > n) break;
          if (!relocking && crcMatches(data, pos + L, L) && data[pos + 2 * L - 1] >> 4 === ((seq + 1) & 15)) {
            const lost = (seq - this.expected) & 15;
            this.flush(sink);
            sink.gap(lost, 'sequence_jump');
            this.stats.sequenceJumps++;
            this.stats.lostFrames += lost;
            this.emit(data, pos, seq);
            pos += L;
            continue;
          }
        }
        // Lost the lock. Before the first frame this is a preamble, not an error.
        this.locked = false;
        if (this.heldCount >= 0) {
          // The re-lock did not hold: forget it. Its bytes count as skipped, so the gap at the
          // next re-lock covers them; hunting goes on from here.
          this.expectedAtLoss = this.heldExpectedAtLoss;
          this.skippedSinceLoss = this.heldSkipped + this.heldCount * L;
          this.heldCount = -1;
          continue;
        }
        if (this.started) {
          this.stats.crcErrors++;
          this.expectedAtLoss = this.expected;
        } else if (this.expected >= 0) {
          // Told the first sequence number (firstSeq): bytes that cost no frame are a preamble
          // (a stale frame, §7.2), but a damaged first frame is a loss like any other. Ignoring
          // it put every index of the acquisition one sample early.
          this.expectedAtLoss = this.expected;
        }
        this.skippedSinceLoss = 0;
        continue;
      }
      // Hunting: need two windows.
      if (pos + 2 * L > n) break;
      if (crcMatches(data, pos, L) && crcMatches(data, pos + L, L) && data[pos + 2 * L - 1] >> 4 === (((data[pos + L - 1] >> 4) + 1) & 15)) {
        const seq = data[pos + L - 1] >> 4;
        if (this.expectedAtLoss >= 0) {
          this.heldCount = 0;
          this.heldGap = this.estimateLost(seq);
          if (!this.started && this.heldGap > 0) this.stats.crcErrors++; // a damaged first frame
          this.heldExpectedAtLoss = this.expectedAtLoss;
          this.heldSkipped = this.skippedSinceLoss;
          this.expectedAtLoss = -1;
        }
        this.locked = true;
        this.expected = seq;
        continue;
      }
      pos++;
      this.skippedSinceLoss++;
      this.stats.skippedBytes++;
    }
    this.flush(sink);
    this.carryLength = n - pos;
    if (this.carryLength > 0) this.carryBuf.set(data.subarray(pos, n));
  }

  /**
   * Frames lost while the lock was gone: congruent to the sequence difference mod 16, and the
   * multiple of 16 is chosen from the number of bytes skipped (a burst of noise longer than 16
   * frames still gets a gap of about the right size).
   */
  private estimateLost(seq: number): number {
    const d = (seq - this.expectedAtLoss) & 15;
    const approx = this.skippedSinceLoss / this.frameLength;
    const k = Math.max(0, Math.round((approx - d) / 16));
    return d + 16 * k;
  }

  /** Scratch columns for at least `cap` frames. */
  private ensureRun(cap: number): void {
    if (this.runSeq.length >= cap) return;
    const size = Math.max(cap, 2 * this.runSeq.length, 64);
    const grow = <T extends Uint8Array | Uint16Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a.subarray(0, this.runCount) as never);
      return b;
    };
    this.runSeq = grow(this.runSeq, (k) => new Uint8Array(k));
    this.runDigital = grow(this.runDigital, (k) => new Uint8Array(k));
    this.runAnalog = this.runAnalog.map((a) => grow(a, (k) => new Uint16Array(k)));
  }

  /** Hands the run decoded so far to the sink, copied into exact-length views of a buffer of its own. */
  private flush(sink: FrameSink): void {
    const count = this.runCount;
    if (count === 0) return;
    this.runCount = 0;
    const nCh = this.nChannels;
    // seq and digital (count bytes each), padded to 2 bytes, then one Uint16 column per channel.
    const bytes = ((2 * count + 1) & ~1) + 2 * count * nCh;
    const buf = new ArrayBuffer(bytes);
    let off = 0;
    const seq = new Uint8Array(buf, off, count);
    seq.set(this.runSeq.subarray(0, count));
    const digital = new Uint8Array(buf, off + count, count);
    digital.set(this.runDigital.subarray(0, count));
    off += (2 * count + 1) & ~1;
    const analog: Uint16Array[] = [];
    for (let s = 0; s < nCh; s++) {
      const col = new Uint16Array(buf, off, count);
      col.set(this.runAnalog[s].subarray(0, count));
      analog.push(col);
      off += 2 * count;
    }
    sink.frames(count, seq, digital, analog);
  }

  private hold(data: Uint8Array, pos: number, seq: number): void {
    const end = pos + this.frameLength;
    const h = this.heldCount++;
    this.heldSeq[h] = seq;
    this.heldDigital[h] = data[end - 2] >> 4;
    for (let s = 0; s < this.nChannels; s++) this.heldAnalog[h * this.nChannels + s] = decodeSlot(data, end, s);
    this.expected = (seq + 1) & 15;
  }

  private emitHeld(h: number): void {
    const i = this.runCount++;
    this.runSeq[i] = this.heldSeq[h];
    this.runDigital[i] = this.heldDigital[h];
    for (let s = 0; s < this.nChannels; s++) this.runAnalog[s][i] = this.heldAnalog[h * this.nChannels + s];
    this.started = true;
    this.stats.frames++;
  }

  private emit(data: Uint8Array, pos: number, seq: number): void {
    const end = pos + this.frameLength;
    const i = this.runCount++;
    this.runSeq[i] = seq;
    this.runDigital[i] = data[end - 2] >> 4;
    for (let s = 0; s < this.nChannels; s++) this.runAnalog[s][i] = decodeSlot(data, end, s);
    this.expected = (seq + 1) & 15;
    this.started = true;
    this.stats.frames++;
  }
}
