/**
 * An R-IoT module (IRCAM / PLUX motion sensor) as a device (docs/osc.md "R-IoT devices"): it streams one
 * OSC message `/<module>/raw` with 22 floats per sample (accelerometer, gyroscope, magnetometer,
 * temperature, switch, analog inputs, quaternion, Euler angles) over UDP, by default to
 * 192.168.1.100:8888 every 5 ms.
 *
 * A DeviceDriver (driver.ts), like the BITalino driver: closed → connect() → idle ⇄
 * start()/stop() → close(); `setListener({samples, gap, close, activity})`; `state`, `id`.
 * connect() opens (or shares) the UDP socket and describes the source (rate, 22 float columns
 * named by the labels, irregular, no nSeq/digital columns); nothing is sent to the module, which
 * streams whenever it is on, so with `firstMessageTimeoutMs` connect() waits for the module's
 * first message as a BITalino's connect waits for its version reply: a silent R-IoT is then
 * "reconnecting" with DEVICE_NO_ANSWER, not "streaming" nothing. start() takes no rate or
 * channels of its own: it delivers what the R-IoT sends. It has no outputs, PWM or state (the runner answers DEVICE_UNSUPPORTED).
 *
 * What comes out: one SampleBatch per datagram that carried this module's samples, with one
 * Float32Array per label (analog channels 1..N in label order), a host arrival time per sample
 * (`timestamps`: the R-IoT sends no counter or clock, so the stream is irregular and loss cannot
 * be detected), `seq` = index mod 16 and `digital` = 0 (the R-IoT has neither; its StreamMeta
 * has no such columns). A message with fewer numbers than labels is dropped and counted
 * (RIOT_BAD_MESSAGE in `stats.lastBad`); extra numbers are ignored. `activity()` fires for every
 * message of this module, so a runner's stall watchdog works as for a BITalino.
 */
import type { SampleBatch, StreamColumn, StreamMeta, WireError } from '../../shared/acquisition.js';
import { DeviceError } from '../../shared/errors.js';
import { validateRiotDeviceSettings, type RiotDeviceSettings } from '../../shared/outputs/osc-config.js';
import type { AcquisitionListener, DeviceDriver, DriverInfo, DriverState, SourceDescription } from './driver.js';
import { openRiotSocket, type RiotSocket } from './riot-listener.js';

/** What to check when an R-IoT goes silent (the runner's stall hint for this kind). */
export const RIOT_STALL_HINT =
  'The R-IoT may be switched off, out of Wi-Fi range, or sending to another address or port (its settings page); ServerBIT keeps listening and reconnects by itself.';

export interface RiotOptions {
  /** Clock for t0 and arrival times, ms since the epoch. Default Date.now. */
  now?: () => number;
  /**
   * ms connect() waits for the module's first message before it rejects with DEVICE_NO_ANSWER
   * (the R-IoT answers nothing: a message is its only sign of life). 0 (default): connect()
   * resolves once the socket is open. openDevice uses the runner's connect timeout (3 s).
   */
  firstMessageTimeoutMs?: number;
}

export interface RiotStats {
  samples: number;
  /** Messages of this module without enough numbers. */
  badMessages: number;
  /** Why the last bad message was dropped. */
  lastBad?: WireError;
  /** Arrival rate over the last ~2 s, Hz; undefined until there is enough data. */
  measuredRate?: number;
}

/** The columns of an R-IoT stream: one analog float column per label, channel k + 1. */
export function riotColumns(labels: readonly string[]): StreamColumn[] {
  return labels.map((name, k): StreamColumn => ({ name, label: name, kind: 'analog', channel: k + 1, sensor: 'RAW', resolution: 32 }));
}

/** What an R-IoT source is, for the runner (DriverInfo.source). */
export function riotSource(settings: RiotDeviceSettings): SourceDescription {
  return {
    kind: 'riot',
    rate: settings.rate,
    channels: settings.labels.map((_, k) => k + 1),
    labels: [...settings.labels],
    sensors: settings.labels.map(() => 'RAW'),
    irregular: true,
    float: true,
    analogOnly: true,
  };
}

/** The StreamMeta for an R-IoT segment, as the runner builds it from riotSource (for callers without a runner). */
export function riotStreamMeta(settings: RiotDeviceSettings, segment: { t0: number; segmentStart: number; name?: string; rate?: number }): StreamMeta {
  const address = `/${settings.module}/raw`;
  return {
    device: settings.id,
    name: segment.name ?? `R-IoT ${address}`,
    kind: 'riot',
    address,
    connection: `${settings.host}:${settings.port}`,
    firmware: 'R-IoT',
    version: 0,
    simulated: false,
    rate: segment.rate ?? settings.rate,
    irregular: true,
    channels: settings.labels.map((_, k) => k + 1),
    columns: riotColumns(settings.labels),
    t0: segment.t0,
    segmentStart: segment.segmentStart,
  };
}

