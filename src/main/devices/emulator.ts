/**
 * A byte-exact model of the BITalino firmware: host→device bytes go through the firmware's own
 * command decoder (docs/bitalino-protocol.md §4.2 (r)evolution, §4.3 legacy) and device→host bytes are the
 * frames and replies the firmware would send (§2, §5, §6), including its odd corners (§10).
 *
 * Two ways to drive the sample clock:
 * - `tick(n)`: emit n sample periods now. Deterministic; what unit tests use.
 * - `run()` / `halt()`: a real-time scheduler that emits every frame that is due according to
 *   elapsed high-resolution time, a few milliseconds' worth per write, so 1000 Hz works in Node.
 * Don't mix the two during one acquisition: `run()` counts frames already emitted by `tick()` as
 * on time.
 *
 * Not modelled: the (r)evolution power-up `AT` probe and boot delay (§3), the 1500-byte TX ring
 * buffer and its frame skipping under /CTS back-pressure (§7.2; `silence()` stands in for a
 * device whose frames never arrive), RX overruns while sampling (§4.4).
 */
import type { Board } from '../../shared/acquisition.js';
import { RATES, encodeFrame, encodeState, parseVersion, type Rate } from './codec.js';
import type { Transport } from './transport.js';

export type EmulatorState = 'idle' | 'live' | 'simulated';

