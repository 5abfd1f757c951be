/**
 * The versioned stream at ws://<host>:<port>/v2 — message types. JSON Schemas for each message
 * live in ./v2-schemas.ts; the protocol is written up with examples in docs/protocol.md.
 *
 * Server → client: hello, meta, data, gap, status, reply.
 * Client → server: subscribe (optional, first message), command messages with an `id`.
 */
import type { Board, Counters, GapReason, ServiceState } from './acquisition.js';
import type { ServerBitConfig } from './config.js';

export const V2_PROTOCOL = 2;
export const V2_PATH = '/v2';

export interface HelloMessage {
  type: 'hello';
  server: 'ServerBIT';
  /** ServerBIT version (package.json). */
  version: string;
  protocol: typeof V2_PROTOCOL;
  /** Ids of the devices this server streams. */
  devices: string[];
  /** Whether this connection may send commands (it presented the token, or is the app's own UI). */
  control: boolean;
  /** The subscription in force for this connection. */
  subscription: Subscription;
}

export interface ColumnMeta {
  /** Column name in data messages: nSeq, I1, I2, O1, O2 (legacy: I1..I4), then the analog labels. */
  name: string;
  kind: 'sequence' | 'digital' | 'analog';
  /** Analog columns: physical channel 1..6 (A1..A6). */
  channel?: number;
  /** Analog columns: sensor on that channel of the standard board (docs/bitalino-protocol.md §9): EMG, ECG, EDA, EEG, ACC, LUX. */
  sensor?: string;
  /** Bits per value: 4 for nSeq, 1 for digital, 10 or 6 for analog (6 for the 5th and 6th acquired channel). */
  resolution: number;
  /** Unit of the converted value (analog columns), e.g. "mV", "µV", "µS", "g", "%". */
  unit?: string;
}

/**
 * Describes one device's stream. A superset of the OpenSignals text-file header (keys `sampling
 * rate`, `resolution`, `channels`, `column`, `label`, `sensor`, `firmware version`, `device`,
 * `date`, `time`), so one object describes a live stream and a recording.
 */
export interface MetaMessage {
  type: 'meta';
  device: string;
  address: string;
  board: Board;
  firmware: string;
  'firmware version': number;
  'sampling rate': number;
  /** Analog channels acquired, 1-based (OpenSignals uses 0-based in `channels`; ours are 1-based as in config.json). */
  channels: number[];
  /** All column names in order (OpenSignals `column`). */
  column: string[];
  /** Analog labels in order (OpenSignals `label`). */
  label: string[];
  /** Sensor per analog column (OpenSignals `sensor`). */
  sensor: string[];
  /** Bits per column, in `column` order (OpenSignals `resolution` lists the analog ones). */
  resolution: number[];
  columns: ColumnMeta[];
  /** Device time of sample 0, ms since the Unix epoch. */
  t0: number;
  /** OpenSignals-style date (YYYY-M-D) and time (HH:MM:SS.mmm) of t0, local time. */
  date: string;
  time: string;
  simulated: boolean;
}

export interface DataMessage {
  type: 'data';
  device: string;
  /** Sample index of the first sample (never wraps). */
  index: number;
  /** Device time of the first sample, ms since the Unix epoch (t0 + index / rate). */
  time: number;
  count: number;
  /** Raw integer columns keyed by column name (only the subscribed columns). Absent when format is "converted". */
  raw?: Record<string, number[]>;
  /** Converted analog values keyed by label, in the unit named in meta. Present when format is "converted" or "both". */
  converted?: Record<string, number[]>;
}

export interface GapMessage {
  type: 'gap';
  device: string;
  /** First lost index. */
  from: number;
  /** One past the last lost index. */
  to: number;
  reason: GapReason;
}

export interface StatusMessage {
  type: 'status';
  state: ServiceState;
  device?: string;
  board?: Board;
  firmware?: string;
  rate: number;
  channels: number[];
  error?: { code: string; message: string; hint?: string };
  /** Volts, when known. */
  battery?: number;
  counters: Counters;
}

export type ReplyMessage =
  | { type: 'reply'; id: string | number; ok: true; result: unknown }
  | { type: 'reply'; id: string | number | null; ok: false; error: { code: string; message: string; hint?: string } };

export type ServerMessage = HelloMessage | MetaMessage | DataMessage | GapMessage | StatusMessage | ReplyMessage;

// --- client → server -------------------------------------------------------------------------

export type DataFormat = 'raw' | 'converted' | 'both';

export interface Subscription {
  /** Samples per data message, 1..1000; default: the server's batch (≈ 40 ms). */
  batch: number;
  /** Column names to send; default all. */
  columns: string[] | 'all';
  format: DataFormat;
}

/** Optional first message (or the same keys in the query string: ?batch=10&columns=A1,A2&format=both&token=…). */
export interface SubscribeMessage {
  type: 'subscribe';
  batch?: number;
  columns?: string[];
  format?: DataFormat;
  token?: string;
}

export interface CommandArgs {
  start: Record<string, never>;
  stop: Record<string, never>;
  /** (r)evolution: [O1, O2]; legacy: [O1, O2, O3, O4]. */
  outputs: { outputs: (0 | 1)[] };
  pwm: { duty: number };
  battery_threshold: { value: number };
  state: Record<string, never>;
  get_config: Record<string, never>;
  set_config: { config: Partial<ServerBitConfig> };
  list_ports: Record<string, never>;
  /** Connects to an address, reads the firmware version, disconnects (the device picker's "Test"). */
  test_device: { device: string };
}

export type CommandName = keyof CommandArgs;

export const COMMAND_NAMES: readonly CommandName[] = ['start', 'stop', 'outputs', 'pwm', 'battery_threshold', 'state', 'get_config', 'set_config', 'list_ports', 'test_device'];

export interface CommandMessage<N extends CommandName = CommandName> {
  type: 'command';
  id: string | number;
  command: N;
  args?: CommandArgs[N];
  /** The control token, unless the connection presented it at subscribe time or is trusted. */
  token?: string;
}

export type ClientMessage = SubscribeMessage | CommandMessage;

/** Results of commands that return something. */
export interface StateResult {
  analog: number[];
  battery: number;
  batteryVolts: number;
  batteryThreshold: number;
  pwm?: number;
  digital: number[];
}

export interface PortInfo {
  path: string;
  label: string;
  isBitalino: boolean;
  mac?: string;
  manufacturer?: string;
}

export interface TestDeviceResult {
  ok: boolean;
  firmware?: string;
  board?: Board;
  error?: { code: string; message: string; hint?: string };
  /** Troubleshooting steps to show next to an error. */
  steps?: string[];
}
