/**
 * One device's acquisition: config → driver → hub. A state machine per device; the set of
 * runners is `Acquisition` (acquisition.ts), the one place control goes through.
 *
 *   idle ─start()→ connecting ─ok→ streaming ─stop()→ stopped
 *                      │ fail          │ link lost / silent
 *                      ▼               ▼
 *                 reconnecting ←── (stalled) ── backoff 0.5 s × 2ⁿ, at most 10 s, forever
 *                      │ an address or setting the device can never take (DEVICE_BAD_ARGUMENT),
 *                      │ a recording that cannot be played (PLAYBACK_*)
 *                      ▼
 *                    error (no retry: the user must change the setting)
 *
 * A finite source that ends (a recording played without loop: the driver's `end()`) goes from
 * streaming to stopped, with no reconnect.
 *
 * Publishes to the hub, all tagged with this device's id: `status` on every change, `meta` at the
 * start of every segment (first connect, reconnect, pause), `batch`, `gap`.
 *
 * Indices never restart within a session: after a reconnect the first index is derived from the
 * wall-clock time since the session's t0, and the samples in between are reported as a gap
 * (reason link_lost), so device time (t0 + index / rate) stays meaningful across reconnects.
 * A new rate starts a new session (new t0, index 0).
 */
import type { DeviceInfo, DeviceStatus, GapEvent, GapReason, SampleBatch, ServiceState, WireError } from '../../shared/acquisition.js';
import { resolveDevices, type DeviceConfig, type ServerBitConfig } from '../../shared/config.js';
import { DeviceError, ServerBitError, toWireError } from '../../shared/errors.js';
import type { DeviceStatePacket } from '../devices/codec.js';
import type { DeviceDriver, DriverInfo } from '../devices/driver.js';
import type { DeviceOpener, OpenedDevice } from '../devices/open-device.js';
import { RIOT_STALL_HINT } from '../devices/riot.js';
import type { Hub } from './hub.js';
import { buildStreamMeta } from './stream-meta.js';

export interface RunnerSettings extends DeviceConfig {
  /** Seconds without any input from a streaming device before it is declared stalled and reconnected. */
  stall_timeout_s: number;
}

export interface DeviceRunnerOptions {
  settings: RunnerSettings;
  openDevice: DeviceOpener;
  hub: Hub;
  /** Reconnect backoff, ms: first delay and ceiling. Defaults 500 and 10 000. */
  backoff?: { initialMs: number; maxMs: number };
  /** Version-request timeout at connect, ms (default 3000). */
  connectTimeoutMs?: number;
  /** Wall clock, ms since epoch (device time is anchored to it). Default Date.now. */
  now?: () => number;
  /** Seed of the simulator's signals, when the address is "simulator". */
  simulatorSeed?: number;
  /** The batch the driver may pace its reads to, at a rate (batch-demand.ts). Default 1: every frame. */
  readBatch?: (rate: number) => number;
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

interface Session {
  t0: number;
  rate: number;
  /** Where the next sample goes on the session's index line. */
  nextIndex: number;
  /** Added to the driver's per-start indices. */
  offset: number;
}

export class DeviceRunner {
  readonly id: string;
  private settings: RunnerSettings;
  private readonly hub: Hub;
  private readonly openDevice: DeviceOpener;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly connectTimeoutMs: number;
  private readonly now: () => number;
  private readonly simulatorSeed: number | undefined;
  private readonly readBatch: (rate: number) => number;

  private state: ServiceState = 'idle';
  private lastError: WireError | undefined;
  private driver: DeviceDriver | undefined;
  private opened: OpenedDevice | undefined;
  private driverInfo: DriverInfo | undefined;
  private deviceInfo: DeviceInfo | undefined;
  private battery: number | undefined;
  private counters = { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0 };
  /** Rate and channels the driver was started with (a source may impose its own). */
  private started: { rate: number; channels: number[] } | undefined;
  private run: Run | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private session: Session | undefined;
  private lastInputAt = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private pauseWatchdog = false;
  private linkLost: ((e: DeviceError | undefined) => void) | undefined;
  /** CRC errors of the current driver acquisition already added to the counters. */
  private crcSeen = 0;

