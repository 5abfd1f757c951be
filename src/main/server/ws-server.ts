/**
 * The WebSocket server: the compatible stream on any path (the original accepted any path,
 * docs/original-serverbit.md §2) and a hook for the versioned endpoint `/v2`, on one `node:http` server so the UI
 * can later be served from the same port.
 *
 * Compatible stream: `/` (any path but /v2 and /devices/…, as the original accepted any path)
 * carries the first device, `/devices/<id>` one device, byte for byte in the original's shape;
 * devices are never interleaved on one socket (the original's defect: a message has no device
 * id). Every sample published to the hub is sent exactly once and in order to every compat
 * client of its device, in batches of a fixed size cut by the shared StreamGroup
 * (acquisition/stream-group.ts) and encoded once per batch for all clients (ws costs per
 * message: docs/performance.md).
 *
 * Per-client bound: a client's backlog is the bytes ws could not yet hand to the kernel
 * (`ws.bufferedAmount`). Before each send, a client whose backlog exceeds `highWaterBytes` is
 * closed with 1013 ("try again later"): a compat client cannot be told about a gap, and silently
 * skipping samples would break "every sample exactly once". So the memory held for one client is
 * at most highWaterBytes + one message (+ the kernel's socket buffers); acquisition and the other
 * clients never wait for it. A client that stops reading shows bufferedAmount 0 until the kernel
 * buffers fill and only then grows (measured with ws 8: 22 MB in 9 s): the threshold applies from that point.
 *
 * Dead peers: every `pingIntervalMs` each client is pinged; one that has not answered the
 * previous ping is terminated (this also reaps a closed-for-slowness client that never reads its
 * close frame, after at most two intervals).
 *
 * Who may connect (docs/protocol.md "Access and threat model"), checked in this order for every
 * request and upgrade, each refusal an HTTP status with a body that names the problem and the
 * fix, and the same security headers as the UI: the `Host` header (host-check.ts: 400/421), the
 * client cap `maxClients` (503), the `Origin` (origin.ts: 403). Slow or stuck handshakes are cut by
 * `headersTimeoutMs` / `requestTimeoutMs` (Node answers 408). No exception from a request,
 * upgrade or client message escapes its handler.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { DEFAULT_ALLOWED_ORIGINS, DEFAULT_MAX_CLIENTS, samplesPerBatch } from '../../shared/config.js';
import { NetworkError } from '../../shared/errors.js';
import type { BatchDemand } from '../acquisition/batch-demand.js';
import type { HubSource } from '../acquisition/hub.js';
import { StreamGroup, type GroupMember } from '../acquisition/stream-group.js';
import { encodeCompat } from './compat-encoder.js';
import { createLogger } from '../log.js';
import { createHostCheck, exposureWarning } from './host-check.js';
import { isOpaqueOrigin, isOriginAllowed, nullOriginGuidance } from './origin.js';

const log = createLogger('serverbit:ws');

/** Largest message a client may send, bytes. Compat clients send nothing; /v2 commands are small. ws closes an offender with 1009. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Default batch period when `batchSize` is not given, ms of device time (ServerBitConfig.batch_ms default). */
const DEFAULT_BATCH_MS = 40;
/** How long `close()` waits for clients to complete the close handshake before cutting them, ms. */
const CLOSE_GRACE_MS = 1000;
/**
 * Sockets allowed beyond `maxClients` (plain HTTP requests, handshakes in progress, refusals
 * being written); past `maxClients + CONNECTION_HEADROOM` the OS-level socket is closed at once
 * (Node's `server.maxConnections`), so no client can exhaust the process's file descriptors.
 */
const CONNECTION_HEADROOM = 64;
/** At most one warning on stderr per this many ms for refused pages opened from disk. */
const NULL_ORIGIN_WARN_EVERY_MS = 60_000;

/**
 * Headers on every answer the server writes itself (refusals, 426): nothing in them may be run,
 * framed, sniffed as HTML or cached.
 */
