/**
 * The schema of the normalized ServerBitConfig, and the mapping between it and the two shapes of
 * `~/ServerBIT/config.json` written by the original ServerBIT (docs/original-serverbit.md §1):
 *
 * - classic: `device` is a string, `labels` has 11 names, `port` defaults to 9001. This version
 *   writes its new keys (`host`, `batch_ms`, …) into classic files.
 * - (r)evolution: recognised by a `device` list of `[address, "bitalino"]` pairs or by any of the
 *   keys only it wrote (`buffer_size`, `protocol`, `ip_address`, `consolidate_outputs`,
 *   `OSC_config`, `riot_labels`). `labels` has 6 names (early versions: 11), `ip_address` is
 *   the listen address, `buffer_size` counts samples per message, `port` defaults to 8000.
 *
 * Pure and shared: the store (src/main/config), the Electron window's config editor and the CLI
 * use these functions; nothing here touches the file system.
 */
import { Type } from '@sinclair/typebox';
import { DEFAULT_LABELS, MAX_DEVICES, ORIGINAL_PLACEHOLDER_DEVICE, SAMPLING_RATES, SIMULATOR_DEVICE, TOKEN_MIN_LENGTH, defaultConfig, resolveDevices, samplesPerBatch, type DeviceEntry, type ServerBitConfig } from './config.js';
import { RECORD_SCHEMA } from './outputs/recording-config.js';
import { Literals, describeSchema, isPlainObject, jsonEqual, preview, validate, type TSchema, type ValidationIssue } from './schema.js';
import {
  OSC_SECTION_SCHEMA,
  RIOT_PAIR_FORM,
  formatRiotAddress,
  isOscProtocol,
  isRiotPair,
  mergeOriginalOsc,
  oscFromOriginalConfig,
  oscToOriginalConfig,
  parseRiotAddress,
  riotAddressIssues,
  riotPairModule,
  DEFAULT_RIOT_HOST,
  DEFAULT_RIOT_PORT,
  type OriginalOsc,
  type OscSection,
} from './outputs/osc-config.js';
import { checkJsonBounds, type JsonBounds } from './json-bounds.js';
import { SENSOR_NAMES, parseSensorName } from './sensors.js';
import { redactAddress, remoteAddressIssues } from './device-address.js';
import { LSL_CONFIG_SCHEMA } from './outputs/lsl-config.js';
import { MQTT_CONFIG_SCHEMA } from './outputs/mqtt-config.js';

export type ConfigFileShape = 'classic' | 'revolution';

/** The five columns every message starts with; `labels` may rename them. */
export const FIXED_COLUMNS: readonly string[] = DEFAULT_LABELS.slice(0, 5);

/** Keys only the (r)evolution ServerBIT wrote; any of them marks a file as (r)evolution-shaped. */
export const REVOLUTION_KEYS: readonly string[] = ['buffer_size', 'protocol', 'ip_address', 'consolidate_outputs', 'OSC_config', 'riot_labels'];

const LABEL = Type.String({ minLength: 1, maxLength: 64 });

const DEVICE_ADDRESS_ALLOWED = `"${SIMULATOR_DEVICE}", a MAC address ("20:16:07:18:15:26"), a serial port ("COM3", "/dev/rfcomm0"), host:port, a recording to play back ("file:/path/recording.txt", "…?loop=1"), an R-IoT ("riot:8888/0") or a device another ServerBIT publishes to an MQTT broker ("mqtt://broker.local:1883/serverbit/lab-pc/0"), up to 256 characters`;

const LABELS_ALLOWED = '11 different names: the columns nSeq, I1, I2, O1, O2 then one per channel A1..A6';

/** "simulator", a MAC address (xx:xx:xx:xx:xx:xx), a serial path (COM3, /dev/rfcomm0, /dev/tty.BITalino-…), host:port, a recording "file:…" or an R-IoT "riot:8888/0" (docs/osc.md). */
const DEVICE_ADDRESS = Type.String({ minLength: 1, maxLength: 256, allowed: DEVICE_ADDRESS_ALLOWED });

/** Analog channels, 1-based (1..6 = A1..A6), ascending (checked in validateConfig), no duplicates, at least one. */
const CHANNELS = Type.Array(Type.Integer({ minimum: 1, maximum: 6, allowed: 'a channel number from 1 to 6 (1-based: 1 = A1 … 6 = A6)' }), {
  minItems: 1,
  maxItems: 6,
  uniqueItems: true,
  allowed: 'a list of 1 to 6 different channel numbers from 1 to 6 (1 = A1 … 6 = A6)',
});

/** Hz. */
const SAMPLING_RATE = Literals(SAMPLING_RATES);