  constructor(options: DeviceRunnerOptions) {
    this.settings = options.settings;
    this.id = options.settings.id;
    this.hub = options.hub;
    this.openDevice = options.openDevice;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 3000;
    this.now = options.now ?? Date.now;
    this.simulatorSeed = options.simulatorSeed;
    this.readBatch = options.readBatch ?? (() => 1);
  }

  /** The streams' batch sizes changed: pace the driver's reads to the new ones. */
  refreshReadBatch(): void {
    if (this.started && this.driver?.setReadBatch) this.driver.setReadBatch(this.readBatch(this.started.rate));
  }

  get currentSettings(): RunnerSettings {
    return this.settings;
  }

  get status(): DeviceStatus {
    const s: DeviceStatus = {
      device: this.id,
      name: this.settings.name ?? this.settings.address,
      address: this.settings.address,
      state: this.state,
      rate: this.started?.rate ?? this.settings.sampling_rate,
      channels: [...(this.started?.channels ?? this.settings.channels)],
      counters: { ...this.counters },
    };
    if (this.deviceInfo) s.info = this.deviceInfo;
    if (this.lastError && (this.state === 'error' || this.state === 'reconnecting' || this.state === 'stalled')) s.error = this.lastError;
    if (this.battery !== undefined) s.battery = this.battery;
    if (this.session) s.t0 = this.session.t0;
    return s;
  }

  /** True between start() and stop(): connecting, streaming or retrying. */
  get running(): boolean {
    return !!this.run && !this.run.cancelled;
  }

  /** Publishes the current status (e.g. for a device just added). */
  announce(): void {
    this.publishStatus();
  }

  /**
   * Starts acquisition and keeps it running (reconnecting as needed) until stop(). Resolves once
   * streaming or once the first attempt failed (the loop goes on retrying in the background;
   * watch `status`). Idempotent while running.
   */
  async start(): Promise<void> {
    if (this.running) return;
    const run: Run = { cancelled: false };
    this.run = run;
    this.session = undefined;
    this.counters = { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0 };
    let firstAttempt!: () => void;
    const attempted = new Promise<void>((r) => (firstAttempt = r));
    this.loopDone = this.loop(run, firstAttempt);
    await attempted;
  }

  /** Stops acquisition and closes the device (the device is told to stop first). Idempotent. */
  async stop(): Promise<void> {
    const run = this.run;
    if (run) {
      run.cancelled = true;
      run.wake?.();
    }
    this.linkLost?.(undefined);
    // Closing now also aborts a connect that is waiting for its version reply.
    await this.closeDevice();
    await this.loopDone;
    await this.closeDevice();
    if (this.state !== 'idle') this.setState('stopped');
  }

  /**
   * New settings for this device. Restarts acquisition if it was running and something the
   * device or the stream depends on changed; a new address forgets what the old device said.
   */
  async applySettings(next: RunnerSettings): Promise<void> {
    const prev = this.settings;
    if (JSON.stringify(prev) === JSON.stringify(next)) return;
    const wasRunning = this.running;
    if (wasRunning) await this.stop();
    this.settings = next;
    if (prev.address !== next.address) {
      this.deviceInfo = undefined;
      this.driverInfo = undefined;
      this.battery = undefined;
      this.lastError = undefined;
    }
    this.publishStatus();
    if (wasRunning) await this.start();
  }

  // --- device commands (callers serialise them per device: acquisition.ts) ----------------------

  async setOutputs(outputs: (0 | 1)[]): Promise<void> {
    const d = this.requireDriver();
    if (!d.setOutputs) throw this.unsupported('digital outputs');
    await d.setOutputs(outputs);
  }

