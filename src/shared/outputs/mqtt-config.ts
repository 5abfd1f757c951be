/**
 * The `mqtt` section of ~/ServerBIT/config.json (docs/mqtt.md "Settings"): its strict schema
 * (MqttConfig is its type), its defaults, and the one function that turns the section (as the
 * file holds it) into the settings the MQTT output runs with. Pure and shared: the config validator, the window's editor,
 * the CLI and the output use it; nothing here touches the file system or the network.
 *
 * The relay (`serverbit --relay URL`, docs/mqtt.md "Relay") takes its credentials and TLS files
 * from this section too; its URL and topic filter come from the command line.
 */
import { ConfigError } from '../errors.js';
import { Type, type Static } from '@sinclair/typebox';
import { Literals, validate } from '../schema.js';

/** How to reach a broker: what the publisher, the relay and a remote device's link each connect with. */
export interface BrokerConnection {
  /** Broker URL: mqtt://host[:1883], mqtts://host[:8883], ws://host:port/path, wss://host:port/path. */
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Paths of PEM files: the CA that signed the broker's certificate (a self-signed one: the certificate itself), and this client's certificate and key. */
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  clientId: string;
  keepaliveS: number;
}

/** What the output runs with: every key resolved. */
export interface MqttSettings extends BrokerConnection {
  /** MQTT client id. Default `serverbit-<instance>-<8 random hex digits>` (unique, so two ServerBITs never take each other's session). */
  clientId: string;
  /** Names this ServerBIT in topics. Default: the host name (characters outside A-Z a-z 0-9 _ . - become "-"). */
  instance: string;
  /** Topic prefix: `<prefix>/<device id>/data` … Default `serverbit/<instance>`. */
  prefix: string;
  /** QoS of `…/data` messages: 0 (default: at most once, the broker never waits for us) or 1 (acknowledged, resent after a reconnect). */
  dataQos: 0 | 1;
  /** `raw` (default): integer columns; `both`: also the values in the sensors' units, like /v2 `format: both`. */
  dataFormat: 'raw' | 'both';
  /** Device time per `…/data` message, ms (1..1000, default 40): samples per message = max(1, rate × batch_ms / 1000). */
  batchMs: number;
  /** Bound on data waiting for the broker, bytes of payload (default 4 MiB). Data that does not fit becomes an `output_overflow` gap. */
  queueBytes: number;
  /** MQTT keepalive, s (default 30): a dead broker is noticed within about 1.5 × this. */
  keepaliveS: number;
  /** Accept commands on `<prefix>/command` (each with the control token), replies on `<prefix>/reply`. Default false. */
  control: boolean;
}

export const MQTT_DEFAULTS = {
  batchMs: 40,
  queueBytes: 4 * 1024 * 1024,
  keepaliveS: 30,
  dataQos: 0,
  dataFormat: 'raw',
} as const;

/** Smallest and largest `queue_bytes`. */
export const MQTT_QUEUE_BYTES_RANGE = [16 * 1024, 256 * 1024 * 1024] as const;

const URL_PATTERN = '^(mqtt|mqtts|ws|wss)://[^\\s/?#]+(/[^\\s]*)?$';
/** Topic levels without wildcards, no empty level, no leading or trailing "/". */
const TOPIC_PATTERN = '^[^/#+\\u0000]+(/[^/#+\\u0000]+)*$';
/** The relay's filter: the same, where a whole level may be "+". */
export const RELAY_FILTER_PATTERN = '^([^/#+\\u0000]+|\\+)(/([^/#+\\u0000]+|\\+))*$';
const INSTANCE_PATTERN = '^[A-Za-z0-9_.-]{1,64}$';
const FILE = Type.String({ minLength: 1, maxLength: 1024, allowed: 'the path of a PEM file' });

export const MQTT_CONFIG_SCHEMA = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    url: Type.Optional(
      Type.String({
        maxLength: 2048,
        pattern: URL_PATTERN,
        allowed: 'a broker URL: mqtt://host[:port], mqtts://host[:port], ws://host:port/path or wss://host:port/path',
      }),
    ),
    username: Type.Optional(Type.String({ maxLength: 256 })),
    password: Type.Optional(Type.String({ maxLength: 1024 })),
    ca: Type.Optional(FILE),
    cert: Type.Optional(FILE),
    key: Type.Optional(FILE),
    client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$', allowed: 'an MQTT client id of 1 to 128 letters, digits, "_", ".", ":" or "-"' })),
    instance: Type.Optional(Type.String({ pattern: INSTANCE_PATTERN, allowed: 'a name of 1 to 64 letters, digits, "_", "." or "-" (default: the host name)' })),
    prefix: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: TOPIC_PATTERN,
        allowed: 'a topic prefix such as "serverbit/lab-pc": levels separated by "/", no "+" or "#", no empty level, no "/" at either end',
      }),
    ),
    data_qos: Type.Optional(Literals([0, 1])),
    data_format: Type.Optional(Literals(['raw', 'both'])),
    batch_ms: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    queue_bytes: Type.Optional(Type.Integer({ minimum: MQTT_QUEUE_BYTES_RANGE[0], maximum: MQTT_QUEUE_BYTES_RANGE[1] })),
    keepalive_s: Type.Optional(Type.Integer({ minimum: 5, maximum: 600 })),
    control: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, allowed: 'an object of MQTT settings (docs/mqtt.md "Settings")' },
);

