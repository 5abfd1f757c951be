/**
 * The config's `osc` section (docs/osc.md "Settings"): the OSC output, the OSC control input
 * (`osc.control`) and what R-IoT devices share (`osc.riot`) — their types, defaults, units and
 * schema in one place, with the resolvers the outputs start from. Also R-IoT device addresses
 * (`riot:8888/0`, docs/osc.md "R-IoT devices") and the mapping to and from the OSC keys of a file
 * written by the original ServerBIT (r)evolution (docs/osc.md "Config files from the original").
 *
 * Pure and dependency-free: the config loader, the window's settings form and the outputs share it.
 *
 * Security defaults (docs/osc.md "The control input"): the control input is off and, when on, binds
 * 127.0.0.1; the output sends to 127.0.0.1 unless told otherwise.
 */
import { ConfigError } from '../errors.js';
import { Type, type Static } from '@sinclair/typebox';
import { Literals, isPlainObject, jsonEqual, preview, validate, type Assert, type Same, type TSchema, type ValidationIssue } from '../schema.js';

/** Where OSC goes. */
export interface OscDestination {
  /**
   * An IPv4 or IPv6 address or a host name ("localhost" means 127.0.0.1). A multicast group
   * (224.0.0.0/4, ff00::/8) is sent to as multicast; a broadcast address needs `broadcast`.
   * Names are resolved once, when the output starts.
   */
  host: string;
  /** UDP port, 1..65535. */
  port: number;
}

/**
 * `consolidated`: one `/<id>/bitalino` message per sample with every column in stream order
 * (nSeq, I1, I2, O1, O2, then the analog columns). `per-label`: one `/<id>/bitalino/<column>`
 * message per column per sample (docs/osc.md "Addresses").
 */
export type OscAddressMode = 'consolidated' | 'per-label';

/** The OSC output, resolved (every key set). */
export interface OscOutputSettings {
  /** Default false. */
  enabled: boolean;
  /** 1..8 destinations, each gets every datagram. Default [127.0.0.1:8000] (the original's default `port`). */
  destinations: OscDestination[];
  /** Default 'consolidated' (the original's default, `consolidate_outputs: false`). */
  addresses: OscAddressMode;
  /**
   * Hz. 0 (default) sends every sample; a lower rate keeps one sample out of every
   * rate / maxRate (picked by sample index, no filtering), e.g. 100 for patches that want 100 Hz.
   */
  maxRate: number;
  /** 'raw' (default): ADC values as the device sent them; 'converted': in the sensor's unit (mV, µS, g…). Always OSC floats. */
  values: 'raw' | 'converted';
  /** Allow sending to broadcast addresses (SO_BROADCAST). Default false. */
  broadcast: boolean;
  /** Hops for multicast destinations, 1..255. Default 1 (this network only). */
  multicastTtl: number;
  /** Address of the local interface multicast leaves from; default: the system's choice. */
  multicastInterface?: string;
  /**
   * Largest datagram, bytes, 128..65507. Default 1400: below the 1500-byte Ethernet MTU with
   * IPv4 or IPv6 headers, so no datagram is fragmented. A batch that does not fit is split into
   * several bundles (docs/osc.md "Datagram size").
   */
  maxDatagramBytes: number;
  /** 'device' (default): each bundle carries the device time of its first sample; 'immediate': OSC's "now" (0x1). */
  timeTag: 'device' | 'immediate';
  /** Only these device ids; default every device, including ones added later. */
  devices?: string[];
}

/** The OSC control input (`osc.control`), resolved. */
export interface OscInputSettings {
  /** Default false: nothing listens. */
  enabled: boolean;
  /** Interface to listen on. Default 127.0.0.1 (this computer only); another address only by explicit setting. */
  host: string;
  /** UDP port, 1..65535. Default 12000. */
  port: number;
  /** Commands accepted per second, 1..1000, with bursts of as many; the rest are dropped and counted. Default 50. */
  maxCommandsPerSecond: number;
}

/** What every R-IoT device shares (`osc.riot`): the original kept these once per file too. */
export interface OscRiotSettings {
  /** Column names for the values of an R-IoT's `/<module>/raw` message, in order; 1..64 different names. Default RIOT_LABELS (22). */
  labels: string[];
  /** Nominal rate, Hz, 1..1000: the R-IoT's factory sample period is 5 ms. Default 200. The stream is irregular; each sample carries its arrival time. */
  rate: number;
}

