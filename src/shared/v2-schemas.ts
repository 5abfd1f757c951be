/**
 * Every /v2 message as a TypeBox schema: the one source of both its JSON Schema and its
 * TypeScript type (src/shared/v2.ts names each `Static<typeof X_SCHEMA>`), and the one function
 * that turns an untrusted client message into a typed one or an error with a stable code.
 *
 * Shared by the server (validates what clients send, and in tests everything it sends) and by
 * browser clients (the renderer validates what it receives). Checked with TypeBox's interpreter
 * (./schema.ts), which runs under a strict CSP.
 *
 * Server schemas are strict (`additionalProperties: false`): the server and this file ship
 * together, so an unknown key is a bug. Third-party clients should ignore keys they do not know.
 * The protocol is written up with examples in docs/protocol.md.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { MAX_DEVICES } from './config.js';
import { CONFIG_SCHEMA, DEVICE_ENTRY_SCHEMA } from './config-schema.js';
import type { ErrorCode } from './errors.js';
import { Dictionary, Literals, Typed, isPlainObject, matches, preview, validate, type ValidationIssue } from './schema.js';
import type { ClientMessage, CommandMessage, CommandName, ServerMessage, SubscribeMessage } from './v2.js';

export const V2_PROTOCOL = 2;
export const V2_PATH = '/v2';

/**
 * Largest client message accepted, bytes of UTF-8 (a set_config with every key at its maximum is
 * about 10 KiB). Larger ones get a BAD_MESSAGE reply and the connection stays. The WebSocket
 * server's own limit (ws `maxPayload`, 64 KiB) is above this; ws closes a connection that
 * exceeds it (1009) before any message reaches us.
 */
export const V2_MAX_MESSAGE_BYTES = 32 * 1024;

/** Files of the recording listed in a `server` message at most (the latest; record_stop's reply lists every one). */
export const SERVER_RECORDING_FILES = 64;

/** Samples per data message a client may ask for. */
export const V2_MAX_BATCH = 1000;

const STR = Type.String();
const NAT = Type.Integer({ minimum: 0 });
const ID = Type.Union([Type.String({ maxLength: 128 }), Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER })], {
  allowed: 'a string of up to 128 characters or an integer',
});
const BOARD = Literals(['revolution', 'legacy']);
const DEVICE_KIND = Literals(['bitalino', 'riot', 'playback', 'remote']);
/** Every ServiceState (acquisition.ts), in lifecycle order. */
export const SERVICE_STATES = ['idle', 'connecting', 'streaming', 'stalled', 'reconnecting', 'stopped', 'error'] as const;
const SERVICE_STATE = Literals(SERVICE_STATES);
const GAP_REASON = Literals(['crc_error', 'device_overflow', 'link_lost', 'paused', 'client_too_slow', 'output_overflow']);
const OUTPUT_STATE = Literals(['off', 'starting', 'running', 'error', 'stopped']);
/** An error as it crosses a boundary (WireError in acquisition.ts): a stable code, a message, what to do. */
export const WIRE_ERROR_SCHEMA = Type.Object({ code: Type.String({ pattern: '^[A-Z][A-Z_]*$' }), message: STR, hint: Type.Optional(STR) }, { additionalProperties: false });
const COLUMN_NAME = Type.String({ minLength: 1, maxLength: 64 });
const FORMAT = Literals(['raw', 'converted', 'both']);
const COLUMNS_OPTION = Type.Union([Type.Literal('all'), Type.Array(COLUMN_NAME, { minItems: 1, maxItems: 64, uniqueItems: true })], {
  allowed: '"all" or a list of column names such as ["nSeq", "A1", "A2"]',
});
const BATCH = Type.Integer({ minimum: 1, maximum: V2_MAX_BATCH });
const TOKEN = Type.String({ maxLength: 256 });
const DEVICE_ID = Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$', allowed: 'a device id such as "0" or "left-arm"' });
const DEVICES_OPTION = Type.Union([Type.Literal('all'), Type.Array(DEVICE_ID, { minItems: 1, maxItems: MAX_DEVICES, uniqueItems: true })], {
  allowed: '"all" or a list of device ids such as ["0", "1"]',
});