/** Arrival rate from the last 256 arrival times within 2 s. */
class RateMeter {
  private readonly times = new Float64Array(256);
  private n = 0;
  private head = 0;

  push(t: number): void {
    this.times[this.head] = t;
    this.head = (this.head + 1) % this.times.length;
    if (this.n < this.times.length) this.n++;
  }

  /** Hz, or undefined with fewer than 8 arrivals or under 200 ms of them. */
  rate(now: number): number | undefined {
    let first = -1;
    let count = 0;
    for (let k = 0; k < this.n; k++) {
      const t = this.times[(this.head - 1 - k + this.times.length) % this.times.length];
      if (now - t > 2000) break;
      first = t;
      count++;
    }
    const last = this.times[(this.head - 1 + this.times.length) % this.times.length];
    if (count < 8 || last - first < 200) return undefined;
    return ((count - 1) * 1000) / (last - first);
  }

  clear(): void {
    this.n = 0;
  }
}

export class Riot implements DeviceDriver {
  readonly id: string;
  readonly settings: RiotDeviceSettings;
  private readonly now: () => number;
  private readonly channels: number[];
  private _state: DriverState = 'closed';
  private listener: AcquisitionListener = {};
  private socket: RiotSocket | undefined;
  private unsubscribe: (() => void) | undefined;
  private acq: { t0: number; next: number } | undefined;
  private readonly meter = new RateMeter();
  private readonly counts = { samples: 0, badMessages: 0 };
  private lastBad: WireError | undefined;
  private readonly firstMessageTimeoutMs: number;
  /** While connect() waits for the first message: settles that wait. */
  private firstWait: ((error?: DeviceError) => void) | undefined;

  constructor(settings: RiotDeviceSettings, options: RiotOptions = {}) {
    const issues = validateRiotDeviceSettings(settings);
    if (issues.length > 0) throw new TypeError(`Riot: ${issues.map((i) => i.message).join('; ')}`);
    this.settings = { ...settings, labels: [...settings.labels] };
    this.id = settings.id;
    this.now = options.now ?? Date.now;
    this.firstMessageTimeoutMs = options.firstMessageTimeoutMs ?? 0;
    this.channels = settings.labels.map((_, k) => k + 1);
  }

  get state(): DriverState {
    return this._state;
  }

  /** Where it receives: host:port. */
  get connection(): string {
    return `${this.settings.host}:${this.settings.port}`;
  }

  get stats(): RiotStats {
    const s: RiotStats = { ...this.counts };
    if (this.lastBad) s.lastBad = this.lastBad;
    const r = this.meter.rate(this.now());
    if (r !== undefined) s.measuredRate = r;
    return s;
  }

  /** Nominal rate, channels (1..N) and t0 of the current acquisition, as the BITalino driver reports them. */
  get acquisition(): { rate: number; channels: number[]; t0: number } | undefined {
    return this.acq && { rate: this.settings.rate, channels: [...this.channels], t0: this.acq.t0 };
  }

  setListener(listener: AcquisitionListener): void {
    this.listener = listener;
  }

  /**
   * Opens the UDP socket (shared with other R-IoTs on the same host:port) and, with
   * `firstMessageTimeoutMs`, waits for the module's first message. Rejects with DEVICE_OPEN_FAILED
   * (the port), DEVICE_NO_ANSWER (nothing arrived) or DEVICE_DISCONNECTED (closed meanwhile).
   */
  async connect(): Promise<DriverInfo> {
    if (this._state !== 'closed') {
      if (this._state === 'connecting') throw new DeviceError('DEVICE_BAD_STATE', 'cannot connect: the R-IoT device is already connecting');
      return this.info();
    }
    this._state = 'connecting';
    try {
      const socket = await openRiotSocket(this.settings.host, this.settings.port);
      if (this._state !== 'connecting') {
        await socket.release(); // closed meanwhile
        throw new DeviceError('DEVICE_DISCONNECTED', 'the R-IoT device was closed while connecting');
      }
      this.socket = socket;
      const first = this.firstMessageTimeoutMs > 0 ? new Promise<DeviceError | undefined>((resolve) => (this.firstWait = resolve)) : undefined;
      this.unsubscribe = socket.subscribe(this.settings.module, {
        messages: (lists, at) => this.onMessages(lists, at),
        failed: (e) => void this.fail(e),
      });
      if (first) {
        const timer = setTimeout(() => this.firstWait?.(this.noAnswer()), this.firstMessageTimeoutMs);
        const error = await first;
        clearTimeout(timer);
        this.firstWait = undefined;
        if (error) throw error;
        if (this._state !== 'connecting') throw new DeviceError('DEVICE_DISCONNECTED', 'the R-IoT device was closed while connecting');
      }
      this._state = 'idle';
      return this.info();
    } catch (e) {
      this._state = 'closed';
      await this.releaseSocket();
      throw e;
    }
  }