  async setPwm(duty: number): Promise<void> {
    const d = this.requireDriver();
    if (!d.setPwm) throw this.unsupported('a PWM output');
    await d.setPwm(duty);
  }

  async setBatteryThreshold(value: number): Promise<void> {
    const d = this.requireDriver();
    if (!d.setBatteryThreshold) throw this.unsupported('a battery threshold');
    await this.whileIdle(d, () => d.setBatteryThreshold!(value));
  }

  async readState(): Promise<DeviceStatePacket> {
    const d = this.requireDriver();
    if (!d.readState) throw this.unsupported('a state command');
    const st = await this.whileIdle(d, () => d.readState!());
    this.battery = st.batteryVolts;
    this.publishStatus();
    return st;
  }

  /**
   * The firmware only answers (and only takes the battery threshold) while idle. While
   * streaming, acquisition pauses for the request and resumes at once: the pause costs a few
   * frames, reported as a gap (reason paused) like any other loss.
   */
  private async whileIdle<T>(d: DeviceDriver, fn: () => Promise<T>): Promise<T> {
    if (d.state !== 'acquiring' || !this.started) return fn();
    const { rate, channels } = this.started;
    this.pauseWatchdog = true;
    try {
      const stoppedAt = this.now();
      await d.stop();
      try {
        return await fn();
      } finally {
        this.beginSegment(rate, 'paused', stoppedAt);
        await d.start(rate, channels);
        this.crcSeen = 0;
      }
    } finally {
      this.pauseWatchdog = false;
    }
  }

  private requireDriver(): DeviceDriver {
    const d = this.driver;
    if (!d || (d.state !== 'idle' && d.state !== 'acquiring')) {
      throw new DeviceError('DEVICE_BAD_STATE', `device "${this.id}" is not connected (it is ${this.state})`, 'Start acquisition first, and wait for the state "streaming".');
    }
    return d;
  }

  private unsupported(what: string): DeviceError {
    return new DeviceError('DEVICE_UNSUPPORTED', `device "${this.id}" (${this.settings.address}) has no ${what}`);
  }

  // --- the loop ----------------------------------------------------------------------------------

