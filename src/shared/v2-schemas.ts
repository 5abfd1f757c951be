/**
 * JSON Schemas for every /v2 message (src/shared/v2.ts), and the one function that turns an
 * untrusted client message into a typed one or an error with a stable code.
 *
 * Shared by the server (validates what clients send, and in tests everything it sends) and by
 * browser clients (the renderer validates what it receives). Uses the interpreter in ./schema.ts,
 * which runs under a strict CSP.
 *
 * Server schemas are strict (`additionalProperties: false`): the server and this file ship
 * together, so an unknown key is a bug. Third-party clients should ignore keys they do not know.
 */
import { MAX_DEVICES } from './config.js';
import { CONFIG_SCHEMA } from './config-schema.js';
import type { ErrorCode } from './errors.js';
import { isPlainObject, validate, type JsonSchema, type ValidationIssue } from './schema.js';
import { COMMAND_NAMES, type ClientMessage, type CommandMessage, type CommandName, type ServerMessage, type SubscribeMessage } from './v2.js';

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

const STR: JsonSchema = { type: 'string' };
const NAT: JsonSchema = { type: 'integer', minimum: 0 };
const ID: JsonSchema = {
  anyOf: [
    { type: 'string', maxLength: 128 },
    { type: 'integer', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
  ],
  allowed: 'a string of up to 128 characters or an integer',
};
const BOARD: JsonSchema = { type: 'string', enum: ['revolution', 'legacy'] };
const CHANNELS: JsonSchema = { type: 'array', maxItems: 6, uniqueItems: true, items: { type: 'integer', minimum: 1, maximum: 6 } };
const ERROR: JsonSchema = {
  type: 'object',
  required: ['code', 'message'],
  additionalProperties: false,
  properties: { code: { type: 'string', pattern: '^[A-Z][A-Z_]*$' }, message: STR, hint: STR },
};
const COLUMN_NAME: JsonSchema = { type: 'string', minLength: 1, maxLength: 64 };
const FORMAT: JsonSchema = { type: 'string', enum: ['raw', 'converted', 'both'] };
const COLUMNS_OPTION: JsonSchema = {
  anyOf: [{ const: 'all' }, { type: 'array', minItems: 1, maxItems: 64, uniqueItems: true, items: COLUMN_NAME }],
  allowed: '"all" or a list of column names such as ["nSeq", "A1", "A2"]',
};
const BATCH: JsonSchema = { type: 'integer', minimum: 1, maximum: V2_MAX_BATCH };
const TOKEN: JsonSchema = { type: 'string', maxLength: 256 };
const DEVICE_ID: JsonSchema = { type: 'string', minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$', allowed: 'a device id such as "0" or "left-arm"' };
const DEVICES_OPTION: JsonSchema = {
  anyOf: [{ const: 'all' }, { type: 'array', minItems: 1, maxItems: MAX_DEVICES, uniqueItems: true, items: DEVICE_ID }],
  allowed: '"all" or a list of device ids such as ["0", "1"]',
};
const STATE: JsonSchema = { type: 'string', enum: ['idle', 'connecting', 'streaming', 'stalled', 'reconnecting', 'stopped', 'error'] };

export const SUBSCRIPTION_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['batch', 'columns', 'format', 'devices'],
  additionalProperties: false,
  properties: { batch: BATCH, columns: COLUMNS_OPTION, format: FORMAT, devices: DEVICES_OPTION },
};

// --- server → client ------------------------------------------------------------------------

export const HELLO_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['type', 'server', 'version', 'protocol', 'devices', 'control', 'subscription'],
  additionalProperties: false,
  properties: {
    type: { const: 'hello' },
    server: { const: 'ServerBIT' },
    version: STR,
    protocol: { const: 2 },
    devices: { type: 'array', items: DEVICE_ID },
    control: { type: 'boolean' },
    subscription: SUBSCRIPTION_SCHEMA,
  },
};

const RESOLUTION: JsonSchema = { type: 'integer', enum: [1, 4, 6, 10, 32] };
const COLUMN_META: JsonSchema = {
  type: 'object',
  required: ['name', 'label', 'kind', 'resolution'],
  additionalProperties: false,
  properties: {
    name: COLUMN_NAME,
    label: COLUMN_NAME,
    kind: { type: 'string', enum: ['sequence', 'digital', 'analog'] },
    channel: { type: 'integer', minimum: 1, maximum: 64 },
    sensor: STR,
    resolution: RESOLUTION,
    unit: STR,
  },
};

