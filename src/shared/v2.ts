/**
 * The versioned stream at ws://<host>:<port>/v2 — message types. JSON Schemas for each message
 * live in ./v2-schemas.ts; the protocol is written up with examples in docs/protocol.md.
 *
 * Server → client: hello, meta, data, gap, status, reply.
 * Client → server: subscribe (optional, first message), command messages with an `id`.
 */
import type { Board, DeviceCounters, DeviceKind, GapReason, ServiceState, StreamColumn, WireError } from './acquisition.js';
import type { ServerBitConfig } from './config.js';
import type { OutputState, OutputStatus } from './outputs.js';

export const V2_PROTOCOL = 2;
export const V2_PATH = '/v2';

export interface HelloMessage {
  type: 'hello';
  server: 'ServerBIT';
  /** ServerBIT version (package.json). */
  version: string;
  protocol: typeof V2_PROTOCOL;
  /** Ids of the devices this server streams, in config order (a `status` for each follows). */
  devices: string[];
  /** Whether this connection may send commands (it presented the token, or is the app's own UI). */
  control: boolean;
  /** The subscription in force for this connection. */
  subscription: Subscription;
}

/** A column of a stream (name, kind, channel, sensor, resolution, unit): see StreamMeta in acquisition.ts. */
export type ColumnMeta = StreamColumn;

/**
 * Describes one device's stream. A superset of the OpenSignals text-file header (keys `sampling
 * rate`, `resolution`, `channels`, `column`, `label`, `sensor`, `firmware version`, `device`,
 * `date`, `time`), so one object describes a live stream and a recording.
 */