// Unique: two equal labels would make two columns share one JSON key, and one would vanish
// (the original's duplicate "A1" defect, docs/original-serverbit.md §3).
/** 11 names: the five fixed columns (nSeq, I1, I2, O1, O2) then A1..A6 (one per physical channel). */
const LABELS = Type.Array(LABEL, { minItems: 11, maxItems: 11, uniqueItems: true, allowed: LABELS_ALLOWED });

/** Sensor wired to each physical channel A1..A6 ("ECG", "EMG", …, "RAW"); names checked in validateConfig. */
const SENSORS = Type.Array(Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_./-]+$', allowed: 'a sensor name such as "ECG", "EMG", "EDA", "EEG", "ACC", "LUX" or "RAW"' }), {
  minItems: 6,
  maxItems: 6,
  allowed: '6 sensor names, one per channel A1..A6, e.g. ["EMG", "ECG", "EDA", "EEG", "ACC", "LUX"] ("RAW" for no conversion)',
});

/**
 * A `devices` entry as the file holds it: only `address` is required; keys it leaves out take
 * the top-level values (docs/configuration.md "Devices").
 */
export const DEVICE_ENTRY_SCHEMA = Type.Object(
  {
    /** Letters, digits, "-", "_" and "."; default its position in the list ("0", "1", …). */
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$', allowed: 'an id of 1 to 32 letters, digits, "-", "_" or "."' })),
    address: DEVICE_ADDRESS,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    channels: Type.Optional(CHANNELS),
    sampling_rate: Type.Optional(SAMPLING_RATE),
    labels: Type.Optional(LABELS),
    sensors: Type.Optional(SENSORS),
  },
  { additionalProperties: false, allowed: 'an object with "address" and optionally "id", "name", "channels", "sampling_rate", "labels", "sensors"' },
);

/** The normalized config (ServerBitConfig, config.ts): the one source of its type and its checks. */
export const CONFIG_SCHEMA = Type.Object(
  {
    device: DEVICE_ADDRESS,
    channels: CHANNELS,
    sampling_rate: SAMPLING_RATE,
    /** WebSocket/HTTP port, 1..65535 (classic default 9001). */
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    labels: LABELS,
    // Non-empty: Node treats an empty host as "every interface", a silent opt-in to the network.
    /** Interface to listen on. 127.0.0.1 unless the user opts in to the network (e.g. 0.0.0.0). */
    host: Type.String({
      minLength: 1,
      maxLength: 253,
      pattern: '^[A-Za-z0-9._:%\\[\\]-]+$',
      allowed: 'an address to listen on: 127.0.0.1 (this computer only), 0.0.0.0 (every network) or another interface address or name',
    }),
    /** Target batch period in milliseconds of device time; samples per message = max(1, floor(rate × batch_ms / 1000)). */
    batch_ms: Type.Integer({ minimum: 1, maximum: 1000 }),
    /**
     * Origins allowed to open a WebSocket: exact origins, `scheme://host:*` wildcards; `null` (or
     * `file://`) admits pages opened from disk, and with them sandboxed frames of any web site.
     */
    allowed_origins: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
      maxItems: 32,
      allowed: 'a list of up to 32 origins such as "http://localhost:*", "https://example.org", or "null" for pages opened from disk',
    }),
    /**
     * Host names (optionally `name:port`) the HTTP `Host` header may carry besides this computer's
     * loopback names and the configured `host`; `"*"` accepts any (no DNS-rebinding check).
     */
    allowed_hosts: Type.Array(
      Type.String({
        minLength: 1,
        maxLength: 260,
        pattern: '^(\\*|[A-Za-z0-9._-]+|\\[[0-9A-Fa-f:.]+\\])(:[0-9]{1,5})?$',
        allowed: 'a host name or address, optionally with ":port", such as "mybox.local" or "192.168.1.20:9001", or "*"',
      }),
      { maxItems: 32, allowed: 'a list of up to 32 host names or addresses, each optionally with ":port", such as "mybox.local" or "192.168.1.20:9001" ("*" accepts any)' },
    ),
    /** Most WebSocket clients at once (both endpoints); past it a new client gets HTTP 503. */
    max_clients: Type.Integer({ minimum: 1, maximum: 100000 }),
    // Its minimum length is checked in validateConfig, so the message never shows the secret.
    /** Secret that /v2 control commands must present (generated on first launch): "" or at least TOKEN_MIN_LENGTH characters. */
    token: Type.String({ maxLength: 256, allowed: `"" (ServerBIT then generates one) or a secret of ${TOKEN_MIN_LENGTH} to 256 characters` }),
    /** Seconds without a byte from a streaming device before it is declared stalled and reconnected. */
    stall_timeout_s: Type.Number({ minimum: 0.5, maximum: 600 }),
    /** Sensor wired to each physical channel A1..A6 for every device ("ECG", "EMG", …, "RAW"); absent = the board's kit. */
    sensors: Type.Optional(SENSORS),
    // Each output's own keys are checked by its settings (src/shared/outputs/); here, an object.
    /** Recording (docs/recording.md "Settings"): where, in which formats, and whether to record from launch. */
    record: Type.Optional(RECORD_SCHEMA),
    /** OSC output, control input (`osc.control`) and what R-IoT devices share (`osc.riot`); docs/osc.md. */
    osc: Type.Optional(OSC_SECTION_SCHEMA),
    /** Lab Streaming Layer outlets (docs/lsl.md §11): keys, defaults and schema in src/shared/outputs/lsl-config.ts. */
    lsl: Type.Optional(LSL_CONFIG_SCHEMA), // strict
    /** MQTT publishing and the relay's credentials (docs/mqtt.md "Settings"). */
    mqtt: Type.Optional(MQTT_CONFIG_SCHEMA), // strict: src/shared/outputs/mqtt-config.ts
    /**
     * Several devices at once (docs/configuration.md "Devices"). Absent: one device, `device`.
     * Present: these devices, in order; `device` is then the first one's address (kept in sync for
     * tools that read the classic key). Keys an entry leaves out take the top-level values.
     */
    devices: Type.Optional(
      Type.Array(DEVICE_ENTRY_SCHEMA, {
        minItems: 1,
        maxItems: MAX_DEVICES,
        allowed: `a list of 1 to ${MAX_DEVICES} devices, each {"address": …} with optional "id", "name", "channels", "sampling_rate", "labels", "sensors"`,
      }),
    ),
  },
  { additionalProperties: false },
);