/** The names the original ServerBIT gives the 22 values of an R-IoT's `/<id>/raw` message, in order. */
export const RIOT_LABELS: readonly string[] = [
  'ACC_X', 'ACC_Y', 'ACC_Z', 'GYRO_X', 'GYRO_Y', 'GYRO_Z', 'MAG_X', 'MAG_Y', 'MAG_Z',
  'TEMP', 'IO', 'A1', 'A2', 'C', 'Q1', 'Q2', 'Q3', 'Q4', 'PITCH', 'YAW', 'ROLL', 'HEAD',
];

/** An R-IoT (IRCAM / PLUX) module streaming `/<module>/raw` over OSC/UDP (docs/osc.md "R-IoT devices"). */
export interface RiotDeviceSettings {
  kind: 'riot';
  /** ServerBIT's id for the device ("0", "1", … its position in the device list). */
  id: string;
  /** The module id the R-IoT puts in its address, /<module>/raw; 0..255. Default 0. */
  module: number;
  /**
   * The address of this computer to receive on. Default 192.168.1.100, where a factory R-IoT
   * sends; "0.0.0.0" receives on every network (opt-in).
   */
  host: string;
  /** UDP port, default 8888 (the R-IoT's factory port). */
  port: number;
  /** As OscRiotSettings.labels. */
  labels: string[];
  /** As OscRiotSettings.rate. */
  rate: number;
}

export const DEFAULT_OSC_PORT = 8000;
export const DEFAULT_OSC_INPUT_PORT = 12000;
export const DEFAULT_RIOT_PORT = 8888;
export const DEFAULT_RIOT_HOST = '192.168.1.100';
export const DEFAULT_RIOT_RATE = 200;

export function defaultOscOutputSettings(): OscOutputSettings {
  return {
    enabled: false,
    destinations: [{ host: '127.0.0.1', port: DEFAULT_OSC_PORT }],
    addresses: 'consolidated',
    maxRate: 0,
    values: 'raw',
    broadcast: false,
    multicastTtl: 1,
    maxDatagramBytes: 1400,
    timeTag: 'device',
  };
}

export function defaultOscInputSettings(): OscInputSettings {
  return { enabled: false, host: '127.0.0.1', port: DEFAULT_OSC_INPUT_PORT, maxCommandsPerSecond: 50 };
}

export function defaultRiotDeviceSettings(id = '0'): RiotDeviceSettings {
  return { kind: 'riot', id, module: 0, host: DEFAULT_RIOT_HOST, port: DEFAULT_RIOT_PORT, labels: [...RIOT_LABELS], rate: DEFAULT_RIOT_RATE };
}

// --- Schemas (validated at the config boundary; the outputs re-check and throw TypeError) ------

const HOST_OPTIONS = {
  minLength: 1,
  maxLength: 253,
  pattern: '^[A-Za-z0-9._:%\\[\\]-]+$',
  allowed: 'an IPv4 or IPv6 address or a host name, e.g. "127.0.0.1", "192.168.1.20", "239.0.0.1"',
} as const;
const HOST = Type.String(HOST_OPTIONS);
const PORT = Type.Integer({ minimum: 1, maximum: 65535 });
// Any name: OSC addresses replace the characters OSC reserves (addresses.ts), and files of the
// original may hold names with spaces.
const RIOT_LABEL = Type.String({ minLength: 1, maxLength: 64 });

const OUTPUT_PROPS = {
  enabled: Type.Boolean(),
  destinations: Type.Array(Type.Object({ host: HOST, port: PORT }, { additionalProperties: false, allowed: 'a {"host": …, "port": …} destination' }), {
    minItems: 1,
    maxItems: 8,
    allowed: 'a list of 1 to 8 {"host", "port"} destinations',
  }),
  addresses: Literals(['consolidated', 'per-label']),
  maxRate: Type.Integer({ minimum: 0, maximum: 100_000, allowed: '0 (every sample) or a rate in Hz' }),
  values: Literals(['raw', 'converted']),
  broadcast: Type.Boolean(),
  multicastTtl: Type.Integer({ minimum: 1, maximum: 255 }),
  multicastInterface: Type.Optional(HOST),
  maxDatagramBytes: Type.Integer({ minimum: 128, maximum: 65507 }),
  timeTag: Literals(['device', 'immediate']),
  devices: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 64, allowed: 'a list of device ids' })),
};

