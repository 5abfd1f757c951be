/**
 * The acquisition service: config → device → hub. One state machine, one place where control
 * goes through, whoever asks (tray, window, CLI, a /v2 command).
 *
 *   idle ─start()→ connecting ─ok→ streaming ─stop()→ stopped
 *                      │ fail          │ link lost / silent
 *                      ▼               ▼
 *                 reconnecting ←── (stalled) ── backoff 0.5 s × 2ⁿ, at most 10 s, forever
 *                      │ a setting the device rejects (bad argument)
 *                      ▼
 *                    error
 *
 * Indices never restart within a session: after a reconnect the first index is derived from the
 * wall-clock time since the session's t0, and the samples in between are reported as a gap
 * (reason link_lost), so device time (t0 + index / rate) stays meaningful across reconnects.
 */
import { EventEmitter } from 'node:events';
import type { Counters, DeviceInfo, GapEvent, GapReason, SampleBatch, ServiceState, ServiceStatus } from '../../shared/acquisition.js';
import type { ServerBitConfig } from '../../shared/config.js';
import { DeviceError, ServerBitError } from '../../shared/errors.js';
import { Bitalino } from '../devices/bitalino.js';
import type { DeviceStatePacket } from '../devices/codec.js';
import type { DecoderStats } from '../devices/frame-decoder.js';
import type { Transport } from '../devices/transport.js';
import { Hub } from './hub.js';

export interface OpenedDevice {
  transport: Transport;
  /** True for the built-in simulator. */
  simulated: boolean;
  /** Extra clean-up (e.g. stop the simulator's clock). */
  dispose?(): Promise<void>;
}

export type DeviceOpener = (device: string) => Promise<OpenedDevice>;

export interface ServiceOptions {
  config: ServerBitConfig;
  /** How to reach a device address (default: simulator / serial / TCP / MAC resolution). */
  openDevice: DeviceOpener;
  hub?: Hub;
  /** Reconnect backoff, ms: first delay and ceiling. Defaults 500 and 10 000. */
  backoff?: { initialMs: number; maxMs: number };
  /** Version-request timeout at connect, ms (default 3000). */
  connectTimeoutMs?: number;
  now?: () => number;
}

export const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 10_000 };

/** One run of the connect/stream/reconnect loop; stop() cancels it and wakes its backoff sleep. */
interface Run {
  cancelled: boolean;
  wake?: () => void;
}

const sleep = (ms: number, run: Run) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    run.wake = () => {
      clearTimeout(t);
      resolve();
    };
  });

export interface ServiceEvents {
  status: [ServiceStatus];
}

export class AcquisitionService extends EventEmitter<ServiceEvents> {
  readonly hub: Hub;
  private config: ServerBitConfig;
  private readonly openDevice: DeviceOpener;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly connectTimeoutMs: number;
  private readonly now: () => number;

  private state: ServiceState = 'idle';
  private lastError: ServiceStatus['error'];
  private device: Bitalino | undefined;
  private opened: OpenedDevice | undefined;
  private deviceInfo: DeviceInfo | undefined;
  private battery: number | undefined;
  private counters: Counters = { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0, clients: 0 };
  /** One run of the connect/stream/reconnect loop; replaced on every start(). */
  private run: Run | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private session: { t0: number; rate: number; nextIndex: number; offset: number } | undefined;
  private lastByteAt = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private linkLost: ((e: DeviceError) => void) | undefined;
  /** The decoder whose CRC errors were last added to `counters.crcErrors`, and how many. */
  private crcSeen: { stats: DecoderStats; count: number } | undefined;

  constructor(options: ServiceOptions) {
    super();
    this.config = options.config;
    this.openDevice = options.openDevice;
    this.hub = options.hub ?? new Hub();
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 3000;
    this.now = options.now ?? Date.now;
  }

  get currentConfig(): ServerBitConfig {
    return this.config;
  }

  get status(): ServiceStatus {
    const s: ServiceStatus = {
      state: this.state,
      rate: this.config.sampling_rate,
      channels: [...this.config.channels],
      counters: { ...this.counters },
    };
    if (this.deviceInfo) s.device = this.deviceInfo;
    if (this.lastError && (this.state === 'error' || this.state === 'reconnecting' || this.state === 'stalled')) s.error = this.lastError;
    if (this.battery !== undefined) s.battery = this.battery;
    if (this.session) s.t0 = this.session.t0;
    return s;
  }

  /** The number of connected clients, shown in status (the server reports it). */
  setClientCount(n: number): void {
    if (this.counters.clients === n) return;
    this.counters.clients = n;
    this.publishStatus();
  }

  /**
   * Starts acquisition with the current config and keeps it running (reconnecting as needed)
   * until stop(). Resolves once streaming or once the first attempt failed (the loop goes on
   * retrying in the background; watch `status`). Idempotent while running.
   */
  async start(): Promise<void> {
    if (this.run && !this.run.cancelled) return;
    const run: Run = { cancelled: false };
    this.run = run;
    this.session = undefined;
    this.counters = { ...this.counters, frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0 };
    this.crcSeen = undefined;
    let firstAttempt!: () => void;
    const attempted = new Promise<void>((r) => (firstAttempt = r));
    this.loopDone = this.loop(run, firstAttempt);
    await attempted;
  }