type ConfigKey = keyof ServerBitConfig;
/** The outputs' sections of the file (each output checks its own keys). */
const OUTPUT_KEYS = ['record', 'osc', 'lsl', 'mqtt'] as const;
const PROPS = CONFIG_SCHEMA.properties;

/** Issues with a normalized config (from the UI, IPC or a merge of CLI flags); [] when valid. */
export function validateConfig(value: unknown): ValidationIssue[] {
  const issues = validate(CONFIG_SCHEMA, value, { rootName: 'config' });
  if (issues.length === 0 && isPlainObject(value)) {
    // Not expressible in the schema subset, and encoders rely on it for column order.
    const ascending = (ch: number[], path: string): void => {
      if (ch.some((c, i) => i > 0 && c < ch[i - 1])) {
        issues.push({ path, message: `${path} is ${preview(ch)}; allowed: channel numbers in ascending order (${[...ch].sort((a, b) => a - b).join(', ')})` });
      }
    };
    ascending(value.channels as number[], 'channels');
    // Sensor names: the canonical ones or OpenSignals' codes (docs/sensors.md).
    const sensorsOk = (list: unknown, path: string): void => {
      if (!Array.isArray(list)) return;
      list.forEach((n, i) => {
        if (parseSensorName(n) === undefined) issues.push({ path: `${path}[${i}]`, message: `${path}[${i}] is ${preview(n)}; allowed: ${SENSOR_NAMES.join(', ')} (or an OpenSignals code such as "ECGBIT")` });
      });
    };
    sensorsOk(value.sensors, 'sensors');
    (value.devices as DeviceEntry[] | undefined)?.forEach((e, i) => sensorsOk(e.sensors, `devices[${i}].sensors`));
    const entries = value.devices as DeviceEntry[] | undefined;
    if (entries) {
      entries.forEach((e, i) => e.channels && ascending(e.channels, `devices[${i}].channels`));
      const seen = new Map<string, number>();
      resolveDevices(value as unknown as ServerBitConfig).forEach((d, i) => {
        const first = seen.get(d.id);
        if (first !== undefined) {
          issues.push({ path: `devices[${i}].id`, message: `devices[${i}] has the id ${preview(d.id)} of devices[${first}]; allowed: a different id for every device` });
        } else seen.set(d.id, i);
      });
      if (value.device !== entries[0].address) {
        issues.push({ path: 'device', message: `device is ${preview(shown(value.device))}, but the first of "devices" is ${preview(shown(entries[0].address))}; allowed: the first device's address` });
      }
    }
    issues.push(...riotAddressIssues(value.device, value.devices));
    issues.push(...remoteAddressIssues(value.device, value.devices));
    // A short token can be guessed; the message says how long it is, never what it is.
    const token = value.token as string;
    if (token !== '' && token.length < TOKEN_MIN_LENGTH) {
      issues.push({
        path: 'token',
        message: `token has ${token.length} characters; allowed: at least ${TOKEN_MIN_LENGTH} (a secret nobody can guess), or remove "token" and ServerBIT generates one`,
      });
    }
  }
  return issues;
}

