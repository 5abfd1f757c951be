/**
 * A remote device's address: a device another ServerBIT publishes to an MQTT broker, opened like
 * any device of the list (docs/mqtt.md "A remote device in the device list"):
 *
 *   mqtt[s]://[user[:password]@]host[:port]/<the publisher's topic prefix>/<its device id>
 *   e.g. mqtt://broker.local:1883/serverbit/lab-pc/0
 *
 * The one parser of this form, shared by the config validator, the CLI's `--device`, the service
 * that opens the device and the window that checks the field as the user types. Pure (no Node
 * module), linear in the text (one pass of `split`/`indexOf`, no backtracking pattern), and it
 * never repeats a password: every message and the `display` form show the address without it.
 */
import type { ValidationIssue } from './schema.js';

export interface RemoteAddress {
  protocol: 'mqtt' | 'mqtts';
  /** Host name or IP address (an IPv6 address without its brackets). */
  host: string;
  /** Default 1883 (mqtt) or 8883 (mqtts). */
  port: number;
  username?: string;
  password?: string;
  /** The publisher's topic prefix (its `mqtt.prefix`, default `serverbit/<host name>`): levels without wildcards. */
  prefix: string;
  /** The device's id at the publisher (the level before `/meta`, `/data`…). */
  device: string;
  /** The broker to connect to, without credentials: `mqtt://broker.local:1883`. */
  broker: string;
  /** The address as shown everywhere (status, meta, logs, errors): no credentials, the port given. */
  display: string;
}

export type ParsedRemoteAddress = { ok: true; value: RemoteAddress } | { ok: false; problem: string };

/** What the form looks like, for messages. */
export const REMOTE_ADDRESS_FORMS =
  'a device published to an MQTT broker, "mqtt://[user:password@]host[:port]/<publisher prefix>/<device id>" (or mqtts://), e.g. "mqtt://broker.local:1883/serverbit/lab-pc/0"';

/** Longest address, characters (the config's limit for any device address). */
export const MAX_ADDRESS_LENGTH = 256;
/** Longest topic prefix (the publisher's `mqtt.prefix` limit). */
const MAX_PREFIX_LENGTH = 200;
/** A device id, as the config allows it (one topic level, no wildcard). */
const DEVICE_ID = /^[A-Za-z0-9_.-]{1,32}$/;
/** The last level of a device's topics: an address that ends with one names a topic, not a device. */
const TOPIC_KINDS = new Set(['meta', 'status', 'data', 'gap', 'marker', 'command', 'reply']);
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;
const SCHEME = /^(mqtts?):\/\//i;

/** Whether `text` is meant as a remote device (starts with mqtt:// or mqtts://, any case). */
export function isRemoteAddress(text: string): boolean {
  return SCHEME.test(text.trim());
}

/**
 * `text` with its password replaced by `***` (for messages about an address that may not even
 * parse). Other addresses come back unchanged.
 */
export function redactAddress(text: string): string {
  const t = text.trim();
  const m = SCHEME.exec(t);
  if (!m) return text;
  const rest = t.slice(m[0].length);
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const at = authority.lastIndexOf('@');
  if (at === -1) return t;
  const user = authority.slice(0, at);
  const colon = user.indexOf(':');
  const shown = colon === -1 ? user : `${user.slice(0, colon)}:***`;
  return `${m[0]}${shown}@${rest.slice(at + 1)}`;
}