export const META_SCHEMA: JsonSchema = {
  type: 'object',
  required: [
    'type', 'device', 'name', 'kind', 'address', 'connection', 'firmware', 'firmware version', 'sampling rate', 'channels', 'column', 'label', 'sensor',
    'resolution', 'columns', 't0', 'segmentStart', 'irregular', 'date', 'time', 'simulated',
  ],
  additionalProperties: false,
  properties: {
    type: { const: 'meta' },
    device: DEVICE_ID,
    name: STR,
    kind: { type: 'string', enum: ['bitalino', 'riot', 'playback', 'remote'] },
    address: STR,
    connection: STR,
    mac: STR,
    board: BOARD,
    firmware: STR,
    'firmware version': { type: 'number', minimum: 0 },
    'sampling rate': { type: 'number', minimum: 0, maximum: 100_000 },
    channels: { type: 'array', minItems: 1, maxItems: 64, uniqueItems: true, items: { type: 'integer', minimum: 1, maximum: 64 } },
    column: { type: 'array', items: COLUMN_NAME },
    label: { type: 'array', items: COLUMN_NAME },
    sensor: { type: 'array', items: STR },
    resolution: { type: 'array', items: RESOLUTION },
    columns: { type: 'array', items: COLUMN_META },
    t0: { type: 'number', minimum: 0 },
    segmentStart: NAT,
    irregular: { type: 'boolean' },
    date: { type: 'string', pattern: '^\\d{4}-\\d{1,2}-\\d{1,2}$' },
    time: { type: 'string', pattern: '^\\d{2}:\\d{2}:\\d{2}\\.\\d{3}$' },
    simulated: { type: 'boolean' },
  },
};

export const DATA_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['type', 'device', 'index', 'time', 'count'],
  additionalProperties: false,
  anyOf: [{ required: ['raw'] }, { required: ['converted'] }],
  allowed: 'a data message with "raw", "converted" or both',
  properties: {
    type: { const: 'data' },
    device: STR,
    index: NAT,
    time: { type: 'number' },
    count: { type: 'integer', minimum: 1, maximum: 100_000 },
    raw: { type: 'object', additionalProperties: { type: 'array', items: { type: 'number' } } },
    converted: { type: 'object', additionalProperties: { type: 'array', items: { type: 'number' } } },
    timestamps: { type: 'array', items: { type: 'number' } },
  },
};

export const GAP_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['type', 'device', 'from', 'to', 'reason'],
  additionalProperties: false,
  properties: {
    type: { const: 'gap' },
    device: STR,
    from: NAT,
    to: NAT,
    reason: { type: 'string', enum: ['crc_error', 'device_overflow', 'link_lost', 'paused', 'client_too_slow', 'output_overflow'] },
  },
};

export const STATUS_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['type', 'device', 'name', 'address', 'state', 'rate', 'channels', 'counters'],
  additionalProperties: false,
  properties: {
    type: { const: 'status' },
    device: DEVICE_ID,
    kind: { type: 'string', enum: ['bitalino', 'riot', 'playback', 'remote'] },
    name: STR,
    address: STR,
    state: STATE,
    board: BOARD,
    firmware: STR,
    rate: { type: 'number', minimum: 0, maximum: 100_000 },
    channels: { type: 'array', maxItems: 64, uniqueItems: true, items: { type: 'integer', minimum: 1, maximum: 64 } },
    error: ERROR,
    battery: { type: 'number', minimum: 0 },
    counters: {
      type: 'object',
      required: ['frames', 'crcErrors', 'gaps', 'lostSamples'],
      additionalProperties: false,
      properties: { frames: NAT, crcErrors: NAT, gaps: NAT, lostSamples: NAT },
    },
  },
};

const OUTPUT_STATUS: JsonSchema = {
  type: 'object',
  required: ['output', 'state', 'counters'],
  additionalProperties: false,
  properties: {
    output: { type: 'string', minLength: 1, maxLength: 32 },
    state: { type: 'string', enum: ['off', 'starting', 'running', 'error', 'stopped'] },
    detail: STR,
    error: ERROR,
    counters: { type: 'object', additionalProperties: NAT },
  },
};

/** ConfigProblem (v2.ts): bounded like every server message. */
const CONFIG_PROBLEM: JsonSchema = {
  type: 'object',
  required: ['code', 'message'],
  additionalProperties: false,
  properties: {
    code: STR,
    message: STR,
    hint: STR,
    file: STR,
    saveable: { type: 'boolean' },
    invalid: {
      type: 'array',
      maxItems: 32,
      items: { type: 'object', required: ['key', 'path', 'message'], additionalProperties: false, properties: { key: STR, path: STR, message: STR, value: {} } },
    },
  },
};