const INPUT_PROPS = {
  enabled: Type.Boolean(),
  host: Type.String({ ...HOST_OPTIONS, allowed: 'an address of this computer to listen on: "127.0.0.1" (this computer only), "0.0.0.0" (every network) or one interface\'s address' }),
  port: PORT,
  maxCommandsPerSecond: Type.Integer({ minimum: 1, maximum: 1000 }),
};

const RIOT_PROPS = {
  labels: Type.Array(RIOT_LABEL, { minItems: 1, maxItems: 64, uniqueItems: true, allowed: '1 to 64 different names, one per value of the R-IoT message' }),
  rate: Type.Number({ minimum: 1, maximum: 1000, allowed: 'a rate in Hz from 1 to 1000' }),
};

/** The OSC output, resolved (every key set): OscOutputSettings. */
export const OSC_OUTPUT_SCHEMA = Type.Object(OUTPUT_PROPS, { additionalProperties: false });

/** The OSC control input (`osc.control`), resolved: OscInputSettings. */
export const OSC_INPUT_SCHEMA = Type.Object(INPUT_PROPS, { additionalProperties: false });

/** The `osc` section of the config file: the keys above, each optional, nothing else. */
export const OSC_SECTION_SCHEMA = Type.Object(
  {
    ...Type.Partial(OSC_OUTPUT_SCHEMA).properties,
    control: Type.Optional(Type.Partial(OSC_INPUT_SCHEMA, { additionalProperties: false, allowed: 'an object with "enabled", "host", "port", "maxCommandsPerSecond" (docs/osc.md "The control input")' })),
    riot: Type.Optional(Type.Partial(Type.Object(RIOT_PROPS), { additionalProperties: false, allowed: 'an object with "labels" and "rate" (docs/osc.md "R-IoT devices")' })),
  },
  { additionalProperties: false, allowed: 'an object of OSC settings: "enabled", "destinations", "addresses", "maxRate", "values", …, "control", "riot" (docs/osc.md)' },
);

/**
 * The `osc` section as the config file holds it: every key optional (a missing key takes its
 * default). `control` is the control input, `riot` what R-IoT devices share.
 */
export type OscSection = Static<typeof OSC_SECTION_SCHEMA>;

export const RIOT_DEVICE_SCHEMA = Type.Object(
  {
    kind: Type.Literal('riot'),
    id: Type.String({ minLength: 1, maxLength: 256 }),
    module: Type.Integer({ minimum: 0, maximum: 255 }),
    host: HOST,
    port: PORT,
    ...RIOT_PROPS,
  },
  { additionalProperties: false },
);

// The settings' types and their schemas say the same (compile-time only).
export type OscSchemaTypeChecks = [
  Assert<Same<Static<typeof OSC_OUTPUT_SCHEMA>, OscOutputSettings>>,
  Assert<Same<Static<typeof OSC_INPUT_SCHEMA>, OscInputSettings>>,
  Assert<Same<NonNullable<OscSection['riot']>, Partial<OscRiotSettings>>>,
  Assert<Same<Static<typeof RIOT_DEVICE_SCHEMA>, RiotDeviceSettings>>,
];

export function validateOscSection(value: unknown, path = 'osc'): ValidationIssue[] {
  return validate(OSC_SECTION_SCHEMA, value, { path, rootName: path });
}

export function validateOscOutputSettings(value: unknown, path = 'osc'): ValidationIssue[] {
  return validate(OSC_OUTPUT_SCHEMA, value, { path, rootName: path });
}

export function validateOscInputSettings(value: unknown, path = 'osc.control'): ValidationIssue[] {
  return validate(OSC_INPUT_SCHEMA, value, { path, rootName: path });
}

export function validateRiotDeviceSettings(value: unknown, path = 'device'): ValidationIssue[] {
  return validate(RIOT_DEVICE_SCHEMA, value, { path, rootName: path });
}

// --- Resolvers: the section → what each output starts with ----------------------------------

function invalid(issues: ValidationIssue[]): ConfigError {
  const first = issues[0];
  return new ConfigError('CONFIG_INVALID_VALUE', first.message, first.path, 'See "Settings" in docs/osc.md for the allowed values.');
}