export type NormalizeResult =
  | { ok: true; config: ServerBitConfig; shape: ConfigFileShape; notices: string[] }
  | { ok: false; issues: ValidationIssue[]; shape: ConfigFileShape; notices: string[] };

export function detectShape(raw: Record<string, unknown>): ConfigFileShape {
  return Array.isArray(raw.device) || REVOLUTION_KEYS.some((k) => Object.hasOwn(raw, k)) ? 'revolution' : 'classic';
}

/** True for the placeholders the originals wrote ("WINDOWS - XX:XX:…", "…BITalino-XX-XX-DevB"). */
/** An address in a message: a remote one without its password. */
const shown = (a: unknown): unknown => (typeof a === 'string' ? redactAddress(a) : a);

export function isPlaceholderDevice(address: string): boolean {
  // "XX" is never hex, so no real MAC or port name contains "XX:XX" or "XX-XX".
  return address === ORIGINAL_PLACEHOLDER_DEVICE || /XX[:-]XX/i.test(address);
}

const SET_DEVICE_HINT =
  'To stream from a BITalino, set "device" to its MAC address (e.g. "20:16:07:18:15:26") or serial port (e.g. "COM3", "/dev/rfcomm0", "/dev/cu.BITalino-15-26-DevB"), or pass --device.';

/**
 * Reads a parsed config file of either original shape into a ServerBitConfig. Never throws:
 * problems come back as `issues` (paths as they are in the file, e.g. `channels[2]`,
 * `device[0][0]`); defaults filled in for original keys come back as `notices`.
 */
export function normalizeConfigFile(raw: unknown): NormalizeResult {
  if (!isPlainObject(raw)) {
    return {
      ok: false,
      shape: 'classic',
      notices: [],
      issues: [{ path: '', message: `the file holds ${preview(raw)}; allowed: a JSON object with keys such as "device", "channels", "sampling_rate", "port" and "labels"` }],
    };
  }
  // Before anything recursive walks the file (TypeBox hashes list items for uniqueItems; output
  // sections are cloned): JSON.parse turns a 1 MiB file into values nested 500 000 deep.
  const bounds = checkJsonBounds(raw, CONFIG_FILE_BOUNDS);
  if (!bounds.ok) {
    return { ok: false, shape: detectShape(raw), notices: [], issues: [{ path: '', message: bounds.problem.replace(/^the message/, 'the file') }] };
  }
  return normalizeAs(raw, detectShape(raw));
}

/** What a config file may hold (it is read only up to 1 MiB, config-store.ts); real ones are 5 levels deep and a few hundred values. */
export const CONFIG_FILE_BOUNDS: Readonly<JsonBounds> = { maxDepth: 64, maxNodes: 1024 * 1024, maxStringLength: 1024 * 1024, maxTotalChars: 1024 * 1024 };