export const SUBSCRIPTION_SCHEMA = Type.Object(
  {
    /** Samples per data message, 1..1000; default: the server's batch (≈ 40 ms). */
    batch: BATCH,
    /** Column names to send; default all. */
    columns: COLUMNS_OPTION,
    format: FORMAT,
    /** Device ids to receive data, meta, gap and status for; default all (also those added later). */
    devices: DEVICES_OPTION,
  },
  { additionalProperties: false },
);

// --- server → client ------------------------------------------------------------------------

export const HELLO_SCHEMA = Type.Object(
  {
    type: Type.Literal('hello'),
    server: Type.Literal('ServerBIT'),
    /** ServerBIT version (package.json). */
    version: STR,
    protocol: Type.Literal(V2_PROTOCOL),
    /** Ids of the devices this server streams, in config order (a `status` for each follows). */
    devices: Type.Array(DEVICE_ID),
    /** Whether this connection may send commands (it presented the token, or is the app's own UI). */
    control: Type.Boolean(),
    /** The subscription in force for this connection. */
    subscription: SUBSCRIPTION_SCHEMA,
  },
  { additionalProperties: false },
);

/** Bits per column: 4 (nSeq), 1 (digital), 10 or 6 (BITalino analog), 32 (float sources). Typed `number`, as StreamColumn has it. */
const RESOLUTION = Typed<number>(Literals([1, 4, 6, 10, 32]));

/** A column of a stream (StreamColumn in acquisition.ts). */
export const COLUMN_META_SCHEMA = Type.Object(
  {
    name: COLUMN_NAME,
    label: COLUMN_NAME,
    kind: Literals(['sequence', 'digital', 'analog']),
    channel: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
    sensor: Type.Optional(STR),
    resolution: RESOLUTION,
    unit: Type.Optional(STR),
  },
  { additionalProperties: false },
);

/**
 * Describes one device's stream (built from the hub's StreamMeta, acquisition.ts). A superset of
 * the OpenSignals text-file header (keys `sampling rate`, `resolution`, `channels`, `column`,
 * `label`, `sensor`, `firmware version`, `device`, `date`, `time`), so one object describes a live
 * stream and a recording.
 */
export const META_SCHEMA = Type.Object(
  {
    type: Type.Literal('meta'),
    device: DEVICE_ID,
    /** What the user calls the device (config `name`, else its address). */
    name: STR,
    kind: DEVICE_KIND,
    /** The address as configured. */
    address: STR,
    /** What was actually opened (a resolved serial port, host:port, a file). */
    connection: STR,
    /** Bluetooth MAC when known. */
    mac: Type.Optional(STR),
    /** BITalino board (absent for an R-IoT). */
    board: Type.Optional(BOARD),
    firmware: STR,
    'firmware version': Type.Number({ minimum: 0 }),
    'sampling rate': Type.Number({ minimum: 0, maximum: 100_000 }),
    /** Analog channels acquired, 1-based (OpenSignals uses 0-based in `channels`; ours are 1-based as in config.json). */
    channels: Type.Array(Type.Integer({ minimum: 1, maximum: 64 }), { minItems: 1, maxItems: 64, uniqueItems: true }),
    /** All column names in order (OpenSignals `column`). */
    column: Type.Array(COLUMN_NAME),
    /** Analog labels in order (OpenSignals `label`). */
    label: Type.Array(COLUMN_NAME),
    /** Sensor per analog column (OpenSignals `sensor`). */
    sensor: Type.Array(STR),
    /** Bits per column, in `column` order (OpenSignals `resolution` lists the analog ones). */
    resolution: Type.Array(RESOLUTION),
    columns: Type.Array(COLUMN_META_SCHEMA),
    /** Device time of sample 0, ms since the Unix epoch. */
    t0: Type.Number({ minimum: 0 }),
    /** Index of the first sample of this segment (a new meta follows every reconnect or pause). */
    segmentStart: NAT,
    /** True when sample times are the host's (an R-IoT), not t0 + index / rate. */
    irregular: Type.Boolean(),
    /** OpenSignals-style date (YYYY-M-D) and time (HH:MM:SS.mmm) of t0, local time. */
    date: Type.String({ pattern: '^\\d{4}-\\d{1,2}-\\d{1,2}$' }),
    time: Type.String({ pattern: '^\\d{2}:\\d{2}:\\d{2}\\.\\d{3}$' }),
    simulated: Type.Boolean(),
  },
  { additionalProperties: false },
);

