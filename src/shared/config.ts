/**
 * The ServerBIT configuration as the service uses it, after reading `~/ServerBIT/config.json`.
 *
 * The file keeps the original ServerBIT keys (`device`, `channels`, `sampling_rate`, `port`,
 * `labels`, docs/original-serverbit.md §1) so files written by the original keep working; new
 * keys have defaults.
 * Keys this version does not know are preserved on write (see src/main/config/).
 */
import type { RecordConfig } from './outputs/recording-config.js';
import type { MqttConfig } from './outputs/mqtt-config.js';

import type { OscSection } from './outputs/osc-config.js';

export type SamplingRate = 1 | 10 | 100 | 1000;
export const SAMPLING_RATES: readonly SamplingRate[] = [1, 10, 100, 1000];

/** The device value that selects the built-in simulated BITalino. */
export const SIMULATOR_DEVICE = 'simulator';

/** Placeholder the original wrote on first launch; it means "no device chosen yet". */
export const ORIGINAL_PLACEHOLDER_DEVICE = 'WINDOWS - XX:XX:XX:XX:XX:XX | MAC - /dev/tty.BITalino-XX-XX-DevB';

export const DEFAULT_LABELS: readonly string[] = ['nSeq', 'I1', 'I2', 'O1', 'O2', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6'];

export interface ServerBitConfig {
  /** "simulator", a MAC address (xx:xx:xx:xx:xx:xx), a serial path (COM3, /dev/rfcomm0, /dev/tty.BITalino-…), host:port, or an R-IoT "riot:8888/0" (docs/osc.md). */
  device: string;
  /** Analog channels, 1-based (1..6 = A1..A6), ascending, no duplicates, at least one. */
  channels: number[];
  /** Hz. */
  sampling_rate: SamplingRate;
  /** WebSocket/HTTP port, 1..65535 (classic default 9001). */
  port: number;
  /** 11 names: the five fixed columns (nSeq, I1, I2, O1, O2) then A1..A6 (one per physical channel). */
  labels: string[];
  /** Interface to listen on. 127.0.0.1 unless the user opts in to the network (e.g. 0.0.0.0). */
  host: string;
  /** Target batch period in milliseconds of device time; samples per message = max(1, floor(rate × batch_ms / 1000)). */
  batch_ms: number;
  /**
   * Origins allowed to open a WebSocket: exact origins, `scheme://host:*` wildcards; `null` (or
   * `file://`) admits pages opened from disk, and with them sandboxed frames of any web site.
   */
  allowed_origins: string[];
  /**
   * Host names (optionally `name:port`) the HTTP `Host` header may carry besides this computer's
   * loopback names and the configured `host`; `"*"` accepts any (no DNS-rebinding check).
   */
  allowed_hosts: string[];
  /** Most WebSocket clients at once (both endpoints); past it a new client gets HTTP 503. */
  max_clients: number;
  /** Secret that /v2 control commands must present (generated on first launch): "" or at least TOKEN_MIN_LENGTH characters. */
  token: string;
  /** Seconds without a byte from a streaming device before it is declared stalled and reconnected. */
  stall_timeout_s: number;
  /** Sensor wired to each physical channel A1..A6 for every device ("ECG", "EMG", …, "RAW"); absent = the board's kit. */
  sensors?: string[];
  /**
   * Several devices at once (docs/configuration.md "Devices"). Absent: one device, `device`.
   * Present: these devices, in order; `device` is then the first one's address (kept in sync for
   * tools that read the classic key). Keys an entry leaves out take the top-level values.
   */
  devices?: DeviceEntry[];
  /** Recording (docs/recording.md "Settings"): where, in which formats, and whether to record from launch. */
  record?: RecordConfig;
  /** OSC output, control input (`osc.control`) and what R-IoT devices share (`osc.riot`); docs/osc.md. */
  osc?: OscSection;
  /** Lab Streaming Layer outlets (docs/lsl.md §11): keys, defaults and schema in src/shared/outputs/lsl-config.ts. */
  lsl?: OutputConfig;
  /** MQTT publishing and the relay's credentials (docs/mqtt.md "Settings"). */
  mqtt?: MqttConfig;
}

/**
 * An output's section of the config: `enabled` turns it on (the recorder: `on_launch`); the
 * rest is the output's own (its schema and defaults live with it in src/shared/outputs/).
 */
export interface OutputConfig {
  enabled?: boolean;
  [key: string]: unknown;
}

/** A `devices` entry as the file holds it: only `address` is required. */
export interface DeviceEntry {
  /** Letters, digits, "-", "_" and "."; default its position in the list ("0", "1", …). */
  id?: string;
  address: string;
  name?: string;
  channels?: number[];
  sampling_rate?: SamplingRate;
  labels?: string[];
  sensors?: string[];
}

/** Most devices one ServerBIT runs at once (labs run two to eight). */
export const MAX_DEVICES = 16;

/** The devices a config describes, each with every setting resolved (top-level values fill the gaps). */
export function resolveDevices(config: ServerBitConfig): DeviceConfig[] {
  const entries: DeviceEntry[] = config.devices ?? [{ address: config.device }];
  return entries.map((e, i): DeviceConfig => {
    const d: DeviceConfig = {
      id: e.id ?? String(i),
      address: e.address,
      channels: [...(e.channels ?? config.channels)],
      sampling_rate: e.sampling_rate ?? config.sampling_rate,
      labels: [...(e.labels ?? config.labels)],
    };
    if (e.name !== undefined) d.name = e.name;
    const sensors = e.sensors ?? config.sensors;
    if (sensors) d.sensors = [...sensors];
    return d;
  });
}

/**
 * One device of the set (docs/configuration.md "Devices"), with every setting resolved: keys a
 * `devices` entry leaves out take the file's top-level values.
 */
export interface DeviceConfig {
  /** Stable id: names the device in /v2, OSC addresses, MQTT topics, recordings. Default its position ("0", "1", …). */
  id: string;
  /** As `device` above: "simulator", a MAC, a serial path, host:port or an R-IoT "riot:[host:]port/module". */
  address: string;
  /** What the user calls it (window, tray, recordings); default: the address. */
  name?: string;
  channels: number[];
  sampling_rate: SamplingRate;
  /** 11 names, as the top-level `labels`. */
  labels: string[];
  /** Sensor wired to each physical channel A1..A6 ("ECG", "EMG", …, "RAW"); absent = the board's kit. */
  sensors?: string[];
}

/**
 * Pages served from this computer. Not `null`/`file://`: a sandboxed frame on any web site sends
 * `Origin: null` too (docs/protocol.md "Access and threat model"); users opt in to pages opened
 * from disk by adding "null".
 */
export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = ['http://localhost:*', 'http://127.0.0.1:*'];

/**
 * Default `max_clients`: above the 2000 clients the fan-out benchmark serves on 2 cores with
 * every sample delivered (docs/performance.md), so no lab setup meets it, while a runaway script
 * opening sockets in a loop is refused with a reason long before the process runs out of file
 * descriptors or memory (each client may hold 1 MiB unsent).
 */
export const DEFAULT_MAX_CLIENTS = 2500;

/** Shortest `token` accepted (characters); a generated one has 32. */
export const TOKEN_MIN_LENGTH = 16;

/** Defaults for a new file. `token` is filled in by the store at creation time. */
export function defaultConfig(): ServerBitConfig {
  return {
    device: SIMULATOR_DEVICE,
    channels: [1, 2, 3, 4, 5, 6],
    sampling_rate: 1000,
    port: 9001,
    labels: [...DEFAULT_LABELS],
    host: '127.0.0.1',
    batch_ms: 40,
    allowed_origins: [...DEFAULT_ALLOWED_ORIGINS],
    allowed_hosts: [],
    max_clients: DEFAULT_MAX_CLIENTS,
    token: '',
    stall_timeout_s: 5,
  };
}

/** Samples per compat/v2 message for a rate and batch period (documented in README "Streaming"). */
export function samplesPerBatch(rate: number, batchMs: number): number {
  return Math.max(1, Math.floor((rate * batchMs) / 1000));
}