function normalizeAs(raw: Record<string, unknown>, shape: ConfigFileShape): NormalizeResult {
  const rev = shape === 'revolution';
  const issues: ValidationIssue[] = [];
  const notices: string[] = [];
  const config = defaultConfig();
  // With protocol "OSC", ip_address and port say where OSC goes; the WebSocket server keeps its own defaults (docs/osc.md).
  const orig = rev ? oscFromOriginalConfig(raw) : undefined;
  const oscMode = orig?.oscMode === true;
  if (rev && !oscMode) config.port = 8000; // the (r)evolution's own default (docs/original-serverbit.md §1)

  const has = (key: string): boolean => Object.hasOwn(raw, key);
  /** Validates raw[key] (a key new in this version); true if present and valid. */
  const read = (key: string, schema: TSchema): boolean => {
    if (!has(key)) return false;
    const found = validate(schema, raw[key], { path: key });
    issues.push(...found);
    return found.length === 0;
  };
  /** The same for a key the original wrote: when missing, the user is told which default is used. */
  const readOriginal = (key: string, schema: TSchema, fallback: unknown): boolean => {
    if (!has(key)) notices.push(`"${key}" is missing; using ${preview(fallback)}.`);
    return read(key, schema);
  };

  readDevice(raw, rev, config, issues, notices, orig);

  if (readOriginal('channels', PROPS.channels, config.channels)) config.channels = [...(raw.channels as number[])].sort((a, b) => a - b);
  if (readOriginal('sampling_rate', PROPS.sampling_rate, config.sampling_rate)) config.sampling_rate = raw.sampling_rate as ServerBitConfig['sampling_rate'];
  if (oscMode) {
    if (read('websocket_port', PROPS.port)) config.port = raw.websocket_port as number;
  } else if (readOriginal('port', PROPS.port, config.port)) config.port = raw.port as number;

  if (!rev) {
    if (readOriginal('labels', PROPS.labels, config.labels)) config.labels = [...(raw.labels as string[])];
  } else if (readOriginal('labels', REVOLUTION_LABELS, config.labels)) {
    const labels = raw.labels as string[];
    if (labels.length === 6) config.labels = [...FIXED_COLUMNS, ...labels];
    else if (labels.length === 11) config.labels = [...labels];
    else issues.push({ path: 'labels', message: `labels has ${labels.length} names; allowed: ${describeSchema(REVOLUTION_LABELS)}` });
  }

  if (!rev) {
    if (read('host', PROPS.host)) config.host = raw.host as string;
    if (read('batch_ms', PROPS.batch_ms)) config.batch_ms = raw.batch_ms as number;
  } else {
    if (oscMode) {
      if (read('host', PROPS.host)) config.host = raw.host as string;
    } else if (readOriginal('ip_address', IP_ADDRESS, config.host)) config.host = raw.ip_address === 'localhost' ? '127.0.0.1' : (raw.ip_address as string);
    const rateOk = !issues.some((i) => i.path === 'sampling_rate');
    if (readOriginal('buffer_size', BUFFER_SIZE, samplesPerBatch(config.sampling_rate, config.batch_ms)) && rateOk) {
      const ms = bufferToBatchMs(raw.buffer_size as number, config.sampling_rate);
      config.batch_ms = clamp(ms, 1, 1000);
      if (config.batch_ms !== ms) {
        notices.push(`buffer_size ${raw.buffer_size as number} at ${config.sampling_rate} Hz is ${ms} ms per message; using ${config.batch_ms} ms (allowed: 1 to 1000 ms).`);
      }
    }
    const ignored: [string, string][] = oscMode ? [['batch_ms', 'buffer_size']] : [['host', 'ip_address'], ['websocket_port', 'port'], ['batch_ms', 'buffer_size']];
    for (const [ours, theirs] of ignored) {
      if (has(ours)) notices.push(`"${ours}" is ignored in a (r)evolution-style file; "${theirs}" sets it.`);
    }
    issues.push(...orig!.issues);
    notices.push(...orig!.notices);
  }

  if (read('allowed_origins', PROPS.allowed_origins)) config.allowed_origins = [...(raw.allowed_origins as string[])];
  if (read('allowed_hosts', PROPS.allowed_hosts)) config.allowed_hosts = [...(raw.allowed_hosts as string[])];
  if (read('max_clients', PROPS.max_clients)) config.max_clients = raw.max_clients as number;
  if (read('token', PROPS.token)) config.token = raw.token as string;
  if (read('stall_timeout_s', PROPS.stall_timeout_s)) config.stall_timeout_s = raw.stall_timeout_s as number;
  if (read('sensors', PROPS.sensors)) config.sensors = [...(raw.sensors as string[])];
  for (const key of OUTPUT_KEYS) if (read(key, PROPS[key])) config[key] = structuredClone(raw[key] as Record<string, unknown>);
  if (orig) {
    // The original's OSC keys, with this version's own `osc` key laid over them.
    const osc = mergeOriginalOsc(orig.section, config.osc, notices);
    if (osc) config.osc = osc;
    else delete config.osc;
  }
  readDevices(raw, config, issues, notices);

  if (issues.length === 0) issues.push(...validateConfig(config)); // cross-key rules, e.g. 6 labels that repeat "nSeq"
  return issues.length > 0 ? { ok: false, issues: issues.slice(0, 20), shape, notices } : { ok: true, config, shape, notices };
}

const REVOLUTION_LABELS = Type.Array(LABEL, {
  minItems: 6,
  maxItems: 11,
  uniqueItems: true,
  allowed: '6 different names, one per channel A1..A6 (or 11: nSeq, I1, I2, O1, O2 then A1..A6)',
});

const IP_ADDRESS = PROPS.host;

const BUFFER_SIZE = Type.Integer({ minimum: 1, allowed: 'a whole number of samples per message, at least 1' });

const DEVICE_LIST = Type.Array(Type.Array(Type.String({ maxLength: 256 }), { minItems: 1, maxItems: 8, allowed: 'an [address, "bitalino"] or ["/<module>/raw", "R-IoT (OSC)"] pair' }), {
  maxItems: 64,
  allowed: 'a list of [address, "bitalino"] and ["/<module>/raw", "R-IoT (OSC)"] pairs',
});

const DEVICE_FORMS = Type.Union([PROPS.device, DEVICE_LIST], { allowed: `${DEVICE_ADDRESS_ALLOWED}; or a list of [address, "bitalino"] pairs` });

