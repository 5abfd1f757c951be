/**
 * The `Host` header check, against DNS rebinding (docs/protocol.md "Access and threat model").
 *
 * A web page at http://evil.example:9001/ can make its own name resolve to 127.0.0.1 after it has
 * loaded; its next requests to "its own" server then reach ServerBIT, and the browser treats them
 * as same-origin. They still carry `Host: evil.example:9001`. So a request (plain HTTP or a
 * WebSocket upgrade) is served only when its Host names this ServerBIT:
 * - a loopback name or address (`localhost`, 127.0.0.0/8, `[::1]`) with the listening port;
 * - the configured `host` with the listening port;
 * - with `host` 0.0.0.0 / `::` (every interface): this computer's names (`os.hostname()`, its
 *   short form, `<short>.local`) and interface addresses, with the listening port;
 * - an entry of `allowed_hosts`: `name` (any port: a reverse proxy's public port is its own),
 *   `name:port` (that port only), or `*` (anything: the check is off).
 * Anything else gets 421 Misdirected Request; no Host at all (HTTP/1.0) gets 400.
 *
 * Names compare case-insensitively, without a trailing dot; addresses in the URL parser's
 * canonical form, so `2130706433` and `0x7f.1` are 127.0.0.1 and `[0:0::1]` is `[::1]`.
 */
import os from 'node:os';

export interface HostCheckOptions {
  /** The configured listen address (ServerBitConfig.host). */
  host: string;
  /** The port being listened on, read at every check (known once listening). */
  port: () => number | undefined;
  /** `allowed_hosts`, read at every check so a config change applies to the next request. Default none. */
  allowedHosts?: () => readonly string[];
  /**
   * This computer's names and addresses, used when `host` is every interface. Default: from
   * os.hostname() and os.networkInterfaces(), cached for OWN_NAMES_TTL_MS (addresses change with
   * DHCP and Wi-Fi, but not per request).
   */
  ownNames?: () => readonly string[];
}

export type HostVerdict = { ok: true } | { ok: false; status: 400 | 421; message: string };

/** How long the default `ownNames` list is reused, ms. */
const OWN_NAMES_TTL_MS = 5000;
/** Longest Host value considered (RFC 1035 names are ≤ 253 characters; plus a port). */
const MAX_HOST_LENGTH = 270;
const HOST_SYNTAX = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/;

export interface ParsedHost {
  /** Lower-case name, or canonical address (IPv6 in brackets). */
  name: string;
  /** The port, or undefined when the header named none (port 80 for http). */
  port: number | undefined;
}

/** Canonical form of a host name or address: what the WHATWG URL parser makes of it, without a trailing dot. */
function canonicalName(name: string): string | undefined {
  try {
    const h = new URL(`http://${name}/`).hostname;
    return h.endsWith('.') ? h.slice(0, -1) : h;
  } catch {
    return undefined;
  }
}

/** Parses a Host header (or an `allowed_hosts` entry); undefined when it is not `name[:port]`. */
export function parseHost(value: string): ParsedHost | undefined {
  if (value.length > MAX_HOST_LENGTH) return undefined;
  const m = HOST_SYNTAX.exec(value.trim());
  if (!m) return undefined;
  const name = canonicalName(m[1]);
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (name === undefined || name === '' || (port !== undefined && port > 65535)) return undefined;
  return { name, port };
}

/** True for `localhost`, 127.0.0.0/8 and ::1 (also IPv4-mapped), in canonical form. */
export function isLoopbackName(name: string): boolean {
  if (name === 'localhost') return true;
  if (/^127\.\d+\.\d+\.\d+$/.test(name)) return true;
  // [::ffff:127.a.b.c] is written [::ffff:7fxx:xxxx] by the URL parser.
  return name === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(name);
}

/** True for a listen address that means "every interface". */
export function isWildcardHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === '0.0.0.0' || h === '::' || /^(0{1,4}:){7}0{1,4}$/.test(h) || h === '';
}

