/**
 * One MQTT connection as the publisher, its will holders and the relay open it (docs/mqtt.md
 * "Connecting"): MQTT.js options from our settings (TLS files read here, once), what a failure
 * means (ServerBitError with a stable code, and whether retrying can help), and reconnection with
 * backoff — 0.5 s, doubling, at most 10 s, like the devices (MQTT.js alone retries at a fixed
 * period). A refusal for credentials or a certificate that cannot be verified is not retried:
 * the user must change the settings.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { ConfigError, NetworkError, ServerBitError } from '#shared/errors.js';
import { brokerName, type BrokerConnection } from '#shared/outputs/mqtt-config.js';

export type ConnectionSettings = BrokerConnection;

export const BACKOFF = { initialMs: 500, maxMs: 10_000 };
/** How long a connection attempt may take before it counts as failed, ms. */
export const CONNECT_TIMEOUT_MS = 10_000;

function readPem(path: string, key: 'ca' | 'cert' | 'key'): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError('MQTT_INVALID_SETTING', `mqtt.${key}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, `mqtt.${key}`, `Give the path of a readable PEM file in "mqtt.${key}".`, { cause: e });
  }
}


/**
 * MQTT.js options for `s`; reconnection is ours (reconnectPeriod is set per attempt by
 * `keepConnecting`). Throws MQTT_INVALID_SETTING for a TLS file that cannot be read.
 */
export function clientOptions(s: ConnectionSettings, extra: Partial<IClientOptions> = {}): IClientOptions {
  const o: IClientOptions = {
    clientId: s.clientId,
    keepalive: s.keepaliveS,
    clean: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    reconnectPeriod: BACKOFF.initialMs,
    // Never MQTT.js's unbounded offline queue: callers hand a message over only while connected.
    queueQoSZero: false,
    // A refused CONNECT (credentials) stays refused: no retry loop against the broker.
    reconnectOnConnackError: false,
    rejectUnauthorized: true,
    ...extra,
  };
  if (s.username !== undefined) o.username = s.username;
  if (s.password !== undefined) o.password = s.password;
  if (s.ca !== undefined) o.ca = readPem(s.ca, 'ca');
  if (s.cert !== undefined) o.cert = readPem(s.cert, 'cert');
  if (s.key !== undefined) o.key = readPem(s.key, 'key');
  return o;
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/** What a connection failure means: the error to show, and whether retrying can help. */
export function classifyError(err: unknown, url: string): { error: ServerBitError; permanent: boolean } {
  if (err instanceof ServerBitError) return { error: err, permanent: err.code === 'MQTT_INVALID_SETTING' };
  const broker = brokerName(url);
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const code = e?.code;
  // CONNACK return codes (MQTT 3.1.1: 2, 4, 5) and reason codes (MQTT 5: 133, 134, 135, 138, 140).
  if (code === 4 || code === 5 || code === 134 || code === 135 || code === 138 || code === 140) {
    return {
      error: new NetworkError('MQTT_AUTH_FAILED', `the broker ${broker} refused this ServerBIT: ${message}`, 'Check "mqtt.username" and "mqtt.password" in ~/ServerBIT/config.json (and the broker\'s password file or ACL); ServerBIT does not retry until the settings change.', { cause: err }),
      permanent: true,
    };
  }
  if (code === 2 || code === 133) {
    return {
      error: new NetworkError('MQTT_AUTH_FAILED', `the broker ${broker} refused the client id: ${message}`, 'Set "mqtt.client_id" to an id the broker accepts (letters and digits, at most 23 for some brokers).', { cause: err }),
      permanent: true,
    };
  }
  if (typeof code === 'string' && TLS_CODES.has(code)) {
    return {
      error: new NetworkError(
        'MQTT_TLS_FAILED',
        `the certificate of ${broker} could not be verified (${code}: ${message})`,
        code === 'ERR_TLS_CERT_ALTNAME_INVALID'
          ? 'Connect with the host name the certificate was issued for, or issue one that names this host.'
          : 'For a self-signed or private CA, give its certificate (PEM) in "mqtt.ca"; check the dates of the certificate.',
        { cause: err },
      ),
      permanent: true,
    };
  }
  const hint =
    code === 'ENOTFOUND' || code === 'EAI_AGAIN'
      ? `Check the host name in the broker URL (${broker}).`
      : code === 'ECONNREFUSED'
        ? `Nothing listens at ${broker}: start the broker (e.g. "mosquitto -c mosquitto.conf") or check the port. ServerBIT keeps retrying.`
        : 'ServerBIT keeps retrying with backoff (at most every 10 s).';
  return { error: new NetworkError('MQTT_UNREACHABLE', `cannot reach the broker ${broker}: ${message}`, hint, { cause: err }), permanent: false };
}

export interface ConnectionEvents {
  connect(): void;
  /** The connection is down (or an attempt failed); `permanent`: no more attempts. */
  down(error: ServerBitError, permanent: boolean): void;
}

/**
 * Connects and keeps connecting with backoff until `end()`. Events never throw out of MQTT.js's
 * callbacks. Returns the client (its `connected` says whether it is up now).
 */
export function keepConnecting(settings: ConnectionSettings, extra: Partial<IClientOptions>, events: ConnectionEvents): MqttClient {
  const client = mqtt.connect(settings.url, clientOptions(settings, extra));
  let delay = BACKOFF.initialMs;
  let lastError: ServerBitError | undefined;
  let stopped = false;
  client.on('connect', () => {
    // Small messages at a steady rate: Nagle's algorithm would hold them back for the peer's delayed ACK (~40 ms).
    (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
    delay = BACKOFF.initialMs;
    lastError = undefined;
    events.connect();
  });
  client.on('error', (err) => {
    const c = classifyError(err, settings.url);
    lastError = c.error;
    if (c.permanent && !stopped) {
      stopped = true;
      client.end(true);
      events.down(c.error, true);
    }
  });
  // Before MQTT.js's own 'close' listener reads reconnectPeriod for the next attempt.
  client.prependListener('close', () => {
    client.options.reconnectPeriod = delay;
    delay = Math.min(delay * 2, BACKOFF.maxMs);
  });
  client.on('close', () => {
    if (stopped) return;
    events.down(lastError ?? new NetworkError('MQTT_UNREACHABLE', `the connection to ${brokerName(settings.url)} closed`, 'ServerBIT reconnects by itself.'), false);
  });
  return client;
}

/** Closes a client: flushes what was handed to it (within `timeoutMs`), then cuts it. Never rejects. */
export async function endClient(client: MqttClient, timeoutMs = 2000): Promise<void> {
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      client.end(true, () => resolve());
      setTimeout(resolve, 200).unref();
    }, timeoutMs);
    t.unref();
    try {
      client.end(false, () => {
        clearTimeout(t);
        resolve();
      });
    } catch {
      clearTimeout(t);
      resolve();
    }
  });
}
