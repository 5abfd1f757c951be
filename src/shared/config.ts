/**
 * The ServerBIT configuration as the service uses it, after reading `~/ServerBIT/config.json`.
 *
 * The file keeps the original ServerBIT keys (`device`, `channels`, `sampling_rate`, `port`,
 * `labels`, docs/original-serverbit.md §1) so files written by the original keep working; new
 * keys have defaults.
 * Keys this version does not know are preserved on write (see src/main/config/).
 */

export type SamplingRate = 1 | 10 | 100 | 1000;
export const SAMPLING_RATES: readonly SamplingRate[] = [1, 10, 100, 1000];

/** The device value that selects the built-in simulated BITalino. */
export const SIMULATOR_DEVICE = 'simulator';

/** Placeholder the original wrote on first launch; it means "no device chosen yet". */
export const ORIGINAL_PLACEHOLDER_DEVICE = 'WINDOWS - XX:XX:XX:XX:XX:XX | MAC - /dev/tty.BITalino-XX-XX-DevB';

export const DEFAULT_LABELS: readonly string[] = ['nSeq', 'I1', 'I2', 'O1', 'O2', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6'];

export interface ServerBitConfig {
  /** "simulator", a MAC address (xx:xx:xx:xx:xx:xx), a serial path (COM3, /dev/rfcomm0, /dev/tty.BITalino-…) or host:port. */
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
  /** Origins allowed to open a WebSocket: exact origins, `scheme://host:*` wildcards, `file://` or `null` for pages opened from disk. */
  allowed_origins: string[];
  /** Secret that /v2 control commands must present (generated on first launch). */
  token: string;
  /** Seconds without a byte from a streaming device before it is declared stalled and reconnected. */
  stall_timeout_s: number;
}

export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = ['http://localhost:*', 'http://127.0.0.1:*', 'file://', 'null'];

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
    token: '',
    stall_timeout_s: 5,
  };
}

/** Samples per compat/v2 message for a rate and batch period (documented in README "Streaming"). */
export function samplesPerBatch(rate: number, batchMs: number): number {
  return Math.max(1, Math.floor((rate * batchMs) / 1000));
}
