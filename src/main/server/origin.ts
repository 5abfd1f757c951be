/**
 * Origin check for WebSocket upgrades (docs/protocol.md §8 "Access and threat model").
 *
 * Browsers do not apply the same-origin policy to WebSockets: any web page the user visits may
 * try `new WebSocket('ws://127.0.0.1:9001/')`. What protects the stream is that browsers always
 * send the page's `Origin` on a WebSocket handshake and scripts cannot forge it, so we accept a
 * browser only when its Origin is on the allow-list.
 *
 * A handshake WITHOUT an Origin header is therefore not a web page: it is a program (Python's
 * `websocket-client`, Node's `ws`, Max, Unity…) that the user ran, which could read the same
 * data in other ways anyway. Those are allowed, as the original ServerBIT allowed them.
 *
 * Allow-list entries (ServerBitConfig.allowed_origins):
 * - `scheme://host[:port]`  exactly that origin (default ports may be written or omitted);
 * - `scheme://host:*`       that scheme and host on any port, or with no port;
 * - `file://`               pages opened from disk: browsers send `null` for them (Chromium,
 *                           Firefox); some embedded browsers send `file://`;
 * - `null`                  the literal `null` origin (file pages, sandboxed frames, data: URLs).
 * Neither `null` nor `file://` is in the default list: any web site can make a sandboxed frame,
 * which sends `Origin: null`, so allowing it lets every site read the signals. When such a page is
 * refused, `nullOriginGuidance` says how to open it instead and what allowing it would permit.
 * Malformed entries match nothing. Scheme and host compare case-insensitively (the URL parser
 * normalises both); the Origin header must be a bare origin, so `http://localhost.evil.com`
 * and `http://localhost:9001@evil.com` never match `http://localhost:*`.
 */

interface ParsedOrigin {
  /** Lower-case, with the colon: `http:`. */
  protocol: string;
  /** Lower-case hostname; IPv6 in brackets. */
  hostname: string;
  /** '' for none or the scheme's default port. */
  port: string;
}

function parse(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Parses a header value; only a bare serialised origin (what browsers send) is accepted. */
function parseOriginHeader(origin: string): ParsedOrigin | undefined {
  const url = parse(origin);
  // `url.origin` is 'null' for non-special schemes; comparing with the input rejects paths,
  // credentials, queries and anything not in canonical form.
  if (!url || url.origin === 'null' || url.origin !== origin.toLowerCase()) return undefined;
  return { protocol: url.protocol, hostname: url.hostname, port: url.port };
}

/** Parses a config pattern (without a trailing `:*`); a trailing `/` is tolerated. */
function parsePattern(pattern: string): ParsedOrigin | undefined {
  const url = parse(pattern);
  if (!url || url.origin === 'null' || url.username || url.password || url.search || url.hash) return undefined;
  if (url.pathname !== '/' && url.pathname !== '') return undefined;
  return { protocol: url.protocol, hostname: url.hostname, port: url.port };
}

function matches(origin: string, parsed: ParsedOrigin | undefined, entry: string): boolean {
  const e = entry.trim().toLowerCase();
  if (e === 'null') return origin === 'null';
  if (e === 'file://' || e === 'file:///') return origin === 'null' || origin === 'file://';
  if (!parsed) return false;
  const anyPort = e.endsWith(':*');
  const p = parsePattern(anyPort ? e.slice(0, -2) : e);
  if (!p || p.protocol !== parsed.protocol || p.hostname !== parsed.hostname) return false;
  // With `:*` the pattern must not also name a port (`http://host:80:*` is malformed).
  return anyPort ? p.port === '' && !/:\d+$/.test(e.slice(0, -2)) : p.port === parsed.port;
}

/**
 * Whether a WebSocket handshake with this `Origin` header may be accepted.
 * `undefined` (no header: not a browser, see above) is allowed; an empty or malformed header is
 * refused.
 */
export function isOriginAllowed(origin: string | undefined, allowList: readonly string[]): boolean {
  if (origin === undefined) return true;
  const o = origin.trim().toLowerCase();
  if (o === '') return false;
  const parsed = o === 'null' || o === 'file://' ? undefined : parseOriginHeader(o);
  return allowList.some((entry) => typeof entry === 'string' && matches(o, parsed, entry));
}

/** Whether this Origin is what pages opened from disk (and sandboxed frames, data: URLs) send. */
export function isOpaqueOrigin(origin: string | undefined): boolean {
  const o = origin?.trim().toLowerCase();
  return o === 'null' || o === 'file://';
}

/**
 * What to tell the user when a page opened from disk (Origin `null`) was refused: where to open
 * it instead, how to allow it, and what that permits. Shown on stderr, in the refusal's body and,
 * through StreamServer's `onOriginRefused`, in the tray and the window.
 */
export function nullOriginGuidance(port: number): string {
  return (
    `A page opened from disk (Origin "null") was refused. Open it from ServerBIT instead: http://127.0.0.1:${port}/ClientBIT.html ` +
    `(or serve your page from http://localhost). To allow pages opened from disk, add "null" to "allowed_origins" in ~/ServerBIT/config.json; ` +
    'note that then any web site can read the signals too, through a sandboxed frame (which also sends "null"), though never control ServerBIT without the token.'
  );
}