  /** Stops acquisition and closes the device. Idempotent. */
  async stop(): Promise<void> {
    const run = this.run;
    if (run) {
      run.cancelled = true;
      run.wake?.();
    }
    this.linkLost?.(new DeviceError('DEVICE_DISCONNECTED', 'stopped'));
    // Closing now also aborts a connect that is waiting for its version reply.
    await this.closeDevice();
    await this.loopDone;
    await this.closeDevice();
    if (this.state !== 'idle') this.setState('stopped');
  }

  /** Applies a new configuration without a restart: restarts acquisition if it was running. */
  async applyConfig(config: ServerBitConfig): Promise<void> {
    const wasRunning = !!this.run && !this.run.cancelled;
    if (wasRunning) await this.stop();
    this.config = config;
    this.publishStatus();
    if (wasRunning) await this.start();
  }

  // --- device commands (the single control path) -----------------------------------------------

  async setOutputs(outputs: (0 | 1)[]): Promise<void> {
    await this.requireDevice().setOutputs(outputs);
  }

  async setPwm(duty: number): Promise<void> {
    await this.requireDevice().setPwm(duty);
  }

  /**
   * The firmware only answers (and only takes the battery threshold) while idle. While
   * streaming, the service pauses acquisition for the request and resumes it at once: the pause
   * costs a few frames, which are reported as a gap like any other loss.
   */
  async whileIdle<T>(fn: (d: Bitalino) => Promise<T>): Promise<T> {
    const d = this.requireDevice();
    if (d.state !== 'acquiring') return fn(d);
    const acq = d.acquisition!;
    this.pauseWatchdog = true;
    try {
      await d.stop();
      try {
        return await fn(d);
      } finally {
        await this.resumeAfterPause(d, acq.rate, acq.channels);
      }
    } finally {
      this.pauseWatchdog = false;
    }
  }

  async setBatteryThreshold(value: number): Promise<void> {
    await this.whileIdle((d) => d.setBatteryThreshold(value));
  }

  async readState(): Promise<DeviceStatePacket> {
    const st = await this.whileIdle((d) => d.readState());
    this.battery = st.batteryVolts;
    this.publishStatus();
    return st;
  }

  private pauseWatchdog = false;

  private async resumeAfterPause(d: Bitalino, rate: number, channels: number[]): Promise<void> {
    this.beginAcquisitionSegment(d, rate, 'paused');
    await d.start(rate, channels);
  }

  private requireDevice(): Bitalino {
    const d = this.device;
    if (!d || (d.state !== 'idle' && d.state !== 'acquiring')) {
      throw new DeviceError('DEVICE_BAD_STATE', `no device is connected (ServerBIT is ${this.state})`, 'Start acquisition first, and wait for the state "streaming".');
    }
    return d;
  }

  // --- the loop ----------------------------------------------------------------------------------