const SAMPLES = Dictionary(Type.Array(Type.Number()));

/** One of "raw" and "converted" must be present: checked in validateServerMessage (see DATA_NEEDS). */
export const DATA_SCHEMA = Type.Object(
  {
    type: Type.Literal('data'),
    device: STR,
    /** Sample index of the first sample (never wraps). */
    index: NAT,
    /** Device time of the first sample, ms since the Unix epoch (t0 + index / rate). */
    time: Type.Number(),
    count: Type.Integer({ minimum: 1, maximum: 100_000 }),
    /** Raw integer columns keyed by column name (only the subscribed columns). Absent when format is "converted". */
    raw: Type.Optional(SAMPLES),
    /** Converted analog values keyed by label, in the unit named in meta. Present when format is "converted" or "both". */
    converted: Type.Optional(SAMPLES),
    /** Irregular sources only (meta `irregular`): host time of each sample, ms since the Unix epoch. */
    timestamps: Type.Optional(Type.Array(Type.Number())),
  },
  { additionalProperties: false },
);
/** What DATA_SCHEMA cannot say in TypeBox (no `anyOf` of `required` lists on one object). */
const DATA_NEEDS = 'a data message with "raw", "converted" or both';

export const GAP_SCHEMA = Type.Object(
  {
    type: Type.Literal('gap'),
    device: STR,
    /** First lost index. */
    from: NAT,
    /** One past the last lost index. */
    to: NAT,
    reason: GAP_REASON,
  },
  { additionalProperties: false },
);

/** Samples delivered and lost (DeviceCounters in acquisition.ts). */
const DEVICE_COUNTERS = Type.Object({ frames: NAT, crcErrors: NAT, gaps: NAT, lostSamples: NAT }, { additionalProperties: false });

/** One device's state; one is sent per device after hello and on every change. */
export const STATUS_SCHEMA = Type.Object(
  {
    type: Type.Literal('status'),
    device: DEVICE_ID,
    /** Present for a device that is not this ServerBIT's own: "remote" (relayed from MQTT). */
    kind: Type.Optional(DEVICE_KIND),
    name: STR,
    address: STR,
    state: SERVICE_STATE,
    board: Type.Optional(BOARD),
    firmware: Type.Optional(STR),
    rate: Type.Number({ minimum: 0, maximum: 100_000 }),
    channels: Type.Array(Type.Integer({ minimum: 1, maximum: 64 }), { maxItems: 64, uniqueItems: true }),
    error: Type.Optional(WIRE_ERROR_SCHEMA),
    /** Volts, when known. */
    battery: Type.Optional(Type.Number({ minimum: 0 })),
    counters: DEVICE_COUNTERS,
  },
  { additionalProperties: false },
);

/** What an output reports of itself (OutputStatus in outputs.ts). */
export const OUTPUT_STATUS_SCHEMA = Type.Object(
  {
    /** The output's name. */
    output: Type.String({ minLength: 1, maxLength: 32 }),
    state: OUTPUT_STATE,
    /** One line for the tray and the window, e.g. "→ 127.0.0.1:9000 · 1000 bundles/s". */
    detail: Type.Optional(STR),
    /** In state "error": why, and what to do. */
    error: Type.Optional(WIRE_ERROR_SCHEMA),
    /** Output-specific numbers (datagrams sent, bytes written, consumers, drops…), all integers. */
    counters: Dictionary(NAT),
  },
  { additionalProperties: false },
);

