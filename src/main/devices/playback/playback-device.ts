/**
 * A recording played back as a device (docs/recording.md "Playback"): the address
 * `file:/path/to/recording.txt` (or `.h5`) replays an OpenSignals recording — ours or PLUX's — at
 * its own rate, with its channels, labels and sensors, as SampleBatches shaped like the BITalino
 * driver's (src/main/devices/bitalino.ts): index from 0 at each start(), device time
 * t0 + index / rate, the recorded nSeq, digital nibble and raw values.
 *
 * A DeviceDriver (devices/driver.ts), like `Bitalino`: closed → connect() → idle ⇄
 * start()/stop() → close(). The whole file is checked at connect(), so a damaged file fails there
 * with a PLAYBACK_* error naming the line; connect() describes the stream in `source` (kind
 * "playback", the file's rate, channels, labels, sensors, MAC). At the end of the file playback
 * loops (option `loop`) or stops: the device goes idle and `end()` is called on the listener
 * (driver.ts; the device runner then stops the device, without reconnecting).
 *
 * Rows play back to back: a jump in the recorded nSeq (samples the original recording lost) is
 * replayed as it is, not as a gap.
 */
import type { Board } from '#shared/acquisition.js';
import { DeviceError } from '#shared/errors.js';
import type { AcquisitionListener, DeviceDriver, DriverInfo, DriverState, SourceDescription } from '../driver.js';
import { parsePlaybackAddress } from './playback-address.js';
import { openRecording, type SampleSource } from './sample-source.js';
import type { ReaderLimits, RecordingInfo, Rows } from './text-reader.js';

export interface PlaybackOptions {
  /** The recording, a path (the part after `file:` in a device address). */
  path: string;
  /** Id that tags every batch. Default `file:<path>`. */
  id?: string;
  /** Start again from the first sample at the end of the file. Default false. */
  loop?: boolean;
  /** How often batches are sent, ms (5 … 1000). Default 10, about what a BITalino over Bluetooth delivers. */
  batchIntervalMs?: number;
  /** Wall clock for t0, ms since epoch. Default Date.now. */
  now?: () => number;
  /** Reader limits (file size, line length). Defaults in text-reader.ts. */
  limits?: Partial<ReaderLimits>;
}

/** The driver listener; its `end()` says the file ended (no `loop`) and the device is idle again. */
export type PlaybackListener = AcquisitionListener;

/** What connect() resolves with: DriverInfo (with the recording's rate, channels, labels, sensors and MAC as `source`) plus the whole header. */
export interface PlaybackInfo extends DriverInfo {
  board: Board;
  source: SourceDescription & { kind: 'playback'; rate: number; channels: number[]; labels: string[]; sensors: string[]; resolutions: number[] };
  recording: RecordingInfo;
}

/** Everything the device runner needs for the StreamMeta of a playback device. */
export interface PlaybackStreamInfo {
  rate: number;
  channels: number[];
  labels: string[];
  sensors: string[];
  resolutions: number[];
  board: Board;
  mac?: string;
  firmware: string;
  version: number;
  /** The recorded `device connection`, e.g. the original serial port. */
  recordedConnection: string;
  samples: number;
  /** Seconds of data in the file. */
  duration: number;
}

export function streamInfo(info: RecordingInfo): PlaybackStreamInfo {
  return {
    rate: info.rate,
    channels: [...info.channels],
    labels: [...info.labels],
    sensors: [...info.sensors],
    resolutions: [...info.resolutions],
    board: info.board,
    ...(info.mac ? { mac: info.mac } : {}),
    firmware: info.firmware,
    version: info.version,
    recordedConnection: info.connection,
    samples: info.samples,
    duration: info.samples / info.rate,
  };
}

/** `file:/x/y.txt` → `/x/y.txt`; undefined when the address is not a file address (playback-address.ts has the forms). */
export function playbackPath(address: string): string | undefined {
  return parsePlaybackAddress(address)?.path;
}

/** Samples read ahead of playback: enough for 1 s (or 1000 samples), so a slow disk does not stutter. */
const READ_AHEAD_S = 1;