function readDevice(raw: Record<string, unknown>, rev: boolean, config: ServerBitConfig, issues: ValidationIssue[], notices: string[], orig: OriginalOsc | undefined): void {
  // "devices" lists the devices: `device` only mirrors the first (readDevices).
  if (Object.hasOwn(raw, 'devices') && (typeof raw.device === 'string' || !Object.hasOwn(raw, 'device'))) return;
  if (!Object.hasOwn(raw, 'device')) {
    notices.push(`"device" is missing, so ServerBIT streams from its built-in simulator. ${SET_DEVICE_HINT}`);
    return;
  }
  const value = raw.device;
  const found = validate(rev ? DEVICE_FORMS : PROPS.device, value, { path: 'device' });
  if (found.length > 0) {
    issues.push(...found);
    return;
  }
  let address: string;
  let path = 'device';
  if (typeof value === 'string') address = value;
  else {
    const pairs = value as string[][];
    if (pairs.length === 0) {
      notices.push(`"device" lists no device, so ServerBIT streams from its built-in simulator. ${SET_DEVICE_HINT}`);
      return;
    }
    // BITalino and R-IoT pairs are devices; other pairs (devices this version cannot stream) are kept as they are.
    const devices = pairs.map((p, i) => ({ p, i, address: devicePairAddress(p, i, orig, issues) })).filter((d) => isDevicePair(d.p));
    if (devices.length === 0) {
      issues.push({
        path: 'device',
        message: `device lists only ${preview(pairs.map((p) => p[1] ?? ''))} devices; allowed: at least one ["<address>", "bitalino"] or ["/<module>/raw", "R-IoT (OSC)"] pair, or [] for the simulator`,
      });
      return;
    }
    if (devices[0].address === undefined) return;
    address = devices[0].address;
    path = `device[${devices[0].i}][0]`;
    if (devices.length > 1 && !Object.hasOwn(raw, 'devices')) {
      // The original numbers its devices by their place in the list (its OSC addresses /0/…, /1/…).
      const entries: DeviceEntry[] = [];
      for (const { i, address: a } of devices) {
        if (a === undefined) continue;
        const bad = validate(PROPS.device, a, { path: `device[${i}][0]` });
        if (bad.length > 0) issues.push(...bad);
        else entries.push({ id: String(i), address: isPlaceholderDevice(a) ? SIMULATOR_DEVICE : a });
      }
      config.devices = entries;
    }
  }
  if (isPlaceholderDevice(address)) {
    notices.push(`"device" is the original placeholder, so ServerBIT streams from its built-in simulator. ${SET_DEVICE_HINT}`);
    return;
  }
  const bad = validate(PROPS.device, address, { path });
  if (bad.length > 0) issues.push(...bad);
  else config.device = address;
}

/** The `devices` key: several devices with their own settings (it wins over `device`). */
function readDevices(raw: Record<string, unknown>, config: ServerBitConfig, issues: ValidationIssue[], notices: string[]): void {
  if (!Object.hasOwn(raw, 'devices')) {
    if (config.devices) config.device = config.devices[0]?.address ?? config.device;
    return;
  }
  const found = validate(PROPS.devices, raw.devices, { path: 'devices' });
  if (found.length > 0) {
    issues.push(...found);
    return;
  }
  const entries = (raw.devices as DeviceEntry[]).map((e): DeviceEntry => {
    const out: DeviceEntry = { ...e };
    if (isPlaceholderDevice(e.address)) out.address = SIMULATOR_DEVICE;
    if (e.channels) out.channels = [...e.channels].sort((a, b) => a - b);
    return out;
  });
  if (Object.hasOwn(raw, 'device') && typeof raw.device === 'string' && raw.device !== entries[0].address && !isPlaceholderDevice(raw.device)) {
    notices.push(`"device" (${preview(raw.device)}) is ignored: "devices" lists the devices, the first being ${preview(entries[0].address)}.`);
  }
  config.devices = entries;
  config.device = entries[0].address;
}

function isBitalinoPair(pair: readonly string[]): boolean {
  return pair.length < 2 || pair[1].toLowerCase() === 'bitalino';
}

/** A pair this version streams from: a BITalino or an R-IoT. */
function isDevicePair(pair: readonly string[]): boolean {
  return isBitalinoPair(pair) || isRiotPair(pair);
}

function pickDevicePair(pairs: readonly string[][]): number {
  return pairs.findIndex(isDevicePair);
}

/**
 * The address a device pair stands for: a BITalino's as written; an R-IoT's "/<module>/raw" says
 * only its module, where it is received is OSC_config's (docs/osc.md "Config files from the
 * original"). Undefined (and an issue) for an R-IoT pair that names no module.
 */