/** A setting of the config file that could not be used: the service runs on a default for it. */
export const INVALID_SETTING_SCHEMA = Type.Object(
  {
    /** The setting ("sampling_rate", "host", "devices"…): a save must give it a valid value. */
    key: STR,
    /** Where it is in the file, as the file spells it ("sampling_rate", "ip_address", "labels[3]"). */
    path: STR,
    /** What is wrong and what is allowed. */
    message: STR,
    /** The file's value, when it is short (never the token's). */
    value: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

/**
 * Why the config file is not (fully) in use (docs/protocol.md "server"): it could not be read or
 * parsed (the service runs on defaults, nothing can be saved into it), or some settings are invalid
 * (those run on defaults, the valid ones are used; a save must fix the invalid ones). Also a
 * problem of the service itself, such as a listener that could not start. Bounded like every
 * server message.
 */
export const CONFIG_PROBLEM_SCHEMA = Type.Object(
  {
    code: STR,
    message: STR,
    hint: Type.Optional(STR),
    /** The config file. */
    file: Type.Optional(STR),
    /** Whether a save can write the file (false: it cannot be read or parsed, and would be lost). */
    saveable: Type.Optional(Type.Boolean()),
    /** The invalid settings, when the file could be read (absent: the whole file is not in use). */
    invalid: Type.Optional(Type.Array(INVALID_SETTING_SCHEMA, { maxItems: 32 })),
  },
  { additionalProperties: false },
);

/** A recording's state and files (RecordingResult: record_start, record_stop and the `server` message). */
export const RECORDING_SCHEMA = Type.Object(
  {
    state: OUTPUT_STATE,
    folder: STR,
    formats: Type.Array(STR, { maxItems: 3 }),
    /** Every file written so far (data and events files), absolute paths; the `server` message sends at most the last SERVER_RECORDING_FILES (record_stop's reply names all). */
    files: Type.Array(STR, { maxItems: SERVER_RECORDING_FILES }),
    samples: NAT,
    bytes: NAT,
    /** When it started, ms since the Unix epoch. */
    startedAt: Type.Optional(Type.Number()),
    /** In state "error": why it stopped, and what to do. */
    error: Type.Optional(WIRE_ERROR_SCHEMA),
  },
  { additionalProperties: false },
);

/** A web page whose WebSocket the service refused because of its Origin header. */
export const ORIGIN_NOTICE_SCHEMA = Type.Object(
  {
    /** The Origin as sent (printable ASCII, at most 200 characters): "null" for a page opened from disk. */
    origin: Type.String({ maxLength: 200 }),
    /** True for "null" / "file://": a page opened from disk (or a sandboxed frame). */
    opaque: Type.Boolean(),
    /** What to do: where to open the page instead, how to allow it (`allowed_origins`), and what that permits. */
    guidance: STR,
    /** When this notice was published, ms since the Unix epoch. */
    time: Type.Number(),
    /** Refusals of this origin so far. */
    count: NAT,
  },
  { additionalProperties: false },
);

/** The service's own state: clients connected, the device set, the outputs. Sent after hello and when it changes (at most a few per second). */
export const SERVER_STATUS_SCHEMA = Type.Object(
  {
    type: Type.Literal('server'),
    /** WebSocket clients connected (compatible stream and /v2), and the window. */
    clients: NAT,
    devices: Type.Array(DEVICE_ID, { maxItems: MAX_DEVICES }),
    /** Every output (recorder, OSC, OSC control input, LSL, MQTT), on or off. */
    outputs: Type.Array(OUTPUT_STATUS_SCHEMA, { maxItems: 16 }),
    /** Present while the config file is not (fully) in use, or the listener could not start: what the window's banner shows. */
    problem: Type.Optional(CONFIG_PROBLEM_SCHEMA),
    /** The current recording, or the last one since the service started (absent before the first): its state, folder and files. */
    recording: Type.Optional(RECORDING_SCHEMA),
    /** The last web page refused for its Origin, and how to allow it (docs/desktop.md "Pages the service refuses"). */
    origin: Type.Optional(ORIGIN_NOTICE_SCHEMA),
  },
  { additionalProperties: false },
);

/** A moment someone marked (tray, window, a /v2 `marker` command, OSC). */
export const MARKER_SCHEMA = Type.Object(
  {
    type: Type.Literal('marker'),
    id: NAT,
    label: Type.String({ maxLength: 256 }),
    /** Wall-clock time of the mark, ms since the Unix epoch. */
    time: Type.Number(),
    /** Absent = every device. */
    device: Type.Optional(DEVICE_ID),
    index: Type.Optional(NAT),
    source: STR,
  },
  { additionalProperties: false },
);

// Two branches that `ok` tells apart, so `anyOf` says what JSON Schema's `oneOf` said.
export const REPLY_SCHEMA = Type.Union(
  [
    Type.Object({ type: Type.Literal('reply'), id: ID, ok: Type.Literal(true), result: Type.Unknown() }, { additionalProperties: false }),
    Type.Object({ type: Type.Literal('reply'), id: Type.Union([ID, Type.Null()]), ok: Type.Literal(false), error: WIRE_ERROR_SCHEMA }, { additionalProperties: false }),
  ],
  { allowed: 'a reply with "ok": true and a "result", or "ok": false and an "error"' },
);

export const SERVER_MESSAGE_SCHEMAS = {
  hello: HELLO_SCHEMA,
  meta: META_SCHEMA,
  data: DATA_SCHEMA,
  gap: GAP_SCHEMA,
  status: STATUS_SCHEMA,
  server: SERVER_STATUS_SCHEMA,
  marker: MARKER_SCHEMA,
  reply: REPLY_SCHEMA,
} as const satisfies Record<string, TSchema>;

type ServerMessageType = keyof typeof SERVER_MESSAGE_SCHEMAS;

function serverSchemaOf(m: unknown): TSchema | undefined {
  const type = isPlainObject(m) ? m.type : undefined;
  return typeof type === 'string' && Object.hasOwn(SERVER_MESSAGE_SCHEMAS, type) ? SERVER_MESSAGE_SCHEMAS[type as ServerMessageType] : undefined;
}

const hasSamples = (m: Record<string, unknown>): boolean => m.raw !== undefined || m.converted !== undefined;

/** Issues with a message the server sends ([] when it matches its schema). */
export function validateServerMessage(m: unknown): ValidationIssue[] {
  const schema = serverSchemaOf(m);
  const type = isPlainObject(m) ? m.type : undefined;
  if (!schema) {
    return [{ path: 'type', message: `type is ${JSON.stringify(type) ?? 'missing'}; allowed: ${Object.keys(SERVER_MESSAGE_SCHEMAS).join(', ')}` }];
  }
  const issues = validate(schema, m, { rootName: type as string });
  if (type === 'data' && issues.length === 0 && !hasSamples(m as Record<string, unknown>)) {
    return [{ path: '', message: `data is ${preview(m)}; allowed: ${DATA_NEEDS}` }];
  }
  return issues;
}

/**
 * True when `m` is a server message that matches its schema. The same decision as
 * `validateServerMessage(m).length === 0`, without building any issue text: TypeBox's `Check`
 * alone, so the cost of a refused message is that of an accepted one.
 */
export function isServerMessage(m: unknown): m is ServerMessage {
  const schema = serverSchemaOf(m);
  if (!schema || !matches(schema, m)) return false;
  return (m as Record<string, unknown>).type !== 'data' || hasSamples(m as Record<string, unknown>);
}

// --- client → server ------------------------------------------------------------------------

/** Optional first message (or the same keys in the query string: ?batch=10&columns=A1,A2&format=both&token=…). */
export const SUBSCRIBE_SCHEMA = Type.Object(
  {
    type: Type.Literal('subscribe'),
    batch: Type.Optional(BATCH),
    columns: Type.Optional(COLUMNS_OPTION),
    format: Type.Optional(FORMAT),
    devices: Type.Optional(DEVICES_OPTION),
    token: Type.Optional(TOKEN),
  },
  { additionalProperties: false },
);

/** The command envelope; `args` is checked per command (COMMAND_ARGS_SCHEMAS). */
export const COMMAND_SCHEMA = Type.Object(
  {
    type: Type.Literal('command'),
    id: ID,
    command: Type.String({ minLength: 1, maxLength: 64 }),
    // Checked per command, so a wrong `args` is BAD_ARGUMENTS rather than BAD_MESSAGE.
    args: Type.Optional(Type.Unknown()),
    /** The control token, unless the connection presented it at subscribe time or is trusted. */
    token: Type.Optional(TOKEN),
  },
  { additionalProperties: false },
);

const NO_ARGS = Type.Object({}, { additionalProperties: false, allowed: 'no arguments ({} or no "args")' });
/** `device` names the device a command is for; it may be left out when there is only one. */
const DEVICE_ARG = Type.Optional(DEVICE_ID);
/** A device command's arguments when it takes nothing but `device`. */
export const DEVICE_ARG_SCHEMA = Type.Object({ device: DEVICE_ARG }, { additionalProperties: false, allowed: 'no arguments, or {"device": "<id>"}' });

export const RECORD_START_SCHEMA = Type.Object(
  {
    formats: Type.Optional(Type.Array(Literals(['txt', 'h5', 'csv']), { minItems: 1, maxItems: 3, uniqueItems: true, allowed: 'a list of "txt", "h5", "csv"' })),
    /** Absolute path of the folder; default the config's (`~/ServerBIT/recordings/`). */
    folder: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, allowed: 'a folder path (absolute)' })),
    /** Device ids to record; default every device. */
    devices: Type.Optional(Type.Array(DEVICE_ID, { minItems: 1, maxItems: MAX_DEVICES, uniqueItems: true })),
    /** One file per device (default), or all devices side by side in one file. */
    layout: Type.Optional(Literals(['per-device', 'combined'])),
  },
  { additionalProperties: false },
);

