/**
 * The `lsl` section of `~/ServerBIT/config.json` (docs/lsl.md §11): its keys, their defaults and
 * the schema the config is checked with, and how the file's snake_case keys map to the LSL
 * output's settings (`LslSettings`). The one place these are defined: the config loader, /v2
 * `set_config`, the window's settings form and the LSL output all read them from here.
 *
 *   { "lsl": { "enabled": true, "format": "raw", "backlog_s": 60, "host": "0.0.0.0" } }
 *
 * Pure and dependency-free (src/shared rules): the LSL protocol's own numbers (port 16571, the
 * range 16572–16603, session "default") are liblsl's defaults and live here as settings defaults;
 * src/main/outputs/lsl/protocol.ts names the same numbers as protocol facts, and a test holds the
 * two equal.
 */
import { ConfigError } from '../errors.js';
import { Type, type Static } from '@sinclair/typebox';
import { Literals, validate, type Assert, type Same, type ValidationIssue } from '../schema.js';

/** The LSL output's settings as the code uses them (camelCase); the file spells them as LSL_CONFIG_KEYS says. */
export interface LslSettings {
  /** Publish one LSL stream per device. Default false. */
  enabled: boolean;
  /** "converted": float32 values in the sensor's unit (default); "raw": the int16 ADC values (float sources stay float32). */
  format: 'converted' | 'raw';
  /** Also send the digital lines (I1, I2, O1, O2) as channels after the analog ones. Default false. */
  digital: boolean;
  /**
   * Seconds of samples kept for each inlet that falls behind (liblsl keeps 360 s, "6 minutes").
   * When an inlet's backlog is full the oldest samples are dropped and counted. Default 360; 1–3600.
   */
  backlogSeconds: number;
  /** IPv4 address the streams are served on. Default "127.0.0.1" (this computer only); "0.0.0.0" = every network. */
  host: string;
  /** Local IPv4 addresses on which to join the discovery multicast groups; empty (default) = every interface. Ignored for a loopback host. */
  interfaces: string[];
  /** The lab's LSL session id (liblsl `SessionID`): inlets see only streams of their session. Default "default". */
  sessionId: string;
  /** Most inlets per stream at once. Default 16; 1–256. */
  maxConsumers: number;
  /** First port of the data/service port range. Default 16572 (0 = OS-picked ports, for tests). */
  basePort: number;
  /** Ports in the range. Default 32; 1–1024. */
  portRange: number;
  /** Discovery port. Default 16571; 0 = no discovery socket (only KnownPeers queries then find the streams). */
  multicastPort: number;
}

/** The defaults: liblsl's own where liblsl has the setting (lsl_api.cfg `ports.*`, `lab.SessionID`, the 360 s outlet buffer). */
export const LSL_DEFAULTS: Readonly<LslSettings> = Object.freeze({
  enabled: false,
  format: 'converted',
  digital: false,
  backlogSeconds: 360,
  host: '127.0.0.1',
  interfaces: Object.freeze([]) as unknown as string[],
  sessionId: 'default',
  maxConsumers: 16,
  basePort: 16572,
  portRange: 32,
  multicastPort: 16571,
});

/** File key → settings key. Every setting has exactly one file key. */
export const LSL_CONFIG_KEYS = {
  enabled: 'enabled',
  format: 'format',
  digital: 'digital',
  backlog_s: 'backlogSeconds',
  host: 'host',
  interfaces: 'interfaces',
  session_id: 'sessionId',
  max_inlets: 'maxConsumers',
  base_port: 'basePort',
  port_range: 'portRange',
  multicast_port: 'multicastPort',
} as const satisfies Record<string, keyof LslSettings>;

export type LslConfigKey = keyof typeof LSL_CONFIG_KEYS;

/** The section as the file holds it: every key optional (missing = its default). */
export type LslConfigSection = { -readonly [K in LslConfigKey]?: LslSettings[(typeof LSL_CONFIG_KEYS)[K]] };

/** A dotted-quad IPv4 address, each part 0–255 without leading zeros (what node:net's isIPv4 accepts). */
const IPV4_PATTERN = '^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$';

const IPV4 = { maxLength: 15, pattern: IPV4_PATTERN } as const;