export class PlaybackDevice implements DeviceDriver {
  readonly id: string;
  readonly path: string;
  private readonly loop: boolean;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly limits: Partial<ReaderLimits>;
  private _state: DriverState = 'closed';
  private source: SampleSource | undefined;
  private _info: PlaybackInfo | undefined;
  private listener: PlaybackListener = {};
  private acq:
    | { rate: number; channels: number[]; select: number[]; t0: number; perf0: number; next: number; buffer: Rows[]; buffered: number; ended: boolean; reading: Promise<void> | undefined; timer: NodeJS.Timeout | undefined; generation: number }
    | undefined;
  private generation = 0;

  constructor(options: PlaybackOptions) {
    this.path = options.path;
    this.id = options.id ?? `file:${options.path}`;
    this.loop = options.loop ?? false;
    const iv = options.batchIntervalMs ?? 10;
    if (!Number.isFinite(iv) || iv < 5 || iv > 1000) throw new TypeError(`batchIntervalMs must be 5 … 1000 ms, not ${iv}`);
    this.intervalMs = iv;
    this.now = options.now ?? Date.now;
    this.limits = options.limits ?? {};
  }

  get state(): DriverState {
    return this._state;
  }
  /** What is connected: the file. */
  get connection(): string {
    return this.path;
  }
  get info(): PlaybackInfo | undefined {
    return this._info;
  }
  get board(): Board | undefined {
    return this._info?.board;
  }
  get recording(): RecordingInfo | undefined {
    return this._info?.recording;
  }
  get acquisition(): { rate: number; channels: number[]; t0: number } | undefined {
    return this.acq && { rate: this.acq.rate, channels: this.acq.channels, t0: this.acq.t0 };
  }

  setListener(listener: PlaybackListener): void {
    this.listener = listener;
  }

  /** Opens and checks the whole recording. Resolves with its info; rejects with a PLAYBACK_* DeviceError. */
  async connect(): Promise<PlaybackInfo> {
    if (this._state !== 'closed') {
      if (this._info && this._state !== 'connecting') return this._info;
      throw this.badState('connect');
    }
    this._state = 'connecting';
    try {
      const source = await openRecording(this.path, this.limits);
      if (this._state !== 'connecting') {
        await source.close();
        throw new DeviceError('DEVICE_DISCONNECTED', `playback of ${this.path} was closed while opening`);
      }
      this.source = source;
      const r = source.info;
      const description = { kind: 'playback' as const, rate: r.rate, channels: [...r.channels], labels: [...r.labels], sensors: [...r.sensors], resolutions: [...r.resolutions], ...(r.mac ? { mac: r.mac } : {}) };
      const info: PlaybackInfo = { firmware: r.firmware, version: r.version, board: r.board, stateLength: 0, source: description, recording: r };
      this._info = info;
      this._state = 'idle';
      return info;
    } catch (err) {
      this._state = 'closed';
      throw err;
    }
  }

  /**
   * Starts replaying from the first sample. `rate` must be the file's (or omitted); `channels`
   * may pick some of the file's channels (default all of them).
   */
  async start(rate?: number, channels?: readonly number[]): Promise<void> {
    if (this._state !== 'idle' || !this.source || !this._info) throw this.badState('start');
    const r = this._info.recording;
    if (rate !== undefined && rate !== r.rate) {
      throw new DeviceError('DEVICE_BAD_ARGUMENT', `this recording was made at ${r.rate} Hz; playback runs at the file's rate, not ${rate} Hz`, `Set the sampling rate to ${r.rate} or leave it out.`);
    }
    const chans = channels === undefined || channels.length === 0 ? [...r.channels] : [...new Set(channels)].sort((a, b) => a - b);
    const select = chans.map((c) => r.channels.indexOf(c));
    if (select.some((k) => k < 0)) {
      throw new DeviceError('DEVICE_BAD_ARGUMENT', `the recording holds channels ${r.channels.map((c) => `A${c}`).join(', ')}; A${chans[select.findIndex((k) => k < 0)]} is not among them`, 'Choose channels the recording has.');
    }
    await this.source.rewind();
    const generation = ++this.generation;
    this.acq = { rate: r.rate, channels: chans, select, t0: this.now() + 1000 / r.rate, perf0: performance.now(), next: 0, buffer: [], buffered: 0, ended: false, reading: undefined, timer: undefined, generation };
    this._state = 'acquiring';
    this.fill();
    this.schedule();
  }

  /** Stops replaying; the next start() begins at the first sample again. Idempotent. */
  async stop(): Promise<void> {
    if (this._state === 'idle' || this._state === 'closed') return;
    if (this._state !== 'acquiring') throw this.badState('stop');
    await this.halt();
    this._state = 'idle';
  }