/** What a command's `args` may hold. Board-specific limits (2 or 4 outputs) are checked when it runs. */
export const COMMAND_ARGS_SCHEMAS = {
  start: DEVICE_ARG_SCHEMA,
  stop: DEVICE_ARG_SCHEMA,
  /** (r)evolution: [O1, O2]; legacy: [O1, O2, O3, O4]. */
  outputs: Type.Object(
    {
      outputs: Type.Array(Literals([0, 1]), {
        minItems: 2,
        maxItems: 4,
        allowed: 'a list of 0 or 1 per output: [O1, O2] on the BITalino (r)evolution, [O1, O2, O3, O4] on the legacy board',
      }),
      device: DEVICE_ARG,
    },
    { additionalProperties: false },
  ),
  pwm: Type.Object(
    { duty: Type.Integer({ minimum: 0, maximum: 255, allowed: 'an integer duty cycle from 0 to 255 (V ≈ 3.3 × (duty + 1) / 256)' }), device: DEVICE_ARG },
    { additionalProperties: false },
  ),
  battery_threshold: Type.Object(
    { value: Type.Integer({ minimum: 0, maximum: 63, allowed: 'an integer from 0 (≈ 3.4 V) to 63 (≈ 3.8 V)' }), device: DEVICE_ARG },
    { additionalProperties: false },
  ),
  state: DEVICE_ARG_SCHEMA,
  get_config: NO_ARGS,
  // Any subset of the file's keys, each checked as the file's own; the merge is checked again whole.
  set_config: Type.Object({ config: Type.Partial(CONFIG_SCHEMA, { additionalProperties: false }) }, { additionalProperties: false }),
  list_ports: NO_ARGS,
  /** Connects to an address, reads the firmware version, disconnects (the device picker's "Test"). */
  test_device: Type.Object({ device: CONFIG_SCHEMA.properties.device }, { additionalProperties: false }),
  /** Adds a device to the set and saves the file (authenticated). */
  add_device: Type.Object({ device: DEVICE_ENTRY_SCHEMA }, { additionalProperties: false }),
  /** Stops and removes a device, and saves the file (authenticated). */
  remove_device: Type.Object({ device: DEVICE_ID }, { additionalProperties: false }),
  /** Marks a moment: written to recordings, sent to every /v2 client as a `marker` message. */
  marker: Type.Object(
    { label: Type.String({ minLength: 1, maxLength: 256, allowed: 'a label of 1 to 256 characters' }), device: DEVICE_ARG, index: Type.Optional(NAT) },
    { additionalProperties: false },
  ),
  /** Starts a recording (docs/recording.md); each key overrides the config's `record` settings for this recording. */
  record_start: RECORD_START_SCHEMA,
  /** Stops the recording; the reply names its files. */
  record_stop: NO_ARGS,
  /** Turn an output on or off and save that in the config file (docs/osc.md, docs/lsl.md, docs/mqtt.md). */
  osc_enable: NO_ARGS,
  osc_disable: NO_ARGS,
  lsl_enable: NO_ARGS,
  lsl_disable: NO_ARGS,
  mqtt_enable: NO_ARGS,
  mqtt_disable: NO_ARGS,
} as const satisfies Record<string, TSchema>;