function devicePairAddress(pair: readonly string[], i: number, orig: OriginalOsc | undefined, issues: ValidationIssue[]): string | undefined {
  if (!isRiotPair(pair)) return pair[0];
  const module = riotPairModule(pair[0]);
  if (module === undefined) {
    issues.push({ path: `device[${i}][0]`, message: `device[${i}][0] is ${preview(pair[0])}; allowed: ${RIOT_PAIR_FORM}` });
    return undefined;
  }
  return formatRiotAddress({ ...(orig?.riot ?? { host: DEFAULT_RIOT_HOST, port: DEFAULT_RIOT_PORT }), module });
}

/** The pair that stands for `address` in a (r)evolution list; `was` is the pair it replaces (its type's spelling is kept). */
function pairOf(address: string, was: readonly string[] | undefined): string[] {
  const riot = parseRiotAddress(address);
  if (riot) return [`/${riot.module}/raw`, was && isRiotPair(was) ? was[1] : 'R-IoT (OSC)'];
  return [address, was && isBitalinoPair(was) && was.length >= 2 ? was[1] : 'bitalino'];
}

/** (r)evolution `buffer_size` (samples per message) → milliseconds of device time at `rate`. */
export function bufferToBatchMs(bufferSize: number, rate: number): number {
  return Math.round((bufferSize * 1000) / rate);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/**
 * Writes `config` back into a copy of `raw` in the file's own shape. Keys this version does not
 * use are kept as they are, in their order; a known key is rewritten only when missing or when
 * its value would now read differently, so an unchanged file keeps its own spelling (a
 * placeholder device, "localhost", channel order). Returns the new object; `raw` is not changed.
 *
 * A (r)evolution file stores the batch as `buffer_size` samples, so `batch_ms` is rounded to a
 * whole number of samples at the configured rate.
 */
export function denormalizeConfig(raw: Record<string, unknown>, config: ServerBitConfig, shape: ConfigFileShape): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  const before = normalizeAs(raw, shape);
  const was = before.ok ? before.config : undefined;
  const stale = (fileKey: string, key: ConfigKey): boolean => !Object.hasOwn(raw, fileKey) || !was || !jsonEqual(was[key], config[key]);
  const put = (fileKey: string, key: ConfigKey, value: unknown): void => {
    if (stale(fileKey, key)) out[fileKey] = value;
  };
  const rev = shape === 'revolution';
  // With protocol "OSC" the original's ip_address and port are OSC's; the WebSocket server's are this version's own keys.
  const oscMode = rev && isOscProtocol(raw.protocol);
  const putOwn = (fileKey: string, key: ConfigKey, fallback: unknown): void => {
    if (Object.hasOwn(raw, fileKey) || !jsonEqual(config[key], fallback)) put(fileKey, key, config[key]);
  };

  put('device', 'device', rev ? revolutionDevice(raw.device, config.device) : config.device);
  put('channels', 'channels', [...config.channels]);
  put('sampling_rate', 'sampling_rate', config.sampling_rate);
  if (oscMode) putOwn('websocket_port', 'port', defaultConfig().port);
  else put('port', 'port', config.port);
  if (!rev) {
    put('labels', 'labels', [...config.labels]);
    put('host', 'host', config.host);
    put('batch_ms', 'batch_ms', config.batch_ms);
  } else {
    const short = jsonEqual(config.labels.slice(0, 5), FIXED_COLUMNS) && !(Array.isArray(raw.labels) && raw.labels.length === 11);
    put('labels', 'labels', short ? config.labels.slice(5) : [...config.labels]);
    if (oscMode) putOwn('host', 'host', defaultConfig().host);
    else put('ip_address', 'host', config.host);
    const bs = raw.buffer_size;
    const keeps = Number.isInteger(bs) && (bs as number) >= 1 && clamp(bufferToBatchMs(bs as number, config.sampling_rate), 1, 1000) === config.batch_ms;
    if (!keeps) out.buffer_size = samplesPerBatch(config.sampling_rate, config.batch_ms);
  }
  put('allowed_origins', 'allowed_origins', [...config.allowed_origins]);
  put('allowed_hosts', 'allowed_hosts', [...config.allowed_hosts]);
  put('max_clients', 'max_clients', config.max_clients);
  put('token', 'token', config.token);
  put('stall_timeout_s', 'stall_timeout_s', config.stall_timeout_s);
  if (config.sensors) put('sensors', 'sensors', [...config.sensors]);
  else delete out.sensors;
  for (const key of OUTPUT_KEYS) {
    if (config[key]) put(key, key, structuredClone(config[key]));
    else delete out[key];
  }
  writeDevices(raw, out, config, rev, was);
  if (rev) {
    writeOriginalOsc(raw, out, config.osc, was);
    writeRiotEndpoint(raw, out, config);
  }
  return out;
}