  private async loop(run: Run, firstAttempt: () => void): Promise<void> {
    let delay = this.backoff.initialMs;
    let first = true;
    while (!run.cancelled) {
      this.setState(first ? 'connecting' : 'reconnecting');
      let error: ServerBitError | undefined;
      let ended = false;
      try {
        const why = await this.connectAndStream(run, () => {
          if (first) firstAttempt();
          first = false;
          delay = this.backoff.initialMs;
        });
        if (why === ENDED) ended = true;
        else error = why;
      } catch (e) {
        error = toServerBitError(e);
      }
      await this.closeDevice();
      if (run.cancelled) break;
      if (ended) {
        // A finite source (a recording without loop) played to its end: stopped, as if asked to.
        this.lastError = undefined;
        run.cancelled = true;
        this.setState('stopped');
        break;
      }
      const previous = this.lastError;
      this.lastError = error && toWireError(error);
      // Already "reconnecting" after a failed retry: setState() alone would publish nothing, and
      // clients would keep seeing the first error (link lost) instead of the current one (the port
      // is missing, with its hint).
      if (this.state === 'reconnecting' && (previous?.code !== this.lastError?.code || previous?.message !== this.lastError?.message)) this.publishStatus();
      // An address or a setting the device can never accept, or a recording that cannot be
      // played, will not fix itself by retrying.
      if (error && isPermanent(error)) {
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

  /** Connects, starts and streams until the link is lost (resolves with why), the source ends (ENDED) or the run is cancelled. */
  private async connectAndStream(run: Run, streaming: () => void): Promise<DeviceError | typeof ENDED | undefined> {
    const s = this.settings;
    const opened = await this.openDevice(s.address, {
      id: this.id,
      versionTimeoutMs: this.connectTimeoutMs,
      now: this.now,
      ...(this.simulatorSeed !== undefined ? { simulatorSeed: this.simulatorSeed } : {}),
    });
    this.opened = opened;
    const driver = opened.driver;
    this.driver = driver;
    if (run.cancelled) return undefined;
    let lostResolve!: (e: DeviceError | typeof ENDED | undefined) => void;
    const lost = new Promise<DeviceError | typeof ENDED | undefined>((r) => (lostResolve = r));
    this.linkLost = (e) => lostResolve(e);
    driver.setListener({
      samples: (b) => {
        this.countCrcErrors(driver);
        this.onSamples(b);
      },
      gap: (g) => {
        this.countCrcErrors(driver);
        this.onGap(g);
      },
      activity: () => (this.lastInputAt = this.now()),
      close: (err) => lostResolve(err ?? new DeviceError('DEVICE_DISCONNECTED', `the link to ${driver.connection} closed`, 'ServerBIT reconnects by itself.')),
      end: () => lostResolve(ENDED),
    });
    const info = await driver.connect();
    this.driverInfo = info;
    this.deviceInfo = {
      id: this.id,
      address: driver.connection,
      firmware: info.firmware,
      version: info.version,
      board: info.board ?? 'revolution',
      stateLength: info.stateLength,
      simulated: opened.simulated,
    };
    if (run.cancelled) return undefined;
    // Battery and state are only readable while idle: read them once before streaming.
    if (driver.readState && info.stateLength > 0) {
      try {
        this.battery = (await driver.readState()).batteryVolts;
      } catch {
        /* optional: a missing state reply must not block streaming */
      }
    }
    const rate = info.source?.rate ?? s.sampling_rate;
    const channels = info.source?.channels ?? s.channels;
    this.started = { rate, channels: [...channels] };
    driver.setReadBatch?.(this.readBatch(rate));
    this.beginSegment(rate);
    this.crcSeen = 0;
    await driver.start(rate, channels);
    this.lastError = undefined;
    this.setState('streaming');
    streaming();
    this.startWatchdog(driver);
    const why = await lost;
    this.stopWatchdog();
    return run.cancelled ? undefined : why;
  }

  /** Places the next acquisition on the session's index line and announces the segment (meta). */
  /**
   * @param pausedAt for a pause (`paused`): when the device was told to stop. The samples it did
   *   not take are those of the time it was stopped, counted from there rather than from t0 — so a
   *   device clock a little ahead of the host's (or frames that arrived in a burst) cannot hide
   *   the pause. After a lost link there is no such moment: the index follows the wall clock since t0.
   */
  private beginSegment(rate: number, reason: GapReason = 'link_lost', pausedAt?: number): void {
    const startAt = this.now() + 1000 / rate;
    if (!this.session || this.session.rate !== rate) {
      this.session = { t0: startAt, rate, nextIndex: 0, offset: 0 };
    } else {
      const s = this.session;
      const byClock = Math.round(((startAt - s.t0) * rate) / 1000);
      const byPause = pausedAt === undefined ? 0 : s.nextIndex + Math.max(1, Math.round(((startAt - pausedAt) * rate) / 1000));
      const offset = Math.max(s.nextIndex, byClock, byPause);
      if (offset > s.nextIndex) this.onGapAbsolute({ device: this.id, from: s.nextIndex, to: offset, reason });
      s.offset = offset;
      s.nextIndex = offset;
    }
    this.publishMeta();
  }

  private publishMeta(): void {
    const info = this.driverInfo;
    const session = this.session;
    const started = this.started;
    if (!info || !session || !started) return;
    const s = this.settings;
    const source = info.source;
    this.hub.publishMeta(
      buildStreamMeta({
        device: this.id,
        name: s.name ?? s.address,
        kind: source?.kind ?? 'bitalino',
        address: s.address,
        connection: this.driver?.connection ?? s.address,
        ...(source?.mac ? { mac: source.mac } : {}),
        board: info.board,
        firmware: info.firmware,
        version: info.version,
        simulated: this.opened?.simulated ?? false,
        rate: started.rate,
        irregular: source?.irregular ?? false,
        channels: started.channels,
        t0: session.t0,
        segmentStart: session.offset,
        labels: s.labels,
        sensors: s.sensors,
        source,
      }),
    );
  }

  private onSamples(b: SampleBatch): void {
    const s = this.session;
    if (!s) return;
    const index = s.offset + b.index;
    s.nextIndex = index + b.count;
    this.counters.frames += b.count;
    const time = b.timestamps ? b.time : s.t0 + (index * 1000) / b.rate;
    this.hub.publishBatch({ ...b, device: this.id, index, time });
  }

  private onGap(g: GapEvent): void {
    const s = this.session;
    if (!s) return;
    this.onGapAbsolute({ ...g, device: this.id, from: s.offset + g.from, to: s.offset + g.to });
  }

  private onGapAbsolute(g: GapEvent): void {
    if (this.session) this.session.nextIndex = Math.max(this.session.nextIndex, g.to);
    this.counters.gaps++;
    this.counters.lostSamples += g.to - g.from;
    this.hub.publishGap(g);
  }

  /**
   * crcErrors counts every resync of the decoder, not only those that cost samples: garbage
   * between two frames is skipped without a gap. Each start() gets a new decoder, counted from zero.
   */
  private countCrcErrors(driver: DeviceDriver): void {
    const n = driver.crcErrors;
    if (n === undefined) return;
    if (n > this.crcSeen) this.counters.crcErrors += n - this.crcSeen;
    this.crcSeen = n;
  }

  private startWatchdog(driver: DeviceDriver): void {
    const limitMs = this.settings.stall_timeout_s * 1000;
    this.lastInputAt = this.now();
    this.watchdog = setInterval(() => {
      if (this.pauseWatchdog || driver.state !== 'acquiring') return;
      if (this.now() - this.lastInputAt > limitMs) {
        this.stopWatchdog();
        this.setState('stalled');
        this.linkLost?.(
          new DeviceError(
            'DEVICE_STALLED',
            `no data from ${driver.connection} for ${this.settings.stall_timeout_s} s`,
            this.driverInfo?.source?.kind === 'riot' ? RIOT_STALL_HINT : 'The BITalino may be out of range, asleep or out of battery; ServerBIT reconnects by itself.',
          ),
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
    const d = this.driver;
    const o = this.opened;
    this.driver = undefined;
    this.opened = undefined;
    this.linkLost = undefined;
    if (d) await d.close();
    if (o?.dispose) await o.dispose();
  }

  private setState(state: ServiceState): void {
    if (this.state === state) return;
    this.state = state;
    this.publishStatus();
  }

  private publishStatus(): void {
    this.hub.publishStatus(this.status);
  }
}

/** What connectAndStream resolves with when a finite source (a recording) reached its end. */
const ENDED = Symbol('ended');

/** Errors that retrying cannot fix: a bad address or setting, a recording that cannot be played (docs/recording.md "Playback as a device"). */
function isPermanent(e: ServerBitError): boolean {
  return e.code === 'DEVICE_BAD_ARGUMENT' || e.code.startsWith('PLAYBACK_');
}

function toServerBitError(e: unknown): ServerBitError {
  if (e instanceof ServerBitError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  return new DeviceError('DEVICE_OPEN_FAILED', err.message, undefined, { cause: err });
}

/** The runner settings a config describes: its devices, each with the service-wide stall timeout. */
export function runnerSettingsOf(config: ServerBitConfig): RunnerSettings[] {
  return resolveDevices(config).map((d) => ({ ...d, stall_timeout_s: config.stall_timeout_s }));
}
