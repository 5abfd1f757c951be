/**
 * BITalino driver over any Transport: lifecycle, commands and acquisition.
 *
 * Lifecycle (idempotent where it can be): closed → connect() → idle ⇄ start()/stop() → close().
 * A call in the wrong state rejects with DEVICE_BAD_STATE naming the state; a second close()
 * resolves without touching the device, and so does a stop() while idle, except that a
 * (r)evolution is sent "idle from any mode" (FF), as the official API does (§4.6).
 *
 * Commands are serialised (one at a time) and bytes are spaced a few milliseconds apart: the
 * (r)evolution masks its UART interrupt while sampling and a burst can overrun its 2-byte FIFO
 * (docs/bitalino-protocol.md §4).
 */
import type { Board } from '../../shared/acquisition.js';
import { DeviceError } from '../../shared/errors.js';
import {
  CMD_IDLE_REVOLUTION, CMD_STATE, CMD_STOP, CMD_VERSION, cmdBatteryThreshold, cmdOutputs, cmdPwm, cmdSamplingRate, cmdStart,
  normalizeChannels, parseState, parseVersion, crcMatches, type DeviceStatePacket, type VersionInfo, VersionReader,
} from './codec.js';
import { FrameDecoder, type DecoderStats, type FrameSink } from './frame-decoder.js';
import { ReadPacer, canHoldReads } from './read-pacer.js';
import type { AcquisitionListener, DeviceDriver, DriverState } from './driver.js';
import type { Transport } from './transport.js';

export type { AcquisitionListener, DriverState } from './driver.js';

export interface BitalinoOptions {
  /** Id that tags every batch (default: the transport path). */
  id?: string;
  /** How long to wait for the version reply at connect, ms. Default 3000 (a (r)evolution ignores input for ~1.5 s after power-up, §3). */
  versionTimeoutMs?: number;
  /** How long to wait for a state reply, ms. Default 1000. */
  replyTimeoutMs?: number;
  /** Pause between command bytes, ms. Default 5. */
  byteGapMs?: number;
  /** Clock for t0 (ms since epoch). Default Date.now. */
  now?: () => number;
  /**
   * Samples per batch of the consumer (the compatible stream's batch), ≥ 1. Above 1, and with a
   * transport that can hold its reads (serial on Linux and macOS), bytes wait in the OS buffer
   * until just before the sample that completes a batch can arrive (read-pacer.ts): a few
   * wake-ups per batch instead of one per frame, with batches cut at index multiples of this.
   * Default 1: read every byte as it arrives. `setReadBatch()` changes it while acquiring.
   */
  readBatch?: number;
}

interface PendingReply {
  feed(chunk: Uint8Array): void;
  fail(error: Error): void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * More bytes than this in the 20 ms before the version request means frames are flowing (at
 * 100 Hz and up); an idle device sends at most its 4-byte "AT" probe at power-up.
 */
const STREAMING_BYTES = 16;

/**
 * True when a CRC-valid 16/17-byte window can be a state packet (§5): the seven 10-bit values
 * (A1..A6, battery) have their top six bits clear, and the battery threshold fits in 6 bits.
 * A random window passes this 1 time in about 2^44.
 */
function plausibleState(p: Uint8Array): boolean {
  for (let i = 1; i <= 13; i += 2) if (p[i] > 3) return false;
  return p[14] <= 63;
}

export class Bitalino implements DeviceDriver {
  readonly transport: Transport;
  readonly id: string;
  private readonly opts: Required<Omit<BitalinoOptions, 'id' | 'readBatch'>>;
  private readBatch: number;
  private pacer: ReadPacer | undefined;
  private _state: DriverState = 'closed';
  private _info: VersionInfo | undefined;
  private listener: AcquisitionListener = {};
  private pending: PendingReply | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private decoder: FrameDecoder | undefined;
  private acq: { rate: number; channels: number[]; t0: number; next: number } | undefined;
  private closing = false;
  /** Bytes seen while connecting before the version request (see connect()). */
  private preConnectBytes = 0;
  /** connect() found the device acquiring (left so by another program or a lost stop byte). */
  private foundAcquiring = false;