/** The section as the file holds it: every key optional. */
export type MqttConfig = Static<typeof MQTT_CONFIG_SCHEMA>;

/** The relay's `--prefix`: a topic filter where a whole level may be "+". */
export const RELAY_FILTER_SCHEMA = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: RELAY_FILTER_PATTERN,
  allowed: 'a topic prefix such as "serverbit/lab-pc" or "serverbit/+" (a whole level may be "+"; no "#", no empty level, no "/" at either end)',
});

/** A host name as a topic level and instance name: characters outside A-Z a-z 0-9 _ . - become "-". */
export function instanceName(hostname: string): string {
  const s = hostname.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64);
  return s === '' ? 'serverbit' : s;
}

export interface MqttEnvironment {
  /** This computer's host name (os.hostname()). */
  hostname: string;
  /** 8 random hex digits for the default client id. */
  randomHex: string;
}

function invalid(message: string, key: string): ConfigError {
  return new ConfigError('MQTT_INVALID_SETTING', message, key, 'See docs/mqtt.md "Settings" for the allowed values.');
}

/** Throws MQTT_INVALID_SETTING naming the first bad key of the section. */
export function checkMqttSection(section: unknown): MqttConfig {
  const issues = validate(MQTT_CONFIG_SCHEMA, section, { rootName: 'mqtt', path: 'mqtt' });
  if (issues.length > 0) throw invalid(`${issues[0].message}.`, issues[0].path);
  return section as MqttConfig;
}

/**
 * The settings an `mqtt` section gives (with `url` required). Throws ConfigError
 * MQTT_INVALID_SETTING naming the key.
 */
export function resolveMqttSettings(section: unknown, env: MqttEnvironment): MqttSettings {
  const c = checkMqttSection(section ?? {});
  if (c.url === undefined) throw invalid('mqtt.url is missing; allowed: a broker URL such as "mqtt://127.0.0.1:1883"', 'mqtt.url');
  if (c.cert !== undefined && c.key === undefined) throw invalid('mqtt.cert is set but mqtt.key is not; allowed: both (a client certificate and its key) or neither', 'mqtt.key');
  if (c.key !== undefined && c.cert === undefined) throw invalid('mqtt.key is set but mqtt.cert is not; allowed: both (a client certificate and its key) or neither', 'mqtt.cert');
  const instance = c.instance ?? instanceName(env.hostname);
  const s: MqttSettings = {
    url: c.url,
    clientId: c.client_id ?? `serverbit-${instance}-${env.randomHex}`.slice(0, 128),
    instance,
    prefix: c.prefix ?? `serverbit/${instance}`,
    dataQos: c.data_qos ?? MQTT_DEFAULTS.dataQos,
    dataFormat: c.data_format ?? MQTT_DEFAULTS.dataFormat,
    batchMs: c.batch_ms ?? MQTT_DEFAULTS.batchMs,
    queueBytes: c.queue_bytes ?? MQTT_DEFAULTS.queueBytes,
    keepaliveS: c.keepalive_s ?? MQTT_DEFAULTS.keepaliveS,
    control: c.control ?? false,
  };
  for (const k of ['username', 'password', 'ca', 'cert', 'key'] as const) if (c[k] !== undefined) s[k] = c[k];
  return s;
}

/** What the relay runs with: the broker and the filter from the command line, the rest from the `mqtt` section. */
export interface RelaySettings extends BrokerConnection {
  /** Topic filter of the publishers' prefixes; a whole level may be "+". Default `serverbit/+` (every ServerBIT with the default prefix). */
  prefix: string;
}

export const DEFAULT_RELAY_PREFIX = 'serverbit/+';

/** Throws MQTT_INVALID_SETTING for a bad URL or filter (`--relay`, `--prefix`) or a bad `mqtt` section. */
export function resolveRelaySettings(flags: { url: string; prefix?: string | undefined }, section: unknown, env: MqttEnvironment): RelaySettings {
  const urlIssues = validate(MQTT_CONFIG_SCHEMA.properties.url, flags.url, { path: '--relay' });
  if (urlIssues.length > 0) throw invalid(`${urlIssues[0].message}.`, 'relay');
  const prefix = flags.prefix ?? DEFAULT_RELAY_PREFIX;
  const filterIssues = validate(RELAY_FILTER_SCHEMA, prefix, { path: '--prefix' });
  if (filterIssues.length > 0) throw invalid(`${filterIssues[0].message}.`, 'prefix');
  const c = checkMqttSection(section ?? {});
  const instance = c.instance ?? instanceName(env.hostname);
  const s: RelaySettings = {
    url: flags.url,
    prefix,
    clientId: `serverbit-relay-${instance}-${env.randomHex}`.slice(0, 128),
    keepaliveS: c.keepalive_s ?? MQTT_DEFAULTS.keepaliveS,
  };
  for (const k of ['username', 'password', 'ca', 'cert', 'key'] as const) if (c[k] !== undefined) s[k] = c[k];
  return s;
}

/** The broker as shown to users: the URL without credentials. */
export function brokerName(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