/** Every command, in the order docs/protocol.md lists them. */
export const COMMAND_NAMES = Object.keys(COMMAND_ARGS_SCHEMAS) as readonly (keyof typeof COMMAND_ARGS_SCHEMAS)[];

export interface ParseError {
  code: Extract<ErrorCode, 'BAD_MESSAGE' | 'UNKNOWN_COMMAND' | 'BAD_ARGUMENTS'>;
  message: string;
  hint?: string;
}

export type ParseResult =
  | { ok: true; message: ClientMessage }
  /** `id` is the command's id when it could be read, so the error reply can carry it; else null. */
  | { ok: false; id: string | number | null; error: ParseError };

const HINT = 'See docs/protocol.md: a message is {"type": "command", "id": 1, "command": "state"} or {"type": "subscribe", …}.';

function fail(code: ParseError['code'], message: string, id: string | number | null = null, hint = HINT): ParseResult {
  return { ok: false, id, error: { code, message, hint } };
}

function describeIssues(issues: ValidationIssue[]): string {
  const shown = issues.slice(0, 5).map((i) => i.message);
  return shown.join('; ') + (issues.length > 5 ? `; and ${issues.length - 5} more` : '');
}

/**
 * Parses one client text message (a string, or a Buffer holding UTF-8). Checks, in order: size
 * (BAD_MESSAGE), JSON (BAD_MESSAGE), envelope (BAD_MESSAGE), command name (UNKNOWN_COMMAND),
 * arguments (BAD_ARGUMENTS). Never throws.
 */