export const REFUSAL_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/plain; charset=utf-8',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export interface StreamServerOptions {
  /** Interface to listen on. Default `'127.0.0.1'`: loopback only unless the user opts in (docs/protocol.md §8). */
  host?: string;
  /** TCP port, 0–65535 (the classic default is 9001); 0 picks a free port, reported by `listen()`. */
  port: number;
  /**
   * Origins browsers may connect from (syntax in origin.ts). Default `DEFAULT_ALLOWED_ORIGINS`.
   * A function is read at every upgrade, so a config change applies to the next connection.
   */
  allowedOrigins?: readonly string[] | (() => readonly string[]);
  /** Where the samples come from; column names come from each device's meta. */
  hub: HubSource;
  /** Where the compat stream says which batch size it cuts, so drivers can pace their reads. */
  demand?: BatchDemand;
  /**
   * The device ids, in config order: `/` streams the first, `/devices/<id>` any of them. Read at
   * every connection. Default: the devices the hub has seen.
   */
  devices?: () => readonly string[];
  /**
   * Samples per compat message (≥ 1), or a function of the device's rate in Hz (a `() => number`
   * works too), evaluated for every batch the hub publishes so a config change applies at once
   * (pending samples are flushed first). Default `samplesPerBatch(rate, 40)`: ≈ 40 ms per message.
   */
  batchSize?: number | ((rate: number) => number);
  /** Per-client bound on unsent bytes (`ws.bufferedAmount`) before the client is closed with 1013. Default 1 MiB. */
  highWaterBytes?: number;
  /** Interval between pings, ms; a client silent for a whole interval is terminated. 0 disables. Default 10 000. */
  pingIntervalMs?: number;
  /** Optional handler for plain HTTP requests (to serve the UI); return true when it answered. Otherwise: 426. */
  http?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Called with `clientCount` after every connect and disconnect (for the status counters). See also `onClientChange()`. */
  onClientCount?: (count: number) => void;
  /** Handler for accepted upgrades on path `/v2` (origin already checked). Without it, `/v2` gets 404. */
  v2?: (ws: WebSocket, req: IncomingMessage, url: URL) => void;
  /**
   * Extra names the `Host` header may carry (ServerBitConfig.allowed_hosts; rules in
   * host-check.ts). Default none. A function is read at every request.
   */
  allowedHosts?: readonly string[] | (() => readonly string[]);
  /**
   * Most WebSocket clients at once, both endpoints (ServerBitConfig.max_clients); a handshake past
   * it gets HTTP 503 with the reason. Default DEFAULT_MAX_CLIENTS. A function is read at every upgrade.
   */
  maxClients?: number | (() => number);
  /** Time a client has to send its request headers, ms (Node's `headersTimeout`; then 408). Default 10 000. */
  headersTimeoutMs?: number;
  /** Time a client has to send a whole request, ms (Node's `requestTimeout`; ≥ headersTimeoutMs). Default 30 000. */
  requestTimeoutMs?: number;
}

/** Emitted when an upgrade is refused for its Origin (for the tray, the window and logs). */
export interface OriginRefusal {
  /** The Origin header as sent. */
  origin: string;
  /** Peer address and port. */
  remote: string;
  /** True for `null` / `file://`: a page opened from disk (or a sandboxed frame). */
  opaque: boolean;
  /** What to tell the user: for `opaque`, how to open the page instead or allow it, and what that permits. */
  guidance: string;
}

export type Endpoint = 'compat' | 'v2';

/** Emitted when a client is accepted or gone (the status counters need it). */
export interface ClientEvent {
  type: 'connect' | 'disconnect';
  /** Unique per server, increasing. */
  id: number;
  endpoint: Endpoint;
  /** Peer address and port, e.g. `127.0.0.1:53412`. */
  remote: string;
  /** The Origin header, if any. */
  origin: string | undefined;
  /** `clientCount` after this event. */
  clients: number;
  /** Close code and reason (disconnect only); 1006 when the connection was cut. */
  code?: number;
  reason?: string;
}