/** True when a listen address (ServerBitConfig.host) reaches this computer only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const name = canonicalName(h);
  return name !== undefined && isLoopbackName(name);
}

let ownCache: { at: number; names: string[] } | undefined;

/** This computer's host names and interface addresses, canonical. */
export function machineNames(): string[] {
  const now = Date.now();
  if (ownCache && now - ownCache.at < OWN_NAMES_TTL_MS) return ownCache.names;
  const names = new Set<string>();
  const add = (n: string | undefined) => {
    const c = n === undefined ? undefined : canonicalName(n);
    if (c) names.add(c);
  };
  try {
    const full = os.hostname().toLowerCase();
    const short = full.split('.')[0];
    add(full);
    add(short);
    add(`${short}.local`);
  } catch {
    /* no host name: addresses only */
  }
  try {
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) add(a.family === 'IPv6' ? `[${a.address.split('%')[0]}]` : a.address);
    }
  } catch {
    /* no interfaces readable: names only */
  }
  ownCache = { at: now, names: [...names] };
  return ownCache.names;
}

/** Keeps an untrusted header printable and short before it is echoed in a refusal. */
function shown(value: string): string {
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 80)}…` : clean;
}

/** Returns the check for one server; call it with the raw Host header of each request. */
export function createHostCheck(options: HostCheckOptions): (hostHeader: string | undefined) => HostVerdict {
  const wildcard = isWildcardHost(options.host);
  // "0.0.0.0" is not a name of this server: browsers that send it reach loopback listeners ("0.0.0.0 day").
  const configured = wildcard ? undefined : parseHost(options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host)?.name;
  const ownNames = options.ownNames ?? machineNames;
  const allowedHosts = options.allowedHosts ?? (() => []);

  return (header) => {
    const port = options.port();
    const here = `http://127.0.0.1:${port ?? 9001}/`;
    if (header === undefined || header.trim() === '') {
      return { ok: false, status: 400, message: `A Host header is required (HTTP/1.1); open ${here}` };
    }
    const h = parseHost(header);
    if (h !== undefined) {
      const samePort = (h.port ?? 80) === port;
      if (samePort && (isLoopbackName(h.name) || h.name === configured)) return { ok: true };
      if (samePort && wildcard && ownNames().includes(h.name)) return { ok: true };
      for (const entry of allowedHosts()) {
        if (entry.trim() === '*') return { ok: true };
        const a = parseHost(entry);
        if (a && a.name === h.name && (a.port === undefined || a.port === (h.port ?? 80))) return { ok: true };
      }
    }
    const name = h?.name ?? shown(header);
    return {
      ok: false,
      status: 421,
      message:
        `Host "${shown(header)}" is not a name of this ServerBIT, so the request was refused (a protection against DNS rebinding, where a web page makes its own name point at this computer). ` +
        `Open ${here} instead; to reach ServerBIT under this name, add "${name}" to "allowed_hosts" in ~/ServerBIT/config.json.`,
    };
  };
}

/**
 * The startup warning for a listen address that is not loopback-only (printed on stderr by the
 * server), or undefined when `host` reaches this computer only.
 */
export function exposureWarning(host: string, port: number): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  const where = isWildcardHost(host) ? `every network interface (${host})` : host;
  return (
    `ServerBIT listens on ${where}, port ${port}: any computer that can reach it can read the live signals with a WebSocket program (reading needs no token), ` +
    'and the control token travels unencrypted. Set "host" to "127.0.0.1" unless other computers must connect; see docs/protocol.md, "Where ServerBIT listens".'
  );
}

/**
 * The status page's address for a browser on this computer, carrying the control token in the
 * fragment (browsers never send a fragment to the server; the page keeps it, see
 * src/renderer/ws-channel.ts). Without a token, the plain address.
 */
export function statusPageUrl(host: string, port: number, token: string): string {
  const h = isWildcardHost(host) || isLoopbackHost(host) ? '127.0.0.1' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${h}:${port}/${token ? `#token=${encodeURIComponent(token)}` : ''}`;
}