  constructor(transport: Transport, options: BitalinoOptions = {}) {
    this.transport = transport;
    this.id = options.id ?? transport.path;
    this.opts = {
      versionTimeoutMs: options.versionTimeoutMs ?? 3000,
      replyTimeoutMs: options.replyTimeoutMs ?? 1000,
      byteGapMs: options.byteGapMs ?? 5,
      now: options.now ?? Date.now,
    };
    this.readBatch = 1;
    this.setReadBatch(options.readBatch ?? 1);
  }

  /** See BitalinoOptions.readBatch; applies at once to an acquisition in progress. */
  setReadBatch(samples: number): void {
    if (!Number.isInteger(samples) || samples < 1) throw new TypeError(`readBatch must be an integer ≥ 1 (samples), got ${String(samples)}`);
    this.readBatch = samples;
    if (this.acq && this._state === 'acquiring') this.pace(this.acq.rate);
  }

  get state(): DriverState {
    return this._state;
  }
  get info(): VersionInfo | undefined {
    return this._info;
  }
  get board(): Board | undefined {
    return this._info?.board;
  }
  /** Counters of the current (or last) acquisition's decoder. */
  get stats(): DecoderStats | undefined {
    return this.decoder?.stats;
  }
  /** CRC errors of the current acquisition (every resync counts, see frame-decoder.ts). */
  get crcErrors(): number | undefined {
    return this.decoder?.stats.crcErrors;
  }
  get connection(): string {
    return this.transport.path;
  }
  get acquisition(): { rate: number; channels: number[]; t0: number } | undefined {
    return this.acq && { rate: this.acq.rate, channels: this.acq.channels, t0: this.acq.t0 };
  }

  setListener(listener: AcquisitionListener): void {
    this.listener = listener;
  }

  /** Opens the link and asks for the firmware version. Resolves with it (board, state length). */
  connect(): Promise<VersionInfo> {
    if (this._state !== 'closed') {
      if (this._info && this._state !== 'connecting') return Promise.resolve(this._info);
      return Promise.reject(this.badState('connect'));
    }
    this._state = 'connecting';
    this.closing = false;
    return this.serial(async () => {
      try {
        this.transport.onData((chunk) => this.onData(chunk));
        this.transport.onClose((err) => this.onTransportClose(err));
        await this.transport.open();
        // Let stale bytes from an earlier session arrive, then ignore them. A stream of them means
        // the device is still acquiring (another program, or a stop byte that never arrived): stop
        // it BEFORE the version request, because an acquiring (r)evolution takes 07 as "set O1"
        // (docs/bitalino-protocol.md §4.2) and would keep that output on into our acquisition.
        this.preConnectBytes = 0;
        this.foundAcquiring = false;
        await sleep(20);
        if (this.preConnectBytes >= STREAMING_BYTES) {
          this.foundAcquiring = true;
          await this.write([CMD_STOP]);
          await sleep(20);
        }
        this._info = await this.requestVersion(this.opts.versionTimeoutMs, true);
        // Found acquiring (its frames came late, under load, so our 07 reached it first): the
        // 07 set O1. Clear the outputs so this session starts from a known state.
        if (this.foundAcquiring && this._info.board === 'revolution') {
          await sleep(this.opts.byteGapMs);
          await this.write([cmdOutputs('revolution', [0, 0])]);
        }
        this._state = 'idle';
        return this._info;
      } catch (e) {
        this._state = 'closed';
        await this.transport.close().catch(() => undefined);
        throw e;
      }
    });
  }

