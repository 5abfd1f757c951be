/**
 * The LSL output's settings (docs/lsl.md §11), with their defaults. Plain data: the config file,
 * CLI, tray, window and /v2 carry it; `resolveLslSettings` checks a partial object and fills in the
 * rest.
 */
import { isIPv4 } from 'node:net';
import { ConfigError } from '../../../shared/errors.js';
import { BASE_PORT, DEFAULT_SESSION_ID, MULTICAST_PORT, PORT_RANGE } from './protocol.js';

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
  /** IPv4 address the streams are served on. Default "127.0.0.1" (this computer only); "0.0.0.0" = the whole network. */
  host: string;
  /** Local IPv4 addresses on which to join the discovery multicast groups; empty (default) = every interface. Ignored for a loopback host. */
  interfaces: string[];
  /** The lab's LSL session id (liblsl `SessionID`): inlets see only streams of their session. Default "default". */
  sessionId: string;
  /** Most inlets per stream at once. Default 16; 1–256. */
  maxConsumers: number;
  /** First port of the data/service port range. Default 16572 (0 = OS-picked ports, for tests). */
  basePort: number;
  /** Ports in the range. Default 32. */
  portRange: number;
  /** Discovery port. Default 16571; 0 = no discovery socket (only KnownPeers queries then find the streams). */
  multicastPort: number;
}

export const LSL_DEFAULTS: Readonly<LslSettings> = Object.freeze({
  enabled: false,
  format: 'converted',
  digital: false,
  backlogSeconds: 360,
  host: '127.0.0.1',
  interfaces: [],
  sessionId: DEFAULT_SESSION_ID,
  maxConsumers: 16,
  basePort: BASE_PORT,
  portRange: PORT_RANGE,
  multicastPort: MULTICAST_PORT,
});

function bad(key: string, message: string): ConfigError {
  return new ConfigError('LSL_INVALID_SETTING', `lsl.${key}: ${message}`, `lsl.${key}`, 'See docs/lsl.md §11 for the allowed values.');
}

function int(v: unknown, key: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(key, `must be an integer from ${min} to ${max}`);
  return v;
}

/** Defaults for what is missing; throws ConfigError (LSL_INVALID_SETTING) naming the first bad key. */
export function resolveLslSettings(partial: Partial<LslSettings> = {}): LslSettings {
  const s: LslSettings = { ...LSL_DEFAULTS, interfaces: [...LSL_DEFAULTS.interfaces], ...partial };
  if (typeof s.enabled !== 'boolean') throw bad('enabled', 'must be true or false');
  if (s.format !== 'converted' && s.format !== 'raw') throw bad('format', 'must be "converted" or "raw"');
  if (typeof s.digital !== 'boolean') throw bad('digital', 'must be true or false');
  if (typeof s.backlogSeconds !== 'number' || !(s.backlogSeconds >= 1 && s.backlogSeconds <= 3600)) throw bad('backlogSeconds', 'must be a number of seconds from 1 to 3600');
  if (typeof s.host !== 'string' || !isIPv4(s.host)) throw bad('host', 'must be an IPv4 address ("127.0.0.1", "0.0.0.0", or one of this computer\'s addresses)');
  if (!Array.isArray(s.interfaces) || s.interfaces.length > 64 || !s.interfaces.every((a) => typeof a === 'string' && isIPv4(a))) throw bad('interfaces', 'must be a list of IPv4 addresses');
  if (typeof s.sessionId !== 'string' || s.sessionId.length > 256 || s.sessionId.includes("'")) throw bad('sessionId', "must be a string of at most 256 characters without '");
  int(s.maxConsumers, 'maxConsumers', 1, 256);
  int(s.basePort, 'basePort', 0, 65535);
  int(s.portRange, 'portRange', 1, 1024);
  int(s.multicastPort, 'multicastPort', 0, 65535);
  return s;
}