  private noAnswer(): DeviceError {
    const { module, host, port } = this.settings;
    const where = host === '0.0.0.0' || host === '::' ? `this computer, UDP port ${port}` : `${host}, UDP port ${port}`;
    return new DeviceError(
      'DEVICE_NO_ANSWER',
      `no OSC message /${module}/raw arrived on ${host}:${port} in ${this.firstMessageTimeoutMs / 1000} s`,
      `Is the R-IoT switched on, on the same Wi-Fi network, sending to ${where}, with module id ${module}? Its settings page shows where it sends; ServerBIT keeps listening.`,
    );
  }

  /**
   * Starts delivering samples; the index starts at 0 (the runner offsets it within a session).
   * The arguments are ignored: the R-IoT decides its rate and columns (riotSource).
   */
  async start(_rate?: number, _channels?: readonly number[]): Promise<void> {
    if (this._state !== 'idle') throw this.badState('start');
    this.acq = { t0: this.now(), next: 0 };
    this.meter.clear();
    this._state = 'acquiring';
  }

  /** Stops delivering samples; messages still arrive (and feed `activity`) but are dropped. */
  async stop(): Promise<void> {
    if (this._state === 'idle' || this._state === 'closed') return;
    if (this._state !== 'acquiring') throw this.badState('stop');
    this._state = 'idle';
  }

  /** Releases the socket. Never rejects; safe to call twice. */
  async close(): Promise<void> {
    if (this._state === 'closed' && !this.socket) return;
    this._state = 'closed';
    this.firstWait?.(new DeviceError('DEVICE_DISCONNECTED', 'the R-IoT device was closed while connecting'));
    await this.releaseSocket();
    this.listener.close?.();
  }

  // -------------------------------------------------------------------------------------------

  private info(): DriverInfo {
    return { firmware: 'R-IoT', version: 0, stateLength: 0, source: riotSource(this.settings) };
  }

  private async releaseSocket(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    const s = this.socket;
    this.socket = undefined;
    await s?.release().catch(() => undefined);
  }

  private async fail(error: DeviceError): Promise<void> {
    if (this._state === 'closed') return;
    this._state = 'closed';
    await this.releaseSocket();
    this.listener.close?.(error);
  }

  private badState(call: string): DeviceError {
    const hint = this._state === 'acquiring' ? 'Stop acquisition first.' : this._state === 'closed' ? 'Connect first.' : undefined;
    return new DeviceError('DEVICE_BAD_STATE', `cannot ${call}: the R-IoT device is ${this._state === 'acquiring' ? 'already acquiring' : this._state}`, hint);
  }

  private onMessages(lists: unknown[][], receivedAt: number): void {
    this.firstWait?.();
    this.listener.activity?.();
    if (this._state !== 'acquiring' || !this.acq) return;
    const n = this.settings.labels.length;
    const good: unknown[][] = [];
    for (const args of lists) {
      if (args.length >= n && args.slice(0, n).every((v) => typeof v === 'number')) good.push(args);
      else this.bad(args, n);
    }
    if (good.length === 0) return;
    const count = good.length;
    const analog = this.channels.map(() => new Float32Array(count));
    const seq = new Uint8Array(count);
    const timestamps = new Float64Array(count).fill(receivedAt);
    const index = this.acq.next;
    for (let k = 0; k < count; k++) {
      const args = good[k] as number[];
      for (let c = 0; c < n; c++) analog[c][k] = args[c];
      seq[k] = (index + k) & 15;
      this.meter.push(receivedAt);
    }
    this.acq.next += count;
    this.counts.samples += count;
    const batch: SampleBatch = {
      device: this.id,
      index,
      time: receivedAt,
      rate: this.settings.rate,
      count,
      seq,
      digital: new Uint8Array(count),
      analog,
      channels: this.channels,
      timestamps,
    };
    this.listener.samples?.(batch);
  }

  private bad(args: unknown[], n: number): void {
    this.counts.badMessages++;
    const kinds = args.slice(0, n).map((v) => (typeof v === 'number' ? 'f' : typeof v === 'string' ? 's' : v === null ? 'N' : typeof v === 'boolean' ? (v ? 'T' : 'F') : 'b')).join('');
    this.lastBad = {
      code: 'RIOT_BAD_MESSAGE',
      message: `/${this.settings.module}/raw carried ${args.length} values (types ${kinds || 'none'}); expected ${n} numbers, one per label`,
      hint: args.length < n && args.every((v) => typeof v === 'number')
        ? `This R-IoT sends ${args.length} values: give the device ${args.length} labels (riot_labels).`
        : 'Check that the sender is an R-IoT streaming /<id>/raw.',
    };
  }
}