/** The OSC output's settings, or undefined when `osc.enabled` is not true. Throws ConfigError for a bad value. */
export function resolveOscOutput(section: OscSection | undefined): OscOutputSettings | undefined {
  const issues = validateOscSection(section ?? {});
  if (issues.length > 0) throw invalid(issues);
  if (section?.enabled !== true) return undefined;
  const { control: _control, riot: _riot, ...own } = section;
  return { ...defaultOscOutputSettings(), ...structuredClone(own), enabled: true };
}

/** The control input's settings, or undefined when `osc.control.enabled` is not true. Throws ConfigError for a bad value. */
export function resolveOscInput(section: OscSection | undefined): OscInputSettings | undefined {
  const issues = validateOscSection(section ?? {});
  if (issues.length > 0) throw invalid(issues);
  if (section?.control?.enabled !== true) return undefined;
  return { ...defaultOscInputSettings(), ...section.control, enabled: true };
}

/** What R-IoT devices share, defaults filled in (an invalid section gives the defaults: the config loader has said why). */
export function resolveRiotSettings(section: OscSection | undefined): OscRiotSettings {
  const riot = section?.riot;
  const ok = riot !== undefined && validate(OSC_SECTION_SCHEMA.properties.riot, riot).length === 0;
  return { labels: ok && riot.labels ? [...riot.labels] : [...RIOT_LABELS], rate: ok && riot.rate !== undefined ? riot.rate : DEFAULT_RIOT_RATE };
}

// --- R-IoT device addresses --------------------------------------------------------------------

/**
 * An R-IoT device's address: `riot:<port>/<module>` (receive on 192.168.1.100, where a factory
 * R-IoT sends) or `riot:<host>:<port>/<module>` (`<host>` an address of this computer, `0.0.0.0`
 * for every network, an IPv6 address in brackets). E.g. `riot:8888/0`, `riot:0.0.0.0:8888/3`.
 */
export interface RiotAddress {
  host: string;
  port: number;
  module: number;
}

export const RIOT_ADDRESS_FORMS = 'an R-IoT address "riot:<port>/<module>" or "riot:<host>:<port>/<module>", e.g. "riot:8888/0" or "riot:0.0.0.0:8888/0" (module 0 to 255)';

const RIOT_ADDRESS = /^riot:(?:(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9.-]{1,253}):)?(\d{1,5})\/(\d{1,3})$/i;

/** Whether `address` is meant as an R-IoT (starts with "riot:", any case). */
export function isRiotAddress(address: string): boolean {
  return /^riot:/i.test(address.trim());
}