  /** Sets the rate then starts (the order every official API uses, §4.1). */
  start(rate: number, channels: readonly number[], options: { simulated?: boolean } = {}): Promise<void> {
    return this.serial(async () => {
      if (this._state !== 'idle') throw this.badState('start');
      const chans = normalizeChannels(channels);
      if (chans.length === 0) throw new DeviceError('DEVICE_BAD_ARGUMENT', 'no channel selected: choose at least one of A1..A6');
      const rateByte = cmdSamplingRate(rate);
      const startByte = cmdStart(chans, options.simulated);
      this.decoder = new FrameDecoder(chans.length, { firstSeq: 0 });
      await this.write([rateByte]);
      await sleep(this.opts.byteGapMs);
      // Frames may arrive as soon as the start byte leaves: be ready before writing it.
      this.acq = { rate, channels: chans, t0: this.opts.now() + 1000 / rate, next: 0 };
      this._state = 'acquiring';
      try {
        await this.write([startByte]);
      } catch (e) {
        this._state = 'idle';
        this.acq = undefined;
        throw e;
      }
      // The first frame comes one period after the start byte (§7.1): that is the device time of sample 0.
      this.acq.t0 = this.opts.now() + 1000 / rate;
      this.pace(rate);
    });
  }

  /**
   * Stops acquisition and flushes what the device may still send: frames in flight, and the odd
   * frame a (r)evolution in CTS mode holds back at 1000 Hz until its next transmission (§7.2).
   * Asking for the version makes the device transmit; everything before the version line is dropped.
   */
  stop(): Promise<void> {
    return this.serial(async () => {
      if (this._state === 'closed') return;
      if (this._state === 'idle') {
        // §4.6: FF stops a (r)evolution that acquires without our knowing and is ignored by an idle
        // one (00 would set its battery threshold to 0). The legacy board has no such byte.
        if (this._info?.board === 'revolution') await this.write([CMD_IDLE_REVOLUTION]);
        return;
      }
      if (this._state !== 'acquiring') throw this.badState('stop');
      this._state = 'idle';
      this.pace(0);
      await this.write([CMD_STOP]);
      await sleep(Math.max(this.opts.byteGapMs, 10));
      await this.requestVersion(this.opts.replyTimeoutMs, false);
    });
  }

  /** Digital outputs: [O1, O2] on (r)evolution (any mode), [O1..O4] on legacy (acquiring only). */
  setOutputs(outputs: readonly (0 | 1 | boolean)[]): Promise<void> {
    return this.serial(async () => {
      const info = this.requireConnected('set the digital outputs');
      if (info.board === 'legacy' && this._state !== 'acquiring') {
        throw new DeviceError('DEVICE_BAD_STATE', 'the legacy BITalino sets its digital outputs only while acquiring', 'Start acquisition first.');
      }
      await this.write([cmdOutputs(info.board, outputs)]);
    });
  }

  /** PWM duty 0..255 on the (r)evolution's analog output. */
  setPwm(duty: number): Promise<void> {
    return this.serial(async () => {
      const info = this.requireConnected('set the PWM output');
      if (info.board !== 'revolution') throw new DeviceError('DEVICE_UNSUPPORTED', 'the legacy BITalino has no PWM output (it is a BITalino (r)evolution feature)');
      const [a, b] = cmdPwm(duty);
      await this.write([a]);
      await sleep(this.opts.byteGapMs);
      await this.write([b]);
    });
  }

  /** Battery LED threshold 0..63; only while idle (in acquisition the byte would be ignored). */
  setBatteryThreshold(value: number): Promise<void> {
    return this.serial(async () => {
      this.requireConnected('set the battery threshold');
      if (this._state !== 'idle') throw new DeviceError('DEVICE_BAD_STATE', 'the battery threshold can only be set while the device is idle', 'Stop acquisition first.');
      await this.write([cmdBatteryThreshold(value)]);
    });
  }