export interface StreamServerStats {
  /** Handshakes refused with 403 for their Origin. */
  rejectedOrigins: number;
  /** Of those, refused for Origin `null` / `file://` (pages opened from disk, sandboxed frames). */
  rejectedOpaqueOrigins: number;
  /** Requests and handshakes refused for their Host header (400/421). */
  rejectedHosts: number;
  /** Handshakes refused with 503 because `maxClients` clients were connected. */
  rejectedFull: number;
  /** Clients closed with 1013 for falling more than `highWaterBytes` behind. */
  slowClients: number;
  /** Clients terminated for not answering a ping. */
  deadClients: number;
  /** Compat messages encoded (each one was sent to every compat client). */
  messages: number;
}

interface Client {
  id: number;
  ws: WebSocket;
  endpoint: Endpoint;
  remote: string;
  origin: string | undefined;
  /** Answered since the last ping. */
  alive: boolean;
  /** Compat clients: their member of the compat group (one device). */
  member?: GroupMember<Buffer>;
}

/** `/devices/<id>` → id; undefined for any other path. */
function devicePath(pathname: string): string | undefined {
  const m = /^\/devices\/([^/]+)\/?$/.exec(pathname);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return undefined;
  }
}

type State = 'idle' | 'starting' | 'listening' | 'closed';

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): NetworkError {
  const where = hostPort(host, port);
  if (err.code === 'EADDRINUSE') {
    return new NetworkError(
      'PORT_IN_USE',
      `Cannot listen on ${where}: another program (maybe another ServerBIT) is using port ${port}`,
      `Stop the other program, or choose another port ("port" in ~/ServerBIT/config.json, or --port).`,
      { cause: err },
    );
  }
  const hint =
    err.code === 'EACCES'
      ? 'Ports below 1024 need administrator rights: use a port above 1024.'
      : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND'
        ? 'Check "host": it must be an address of this computer (127.0.0.1, or 0.0.0.0 for all interfaces).'
        : undefined;
  return new NetworkError('LISTEN_FAILED', `Cannot listen on ${where}: ${err.message}`, hint, { cause: err });
}

/** Answers a refused upgrade on the raw socket, with REFUSAL_HEADERS, then closes it. */
function refuse(socket: Duplex, status: number, message: string, extra: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${message}\n`;
  const headers = { ...REFUSAL_HEADERS, ...extra, Connection: 'close', 'Content-Length': String(Buffer.byteLength(body)) };
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`);
}