/** Reads an R-IoT address; undefined when it is not one of the forms above. */
export function parseRiotAddress(address: string): RiotAddress | undefined {
  const m = RIOT_ADDRESS.exec(address.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  const module = Number(m[3]);
  if (port < 1 || port > 65535 || module > 255) return undefined;
  const host = m[1] === undefined ? DEFAULT_RIOT_HOST : m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  return { host: host.toLowerCase() === 'localhost' ? '127.0.0.1' : host, port, module };
}

export function formatRiotAddress(a: RiotAddress): string {
  return `riot:${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}/${a.module}`;
}

/** Issues with the R-IoT addresses among a config's devices (`device`, `devices[i].address`). */
export function riotAddressIssues(device: unknown, devices: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const check = (a: unknown, path: string): void => {
    if (typeof a === 'string' && isRiotAddress(a) && !parseRiotAddress(a)) issues.push({ path, message: `${path} is ${preview(a)}; allowed: ${RIOT_ADDRESS_FORMS}` });
  };
  check(device, 'device');
  if (Array.isArray(devices)) devices.forEach((e, i) => isPlainObject(e) && check(e.address, `devices[${i}].address`));
  return issues;
}

// --- The original (r)evolution file ------------------------------------------------------------

/**
 * What the OSC keys of an original (r)evolution file mean here (docs/osc.md "Config files from
 * the original"). What the original's code did with each key:
 * - `protocol` "OSC" (any case, "osc" anywhere in it): data goes out as OSC to `ip_address`:`port`
 *   instead of over WebSockets (so here the WebSocket server keeps its own address, see
 *   config-schema.ts);
 * - `consolidate_outputs` false: one `/<id>/bitalino` message per device; true: one
 *   `/<id>/bitalino/<label>` message per column. (The name reads the other way round; the
 *   original's code did this, so files keep meaning what they meant.)
 * - `OSC_config`: [address this computer receives R-IoT data on, its UDP port, Wi-Fi network
 *   name, network interface]; only the first two matter here;
 * - `riot_labels`: the names of the values of an R-IoT's `/<id>/raw` message;
 * - `device` pairs `["/<n>/raw", "R-IoT (OSC)"]`: an R-IoT with module n (the original matched the
 *   type by "r-iot (osc)" in it, any case), its id its position in the list.
 */
export interface OriginalOsc {
  /** `protocol` says OSC: `ip_address` and `port` are where OSC goes, not where the WebSocket server listens. */
  oscMode: boolean;
  /** The `osc` section these keys make, holding only values that differ from the defaults. */
  section: OscSection;
  /** Where the file's R-IoT pairs are received (OSC_config), defaults 192.168.1.100:8888. */
  riot: { host: string; port: number };
  /** What was assumed, one sentence each, for the start-up log. */
  notices: string[];
  /** Values that cannot be used (paths as in the file). */
  issues: ValidationIssue[];
}

/** Whether a (r)evolution `device` pair is an R-IoT. */
export function isRiotPair(pair: unknown): boolean {
  return Array.isArray(pair) && typeof pair[1] === 'string' && pair[1].toLowerCase().includes('r-iot (osc)');
}

/** The module of an R-IoT pair's address "/<n>/raw", or undefined. */
export function riotPairModule(address: unknown): number | undefined {
  const m = typeof address === 'string' ? /^\/(\d{1,3})\/raw$/.exec(address) : null;
  return m && Number(m[1]) <= 255 ? Number(m[1]) : undefined;
}

export const RIOT_PAIR_FORM = 'an R-IoT pair ["/<module>/raw", "R-IoT (OSC)"] with module 0 to 255, as the original\'s device finder wrote it';

export function isOscProtocol(protocol: unknown): boolean {
  return typeof protocol === 'string' && protocol.toLowerCase().includes('osc');
}

const ADDRESS_OF_ORIGINAL = Type.String({ ...HOST_OPTIONS, allowed: 'an IPv4 address or a host name, e.g. "127.0.0.1", "localhost", "192.168.1.20"' });

/** Maps the OSC/R-IoT keys of `raw` (a parsed (r)evolution file, untrusted). Never throws. */
export function oscFromOriginalConfig(raw: Record<string, unknown>): OriginalOsc {
  const section: OscSection = {};
  const notices: string[] = [];
  const issues: ValidationIssue[] = [];
  const riot = { host: DEFAULT_RIOT_HOST, port: DEFAULT_RIOT_PORT };
  const has = (k: string) => Object.hasOwn(raw, k);
  const check = (key: string, schema: TSchema): boolean => {
    const found = validate(schema, raw[key], { path: key });
    issues.push(...found);
    return found.length === 0;
  };

  if (has('protocol')) check('protocol', Type.String({ maxLength: 64, allowed: '"Websockets" or "OSC"' }));
  const oscMode = isOscProtocol(raw.protocol);
  if (oscMode) {
    section.enabled = true;
    let host = '127.0.0.1';
    let port = DEFAULT_OSC_PORT;
    if (!has('ip_address')) notices.push(`"ip_address" is missing; OSC goes to 127.0.0.1.`);
    else if (check('ip_address', ADDRESS_OF_ORIGINAL)) host = raw.ip_address === 'localhost' ? '127.0.0.1' : (raw.ip_address as string);
    if (!has('port')) notices.push(`"port" is missing; OSC goes to port ${DEFAULT_OSC_PORT}.`);
    else if (check('port', PORT)) port = raw.port as number;
    if (host !== '127.0.0.1' || port !== DEFAULT_OSC_PORT) section.destinations = [{ host, port }];
  }

  if (has('consolidate_outputs')) {
    const b = readBoolean(raw.consolidate_outputs);
    if (b === undefined) issues.push({ path: 'consolidate_outputs', message: `consolidate_outputs is ${preview(raw.consolidate_outputs)}; allowed: true or false` });
    else if (b) section.addresses = 'per-label';
  }

  if (has('riot_labels') && check('riot_labels', RIOT_PROPS.labels) && !jsonEqual(raw.riot_labels, RIOT_LABELS)) section.riot = { labels: [...(raw.riot_labels as string[])] };
  // OSC_config matters only to R-IoT pairs: a file without them may hold anything there.
  if (Array.isArray(raw.device) && raw.device.some(isRiotPair)) readOscConfig(raw.OSC_config, has('OSC_config'), riot, issues);
  return { oscMode, section, riot, notices, issues };
}

/** A JSON boolean, or the "True"/"False" strings the original's settings page wrote. */
function readBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  return typeof v === 'string' && /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : undefined;
}

