/**
 * The ServerBIT configuration as the service uses it, after reading `~/ServerBIT/config.json`.
 *
 * The file keeps the original ServerBIT keys (`device`, `channels`, `sampling_rate`, `port`,
 * `labels`, docs/original-serverbit.md §1) so files written by the original keep working; new
 * keys have defaults.
 * Keys this version does not know are preserved on write (see src/main/config/).
 */
import type { Static } from '@sinclair/typebox';
import type { CONFIG_SCHEMA, DEVICE_ENTRY_SCHEMA } from './config-schema.js';

export type SamplingRate = 1 | 10 | 100 | 1000;
export const SAMPLING_RATES: readonly SamplingRate[] = [1, 10, 100, 1000];

/** The device value that selects the built-in simulated BITalino. */
export const SIMULATOR_DEVICE = 'simulator';

/** Placeholder the original wrote on first launch; it means "no device chosen yet". */
export const ORIGINAL_PLACEHOLDER_DEVICE = 'WINDOWS - XX:XX:XX:XX:XX:XX | MAC - /dev/tty.BITalino-XX-XX-DevB';

export const DEFAULT_LABELS: readonly string[] = ['nSeq', 'I1', 'I2', 'O1', 'O2', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6'];

/**
 * The normalized config: the `Static` of CONFIG_SCHEMA (./config-schema.ts), where every key is
 * documented with its rules.
 */
export type ServerBitConfig = Static<typeof CONFIG_SCHEMA>;

/** A `devices` entry as the file holds it: only `address` is required (DEVICE_ENTRY_SCHEMA, ./config-schema.ts). */
export type DeviceEntry = Static<typeof DEVICE_ENTRY_SCHEMA>;

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