export interface MetaMessage {
  type: 'meta';
  device: string;
  /** What the user calls the device (config `name`, else its address). */
  name: string;
  kind: DeviceKind;
  /** The address as configured. */
  address: string;
  /** What was actually opened (a resolved serial port, host:port, a file). */
  connection: string;
  /** Bluetooth MAC when known. */
  mac?: string;
  /** BITalino board (absent for an R-IoT). */
  board?: Board;
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
  /** Index of the first sample of this segment (a new meta follows every reconnect or pause). */
  segmentStart: number;
  /** True when sample times are the host's (an R-IoT), not t0 + index / rate. */
  irregular: boolean;
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
  /** Irregular sources only (meta `irregular`): host time of each sample, ms since the Unix epoch. */
  timestamps?: number[];
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

/** One device's state; one is sent per device after hello and on every change. */
export interface StatusMessage {
  type: 'status';
  device: string;
  /** Present for a device that is not this ServerBIT's own: "remote" (relayed from MQTT). */
  kind?: DeviceKind;
  name: string;
  address: string;
  state: ServiceState;
  board?: Board;
  firmware?: string;
  rate: number;
  channels: number[];
  error?: WireError;
  /** Volts, when known. */
  battery?: number;
  counters: DeviceCounters;
}

/** The service's own state: clients connected, the device set, the outputs. Sent after hello and when it changes (at most a few per second). */
export interface ServerStatusMessage {
  type: 'server';
  /** WebSocket clients connected (compatible stream and /v2), and the window. */
  clients: number;
  devices: string[];
  /** Every output (recorder, OSC, OSC control input, LSL, MQTT), on or off. */
  outputs: OutputStatus[];
  /** Present while the config file is not (fully) in use, or the listener could not start: what the window's banner shows. */
  problem?: ConfigProblem;
  /** The current recording, or the last one since the service started (absent before the first): its state, folder and files. */
  recording?: RecordingResult;
  /** The last web page refused for its Origin, and how to allow it (docs/desktop.md "Pages the service refuses"). */
  origin?: OriginNotice;
}

/** A web page whose WebSocket the service refused because of its Origin header. */
export interface OriginNotice {
  /** The Origin as sent (printable ASCII, at most 200 characters): "null" for a page opened from disk. */
  origin: string;
  /** True for "null" / "file://": a page opened from disk (or a sandboxed frame). */
  opaque: boolean;
  /** What to do: where to open the page instead, how to allow it (`allowed_origins`), and what that permits. */
  guidance: string;
  /** When this notice was published, ms since the Unix epoch. */
  time: number;
  /** Refusals of this origin so far. */
  count: number;
}

/** A setting of the config file that could not be used: the service runs on a default for it. */
export interface InvalidSetting {
  /** The setting ("sampling_rate", "host", "devices"…): a save must give it a valid value. */
  key: string;
  /** Where it is in the file, as the file spells it ("sampling_rate", "ip_address", "labels[3]"). */
  path: string;
  /** What is wrong and what is allowed. */
  message: string;
  /** The file's value, when it is short (never the token's). */
  value?: unknown;
}

/**
 * Why the config file is not (fully) in use (docs/protocol.md "server"): it could not be read or
 * parsed (the service runs on defaults, nothing can be saved into it), or some settings are invalid
 * (those run on defaults, the valid ones are used; a save must fix the invalid ones). Also a
 * problem of the service itself, such as a listener that could not start.
 */
export interface ConfigProblem {
  code: string;
  message: string;
  hint?: string;
  /** The config file. */
  file?: string;
  /** The invalid settings, when the file could be read (absent: the whole file is not in use). */
  invalid?: InvalidSetting[];
  /** Whether a save can write the file (false: it cannot be read or parsed, and would be lost). */
  saveable?: boolean;
}

/** A moment someone marked (tray, window, a /v2 `marker` command, OSC). */
export interface MarkerMessage {
  type: 'marker';
  id: number;
  label: string;
  /** Wall-clock time of the mark, ms since the Unix epoch. */
  time: number;
  /** Absent = every device. */
  device?: string;
  index?: number;
  source: string;
}

export type ReplyMessage =
  | { type: 'reply'; id: string | number; ok: true; result: unknown }
  | { type: 'reply'; id: string | number | null; ok: false; error: { code: string; message: string; hint?: string } };

export type ServerMessage = HelloMessage | MetaMessage | DataMessage | GapMessage | StatusMessage | ServerStatusMessage | MarkerMessage | ReplyMessage;

// --- client → server -------------------------------------------------------------------------

export type DataFormat = 'raw' | 'converted' | 'both';

export interface Subscription {
  /** Samples per data message, 1..1000; default: the server's batch (≈ 40 ms). */
  batch: number;
  /** Column names to send; default all. */
  columns: string[] | 'all';
  format: DataFormat;
  /** Device ids to receive data, meta, gap and status for; default all (also those added later). */
  devices: string[] | 'all';
}

/** Optional first message (or the same keys in the query string: ?batch=10&columns=A1,A2&format=both&token=…). */
export interface SubscribeMessage {
  type: 'subscribe';
  batch?: number;
  columns?: string[] | 'all';
  format?: DataFormat;
  devices?: string[] | 'all';
  token?: string;
}

/** `device` names the device a command is for; it may be left out when there is only one. */
export interface DeviceArg {
  device?: string;
}

/** A device to add: address and, optionally, everything a `devices` entry of the config file holds. */
export interface NewDevice {
  id?: string;
  address: string;
  name?: string;
  channels?: number[];
  sampling_rate?: number;
  labels?: string[];
  sensors?: string[];
}

export interface CommandArgs {
  start: DeviceArg;
  stop: DeviceArg;
  /** (r)evolution: [O1, O2]; legacy: [O1, O2, O3, O4]. */
  outputs: DeviceArg & { outputs: (0 | 1)[] };
  pwm: DeviceArg & { duty: number };
  battery_threshold: DeviceArg & { value: number };
  state: DeviceArg;
  get_config: Record<string, never>;
  set_config: { config: Partial<ServerBitConfig> };
  list_ports: Record<string, never>;
  /** Connects to an address, reads the firmware version, disconnects (the device picker's "Test"). */
  test_device: { device: string };
  /** Adds a device to the set and saves the file (authenticated). */
  add_device: { device: NewDevice };
  /** Stops and removes a device, and saves the file (authenticated). */
  remove_device: { device: string };
  /** Marks a moment: written to recordings, sent to every /v2 client as a `marker` message. */
  marker: { label: string; device?: string; index?: number };
  /** Starts a recording (docs/recording.md); each key overrides the config's `record` settings for this recording. */
  record_start: RecordStartArgs;
  /** Stops the recording; the reply names its files. */
  record_stop: Record<string, never>;
  /** Turn an output on or off and save that in the config file (docs/osc.md, docs/lsl.md, docs/mqtt.md). */
  osc_enable: Record<string, never>;
  osc_disable: Record<string, never>;
  lsl_enable: Record<string, never>;
  lsl_disable: Record<string, never>;
  mqtt_enable: Record<string, never>;
  mqtt_disable: Record<string, never>;
}

export type RecordingFormat = 'txt' | 'h5' | 'csv';

export interface RecordStartArgs {
  formats?: RecordingFormat[];
  /** Absolute path of the folder; default the config's (`~/ServerBIT/recordings/`). */
  folder?: string;
  /** Device ids to record; default every device. */
  devices?: string[];
  /** One file per device (default), or all devices side by side in one file. */
  layout?: 'per-device' | 'combined';
}

/** A recording's state and files (record_start, record_stop). */
export interface RecordingResult {
  state: OutputState;
  folder: string;
  formats: string[];
  /** Every file written so far (data and events files), absolute paths. */
  files: string[];
  samples: number;
  bytes: number;
  startedAt?: number;
  error?: WireError;
}

export type CommandName = keyof CommandArgs;

export const COMMAND_NAMES: readonly CommandName[] = [
  'start', 'stop', 'outputs', 'pwm', 'battery_threshold', 'state', 'get_config', 'set_config', 'list_ports', 'test_device', 'add_device', 'remove_device', 'marker',
  'record_start', 'record_stop', 'osc_enable', 'osc_disable', 'lsl_enable', 'lsl_disable', 'mqtt_enable', 'mqtt_disable',
];

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

/** Every device command answers with the device's state afterwards. */
export interface DeviceResult {
  device: string;
  state: ServiceState;
  error?: WireError;
}

export interface TestDeviceResult {
  ok: boolean;
  firmware?: string;
  board?: Board;
  error?: WireError;
  /** Troubleshooting steps to show next to an error. */
  steps?: string[];
}

export interface SetConfigResult {
  config: ServerBitConfig;
  /** False when there is no file to save to (it could not be read): the change lasts for this run. */
  saved: boolean;
  path?: string;
  /** Keys saved that take effect only after a restart (the listener's host and port). */
  restartRequired: string[];
  /** Said when something is not in effect yet, or when a command-line flag overrides a saved value. */
  note?: string;
}

/** What each command answers with (`result` of an ok reply). */
export interface CommandResults {
  start: DeviceResult;
  stop: DeviceResult;
  outputs: DeviceResult & { outputs: (0 | 1)[] };
  pwm: DeviceResult & { duty: number };
  battery_threshold: DeviceResult & { value: number };
  state: DeviceResult & StateResult;
  /** The file's values (not this run's flags); `problem` while the file is not (fully) in use. */
  get_config: { config: ServerBitConfig; path?: string; problem?: ConfigProblem };
  set_config: SetConfigResult;
  list_ports: { ports: PortInfo[] };
  test_device: TestDeviceResult;
  add_device: DeviceResult & { saved: boolean };
  remove_device: { device: string; saved: boolean };
  marker: { id: number; time: number };
  record_start: RecordingResult;
  record_stop: RecordingResult;
  osc_enable: OutputStatus;
  osc_disable: OutputStatus;
  lsl_enable: OutputStatus;
  lsl_disable: OutputStatus;
  mqtt_enable: OutputStatus;
  mqtt_disable: OutputStatus;
}