function readOscConfig(v: unknown, present: boolean, riot: { host: string; port: number }, issues: ValidationIssue[]): void {
  if (!present) return;
  if (!Array.isArray(v) || v.length < 2 || v.length > 8) {
    issues.push({ path: 'OSC_config', message: `OSC_config is ${preview(v)}; allowed: [address, port, network name, interface], e.g. ["192.168.1.100", "8888", "riot", ""]` });
    return;
  }
  const hostIssues = validate(HOST, v[0], { path: 'OSC_config[0]' });
  if (hostIssues.length > 0) issues.push(...hostIssues);
  else riot.host = v[0] === 'localhost' ? '127.0.0.1' : (v[0] as string);
  // The original stored the port as a string and converted it with int().
  const port = typeof v[1] === 'string' && /^\s*\d{1,5}\s*$/.test(v[1]) ? Number(v[1]) : v[1];
  const portIssues = validate(PORT, port, { path: 'OSC_config[1]' });
  if (portIssues.length > 0) issues.push(...portIssues);
  else riot.port = port as number;
}

/**
 * In a (r)evolution file, the `osc` key (this version's own) is laid over what the original's
 * keys say, except the address mode and the R-IoT labels: `consolidate_outputs` and
 * `riot_labels` say those, one place each (so the original reads the file as before).
 */
export function mergeOriginalOsc(base: OscSection, file: OscSection | undefined, notices: string[]): OscSection | undefined {
  const out: OscSection = structuredClone(base);
  if (file) {
    for (const [k, v] of Object.entries(structuredClone(file)) as [keyof OscSection, unknown][]) {
      if (k === 'addresses') {
        notices.push('"osc.addresses" is ignored in a (r)evolution-style file; "consolidate_outputs" sets it.');
      } else if (k === 'riot') {
        const { labels, ...rest } = v as Partial<OscRiotSettings>;
        if (labels !== undefined) notices.push('"osc.riot.labels" is ignored in a (r)evolution-style file; "riot_labels" sets it.');
        const riot = { ...out.riot, ...rest };
        if (Object.keys(riot).length > 0) out.riot = riot;
      } else (out as Record<string, unknown>)[k] = v;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * How `section` is saved into the (r)evolution file `raw`: the original's keys that must change
 * (`consolidate_outputs`, `riot_labels`; the others keep their spelling) and what this version's
 * own `osc` key must hold for the rest (undefined: no `osc` key). `protocol`, `ip_address` and
 * `port` are never rewritten: a setting they do not say goes to the `osc` key.
 */
export function oscToOriginalConfig(raw: Record<string, unknown>, section: OscSection | undefined): { keys: Record<string, unknown>; osc: OscSection | undefined } {
  const base = oscFromOriginalConfig(raw).section;
  const s: OscSection = section ?? {};
  const keys: Record<string, unknown> = {};
  if ((base.addresses ?? 'consolidated') !== (s.addresses ?? 'consolidated')) keys.consolidate_outputs = s.addresses === 'per-label';
  const labels = s.riot?.labels ?? RIOT_LABELS;
  if (!jsonEqual(base.riot?.labels ?? RIOT_LABELS, labels)) keys.riot_labels = [...labels];
  const osc: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'addresses') continue;
    if (k === 'riot') {
      const { labels: _l, ...rest } = v as Partial<OscRiotSettings>;
      if (Object.keys(rest).length > 0) osc.riot = rest;
    } else if (!jsonEqual((base as Record<string, unknown>)[k], v)) osc[k] = structuredClone(v);
  }
  // What the original's keys turn on that the section leaves to the default.
  const defaults = defaultOscOutputSettings();
  if (base.enabled !== undefined && s.enabled === undefined) osc.enabled = defaults.enabled;
  if (base.destinations !== undefined && s.destinations === undefined) osc.destinations = defaults.destinations;
  return { keys, osc: Object.keys(osc).length > 0 ? (osc as OscSection) : undefined };
}
