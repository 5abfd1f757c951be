/**
 * The versioned stream at ws://<host>:<port>/v2 — message types. Each wire message's type is the
 * `Static` of its TypeBox schema in ./v2-schemas.ts (the one source of both; field documentation
 * lives there); the protocol is written up with examples in docs/protocol.md. Command results,
 * which no schema checks, are plain interfaces below.
 *
 * Server → client: hello, meta, data, gap, status, server, marker, reply.
 * Client → server: subscribe (optional, first message), command messages with an `id`.
 */
import type { Static } from '@sinclair/typebox';
import type { Board, DeviceCounters, DeviceKind, GapReason, ServiceState, StreamColumn, StreamMeta, WireError } from './acquisition.js';
import type { ServerBitConfig } from './config.js';
import type { OutputState, OutputStatus } from './outputs.js';
import type { Assert, Same } from './schema.js';
import type * as S from './v2-schemas.js';

export { COMMAND_NAMES, V2_PATH, V2_PROTOCOL } from './v2-schemas.js';

export type HelloMessage = Static<typeof S.HELLO_SCHEMA>;

/** A column of a stream (name, kind, channel, sensor, resolution, unit): see StreamMeta in acquisition.ts. */
export type ColumnMeta = Static<typeof S.COLUMN_META_SCHEMA>;

/** Describes one device's stream: built from the hub's StreamMeta (api/meta.ts), in OpenSignals' header keys. */
export type MetaMessage = Static<typeof S.META_SCHEMA>;
export type DataMessage = Static<typeof S.DATA_SCHEMA>;
export type GapMessage = Static<typeof S.GAP_SCHEMA>;
/** One device's state; one is sent per device after hello and on every change. */
export type StatusMessage = Static<typeof S.STATUS_SCHEMA>;
/** The service's own state: clients connected, the device set, the outputs. */
export type ServerStatusMessage = Static<typeof S.SERVER_STATUS_SCHEMA>;
/** A web page whose WebSocket the service refused because of its Origin header (docs/desktop.md "Pages the service refuses"). */
export type OriginNotice = Static<typeof S.ORIGIN_NOTICE_SCHEMA>;
/** A setting of the config file that could not be used: the service runs on a default for it. */
export type InvalidSetting = Static<typeof S.INVALID_SETTING_SCHEMA>;
/** Why the config file is not (fully) in use, or the listener could not start (docs/protocol.md "server"). */
export type ConfigProblem = Static<typeof S.CONFIG_PROBLEM_SCHEMA>;
/** A moment someone marked (tray, window, a /v2 `marker` command, OSC). */
export type MarkerMessage = Static<typeof S.MARKER_SCHEMA>;
export type ReplyMessage = Static<typeof S.REPLY_SCHEMA>;

export type ServerMessage = HelloMessage | MetaMessage | DataMessage | GapMessage | StatusMessage | ServerStatusMessage | MarkerMessage | ReplyMessage;

// --- client → server -------------------------------------------------------------------------

export type DataFormat = Subscription['format'];
export type Subscription = Static<typeof S.SUBSCRIPTION_SCHEMA>;
/** Optional first message (or the same keys in the query string: ?batch=10&columns=A1,A2&format=both&token=…). */
export type SubscribeMessage = Static<typeof S.SUBSCRIBE_SCHEMA>;

/** `device` names the device a command is for; it may be left out when there is only one. */
export type DeviceArg = Static<typeof S.DEVICE_ARG_SCHEMA>;

/** A device to add: address and, optionally, everything a `devices` entry of the config file holds. */
export type NewDevice = CommandArgs['add_device']['device'];

/** What each command's `args` holds (COMMAND_ARGS_SCHEMAS). */
export type CommandArgs = { [N in keyof typeof S.COMMAND_ARGS_SCHEMAS]: Static<(typeof S.COMMAND_ARGS_SCHEMAS)[N]> };

export type RecordingFormat = NonNullable<RecordStartArgs['formats']>[number];

export type RecordStartArgs = Static<typeof S.RECORD_START_SCHEMA>;

/** A recording's state and files (record_start, record_stop; the `server` message lists at most the last SERVER_RECORDING_FILES files). */
export type RecordingResult = Static<typeof S.RECORDING_SCHEMA>;

export type CommandName = keyof CommandArgs;

/** A command message: the envelope of COMMAND_SCHEMA, with `args` typed by the command. */
export type CommandMessage<N extends CommandName = CommandName> = Omit<Static<typeof S.COMMAND_SCHEMA>, 'command' | 'args'> & {
  command: N;
  args?: CommandArgs[N];
};

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

// --- The schemas' types against the contract types they carry ---------------------------------
// Compile-time only: the build fails when a schema and the type its producers hold drift apart.

/** The keys a `meta` message copies from the hub's StreamMeta under the same name. */
type SharedMetaKeys = 'device' | 'name' | 'kind' | 'address' | 'connection' | 'mac' | 'board' | 'firmware' | 'simulated' | 'irregular' | 'channels' | 't0' | 'segmentStart';

export type SchemaTypeChecks = [
  Assert<Same<ColumnMeta, StreamColumn>>,
  Assert<Same<Pick<MetaMessage, SharedMetaKeys>, Pick<StreamMeta, SharedMetaKeys>>>,
  Assert<Same<MetaMessage['columns'], StreamMeta['columns']>>,
  Assert<Same<MetaMessage['firmware version'] | MetaMessage['sampling rate'], StreamMeta['version'] | StreamMeta['rate']>>,
  Assert<Same<GapMessage['reason'], GapReason>>,
  Assert<Same<StatusMessage['state'], ServiceState>>,
  Assert<Same<StatusMessage['counters'], DeviceCounters>>,
  Assert<Same<NonNullable<StatusMessage['error']>, WireError>>,
  Assert<Same<MetaMessage['kind'], DeviceKind>>,
  Assert<Same<ServerStatusMessage['outputs'][number], OutputStatus>>,
  Assert<Same<NonNullable<StatusMessage['board']>, Board>>,
  Assert<Same<CommandArgs['set_config']['config'], Partial<ServerBitConfig>>>,
];