  /** Reads the state packet ((r)evolution, idle only: the firmware answers nothing while acquiring). */
  readState(): Promise<DeviceStatePacket> {
    return this.serial(async () => {
      const info = this.requireConnected('read the state');
      if (info.board !== 'revolution' || info.stateLength === 0) throw new DeviceError('DEVICE_UNSUPPORTED', 'the legacy BITalino has no state command');
      if (this._state !== 'idle') throw new DeviceError('DEVICE_BAD_STATE', 'the BITalino answers the state request only while idle', 'Stop acquisition first, or read it between acquisitions.');
      const len = info.stateLength;
      const packet = await this.awaitReply<Uint8Array>(this.opts.replyTimeoutMs, 'state', (resolve) => {
        let buf: number[] = [];
        return (chunk) => {
          for (const b of chunk) buf.push(b);
          if (buf.length > 4 * len) buf = buf.slice(buf.length - 4 * len); // bounded
          // The packet is the newest `len` bytes, and it must pass its CRC (§5) and look like a
          // state packet: with bytes in front of the reply (a stale frame, noise) and the reply
          // split over chunks, a window of junk + part of the reply passes CRC-4 1 time in 16.
          const tail = Uint8Array.from(buf.slice(-len));
          if (tail.length === len && crcMatches(tail, 0, len) && plausibleState(tail)) resolve(tail);
        };
      }, [CMD_STATE]);
      return parseState(packet);
    });
  }

  /** Stops acquisition if needed and closes the link. Never rejects; safe to call twice. */
  close(): Promise<void> {
    if (this._state === 'closed' && !this.transport.isOpen) return Promise.resolve();
    this.closing = true;
    // A connect waiting for its version reply would hold the queue for seconds: cut the link now.
    if (this._state === 'connecting') void this.transport.close().catch(() => undefined);
    return this.serial(async () => {
      if (this._state === 'acquiring' && this.transport.isOpen) {
        this._state = 'idle';
        await this.write([CMD_STOP]).catch(() => undefined);
        // Give the stop byte time to cross the link before the port closes: closing can discard
        // what is still in the output queue, and a CTS-mode (r)evolution keeps acquiring then.
        await sleep(Math.max(this.opts.byteGapMs, 20));
      }
      this._state = 'closed';
      await this.transport.close().catch(() => undefined);
    }).catch(() => undefined);
  }

  // -------------------------------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async write(bytes: number[]): Promise<void> {
    if (!this.transport.isOpen) throw new DeviceError('DEVICE_DISCONNECTED', `the link to ${this.transport.path} is closed`, 'Reconnect the device.');
    await this.transport.write(Uint8Array.from(bytes));
  }

  private requireConnected(what: string): VersionInfo {
    if (!this._info || this._state === 'closed' || this._state === 'connecting') {
      throw new DeviceError('DEVICE_BAD_STATE', `cannot ${what}: the device is not connected`, 'Connect first.');
    }
    return this._info;
  }

  private badState(call: string): DeviceError {
    const hint = this._state === 'acquiring' ? 'Stop acquisition first.' : this._state === 'closed' ? 'Connect first.' : undefined;
    return new DeviceError('DEVICE_BAD_STATE', `cannot ${call}: the device is ${this._state === 'acquiring' ? 'already acquiring' : this._state}`, hint);
  }

  /**
   * Sends the version request and waits for "BITalino…\n". At connect, if bytes flow but no
   * version comes, the device was left acquiring by another program: stop it (00 stops both
   * boards while acquiring) and ask again.
   */
  private async requestVersion(timeoutMs: number, atConnect: boolean): Promise<VersionInfo> {
    let sawBytes = false;
    const ask = (ms: number) =>
      this.awaitReply<string>(ms, 'version', (resolve) => {
        const reader = new VersionReader();
        return (chunk) => {
          sawBytes = true;
          const text = reader.push(chunk);
          if (text !== undefined) resolve(text);
        };
      }, [CMD_VERSION]);
    try {
      return parseVersion(await ask(atConnect ? Math.min(1000, timeoutMs) : timeoutMs));
    } catch (e) {
      if (!atConnect || !(e instanceof DeviceError) || e.code !== 'DEVICE_NO_ANSWER') throw e;
      if (sawBytes) {
        this.foundAcquiring = true;
        await this.write([CMD_STOP]);
        await sleep(20);
      }
      return parseVersion(await ask(Math.max(500, timeoutMs - 1000)));
    }
  }