export const SERVER_STATUS_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['type', 'clients', 'devices', 'outputs'],
  additionalProperties: false,
  properties: {
    type: { const: 'server' },
    clients: NAT,
    devices: { type: 'array', maxItems: MAX_DEVICES, items: DEVICE_ID },
    outputs: { type: 'array', maxItems: 16, items: OUTPUT_STATUS },
    problem: CONFIG_PROBLEM,
    recording: {
      type: 'object',
      required: ['state', 'folder', 'formats', 'files', 'samples', 'bytes'],
      additionalProperties: false,
      properties: {
        state: { type: 'string', enum: ['off', 'starting', 'running', 'error', 'stopped'] },
        folder: STR,
        formats: { type: 'array', maxItems: 3, items: STR },
        // The server sends at most the last SERVER_RECORDING_FILES files (record_stop's reply names all).
        files: { type: 'array', maxItems: SERVER_RECORDING_FILES, items: STR },
        samples: NAT,
        bytes: NAT,
        startedAt: { type: 'number' },
        error: ERROR,
      },
    },
    origin: {
      type: 'object',
      required: ['origin', 'opaque', 'guidance', 'time', 'count'],
      additionalProperties: false,
      properties: { origin: { type: 'string', maxLength: 200 }, opaque: { type: 'boolean' }, guidance: STR, time: { type: 'number' }, count: NAT },
    },
  },
};

export const MARKER_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['type', 'id', 'label', 'time', 'source'],
  additionalProperties: false,
  properties: { type: { const: 'marker' }, id: NAT, label: { type: 'string', maxLength: 256 }, time: { type: 'number' }, device: DEVICE_ID, index: NAT, source: STR },
};

export const REPLY_SCHEMA: JsonSchema = {
  oneOf: [
    {
      type: 'object',
      required: ['type', 'id', 'ok', 'result'],
      additionalProperties: false,
      properties: { type: { const: 'reply' }, id: ID, ok: { const: true }, result: {} },
    },
    {
      type: 'object',
      required: ['type', 'id', 'ok', 'error'],
      additionalProperties: false,
      properties: { type: { const: 'reply' }, id: { anyOf: [ID, { type: 'null' }] }, ok: { const: false }, error: ERROR },
    },
  ],
  allowed: 'a reply with "ok": true and a "result", or "ok": false and an "error"',
};

export const SERVER_MESSAGE_SCHEMAS: Readonly<Record<ServerMessage['type'], JsonSchema>> = {
  hello: HELLO_SCHEMA,
  meta: META_SCHEMA,
  data: DATA_SCHEMA,
  gap: GAP_SCHEMA,
  status: STATUS_SCHEMA,
  server: SERVER_STATUS_SCHEMA,
  marker: MARKER_SCHEMA,
  reply: REPLY_SCHEMA,
};

/** Issues with a message the server sends ([] when it matches its schema). */
export function validateServerMessage(m: unknown): ValidationIssue[] {
  const type = isPlainObject(m) ? m.type : undefined;
  if (typeof type !== 'string' || !Object.hasOwn(SERVER_MESSAGE_SCHEMAS, type)) {
    return [{ path: 'type', message: `type is ${JSON.stringify(type) ?? 'missing'}; allowed: ${Object.keys(SERVER_MESSAGE_SCHEMAS).join(', ')}` }];
  }
  return validate(SERVER_MESSAGE_SCHEMAS[type as ServerMessage['type']], m, { rootName: type });
}

// --- client → server ------------------------------------------------------------------------

export const SUBSCRIBE_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: { type: { const: 'subscribe' }, batch: BATCH, columns: COLUMNS_OPTION, format: FORMAT, devices: DEVICES_OPTION, token: TOKEN },
};

/** The command envelope; `args` is checked per command (COMMAND_ARGS_SCHEMAS). */
export const COMMAND_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['type', 'id', 'command'],
  additionalProperties: false,
  properties: {
    type: { const: 'command' },
    id: ID,
    command: { type: 'string', minLength: 1, maxLength: 64 },
    // Checked per command, so a wrong `args` is BAD_ARGUMENTS rather than BAD_MESSAGE.
    args: {},
    token: TOKEN,
  },
};

const NO_ARGS: JsonSchema = { type: 'object', additionalProperties: false, properties: {}, allowed: 'no arguments ({} or no "args")' };
/** A device command's `device`: optional when there is one device. */
const DEVICE_ONLY: JsonSchema = { type: 'object', additionalProperties: false, properties: { device: DEVICE_ID }, allowed: 'no arguments, or {"device": "<id>"}' };
const withDevice = (s: JsonSchema): JsonSchema => ({ ...s, properties: { ...s.properties, device: DEVICE_ID } });