const d = LSL_DEFAULTS;

/** The `lsl` section's schema: strict (an unknown key is refused, naming the known ones). */
export const LSL_CONFIG_SCHEMA = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ default: d.enabled })),
    format: Type.Optional(Literals(['converted', 'raw'], { default: d.format, allowed: '"converted" (float32 in the sensor\'s unit) or "raw" (int16 ADC values)' })),
    digital: Type.Optional(Type.Boolean({ default: d.digital })),
    backlog_s: Type.Optional(Type.Number({ minimum: 1, maximum: 3600, default: d.backlogSeconds, allowed: 'seconds of samples kept for an inlet that falls behind, from 1 to 3600' })),
    host: Type.Optional(
      Type.String({ ...IPV4, default: d.host, allowed: 'an IPv4 address of this computer: "127.0.0.1" (this computer only), "0.0.0.0" (every network) or one interface\'s address' }),
    ),
    interfaces: Type.Optional(
      Type.Array(Type.String({ ...IPV4, allowed: 'an IPv4 address of this computer, e.g. "192.168.1.20"' }), {
        maxItems: 64,
        default: d.interfaces,
        allowed: 'a list of up to 64 IPv4 addresses of this computer to join the LSL multicast groups on ([] = every interface)',
      }),
    ),
    // liblsl's resolvers put the session id between apostrophes in their XPath query (docs/lsl.md §5).
    session_id: Type.Optional(
      Type.String({ maxLength: 256, pattern: "^[^'\\u0000-\\u001f]*$", default: d.sessionId, allowed: "a session name of at most 256 characters without ' or control characters" }),
    ),
    max_inlets: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, default: d.maxConsumers })),
    base_port: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 65535, default: d.basePort, allowed: 'the first port of the LSL port range, 1024 to 65535 (liblsl: 16572), or 0 for ports the system picks' }),
    ),
    port_range: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024, default: d.portRange })),
    multicast_port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, default: d.multicastPort, allowed: 'the LSL discovery port (liblsl: 16571), or 0 for no discovery socket' })),
  },
  { additionalProperties: false, allowed: `an object with any of ${Object.keys(LSL_CONFIG_KEYS).join(', ')} (docs/lsl.md §11)` },
);

// The file's keys (LSL_CONFIG_KEYS) and the schema say the same (compile-time only).
export type LslSchemaTypeChecks = Assert<Same<Static<typeof LSL_CONFIG_SCHEMA>, LslConfigSection>>;

/** Issues with an `lsl` section, paths like `lsl.backlog_s`; [] when valid. */
export function validateLslConfig(value: unknown, path = 'lsl'): ValidationIssue[] {
  return validate(LSL_CONFIG_SCHEMA, value, { path, rootName: path });
}

/**
 * The settings an `lsl` section gives (defaults for what it leaves out). Throws ConfigError
 * (LSL_INVALID_SETTING) naming the first bad key, `lsl.<key>`, and what is allowed.
 */
export function lslSettingsFromConfig(section: unknown = {}): LslSettings {
  const issues = validateLslConfig(section);
  if (issues.length > 0) {
    throw new ConfigError('LSL_INVALID_SETTING', issues.map((i) => i.message).join('; '), issues[0].path || 'lsl', 'Correct the "lsl" section of the config; docs/lsl.md §11 lists the keys and their values.');
  }
  const s: LslSettings = { ...LSL_DEFAULTS, interfaces: [...LSL_DEFAULTS.interfaces] };
  const given = section as Record<string, unknown>;
  for (const [fileKey, key] of Object.entries(LSL_CONFIG_KEYS)) {
    if (!Object.hasOwn(given, fileKey)) continue;
    const v = given[fileKey];
    (s as unknown as Record<string, unknown>)[key] = Array.isArray(v) ? [...(v as unknown[])] : v;
  }
  return s;
}

/** The `lsl` section that gives these settings (the programmatic API's settings, checked by the same schema). */
export function lslConfigFromSettings(settings: Partial<LslSettings>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [fileKey, key] of Object.entries(LSL_CONFIG_KEYS)) if (Object.hasOwn(settings, key)) out[fileKey] = settings[key];
  return out;
}