  private awaitReply<T>(timeoutMs: number, what: string, makeFeeder: (resolve: (v: T) => void) => (chunk: Uint8Array) => void, request: number[]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (this.pending === pending) this.pending = undefined;
        fn();
      };
      const feed = makeFeeder((v) => finish(() => resolve(v)));
      const pending: PendingReply = { feed, fail: (e) => finish(() => reject(e)) };
      this.pending = pending;
      const timer = setTimeout(() => finish(() => reject(this.noAnswer(what, timeoutMs))), timeoutMs);
      this.write(request).catch((e) => finish(() => reject(e)));
    });
  }

  private noAnswer(what: string, ms: number): DeviceError {
    const p = this.transport.path;
    return new DeviceError(
      'DEVICE_NO_ANSWER',
      `no answer to the ${what} request within ${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s from ${p}: is the BITalino on and paired? is another program using ${p}?`,
      'Check that the BITalino is switched on (LED blinking), paired with this computer (PIN 1234) and in range, that the address is the right one, and close other programs (OpenSignals, another ServerBIT) that may hold the port.',
    );
  }

  private onData(chunk: Uint8Array): void {
    this.listener.activity?.();
    if (this._state === 'connecting') this.preConnectBytes += chunk.length;
    if (this.pending) {
      this.pending.feed(chunk);
      return;
    }
    if (this._state !== 'acquiring' || !this.decoder || !this.acq) return; // idle chatter (e.g. AT probe at power-up) is ignored
    this.decoder.decode(chunk, this.sink);
    if (this.pacer && this.acq) {
      const hold = this.pacer.next(this.acq.next - 1, performance.now());
      if (hold > 0 && canHoldReads(this.transport)) this.transport.holdReads(hold);
    }
  }

  /**
   * The decoder's output, as batches and gaps. A batch's arrays are the decoder's: exact-length
   * views that are never written again (frame-decoder.ts "Allocation"), so the batch stays valid
   * for as long as a consumer keeps it; `channels` is shared by every batch of the acquisition.
   */
  private readonly sink: FrameSink = {
    frames: (count, seq, digital, analog) => {
      const acq = this.acq!;
      const index = acq.next;
      acq.next += count;
      this.listener.samples?.({ device: this.id, index, time: acq.t0 + (index * 1000) / acq.rate, rate: acq.rate, count, seq, digital, analog, channels: acq.channels });
    },
    gap: (lost, reason) => {
      const acq = this.acq!;
      const from = acq.next;
      acq.next += lost;
      this.listener.gap?.({ device: this.id, from, to: acq.next, reason: reason === 'sequence_jump' ? 'device_overflow' : 'crc_error' });
    },
  };

  /** (Re)starts read pacing for an acquisition at `rate` Hz, or ends it (rate 0, batch of 1). */
  private pace(rate: number): void {
    const on = rate > 0 && this.readBatch > 1 && canHoldReads(this.transport);
    if (!on && this.pacer && canHoldReads(this.transport)) this.transport.holdReads(0);
    this.pacer = on ? new ReadPacer({ every: this.readBatch, rate }) : undefined;
  }

  private onTransportClose(err?: Error): void {
    const wasOpen = this._state !== 'closed';
    this._state = 'closed';
    this.pacer = undefined;
    const error = err
      ? err instanceof DeviceError
        ? err
        : new DeviceError('DEVICE_DISCONNECTED', `the link to ${this.transport.path} was lost: ${err.message}`, 'Check that the BITalino is on, charged and in range; ServerBIT reconnects by itself.', { cause: err })
      : undefined;
    this.pending?.fail(error ?? new DeviceError('DEVICE_DISCONNECTED', `the link to ${this.transport.path} was closed`));
    if (wasOpen || err) this.listener.close?.(this.closing ? undefined : error);
  }
}