/** Answers a plain HTTP request with REFUSAL_HEADERS. */
function answer(res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
  const body = `${message}\n`;
  if (!res.headersSent) res.writeHead(status, { ...REFUSAL_HEADERS, ...extra, 'Content-Length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** The request path; `//x` stays a path (not a host) and a malformed URL is treated as `/`. */
function requestUrl(raw: string | undefined): URL {
  try {
    return new URL(`http://localhost${raw?.startsWith('/') ? raw : '/'}`);
  } catch {
    return new URL('http://localhost/');
  }
}

function checkOption(ok: boolean, name: string, rule: string, value: unknown): void {
  if (!ok) throw new TypeError(`StreamServer: "${name}" must be ${rule} (got ${String(value)})`);
}

export class StreamServer {
  readonly stats: StreamServerStats = { rejectedOrigins: 0, rejectedOpaqueOrigins: 0, rejectedHosts: 0, rejectedFull: 0, slowClients: 0, deadClients: 0, messages: 0 };

  private readonly host: string;
  private readonly port: number;
  private readonly allowedOrigins: () => readonly string[];
  private readonly hub: HubSource;
  private readonly devices: () => readonly string[];
  private readonly batchSize: number | ((rate: number) => number);
  private readonly highWaterBytes: number;
  private readonly pingIntervalMs: number;
  private readonly httpHook: StreamServerOptions['http'];
  private readonly v2Hook: StreamServerOptions['v2'];
  private readonly maxClients: () => number;
  private readonly hostCheck: ReturnType<typeof createHostCheck>;
  private readonly originListeners = new Set<(e: OriginRefusal) => void>();
  private lastOpaqueWarning = -Infinity;
  /** Handshakes accepted by the checks but not yet open (they count against maxClients). */
  private pendingUpgrades = 0;

  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  /** The compat stream: one batcher per device, one encoding per batch for all its clients. */
  private readonly compat: StreamGroup<Buffer>;
  private readonly clientListeners = new Set<(e: ClientEvent) => void>();
  private state: State = 'idle';
  private closing: Promise<void> | undefined;
  private starting: Promise<{ host: string; port: number }> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private nextId = 1;

  constructor(options: StreamServerOptions) {
    const o = options;
    this.host = o.host ?? '127.0.0.1';
    this.port = o.port;
    const origins = o.allowedOrigins ?? DEFAULT_ALLOWED_ORIGINS;
    this.allowedOrigins = typeof origins === 'function' ? origins : () => origins;
    this.hub = o.hub;
    this.devices = o.devices ?? (() => this.hub.devices());
    this.batchSize = o.batchSize ?? ((rate: number) => samplesPerBatch(rate, DEFAULT_BATCH_MS));
    this.highWaterBytes = o.highWaterBytes ?? 1024 * 1024;
    this.pingIntervalMs = o.pingIntervalMs ?? 10_000;
    this.httpHook = o.http;
    this.v2Hook = o.v2;
    const maxClients = o.maxClients ?? DEFAULT_MAX_CLIENTS;
    this.maxClients = typeof maxClients === 'function' ? maxClients : () => maxClients;
    const allowedHosts = o.allowedHosts ?? [];
    this.hostCheck = createHostCheck({ host: this.host, port: () => this.address?.port, allowedHosts: typeof allowedHosts === 'function' ? allowedHosts : () => allowedHosts });
    if (o.onClientCount) {
      const cb = o.onClientCount;
      this.clientListeners.add((e) => cb(e.clients));
    }
    const headersTimeout = o.headersTimeoutMs ?? 10_000;
    const requestTimeout = o.requestTimeoutMs ?? 30_000;
    checkOption(Number.isInteger(this.port) && this.port >= 0 && this.port <= 65535, 'port', 'an integer 0–65535', o.port);
    checkOption(typeof maxClients === 'function' || (Number.isInteger(maxClients) && maxClients >= 1), 'maxClients', 'an integer ≥ 1 or a function', o.maxClients);
    checkOption(Number.isFinite(headersTimeout) && headersTimeout > 0, 'headersTimeoutMs', 'a positive number of ms', o.headersTimeoutMs);
    checkOption(Number.isFinite(requestTimeout) && requestTimeout >= headersTimeout, 'requestTimeoutMs', 'a number of ms ≥ headersTimeoutMs', o.requestTimeoutMs);
    checkOption(typeof this.batchSize === 'function' || (Number.isInteger(this.batchSize) && this.batchSize >= 1), 'batchSize', 'an integer ≥ 1 or a function', o.batchSize);
    checkOption(Number.isFinite(this.highWaterBytes) && this.highWaterBytes > 0, 'highWaterBytes', 'a positive number of bytes', o.highWaterBytes);
    checkOption(Number.isFinite(this.pingIntervalMs) && this.pingIntervalMs >= 0, 'pingIntervalMs', 'a number of ms ≥ 0', o.pingIntervalMs);

    // Node checks the two timeouts every connectionsCheckingInterval (default 30 s): check each second.
    this.server = createServer({ headersTimeout, requestTimeout, connectionsCheckingInterval: 1000 }, (req, res) => this.onRequest(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    // Our own registry tracks clients (clientTracking off); no compression (with it, 10 clients cost 88 % CPU and ~0.5 s latency in our measurements).
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_PAYLOAD_BYTES, clientTracking: false });
    this.compat = new StreamGroup<Buffer>({
      hub: this.hub,
      ...(o.demand ? { demand: o.demand } : {}),
      batchSize: (rate) => this.sizeFor(rate),
      // Encoded once (string, then UTF-8 bytes) for every client of the device.
      encode: (batch, meta) => {
        this.stats.messages++;
        return Buffer.from(encodeCompat(batch, meta), 'utf8');
      },
    });
  }

  /** Open connections on both endpoints (a client counts until its socket is closed). */
  get clientCount(): number {
    return this.clients.size;
  }

  /** The bound address while listening. */
  get address(): { host: string; port: number } | undefined {
    const a = this.server.address();
    return a && typeof a === 'object' ? { host: a.address, port: a.port } : undefined;
  }

  /**
   * Calls `listener` whenever an upgrade is refused for its Origin; returns the function that
   * stops it. For a page opened from disk, `guidance` is what the tray or window should show.
   */
  onOriginRefused(listener: (event: OriginRefusal) => void): () => void {
    this.originListeners.add(listener);
    return () => this.originListeners.delete(listener);
  }

  /** Calls `listener` on every connect/disconnect; returns the function that stops it. */
  onClientChange(listener: (event: ClientEvent) => void): () => void {
    this.clientListeners.add(listener);
    return () => this.clientListeners.delete(listener);
  }

  /**
   * Starts listening and streaming. Rejects with NetworkError PORT_IN_USE (the port is taken) or
   * LISTEN_FAILED (anything else, including a second call); may be retried after a rejection.
   */
  listen(): Promise<{ host: string; port: number }> {
    if (this.state !== 'idle') {
      const why = this.state === 'closed' ? 'this server was closed; create a new one' : 'already listening';
      return Promise.reject(new NetworkError('LISTEN_FAILED', `Cannot listen on ${hostPort(this.host, this.port)}: ${why}`));
    }
    this.state = 'starting';
    this.starting = new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        this.server.off('listening', onListening);
        if (this.state === 'starting') this.state = 'idle';
        reject(listenError(err, this.host, this.port));
      };
      const onListening = (): void => {
        this.server.off('error', onError);
        // After listening, errors are rare (e.g. EMFILE on accept): log, never crash.
        this.server.on('error', (err) => log.warn('server error: %s', err.message));
        const { address, port } = this.server.address() as AddressInfo;
        if (this.state !== 'starting') {
          reject(new NetworkError('LISTEN_FAILED', `Cannot listen on ${hostPort(this.host, this.port)}: closed while starting`));
          return;
        }
        this.state = 'listening';
        this.server.maxConnections = this.maxClients() + CONNECTION_HEADROOM;
        this.startStreaming();
        log.debug('listening on %s', hostPort(address, port));
        const exposed = exposureWarning(this.host, port);
        if (exposed) log.warn('%s', exposed);
        resolve({ host: address, port });
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen({ host: this.host, port: this.port, exclusive: true });
    });
    return this.starting;
  }

  /**
   * Flushes pending samples, closes every client with 1001 (cutting those that do not answer
   * within 1 s) and stops listening. Idempotent: later calls return the same promise.
   */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    this.state = 'closed';
    await this.starting?.catch(() => undefined);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.compat.flush();
    const open = [...this.clients];
    const closed = open.map((c) => new Promise<void>((resolve) => c.ws.once('close', () => resolve())));
    for (const c of open) c.ws.close(1001, 'server shutting down');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closed), new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)))]);
    clearTimeout(timer);
    for (const c of this.clients) c.ws.terminate();
    this.wss.close();
    if (this.server.listening) {
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }
    log.debug('closed');
  }

  private startStreaming(): void {
    if (this.pingIntervalMs > 0) {
      this.heartbeat = setInterval(() => this.ping(), this.pingIntervalMs);
      this.heartbeat.unref();
    }
  }

  private sizeFor(rate: number): number {
    const s = typeof this.batchSize === 'number' ? this.batchSize : this.batchSize(rate);
    return Number.isFinite(s) && s >= 1 ? Math.floor(s) : 1;
  }

  /** A compat client's member: batches of its device go to its socket, unless it fell too far behind. */
  private compatMember(c: Client, device: string): GroupMember<Buffer> {
    return {
      device,
      data: (_batch, data) => {
        if (c.ws.readyState !== WebSocket.OPEN) return;
        if (c.ws.bufferedAmount > this.highWaterBytes) {
          this.dropSlow(c);
          return;
        }
        try {
          c.ws.send(data, { binary: false });
        } catch (err) {
          log.debug('client %d: send failed: %s', c.id, (err as Error).message);
        }
      },
      // Compat clients see a gap as the jump in nSeq, as with the original.
      removed: () => {
        this.leaveCompat(c);
        c.ws.close(1001, `device ${device} was removed`);
      },
    };
  }

  private leaveCompat(c: Client): void {
    if (!c.member) return;
    this.compat.delete(c.member);
    c.member = undefined;
  }

  private dropSlow(c: Client): void {
    this.leaveCompat(c);
    this.stats.slowClients++;
    const kib = Math.round(this.highWaterBytes / 1024);
    log.debug('client %d (%s): %d bytes behind, closing with 1013', c.id, c.remote, c.ws.bufferedAmount);
    // The close frame queues behind the backlog; a client that never reads it is reaped by the heartbeat.
    c.ws.close(1013, `too slow: fell more than ${kib} KiB behind`);
  }

  private ping(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        this.stats.deadClients++;
        log.debug('client %d (%s): no pong, terminating', c.id, c.remote);
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    try {
      const host = this.hostCheck(req.headers.host);
      if (!host.ok) {
        this.stats.rejectedHosts++;
        log.debug('refused Host %s from %s', req.headers.host, req.socket.remoteAddress);
        answer(res, host.status, host.message);
        return;
      }
      if (this.httpHook?.(req, res)) return;
      answer(res, 426, 'ServerBIT streams over WebSocket: connect with a WebSocket client (ws://host:port/).', { Upgrade: 'websocket' });
    } catch (err) {
      log.warn('http handler threw: %O', err);
      try {
        answer(res, 500, 'Internal error (logged by ServerBIT).');
      } catch {
        res.destroy();
      }
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A reset during the handshake must not become an uncaught 'error'.
    socket.on('error', (err) => log.debug('upgrade socket error: %s', err.message));
    try {
      this.acceptUpgrade(req, socket, head);
    } catch (err) {
      log.warn('upgrade handler threw: %O', err);
      socket.destroy();
    }
  }

  private acceptUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.state !== 'listening') {
      socket.destroy();
      return;
    }
    const host = this.hostCheck(req.headers.host);
    if (!host.ok) {
      this.stats.rejectedHosts++;
      log.debug('refused Host %s from %s', req.headers.host, req.socket.remoteAddress);
      refuse(socket, host.status, host.message);
      return;
    }
    const max = this.maxClients();
    this.server.maxConnections = max + CONNECTION_HEADROOM;
    if (this.clients.size + this.pendingUpgrades >= max) {
      this.stats.rejectedFull++;
      log.debug('refused a client from %s: %d clients connected (max_clients %d)', req.socket.remoteAddress, this.clients.size, max);
      refuse(socket, 503, `ServerBIT already serves ${this.clients.size} clients, its limit: try again later, or raise "max_clients" in ~/ServerBIT/config.json.`, { 'Retry-After': '10' });
      return;
    }
    // Version-8 handshakes carried the origin in Sec-WebSocket-Origin (as ws itself checks).
    const raw = req.headers.origin ?? req.headers['sec-websocket-origin'];
    const origin = Array.isArray(raw) ? raw.join(', ') : raw;
    if (!isOriginAllowed(origin, this.allowedOrigins())) {
      this.refuseOrigin(req, socket, origin!);
      return;
    }
    const url = requestUrl(req.url);
    const isV2 = url.pathname === '/v2' || url.pathname === '/v2/';
    if (isV2 && !this.v2Hook) {
      refuse(socket, 404, 'No /v2 endpoint on this server');
      return;
    }
    let device: string | undefined;
    if (!isV2) {
      const ids = this.devices();
      const named = devicePath(url.pathname);
      if (url.pathname.startsWith('/devices/') && (named === undefined || !ids.includes(named))) {
        const known = ids.map((id) => `/devices/${encodeURIComponent(id)}`).join(', ');
        refuse(socket, 404, `No device ${JSON.stringify(named ?? url.pathname.slice('/devices/'.length))} here; devices: ${known || 'none'} ("/" is the first)`);
        return;
      }
      device = named ?? ids[0];
      if (device === undefined) {
        refuse(socket, 503, 'No device is configured yet: add one, then connect again');
        return;
      }
    }
    this.pendingUpgrades++;
    let settled = false;
    const settle = () => {
      if (!settled) this.pendingUpgrades--;
      settled = true;
    };
    // A handshake ws refuses (bad key or version) never calls back: the socket closing ends it.
    socket.once('close', settle);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      settle();
      if (this.state !== 'listening') {
        ws.terminate();
        return;
      }
      try {
        this.track(ws, isV2 ? 'v2' : 'compat', req, origin, device);
        if (isV2) this.v2Hook!(ws, req, url);
      } catch (err) {
        log.warn('%s handler threw: %O', isV2 ? 'v2' : 'compat', err);
        if (ws.readyState === WebSocket.OPEN) ws.close(1011, 'internal error');
        else ws.terminate();
      }
    });
  }

  private refuseOrigin(req: IncomingMessage, socket: Duplex, origin: string): void {
    this.stats.rejectedOrigins++;
    const opaque = isOpaqueOrigin(origin);
    const port = this.address?.port ?? this.port;
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    // Echoed to the client: keep an untrusted header printable and short.
    const shown = origin.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
    const guidance = opaque ? nullOriginGuidance(port) : `Origin ${shown} is not allowed: add it to "allowed_origins" in ~/ServerBIT/config.json`;
    if (opaque) {
      this.stats.rejectedOpaqueOrigins++;
      // Likely the user opening ClientBIT.html from disk: say how to fix it, but not once per retry.
      const now = performance.now();
      if (now - this.lastOpaqueWarning >= NULL_ORIGIN_WARN_EVERY_MS) {
        this.lastOpaqueWarning = now;
        log.warn('%s', guidance);
      }
    } else log.debug('refused origin %s from %s', origin, remote);
    refuse(socket, 403, guidance);
    const event: OriginRefusal = { origin, remote, opaque, guidance };
    for (const l of this.originListeners) {
      try {
        l(event);
      } catch (err) {
        log.warn('origin listener threw: %O', err);
      }
    }
  }

  private track(ws: WebSocket, endpoint: Endpoint, req: IncomingMessage, origin: string | undefined, device: string | undefined): void {
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const c: Client = { id: this.nextId++, ws, endpoint, remote, origin, alive: true };
    this.clients.add(c);
    if (endpoint === 'compat' && device !== undefined) {
      c.member = this.compatMember(c, device);
      this.compat.add(c.member);
    }
    ws.on('pong', () => (c.alive = true));
    // Bad frames, invalid UTF-8 or an oversize message: ws closes that client (1002/1007/1009); just log.
    ws.on('error', (err) => log.debug('client %d (%s): %s', c.id, remote, err.message));
    if (endpoint === 'compat' && log.enabled) {
      // The compat stream is server → client only: anything a client sends is read and dropped.
      ws.on('message', (data: RawData, isBinary: boolean) => log.debug('client %d: ignored %s message', c.id, isBinary ? 'binary' : 'text'));
    }
    ws.once('close', (code: number, reason: Buffer) => {
      this.clients.delete(c);
      this.leaveCompat(c);
      log.debug('client %d (%s) closed: %d %s', c.id, remote, code, reason.toString());
      this.emitClient({ type: 'disconnect', id: c.id, endpoint, remote, origin, clients: this.clients.size, code, reason: reason.toString() });
    });
    log.debug('client %d (%s, origin %s) connected to %s', c.id, remote, origin, endpoint);
    this.emitClient({ type: 'connect', id: c.id, endpoint, remote, origin, clients: this.clients.size });
  }

  private emitClient(event: ClientEvent): void {
    for (const l of this.clientListeners) {
      try {
        l(event);
      } catch (err) {
        log.warn('client listener threw: %O', err);
      }
    }
  }
}