  /** Stops and closes the file. Never rejects; safe to call twice. */
  async close(): Promise<void> {
    if (this._state === 'closed' && !this.source) return;
    await this.halt();
    const src = this.source;
    this.source = undefined;
    const was = this._state;
    this._state = 'closed';
    await src?.close();
    if (was !== 'closed') this.listener.close?.(undefined);
  }

  // -------------------------------------------------------------------------------------------

  private async halt(): Promise<void> {
    const acq = this.acq;
    this.acq = undefined;
    this.generation++;
    if (acq?.timer) clearTimeout(acq.timer);
    await acq?.reading?.catch(() => undefined);
  }

  private badState(call: string): DeviceError {
    const hint = this._state === 'acquiring' ? 'Stop playback first.' : this._state === 'closed' ? 'Connect first.' : undefined;
    return new DeviceError('DEVICE_BAD_STATE', `cannot ${call}: the playback device is ${this._state === 'acquiring' ? 'already playing' : this._state}`, hint);
  }

  /** Keeps READ_AHEAD_S of samples buffered; loops or marks the end at the end of the file. */
  private fill(): void {
    const acq = this.acq;
    const src = this.source;
    if (!acq || !src || acq.reading || acq.ended) return;
    const want = Math.max(1000, acq.rate * READ_AHEAD_S);
    if (acq.buffered >= want) return;
    acq.reading = (async () => {
      let looped = false;
      while (acq.buffered < want && acq.generation === this.generation) {
        const rows = await src.read(Math.min(want, 65536));
        if (acq.generation !== this.generation) return;
        if (rows) {
          acq.buffer.push(rows);
          acq.buffered += rows.count;
          looped = false;
          continue;
        }
        if (!this.loop || looped) {
          acq.ended = true;
          return;
        }
        looped = true; // a file with no rows would loop forever: one rewind per empty read
        await src.rewind();
      }
    })()
      .catch((err: unknown) => this.onReadError(err))
      .finally(() => {
        acq.reading = undefined;
      });
  }

  private schedule(): void {
    const acq = this.acq;
    if (!acq) return;
    acq.timer = setTimeout(() => this.tick(), this.intervalMs);
  }

  private tick(): void {
    const acq = this.acq;
    if (!acq || acq.generation !== this.generation) return;
    // Samples due by now at the file's rate, since start (drift-free: from the start time, not per tick).
    const due = Math.floor(((performance.now() - acq.perf0) * acq.rate) / 1000) + 1;
    let n = Math.min(due - acq.next, acq.buffered);
    while (n > 0) {
      const head = acq.buffer[0];
      const take = Math.min(n, head.count);
      this.emit(acq, head, take);
      if (take === head.count) acq.buffer.shift();
      else acq.buffer[0] = sliceRows(head, take);
      acq.buffered -= take;
      n -= take;
    }
    if (acq.ended && acq.buffered === 0) {
      this.acq = undefined;
      this.generation++;
      this._state = 'idle';
      this.listener.end?.();
      return;
    }
    this.fill();
    this.schedule();
  }

  private emit(acq: NonNullable<PlaybackDevice['acq']>, rows: Rows, count: number): void {
    const index = acq.next;
    acq.next += count;
    this.listener.activity?.();
    this.listener.samples?.({
      device: this.id,
      index,
      time: acq.t0 + (index * 1000) / acq.rate,
      rate: acq.rate,
      count,
      seq: rows.seq.subarray(0, count),
      digital: rows.digital.subarray(0, count),
      analog: acq.select.map((k) => rows.analog[k].subarray(0, count)),
      channels: acq.channels,
    });
  }

  private onReadError(err: unknown): void {
    const error = err instanceof DeviceError ? err : new DeviceError('PLAYBACK_UNREADABLE', `reading ${this.path} failed: ${(err as Error)?.message ?? String(err)}`, 'Check that the file is still there and readable.', { cause: err });
    const acq = this.acq;
    this.acq = undefined;
    this.generation++;
    if (acq?.timer) clearTimeout(acq.timer);
    const src = this.source;
    this.source = undefined;
    this._state = 'closed';
    void src?.close();
    this.listener.close?.(error);
  }
}

function sliceRows(r: Rows, from: number): Rows {
  return { count: r.count - from, seq: r.seq.subarray(from), digital: r.digital.subarray(from), analog: r.analog.map((a) => a.subarray(from)) };
}