/** The address for display when it is a remote one (credentials gone), else as it is. */
export function displayAddress(text: string): string {
  if (!isRemoteAddress(text)) return text;
  const p = parseRemoteAddress(text);
  return p.ok ? p.value.display : redactAddress(text);
}

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** Reads a remote device's address; a problem in words (never with the password) when it is not one. */
export function parseRemoteAddress(text: string): ParsedRemoteAddress {
  const t = text.trim();
  const shown = JSON.stringify(redactAddress(t.length > 120 ? `${t.slice(0, 119)}…` : t));
  const bad = (why: string): ParsedRemoteAddress => ({ ok: false, problem: `${shown} ${why}` });
  if (t.length > MAX_ADDRESS_LENGTH) return { ok: false, problem: `a remote device's address has ${t.length} characters; allowed: at most ${MAX_ADDRESS_LENGTH}` };
  const m = SCHEME.exec(t);
  if (!m) return bad('does not start with mqtt:// or mqtts://');
  const protocol = m[1].toLowerCase() as 'mqtt' | 'mqtts';
  const rest = t.slice(m[0].length);
  if (/[\s?#]/.test(rest)) return bad('has a space, "?" or "#": the address ends with the device id (put credentials before the host: mqtt://user:password@host/…)');
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash + 1);

  const at = authority.lastIndexOf('@');
  let username: string | undefined;
  let password: string | undefined;
  if (at !== -1) {
    const info = authority.slice(0, at);
    const colon = info.indexOf(':');
    username = decode(colon === -1 ? info : info.slice(0, colon));
    if (colon !== -1) password = decode(info.slice(colon + 1));
    if (username === undefined || (password === undefined && colon !== -1)) return bad('has a "%" in its user name or password that is not a %XX escape');
    if (username === '') return bad('has "@" but no user name before it: write mqtt://user:password@host/…, or leave the credentials out');
  }
  const hostPort = authority.slice(at + 1);
  let host: string;
  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close === -1) return bad('has "[" without "]" around an IPv6 address');
    host = hostPort.slice(1, close);
    const after = hostPort.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) return bad('has something other than ":port" after the IPv6 address');
    if (after !== '') portText = after.slice(1);
    if (!IPV6.test(host) || !host.includes(':')) return bad(`names the host [${host}], which is not an IPv6 address`);
  } else {
    const colon = hostPort.indexOf(':');
    host = colon === -1 ? hostPort : hostPort.slice(0, colon);
    if (colon !== -1) portText = hostPort.slice(colon + 1);
    if (host === '') return bad('names no broker: write the host after "//", e.g. mqtt://broker.local:1883/serverbit/lab-pc/0');
    const ok = /^[\d.]+$/.test(host) ? IPV4.test(host) : HOST_NAME.test(host);
    if (!ok) return bad(`names the host "${host}", which is not a host name or an IP address`);
  }
  let port = protocol === 'mqtts' ? 8883 : 1883;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) return bad(`has the port "${portText}"; allowed: 1 to 65535 (default ${port})`);
    port = Number(portText);
  }

  if (path === '' || path === '/') return bad('names no device: add the publisher\'s topic prefix and the device id after the broker, e.g. …/serverbit/lab-pc/0');
  const levels = path.split('/');
  if (levels.length < 2) return bad(`names only "${levels[0]}": add the publisher's topic prefix before the device id, e.g. …/serverbit/lab-pc/${levels[0]}`);
  const decoded: string[] = [];
  for (const level of levels) {
    if (level === '') return bad('has an empty topic level ("//" or a "/" at the end)');
    const d = decode(level);
    if (d === undefined) return bad(`has a "%" in the topic level "${level}" that is not a %XX escape`);
    if (/[+#\u0000]/.test(d)) return bad('has "+", "#" or a NUL in a topic level: a remote device names one publisher and one device, no wildcards');
    decoded.push(d);
  }
  const device = decoded[decoded.length - 1];
  if (TOPIC_KINDS.has(device)) return bad(`ends with "/${device}", one of a device's topics: end the address with the device id, e.g. …/serverbit/lab-pc/0`);
  if (!DEVICE_ID.test(device)) return bad(`ends with "${device}", which is not a device id; allowed: 1 to 32 letters, digits, "_", "." or "-"`);
  const prefix = decoded.slice(0, -1).join('/');
  if (prefix.length > MAX_PREFIX_LENGTH) return bad(`has a topic prefix of ${prefix.length} characters; allowed: at most ${MAX_PREFIX_LENGTH}`);

  const hostShown = host.includes(':') ? `[${host}]` : host;
  const broker = `${protocol}://${hostShown.toLowerCase()}:${port}`;
  const value: RemoteAddress = {
    protocol,
    host,
    port,
    prefix,
    device,
    broker,
    display: `${broker}/${decoded.map((l) => encodeURIComponent(l)).join('/')}`,
  };
  if (username !== undefined) value.username = username;
  if (password !== undefined) value.password = password;
  return { ok: true, value };
}

/** Issues with the remote addresses among a config's devices (`device`, `devices[i].address`), for the config validator. */
export function remoteAddressIssues(device: unknown, devices: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const check = (a: unknown, path: string): void => {
    if (typeof a !== 'string' || !isRemoteAddress(a)) return;
    const p = parseRemoteAddress(a);
    if (!p.ok) issues.push({ path, message: `${path}: ${p.problem}; allowed: ${REMOTE_ADDRESS_FORMS}` });
  };
  check(device, 'device');
  if (Array.isArray(devices)) {
    devices.forEach((e: unknown, i) => {
      if (typeof e === 'object' && e !== null && !Array.isArray(e)) check((e as { address?: unknown }).address, `devices[${i}].address`);
    });
  }
  return issues;
}