  private async loop(run: Run, firstAttempt: () => void): Promise<void> {
    let delay = this.backoff.initialMs;
    let first = true;
    while (!run.cancelled) {
      this.setState(first ? 'connecting' : 'reconnecting');
      let error: ServerBitError | undefined;
      try {
        const lost = await this.connectAndStream(run, () => {
          if (first) firstAttempt();
          first = false;
          delay = this.backoff.initialMs;
        });
        error = lost;
      } catch (e) {
        error = toServerBitError(e);
      }
      await this.closeDevice();
      if (run.cancelled) break;
      const previous = this.lastError;
      this.lastError = error && { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
      // Already "reconnecting" after a failed retry: setState() alone would publish nothing, and
      // clients would keep seeing the first error (link lost) instead of the current one (the port
      // is missing, with its hint).
      if (this.state === 'reconnecting' && (previous?.code !== this.lastError?.code || previous?.message !== this.lastError?.message)) this.publishStatus();
      // A setting the device can never accept will not fix itself by retrying.
      if (error?.code === 'DEVICE_BAD_ARGUMENT') {
        this.setState('error');
        if (first) firstAttempt();
        run.cancelled = true;
        break;
      }
      this.setState('reconnecting');
      if (first) {
        firstAttempt();
        first = false;
      }
      await sleep(delay, run);
      delay = Math.min(delay * 2, this.backoff.maxMs);
    }
    firstAttempt();
  }

  /** Connects, starts and streams until the link is lost (resolves with why) or the run is cancelled. */
  private async connectAndStream(run: Run, streaming: () => void): Promise<DeviceError | undefined> {
    const opened = await this.openDevice(this.config.device);
    this.opened = opened;
    if (run.cancelled) return undefined;
    const device = new Bitalino(opened.transport, { id: this.config.device, versionTimeoutMs: this.connectTimeoutMs, now: this.now });
    this.device = device;
    let lostResolve!: (e: DeviceError | undefined) => void;
    const lost = new Promise<DeviceError | undefined>((r) => (lostResolve = r));
    this.linkLost = (e) => lostResolve(e);
    device.setListener({
      samples: (b) => {
        this.countCrcErrors(device);
        this.onSamples(b);
      },
      gap: (g) => {
        this.countCrcErrors(device);
        this.onGap(g);
      },
      activity: () => (this.lastByteAt = this.now()),
      close: (err) => lostResolve(err ?? new DeviceError('DEVICE_DISCONNECTED', `the link to ${device.transport.path} closed`, 'ServerBIT reconnects by itself.')),
    });
    const info = await device.connect();
    this.deviceInfo = {
      id: this.config.device,
      address: opened.transport.path,
      firmware: info.firmware,
      version: info.version,
      board: info.board,
      stateLength: info.stateLength,
      simulated: opened.simulated,
    };
    if (run.cancelled) return undefined;
    // Battery and state are only readable while idle: read them once before streaming.
    if (info.board === 'revolution') {
      try {
        this.battery = (await device.readState()).batteryVolts;
      } catch {
        /* optional: a missing state reply must not block streaming */
      }
    }
    const rate = this.config.sampling_rate;
    this.beginAcquisitionSegment(device, rate);
    await device.start(rate, this.config.channels);
    this.lastError = undefined;
    this.setState('streaming');
    streaming();
    this.startWatchdog(device);
    const why = await lost;
    this.stopWatchdog();
    return run.cancelled ? undefined : why;
  }

  /** Places the next acquisition on the session's index line (see the class comment). */
  private beginAcquisitionSegment(device: Bitalino, rate: number, reason: GapReason = 'link_lost'): void {
    const startAt = this.now() + 1000 / rate;
    if (!this.session || this.session.rate !== rate) {
      this.session = { t0: startAt, rate, nextIndex: 0, offset: 0 };
      return;
    }
    const s = this.session;
    const offset = Math.max(s.nextIndex, Math.round(((startAt - s.t0) * rate) / 1000));
    if (offset > s.nextIndex) this.onGapAbsolute({ device: device.id, from: s.nextIndex, to: offset, reason });
    s.offset = offset;
    s.nextIndex = offset;
  }

  private onSamples(b: SampleBatch): void {
    const s = this.session;
    if (!s) return;
    const index = s.offset + b.index;
    s.nextIndex = index + b.count;
    this.counters.frames += b.count;
    this.hub.publishBatch({ ...b, index, time: s.t0 + (index * 1000) / b.rate });
  }

  private onGap(g: GapEvent): void {
    const s = this.session;
    if (!s) return;
    this.onGapAbsolute({ ...g, from: s.offset + g.from, to: s.offset + g.to });
  }

  private onGapAbsolute(g: GapEvent): void {
    if (this.session) this.session.nextIndex = Math.max(this.session.nextIndex, g.to);
    this.counters.gaps++;
    this.counters.lostSamples += g.to - g.from;
    this.hub.publishGap(g);
  }

  /**
   * crcErrors counts every resync of the decoder, not only those that cost samples: garbage
   * between two frames is skipped without a gap, and counting gaps alone hid it from the status.
   * Each start() (and each reconnect) gets a new decoder; its count is added from zero.
   */
  private countCrcErrors(device: Bitalino): void {
    const stats = device.stats;
    if (!stats) return;
    const before = this.crcSeen?.stats === stats ? this.crcSeen.count : 0;
    this.counters.crcErrors += stats.crcErrors - before;
    this.crcSeen = { stats, count: stats.crcErrors };
  }

  private startWatchdog(device: Bitalino): void {
    const limitMs = this.config.stall_timeout_s * 1000;
    this.lastByteAt = this.now();
    this.watchdog = setInterval(() => {
      if (this.pauseWatchdog || device.state !== 'acquiring') return;
      if (this.now() - this.lastByteAt > limitMs) {
        this.stopWatchdog();
        this.setState('stalled');
        this.linkLost?.(
          new DeviceError('DEVICE_STALLED', `no data from ${device.transport.path} for ${this.config.stall_timeout_s} s`, 'The BITalino may be out of range, asleep or out of battery; ServerBIT reconnects by itself.'),
        );
      }
    }, Math.min(1000, Math.max(50, limitMs / 4)));
    this.watchdog.unref?.();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  private async closeDevice(): Promise<void> {
    this.stopWatchdog();
    const d = this.device;
    const o = this.opened;
    this.device = undefined;
    this.opened = undefined;
    this.linkLost = undefined;
    if (d) await d.close();
    else if (o) await o.transport.close().catch(() => undefined);
    if (o?.dispose) await o.dispose().catch(() => undefined);
  }

  private setState(state: ServiceState): void {
    if (this.state === state) return;
    this.state = state;
    this.publishStatus();
  }

  private publishStatus(): void {
    const s = this.status;
    const { device: info, counters, ...rest } = s;
    const { clients: _clients, ...deviceCounters } = counters;
    const id = this.config.device;
    this.hub.publishStatus({ ...rest, device: id, name: id, address: id, counters: deviceCounters, ...(info ? { info } : {}) });
    this.emit('status', s);
  }
}

function toServerBitError(e: unknown): ServerBitError {
  if (e instanceof ServerBitError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  return new DeviceError('DEVICE_OPEN_FAILED', err.message, undefined, { cause: err });
}