/** What a command's `args` may hold. Board-specific limits (2 or 4 outputs) are checked when it runs. */
export const COMMAND_ARGS_SCHEMAS: Readonly<Record<CommandName, JsonSchema>> = {
  start: DEVICE_ONLY,
  stop: DEVICE_ONLY,
  outputs: withDevice({
    type: 'object',
    required: ['outputs'],
    additionalProperties: false,
    properties: {
      outputs: {
        type: 'array',
        minItems: 2,
        maxItems: 4,
        items: { type: 'integer', enum: [0, 1] },
        allowed: 'a list of 0 or 1 per output: [O1, O2] on the BITalino (r)evolution, [O1, O2, O3, O4] on the legacy board',
      },
    },
  }),
  pwm: withDevice({
    type: 'object',
    required: ['duty'],
    additionalProperties: false,
    properties: { duty: { type: 'integer', minimum: 0, maximum: 255, allowed: 'an integer duty cycle from 0 to 255 (V ≈ 3.3 × (duty + 1) / 256)' } },
  }),
  battery_threshold: withDevice({
    type: 'object',
    required: ['value'],
    additionalProperties: false,
    properties: { value: { type: 'integer', minimum: 0, maximum: 63, allowed: 'an integer from 0 (≈ 3.4 V) to 63 (≈ 3.8 V)' } },
  }),
  state: DEVICE_ONLY,
  get_config: NO_ARGS,
  set_config: {
    type: 'object',
    required: ['config'],
    additionalProperties: false,
    properties: {
      // Any subset of the file's keys, each checked as the file's own; the merge is checked again whole.
      config: { type: 'object', additionalProperties: false, properties: CONFIG_SCHEMA.properties },
    },
  },
  list_ports: NO_ARGS,
  test_device: { type: 'object', required: ['device'], additionalProperties: false, properties: { device: CONFIG_SCHEMA.properties.device } },
  add_device: {
    type: 'object',
    required: ['device'],
    additionalProperties: false,
    properties: { device: CONFIG_SCHEMA.properties.devices.items },
  },
  remove_device: { type: 'object', required: ['device'], additionalProperties: false, properties: { device: DEVICE_ID } },
  record_start: {
    type: 'object',
    additionalProperties: false,
    properties: {
      formats: { type: 'array', minItems: 1, maxItems: 3, uniqueItems: true, items: { type: 'string', enum: ['txt', 'h5', 'csv'] }, allowed: 'a list of "txt", "h5", "csv"' },
      folder: { type: 'string', minLength: 1, maxLength: 1024, allowed: 'a folder path (absolute)' },
      devices: { type: 'array', minItems: 1, maxItems: MAX_DEVICES, uniqueItems: true, items: DEVICE_ID },
      layout: { type: 'string', enum: ['per-device', 'combined'] },
    },
  },
  record_stop: NO_ARGS,
  osc_enable: NO_ARGS,
  osc_disable: NO_ARGS,
  lsl_enable: NO_ARGS,
  lsl_disable: NO_ARGS,
  mqtt_enable: NO_ARGS,
  mqtt_disable: NO_ARGS,
  marker: {
    type: 'object',
    required: ['label'],
    additionalProperties: false,
    properties: { label: { type: 'string', minLength: 1, maxLength: 256, allowed: 'a label of 1 to 256 characters' }, device: DEVICE_ID, index: NAT },
  },
};

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
    return { ok: true, message: value as unknown as SubscribeMessage };
  }
  if (value.type !== 'command') {
    return fail('BAD_MESSAGE', `type is ${JSON.stringify(value.type) ?? 'missing'}; allowed: "command" or "subscribe"`);
  }
  const id = validate(ID, value.id).length === 0 ? (value.id as string | number) : null;
  const envelope = validate(COMMAND_SCHEMA, value, { rootName: 'command' });
  if (envelope.length > 0) return fail('BAD_MESSAGE', describeIssues(envelope), id);
  const name = value.command as string;
  if (!(COMMAND_NAMES as readonly string[]).includes(name)) {
    return fail('UNKNOWN_COMMAND', `there is no command ${JSON.stringify(name.slice(0, 64))}; allowed: ${COMMAND_NAMES.join(', ')}`, id, 'Check the spelling; commands are lower case with underscores.');
  }
  const args = value.args ?? {};
  const issues = validate(COMMAND_ARGS_SCHEMAS[name as CommandName], args, { path: 'args', rootName: 'args' });
  if (issues.length > 0) return fail('BAD_ARGUMENTS', `${name}: ${describeIssues(issues)}`, id, `See the "${name}" command in docs/protocol.md.`);
  return { ok: true, message: { ...(value as unknown as CommandMessage), args } as CommandMessage };
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
