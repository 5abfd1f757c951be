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
 * samples (plus the held frames it releases).
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

interface HeldFrame {
  seq: number;
  digital: number;
  analog: number[];
}

export class FrameDecoder {
  readonly nChannels: number;
  readonly frameLength: number;
  readonly stats: DecoderStats = { frames: 0, crcErrors: 0, sequenceJumps: 0, lostFrames: 0, skippedBytes: 0 };

  private carry: Uint8Array = new Uint8Array(0);
  private locked: boolean;
  /** Next expected sequence number while locked; -1 = accept any (first frame after hunting). */
  private expected: number;
  /** Expected sequence number when the lock was lost (for estimating the gap). */
  private expectedAtLoss = -1;
  private skippedSinceLoss = 0;
  /** False until the first frame: bytes before it are a preamble (e.g. a stale frame, §7.2), not an error. */
  private started = false;
  /** During a re-lock: frames decoded but not yet delivered, and the gap that goes before them. */
  private held: HeldFrame[] | undefined;
  private heldGap = 0;
  /** expectedAtLoss / skippedSinceLoss as they were before the re-lock, restored if it breaks. */
  private heldExpectedAtLoss = -1;
  private heldSkipped = 0;

  constructor(nChannels: number, options: FrameDecoderOptions = {}) {
    this.nChannels = nChannels;
    this.frameLength = frameLength(nChannels);
    this.locked = options.firstSeq !== undefined;
    this.expected = options.firstSeq ?? -1;
  }

  push(chunk: Uint8Array): DecodedItem[] {
    const L = this.frameLength;
    let data: Uint8Array;
    if (this.carry.length === 0) data = chunk;
    else {
      data = new Uint8Array(this.carry.length + chunk.length);
      data.set(this.carry);
      data.set(chunk, this.carry.length);
    }
    const n = data.length;
    const items: DecodedItem[] = [];
    const cap = Math.floor(n / L) + CONFIRM_FRAMES;
    // Allocated on the first frame after a flush: a push that ends a batch (or holds no whole
    // frame) must not pay for arrays nobody fills.
    let out: DecodedFrames | undefined;
    const flush = () => {
      if (out) items.push(out);
      out = undefined;
    };
    const seqAt = (p: number) => data[p + L - 1] >> 4;

    let pos = 0;
    for (;;) {
      if (this.locked) {
        if (pos + L > n) break;
        if (crcMatches(data, pos, L)) {
          const seq = seqAt(pos);
          if (this.expected < 0 || seq === this.expected) {
            if (this.held) {
              this.hold(data, pos, seq);
              pos += L;
              if (this.held.length >= CONFIRM_FRAMES) {
                // The re-lock holds: deliver the gap, then the frames held back.
                flush();
                if (this.heldGap > 0) {
                  items.push({ kind: 'gap', lost: this.heldGap, reason: 'crc_error' });
                  this.stats.lostFrames += this.heldGap;
                }
                out = this.newBatch(cap);
                for (const f of this.held) this.emitHeld(out, f);
                this.held = undefined;
              }
              continue;
            }
            this.emit((out ??= this.newBatch(cap)), data, pos, seq);
            pos += L;
            continue;
          }
          // CRC passes but the sequence jumped: dropped frames, or a false window. Ask the next
          // frame (not during a re-lock: one that breaks at once was a false one).
          if (!this.held && pos + 2 * L > n) break;
          if (!this.held && crcMatches(data, pos + L, L) && seqAt(pos + L) === ((seq + 1) & 15)) {
            const lost = (seq - this.expected) & 15;
            flush();
            items.push({ kind: 'gap', lost, reason: 'sequence_jump' });
            this.stats.sequenceJumps++;
            this.stats.lostFrames += lost;
            this.emit((out ??= this.newBatch(cap)), data, pos, seq);
            pos += L;
            continue;
          }
        }
        // Lost the lock. Before the first frame this is a preamble, not an error.
        this.locked = false;
        if (this.held) {
          // The re-lock did not hold: forget it. Its bytes count as skipped, so the gap at the
          // next re-lock covers them; hunting goes on from here.
          this.expectedAtLoss = this.heldExpectedAtLoss;
          this.skippedSinceLoss = this.heldSkipped + this.held.length * L;
          this.held = undefined;
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
      if (crcMatches(data, pos, L) && crcMatches(data, pos + L, L) && seqAt(pos + L) === ((seqAt(pos) + 1) & 15)) {
        const seq = seqAt(pos);
        if (this.expectedAtLoss >= 0) {
          this.held = [];
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
    flush();
    this.carry = pos >= n ? new Uint8Array(0) : data.slice(pos);
    return items;
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

  /** One backing buffer per batch (seq, digital, then each channel): a single allocation, not 2 + nChannels. */
  private newBatch(cap: number): DecodedFrames {
    const buf = new ArrayBuffer(cap * (2 + 2 * this.nChannels));
    const analog: Uint16Array[] = [];
    for (let s = 0; s < this.nChannels; s++) analog.push(new Uint16Array(buf, 2 * cap * (1 + s), cap));
    return { kind: 'frames', count: 0, seq: new Uint8Array(buf, 0, cap), digital: new Uint8Array(buf, cap, cap), analog };
  }

  private hold(data: Uint8Array, pos: number, seq: number): void {
    const end = pos + this.frameLength;
    const analog: number[] = [];
    for (let s = 0; s < this.nChannels; s++) analog.push(decodeSlot(data, end, s));
    this.held!.push({ seq, digital: data[end - 2] >> 4, analog });
    this.expected = (seq + 1) & 15;
  }

  private emitHeld(out: DecodedFrames, f: HeldFrame): void {
    const i = out.count++;
    out.seq[i] = f.seq;
    out.digital[i] = f.digital;
    for (let s = 0; s < this.nChannels; s++) out.analog[s][i] = f.analog[s];
    this.started = true;
    this.stats.frames++;
  }

  private emit(out: DecodedFrames, data: Uint8Array, pos: number, seq: number): void {
    const end = pos + this.frameLength;
    const i = out.count++;
    out.seq[i] = seq;
    out.digital[i] = data[end - 2] >> 4;
    for (let s = 0; s < this.nChannels; s++) out.analog[s][i] = decodeSlot(data, end, s);
    this.expected = (seq + 1) & 15;
    this.started = true;
    this.stats.frames++;
  }
}
