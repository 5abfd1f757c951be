/**
 * Settings of the OSC output, the OSC control input and R-IoT devices (docs/osc.md), with their
 * defaults, units and schemas. Pure and dependency-free so the config loader, the window's
 * settings form and the outputs share one definition.
 *
 * Security defaults (docs/osc.md "Security"): the control input is off and, when on, binds
 * 127.0.0.1; the output sends to 127.0.0.1 unless told otherwise.
 */
import { validate, type JsonSchema, type ValidationIssue } from './schema.js';

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

export interface OscInputSettings {
  /** Default false: nothing listens. */
  enabled: boolean;
  /** Interface to listen on. Default 127.0.0.1 (this computer only); another address only by explicit setting. */
  host: string;
  /** UDP port, 1..65535. Default 12000 (the port of the original's unfinished trigger input). */
  port: number;
  /** Commands accepted per second, 1..1000, with bursts of as many; the rest are dropped and counted. Default 50. */
  maxCommandsPerSecond: number;
}

/** The names the original ServerBIT gives the 22 values of an R-IoT's `/<id>/raw` message, in order. */
export const RIOT_LABELS: readonly string[] = [
  'ACC_X', 'ACC_Y', 'ACC_Z', 'GYRO_X', 'GYRO_Y', 'GYRO_Z', 'MAG_X', 'MAG_Y', 'MAG_Z',
  'TEMP', 'IO', 'A1', 'A2', 'C', 'Q1', 'Q2', 'Q3', 'Q4', 'PITCH', 'YAW', 'ROLL', 'HEAD',
];

/** An R-IoT (IRCAM / PLUX) module streaming `/<module>/raw` over OSC/UDP (docs/osc.md "R-IoT"). */
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
  /** Column names for the message's values, in order; 1..64 different names. Default RIOT_LABELS (22). */
  labels: string[];
  /** Nominal rate, Hz, 1..1000: the R-IoT's factory sample period is 5 ms. Default 200. The stream is irregular; each sample carries its arrival time. */
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

const HOST: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 253,
  pattern: '^[A-Za-z0-9._:%\\[\\]-]+$',
  allowed: 'an IPv4 or IPv6 address or a host name, e.g. "127.0.0.1", "192.168.1.20", "239.0.0.1"',
};
const PORT: JsonSchema = { type: 'integer', minimum: 1, maximum: 65535 };
const LABEL: JsonSchema = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^\\s#*,/?\\[\\]{}]+$', allowed: 'a name of 1 to 64 characters without spaces or any of # * , / ? [ ] { }' };

export const OSC_OUTPUT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['enabled', 'destinations', 'addresses', 'maxRate', 'values', 'broadcast', 'multicastTtl', 'maxDatagramBytes', 'timeTag'],
  properties: {
    enabled: { type: 'boolean' },
    destinations: {
      type: 'array',
      minItems: 1,
      maxItems: 8,
      items: { type: 'object', additionalProperties: false, required: ['host', 'port'], properties: { host: HOST, port: PORT } },
      allowed: 'a list of 1 to 8 {"host", "port"} destinations',
    },
    addresses: { enum: ['consolidated', 'per-label'] },
    maxRate: { type: 'integer', minimum: 0, maximum: 100_000, allowed: '0 (every sample) or a rate in Hz' },
    values: { enum: ['raw', 'converted'] },
    broadcast: { type: 'boolean' },
    multicastTtl: { type: 'integer', minimum: 1, maximum: 255 },
    multicastInterface: HOST,
    maxDatagramBytes: { type: 'integer', minimum: 128, maximum: 65507 },
    timeTag: { enum: ['device', 'immediate'] },
    devices: { type: 'array', maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 64 } },
  },
} as const satisfies JsonSchema;

export const OSC_INPUT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['enabled', 'host', 'port', 'maxCommandsPerSecond'],
  properties: {
    enabled: { type: 'boolean' },
    host: HOST,
    port: PORT,
    maxCommandsPerSecond: { type: 'integer', minimum: 1, maximum: 1000 },
  },
} as const satisfies JsonSchema;

export const RIOT_DEVICE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'id', 'module', 'host', 'port', 'labels', 'rate'],
  properties: {
    kind: { const: 'riot' },
    id: { type: 'string', minLength: 1, maxLength: 64 },
    module: { type: 'integer', minimum: 0, maximum: 255 },
    host: HOST,
    port: PORT,
    labels: { type: 'array', minItems: 1, maxItems: 64, uniqueItems: true, items: LABEL, allowed: '1 to 64 different names, one per value of the R-IoT message' },
    rate: { type: 'number', minimum: 1, maximum: 1000 },
  },
} as const satisfies JsonSchema;

export function validateOscOutputSettings(value: unknown, path = 'osc'): ValidationIssue[] {
  return validate(OSC_OUTPUT_SCHEMA, value, { path, rootName: path });
}

export function validateOscInputSettings(value: unknown, path = 'osc_input'): ValidationIssue[] {
  return validate(OSC_INPUT_SCHEMA, value, { path, rootName: path });
}

export function validateRiotDeviceSettings(value: unknown, path = 'device'): ValidationIssue[] {
  return validate(RIOT_DEVICE_SCHEMA, value, { path, rootName: path });
}