/** Injectable time source for the real-time scheduler (`run()`). Milliseconds throughout. */
export interface EmulatorClock {
  /** Monotonic, high resolution (performance.now() by default). */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface BitalinoEmulatorOptions {
  /**
   * The version string the device reports, without the newline. Major version >= 5 selects the
   * (r)evolution board, else legacy; >= 5.2 sends the 17-byte state packet (§2, §5).
   */
  firmware: 'BITalino_v5.2' | 'BITalino_v5.1' | 'BITalino_v4.0' | (string & {});
  /**
   * Live ADC source: the 10-bit value (0..1023; rounded and clamped) of channel 1..6 (A1..A6) at
   * sample `tickIndex` (0 = the first frame after start). Also read, at the last tick index, for
   * the state reply. Default: 512 on every channel.
   */
  inputs?: (channel: number, tickIndex: number) => number;
  /**
   * Digital inputs at sample `tickIndex`, as the frame's digital nibble lays them out:
   * bit 3 = I1, bit 2 = I2, and on legacy bit 1 = I3, bit 0 = I4 ((r)evolution ignores bits 1-0,
   * which carry O1/O2 there). Default 0b1111: the pull-ups hold unconnected inputs high (the
   * button I1 reads 0 when pressed, §9).
   */
  digitalInputs?: (tickIndex: number) => number;
  /** Battery ADC (ABAT, 10-bit) for the state reply; V ≈ 2 × 3.3 V × ABAT / 1024 (§5). Default 574 (≈ 3.7 V). */
  battery?: number;
  /**
   * (r)evolution CTS mode (§7.2): at 1000 Hz each odd-sequence frame is held back and sent with
   * the next even frame; a frame held when acquisition stops goes out in front of the next
   * transmission (the next acquisition's first frame, or a version/state reply). Default false
   * (BT-status mode: everything is sent at once, and a lost link stops acquisition).
   */
  ctsMode?: boolean;
  /** Time source for `run()`. Default: performance.now() and unref'd Node timers. */
  clock?: EmulatorClock;
  /** Fault injection: rewrites each data frame as it is produced (flip bits, truncate, pad). */
  corrupt?: (frame: Uint8Array, seq: number) => Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Simulated-mode tables (§6.5), indexed by a 100-step counter reset at start.
// Indices 0..19 of every table are the values the real v5.2 firmware sent
// (test/fixtures/bitalino/firmware-simulated-mode.json: the 19 frames of sim_1000Hz_all6 plus the
// stale frame of live_1000Hz_A1_incl_stale, which is counter 19). Where a table is longer, the
// rest is ours, as marked.

/** A1: 50-sample ECG. 0..19 recorded (P wave, QRS, S trough 392); 20..49 are a plausible
 *  S recovery, T wave and baseline (440) of our own, not firmware values. */
const SIM_A1 = [
  440, 440, 440, 443, 456, 468, 477, 480, 472, 451, 440, 440, 440, 440, 437, 415, 579, 703, 484, 392,
  420, 437, 440, 440, 442, 445, 450, 457, 466, 476, 486, 494, 499, 500, 497, 490, 480, 469, 459, 451,
  445, 442, 440, 440, 440, 440, 440, 440, 440, 440,
];
/** A2: 50 fixed pseudo-random values. 0..19 recorded; 20..49 drawn once from mulberry32(0xB17A1)
 *  × 1024 (our own, not firmware values). */
const SIM_A2 = [
  437, 977, 741, 594, 553, 722, 5, 801, 948, 8, 844, 785, 1020, 233, 941, 657, 108, 274, 781, 824,
  83, 511, 176, 40, 485, 289, 9, 506, 759, 658, 197, 448, 670, 981, 512, 315, 169, 201, 369, 289,
  664, 543, 511, 373, 719, 926, 455, 948, 432, 368,
];
/** round(offset + amplitude · sin(2πi/length)): reproduces all 20 recorded samples of each sine
 *  table exactly, so it also fills the indices the recordings do not reach (A4 20..24, A5 20..49,
 *  A6 20..99). */
function sineTable(length: number, amplitude: number): number[] {
  return Array.from({ length }, (_, i) => Math.round(amplitude + amplitude * Math.sin((2 * Math.PI * i) / length)));
}
/** Per channel A1..A6. A5/A6 are already 6-bit (0..62). */
const SIM_TABLES: readonly (readonly number[])[] = [SIM_A1, SIM_A2, sineTable(20, 511), sineTable(25, 511), sineTable(50, 31), sineTable(100, 31)];
const SIM_COUNTER_STEPS = 100;

const DEFAULT_BATTERY = 574;
/** Real-time scheduler: the shortest wait between writes; at 1000 Hz each write carries ~4 frames. */
const MIN_BATCH_MS = 4;
/** Real-time scheduler: at most this many seconds of frames are caught up after a stall (event
 *  loop blocked, machine asleep); older ones are skipped with the sequence number still counting,
 *  as the firmware skips frames it cannot buffer (§6.4). */
const MAX_CATCH_UP_S = 1;

/** attach(): transmitted bytes not yet accepted by the transport, at most (≈ 8 s at 1000 Hz × 8 bytes). */
const ATTACH_MAX_IN_FLIGHT = 64 * 1024;

const defaultClock: EmulatorClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class BitalinoEmulator {
  readonly firmware: string;
  readonly board: Board;
  /** 17 (>= 5.2), 16 (other (r)evolution) or 0 (legacy: no state command). */
  readonly stateLength: 0 | 16 | 17;
  /** Battery ADC reported in the state reply; may be changed at any time. */
  battery: number;

  private readonly inputs: (channel: number, tickIndex: number) => number;
  private readonly digitalInputs: (tickIndex: number) => number;
  private readonly ctsMode: boolean;
  private readonly clock: EmulatorClock;
  private readonly corrupt: ((frame: Uint8Array, seq: number) => Uint8Array) | undefined;
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();

  private mode: EmulatorState = 'idle';
  private samplingRate: Rate = 1000; // power-up default (§3)
  private channelMask = 0;
  private channels: number[] = [];
  /** Output bits as the command carries them in bits 2..: bit 0 = O1, bit 1 = O2 (legacy up to O4). */
  private outputBits = 0;
  private pwmDuty = 0;
  private threshold = 0;
  /** (r)evolution: the previous byte was A3, so this one is the PWM duty (§4.2 step 1). */
  private pwmPending = false;
  private sequence = 0;
  private simCounter = 0;
  private tickIndex = 0;
  /** CTS mode: an odd frame waiting for the next transmission (§7.2). */
  private held: Uint8Array | undefined;
  private silent = false;

  private running = false;
  private timer: unknown;
  private startedAt = 0;

  constructor(options: BitalinoEmulatorOptions) {
    let info;
    try {
      info = parseVersion(options.firmware);
    } catch {
      throw new TypeError(`options.firmware "${options.firmware}" is not a BITalino version string such as "BITalino_v5.2"`);
    }
    this.firmware = options.firmware;
    this.board = info.board;
    this.stateLength = info.stateLength;
    this.inputs = options.inputs ?? (() => 512);
    this.digitalInputs = options.digitalInputs ?? (() => 0b1111);
    this.battery = options.battery ?? DEFAULT_BATTERY;
    this.ctsMode = options.ctsMode ?? false;
    if (this.ctsMode && this.board !== 'revolution') throw new TypeError('options.ctsMode applies to the BITalino (r)evolution only (firmware >= 5)');
    this.clock = options.clock ?? defaultClock;
    this.corrupt = options.corrupt;
  }

  // -------------------------------------------------------------------------------------------
  // Inspectable state

  get state(): EmulatorState {
    return this.mode;
  }
  /** The configured sampling rate in Hz (used by the next start). */
  get rate(): Rate {
    return this.samplingRate;
  }
  /** Channel mask of the current (or last) acquisition: bit i = A(i+1). */
  get mask(): number {
    return this.channelMask;
  }
  /** [O1, O2] on (r)evolution, [O1, O2, O3, O4] on legacy. */
  get outputs(): number[] {
    const n = this.board === 'revolution' ? 2 : 4;
    return Array.from({ length: n }, (_, i) => (this.outputBits >> i) & 1);
  }
  /** PWM duty 0..255 ((r)evolution; always 0 on legacy). */
  get pwm(): number {
    return this.pwmDuty;
  }
  get batteryThreshold(): number {
    return this.threshold;
  }
  /** Sequence number of the next frame. */
  get seq(): number {
    return this.sequence;
  }
  /** True while a CTS-mode frame is held back (§7.2). */
  get holding(): boolean {
    return this.held !== undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Byte I/O

  /** Subscribes to device→host bytes. Returns the unsubscribe function. */
  onTransmit(cb: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Host→device bytes, decoded one at a time as the firmware's RX interrupt does (§4). */
  receive(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (this.board === 'revolution') this.decodeRevolution(b);
      else this.decodeLegacy(b);
    }
  }

  /**
   * Wires the emulator to one end of a transport, which the caller opens and closes: received
   * chunks are decoded, transmitted bytes written. A link that closes counts as the Bluetooth
   * module reporting a disconnection (`linkLost()`). Returns a function that detaches.
   */
  attach(transport: Transport): () => void {
    transport.onData((chunk) => this.receive(chunk));
    transport.onClose(() => this.linkLost());
    let inFlight = 0;
    const off = this.onTransmit((bytes) => {
      // The device cannot know whether anyone listens: a failed write is just lost bytes, and
      // bytes beyond the bound are dropped rather than queued without limit (a peer that stops
      // reading, a pty nobody has open).
      if (!transport.isOpen || inFlight + bytes.length > ATTACH_MAX_IN_FLIGHT) return;
      inFlight += bytes.length;
      transport.write(bytes).then(
        () => (inFlight -= bytes.length),
        () => (inFlight -= bytes.length),
      );
    });
    return () => {
      off();
      transport.onData(() => {});
      transport.onClose(() => {});
    };
  }

  /**
   * The Bluetooth module reports the link down: legacy always returns to idle; (r)evolution
   * does in BT-status mode but keeps acquiring in CTS mode (§3, §7.2, §7.3).
   */
  linkLost(): void {
    if (this.mode !== 'idle' && !this.ctsMode) this.stop();
  }

  /** Fault injection: sends raw bytes now, out of band (noise on the line, a stray byte). */
  injectGarbage(bytes: Uint8Array): void {
    this.emit(bytes.slice());
  }

  /** A silent device: while on, nothing is transmitted (frames still tick and are lost; commands still work). */
  silence(on: boolean): void {
    this.silent = on;
  }

  // -------------------------------------------------------------------------------------------
  // Sample clock

  /** Emits the next n frames at once (nothing in idle). */
  tick(n = 1): void {
    if (this.mode === 'idle' || n <= 0) return;
    const out: Uint8Array[] = [];
    let hold: Uint8Array | undefined;
    for (let i = 0; i < n; i++) {
      const frame = this.nextFrame();
      // §7.2: at 1000 Hz in CTS mode an odd frame waits for the next even one.
      if (this.ctsMode && this.samplingRate === 1000 && (this.sequence & 1) === 1) {
        hold = frame;
      } else {
        if (hold) out.push(hold);
        hold = undefined;
        out.push(frame);
      }
      this.advance(1);
    }
    if (out.length > 0) this.transmit(concat(out)); // behind any frame held from before
    if (hold) this.held = this.held ? concat([this.held, hold]) : hold;
  }

  /** Starts the real-time scheduler: frames are emitted at the configured rate while acquiring. */
  run(): void {
    if (this.running) return;
    this.running = true;
    // The device clock was frozen while halted: resume one period after the last frame.
    this.startedAt = this.clock.now() - (this.tickIndex * 1000) / this.samplingRate;
    this.schedule();
  }

  /** Stops the real-time scheduler, freezing the device clock (the device keeps its state; `run()` resumes). */
  halt(): void {
    this.running = false;
    this.cancelTimer();
  }

  private schedule(): void {
    if (!this.running || this.mode === 'idle' || this.timer !== undefined) return;
    const periodMs = 1000 / this.samplingRate;
    const nextDue = this.startedAt + (this.tickIndex + 1) * periodMs;
    const wait = Math.max(MIN_BATCH_MS, nextDue - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.pump();
      this.schedule();
    }, wait);
  }

  /** Emits every frame due by now in one write; frame k is due (k + 1) periods after start (§7.1). */
  private pump(): void {
    if (this.mode === 'idle') return;
    const due = Math.floor(((this.clock.now() - this.startedAt) * this.samplingRate) / 1000) - this.tickIndex;
    const maxBurst = Math.max(1, this.samplingRate * MAX_CATCH_UP_S);
    if (due > maxBurst) this.advance(due - maxBurst);
    this.tick(Math.min(due, maxBurst));
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Command decoders

  /** §4.2, in the firmware's order. */
  private decodeRevolution(b: number): void {
    if (this.pwmPending) {
      this.pwmPending = false;
      this.pwmDuty = b;
      return;
    }
    // "All-mode" group 1x1xxx11 (except FF): PWM arm, outputs, or ignored.
    if ((b & 0xa3) === 0xa3 && b !== 0xff) {
      if (b === 0xa3) this.pwmPending = true;
      else if ((b & 0xf3) === 0xb3) this.outputBits = (b >> 2) & 0x3;
      return;
    }
    if (this.mode !== 'idle') {
      if (b === 0x00 || b === 0xff) this.stop();
      else if ((b & 3) === 3) this.outputBits = (b >> 2) & 0x3; // even 07, 0B, 43 (§4.2)
      return; // nothing else, and never a reply, while acquiring (§4.5)
    }
    switch (b & 3) {
      case 0:
        this.threshold = b >> 2; // including 00 → threshold 0 (§4.2)
        return;
      case 1:
      case 2:
        this.start(b);
        return;
      default:
        if (b === 0x07 || b === 0x0f) this.transmit(this.versionReply());
        else if (b === 0x0b) this.transmit(this.stateReply());
        else if ((b & 0x3f) === 0x03) this.samplingRate = RATES[b >> 6]; // 03 43 83 C3; next start
      // every other xxxxxx11 (13, 23, …, FF) is ignored
    }
  }

  /** §4.3. */
  private decodeLegacy(b: number): void {
    if (this.mode !== 'idle') {
      if (b === 0x00) this.stop();
      else if ((b & 3) === 3) this.outputBits = (b >> 2) & 0xf; // PORTB bits 2-5 = O1..O4
      return;
    }
    switch (b & 3) {
      case 0:
        this.threshold = b >> 2;
        return;
      case 1:
      case 2:
        this.start(b);
        return;
      default:
        // 07 is the version; any other xxxxxx11 (0B, A3, B3, FF, …) sets the rate from bits 7-6.
        if (b === 0x07) this.transmit(this.versionReply());
        else this.samplingRate = RATES[b >> 6];
    }
  }

  private start(b: number): void {
    this.mode = (b & 3) === 1 ? 'live' : 'simulated';
    this.channelMask = b >> 2;
    this.channels = [];
    for (let c = 1; c <= 6; c++) if (this.channelMask & (1 << (c - 1))) this.channels.push(c);
    // Timer1 restarts: seq and the simulation counter reset, first frame one period later (§7.1).
    this.sequence = 0;
    this.simCounter = 0;
    this.tickIndex = 0;
    this.startedAt = this.clock.now();
    this.schedule();
  }

  private stop(): void {
    this.mode = 'idle';
    this.cancelTimer();
    // A CTS-held frame stays in the buffer (§7.2).
  }

  // -------------------------------------------------------------------------------------------
  // Frames and replies

  private nextFrame(): Uint8Array {
    const k = this.tickIndex;
    const simulated = this.mode === 'simulated';
    const analog: number[] = [];
    for (let s = 0; s < this.channels.length; s++) {
      const ch = this.channels[s];
      if (simulated) {
        const table = SIM_TABLES[ch - 1];
        analog.push(table[this.simCounter % table.length]); // raw, whatever the slot width
      } else {
        const v = this.adc(ch, k);
        analog.push(s >= 4 ? v >> 4 : v); // 6-bit slots carry the top 6 bits (§6.2)
      }
    }
    const digital = simulated ? this.sequence : this.digitalNibble(k); // §6.5: nibble = seq
    const frame = encodeFrame(this.sequence, digital, analog);
    return this.corrupt ? this.corrupt(frame, this.sequence) : frame;
  }

  private advance(n: number): void {
    this.sequence = (this.sequence + n) & 0x0f;
    this.simCounter = (this.simCounter + n) % SIM_COUNTER_STEPS;
    this.tickIndex += n;
  }

  private digitalNibble(k: number): number {
    const inputs = this.digitalInputs(k) & 0x0f;
    if (this.board === 'legacy') return inputs;
    // (r)evolution: I1 I2 O1 O2.
    return (inputs & 0b1100) | ((this.outputBits & 1) << 1) | ((this.outputBits >> 1) & 1);
  }

  private adc(channel: number, k: number): number {
    const v = Math.round(this.inputs(channel, k));
    return v > 1023 ? 1023 : v >= 0 ? v : 0; // NaN → 0
  }

  private versionReply(): Uint8Array {
    return new TextEncoder().encode(`${this.firmware}\n`);
  }

  /** §5: A1..A6 always 10-bit, ABAT, threshold, PWM (>= 5.2), I1 I2 O1 O2 + CRC. */
  private stateReply(): Uint8Array {
    const k = this.tickIndex;
    return encodeState(
      {
        analog: [1, 2, 3, 4, 5, 6].map((c) => this.adc(c, k)),
        battery: this.battery,
        batteryThreshold: this.threshold,
        pwm: this.pwmDuty,
        digital: this.digitalNibble(k),
      },
      this.stateLength === 17 ? 17 : 16,
    );
  }

  /** Queues bytes on the device's TX path: a CTS-held frame goes first (§7.2). */
  private transmit(bytes: Uint8Array): void {
    if (this.silent) return;
    if (this.held) {
      bytes = concat([this.held, bytes]);
      this.held = undefined;
    }
    this.emit(bytes);
  }

  private emit(bytes: Uint8Array): void {
    for (const cb of this.listeners) cb(bytes);
  }
}

/** Joins byte chunks (no copy for a single chunk). */
function concat(chunks: readonly Uint8Array[]): Uint8Array {
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}