/**
 * The `osc` section into a (r)evolution file: the address mode and R-IoT labels into the
 * original's keys, the rest into this version's `osc` key (oscToOriginalConfig). Unchanged, the
 * file keeps what it had.
 */
function writeOriginalOsc(raw: Record<string, unknown>, out: Record<string, unknown>, osc: OscSection | undefined, was: ServerBitConfig | undefined): void {
  if (was && jsonEqual(was.osc, osc)) {
    if (Object.hasOwn(raw, 'osc')) out.osc = raw.osc;
    else delete out.osc;
    return;
  }
  const r = oscToOriginalConfig(raw, osc);
  Object.assign(out, r.keys);
  if (r.osc) out.osc = r.osc;
  else delete out.osc;
}

/** OSC_config follows the R-IoT pairs written to the device list: where they are received (one host:port for all, as in the original). */
function writeRiotEndpoint(raw: Record<string, unknown>, out: Record<string, unknown>, config: ServerBitConfig): void {
  if (!Array.isArray(out.device)) return;
  const written = out.devices === undefined && config.devices ? config.devices.map((e) => e.address) : [config.device];
  const riot = written.map((a) => parseRiotAddress(a)).find((r) => r !== undefined);
  if (!riot) return;
  const now = oscFromOriginalConfig({ ...raw, device: out.device });
  if (now.riot.host === riot.host && now.riot.port === riot.port && !now.issues.some((i) => i.path.startsWith('OSC_config'))) return;
  const rest = Array.isArray(raw.OSC_config) && raw.OSC_config.length >= 2 ? raw.OSC_config.slice(2, 8) : ['riot', ''];
  // The original stored the port as a string.
  out.OSC_config = [riot.host, String(riot.port), ...rest];
}

/**
 * Several devices go to a `devices` list, unless the file is a (r)evolution one that lists them
 * as [address, "bitalino"] pairs and none has settings of its own: then the pairs are rewritten.
 * One device and no `devices` key in the file: the classic `device` key alone, as before.
 */
function writeDevices(raw: Record<string, unknown>, out: Record<string, unknown>, config: ServerBitConfig, rev: boolean, was: ServerBitConfig | undefined): void {
  const entries = config.devices;
  if (!entries) {
    delete out.devices;
    return;
  }
  // R-IoT pairs share one OSC_config: they can be pairs only when they are received on one host:port.
  const riotEndpoints = new Set(entries.map((e) => parseRiotAddress(e.address)).flatMap((r) => (r ? [`${r.host}|${r.port}`] : [])));
  const plainPairs =
    rev &&
    !Object.hasOwn(raw, 'devices') &&
    Array.isArray(raw.device) &&
    riotEndpoints.size <= 1 &&
    entries.every((e, i) => Object.keys(e).every((k) => k === 'address' || k === 'id') && (e.id === undefined || /^\d+$/.test(e.id)) && (i === 0 || e.id !== undefined));
  if (plainPairs) {
    if (!was || !jsonEqual(was.devices, entries)) out.device = revolutionPairs(raw.device, entries);
    delete out.devices;
    return;
  }
  if (!was || !jsonEqual(was.devices, entries) || !Object.hasOwn(raw, 'devices')) out.devices = entries.map((e) => ({ ...e }));
  // Tools that read the classic key see the first device.
  if (!rev || typeof raw.device === 'string') out.device = entries[0].address;
}

/** (r)evolution pairs for these devices: the BITalino and R-IoT pairs replaced in place (by id = position), other pairs kept. */
function revolutionPairs(current: unknown, entries: readonly DeviceEntry[]): string[][] {
  const pairs = Array.isArray(current) && validate(DEVICE_LIST, current).length === 0 ? (current as string[][]).map((p) => [...p]) : [];
  const others = pairs.map((p, i) => [p, i] as const).filter(([p]) => !isDevicePair(p));
  const result: string[][] = [];
  entries.forEach((e, k) => {
    const at = e.id !== undefined ? Number(e.id) : k;
    result[at] = pairOf(e.address, pairs[at]);
  });
  for (const [p, i] of others) {
    if (result[i] === undefined) result[i] = p;
    else result.push(p);
  }
  return result.filter((p) => p !== undefined);
}

/** The (r)evolution `device` list with the streamed device's pair (the first BITalino or R-IoT) replaced, others kept. */
function revolutionDevice(current: unknown, device: string): unknown {
  if (typeof current === 'string') return device; // early (r)evolution files held one string
  const pairs = Array.isArray(current) && validate(DEVICE_LIST, current).length === 0 ? (current as string[][]).map((p) => [...p]) : [];
  const i = pickDevicePair(pairs);
  if (i === -1) return [pairOf(device, undefined), ...pairs];
  pairs[i] = [...pairOf(device, pairs[i]), ...pairs[i].slice(2)];
  return pairs;
}