export function parseClientMessage(raw: string | Uint8Array, maxBytes = V2_MAX_MESSAGE_BYTES): ParseResult {
  // A string's UTF-8 size is at least its length: skip measuring obvious giants.
  const size = typeof raw === 'string' ? (raw.length > maxBytes ? raw.length : utf8Length(raw)) : raw.byteLength;
  if (size > maxBytes) return fail('BAD_MESSAGE', `the message is ${size} bytes; allowed: at most ${maxBytes} bytes`);
  const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return fail('BAD_MESSAGE', `the message is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseClientValue(value);
}

/** The same checks on an already-parsed value (messages that arrive over Electron IPC). */
export function parseClientValue(value: unknown): ParseResult {
  if (!isPlainObject(value)) return fail('BAD_MESSAGE', 'the message is not a JSON object; allowed: an object with "type": "command" or "subscribe"');
  if (value.type === 'subscribe') {
    const issues = validate(SUBSCRIBE_SCHEMA, value, { rootName: 'subscribe' });
    if (issues.length > 0) return fail('BAD_ARGUMENTS', describeIssues(issues));
    return { ok: true, message: value as SubscribeMessage };
  }
  if (value.type !== 'command') {
    return fail('BAD_MESSAGE', `type is ${JSON.stringify(value.type) ?? 'missing'}; allowed: "command" or "subscribe"`);
  }
  const id = matches(ID, value.id) ? (value.id as string | number) : null;
  const envelope = validate(COMMAND_SCHEMA, value, { rootName: 'command' });
  if (envelope.length > 0) return fail('BAD_MESSAGE', describeIssues(envelope), id);
  const name = value.command as string;
  if (!(COMMAND_NAMES as readonly string[]).includes(name)) {
    return fail('UNKNOWN_COMMAND', `there is no command ${JSON.stringify(name.slice(0, 64))}; allowed: ${COMMAND_NAMES.join(', ')}`, id, 'Check the spelling; commands are lower case with underscores.');
  }
  const args = value.args ?? {};
  const issues = validate(COMMAND_ARGS_SCHEMAS[name as CommandName], args, { path: 'args', rootName: 'args' });
  if (issues.length > 0) return fail('BAD_ARGUMENTS', `${name}: ${describeIssues(issues)}`, id, `See the "${name}" command in docs/protocol.md.`);
  return { ok: true, message: { ...(value as Static<typeof COMMAND_SCHEMA>), args } as CommandMessage };
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
