/**
 * ServerBitChannel in a plain browser: a WebSocket to /v2 on the page's own origin (the service
 * serves this page). Control needs the token, which the page takes from its address (the CLI
 * prints http://127.0.0.1:<port>/#token=…): see takePageToken. Without it the page is view-only.
 *
 * Reconnects by itself after a close, waiting `initialMs` × 2ⁿ up to `maxMs` (reset once a
 * connection opens); `close()` stops it for good. Messages sent while not open are dropped (the
 * command layer refuses to send then, so nothing waits on them). Incoming frames are parsed and
 * checked (validate.ts); anything else is dropped and counted.
 */
import type { ServerBitChannel } from '../shared/api.js';
import type { ClientMessage, ServerMessage } from '../shared/v2.js';
import { parseServerText } from './validate.js';

export type ConnectionState = 'connecting' | 'open' | 'closed';

/** The slice of the WebSocket API used here (so tests can pass a fake). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface WebSocketChannelOptions {
  /** e.g. `ws://127.0.0.1:9001/v2?format=both`. */
  url: string;
  /** Default: the browser's WebSocket. */
  createSocket?: (url: string) => WebSocketLike;
  /** Reconnect backoff, ms. Defaults 500 and 10 000. */
  backoff?: { initialMs: number; maxMs: number };
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

const OPEN = 1;

export class WebSocketChannel implements ServerBitChannel {
  readonly host = 'browser' as const;
  readonly url: string;
  /** Frames dropped because they were not valid JSON or not a known message. */
  dropped = 0;
  /** Delay before the next reconnect attempt, ms (0 while connected). */
  retryInMs = 0;

  private readonly createSocket: (url: string) => WebSocketLike;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private readonly messageListeners = new Set<(m: ServerMessage) => void>();
  private readonly connectionListeners = new Set<(s: ConnectionState) => void>();
  private socket: WebSocketLike | undefined;
  private timer: unknown;
  private delay: number;
  private closedForGood = false;
  private current: ConnectionState = 'connecting';

  constructor(options: WebSocketChannelOptions) {
    this.url = options.url;
    this.createSocket = options.createSocket ?? ((url) => new WebSocket(url) as unknown as WebSocketLike);
    this.backoff = options.backoff ?? { initialMs: 500, maxMs: 10_000 };
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
    this.delay = this.backoff.initialMs;
    this.connect();
  }

  get state(): ConnectionState {
    return this.current;
  }

  send(message: ClientMessage): void {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(message));
  }

  onMessage(listener: (message: ServerMessage) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    this.connectionListeners.add(listener);
    listener(this.current);
    return () => this.connectionListeners.delete(listener);
  }

  /** Closes the socket and stops reconnecting. Idempotent. */
  close(): void {
    if (this.closedForGood) return;
    this.closedForGood = true;
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
    const s = this.socket;
    this.socket = undefined;
    if (s) {
      s.onopen = s.onclose = s.onerror = s.onmessage = null;
      s.close(1000, 'page closed');
    }
    this.setState('closed');
  }

  private connect(): void {
    if (this.closedForGood) return;
    this.timer = undefined;
    this.setState('connecting');
    let s: WebSocketLike;
    try {
      s = this.createSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = s;
    s.onopen = () => {
      this.delay = this.backoff.initialMs;
      this.retryInMs = 0;
      this.setState('open');
    };
    s.onmessage = (ev) => {
      const m = parseServerText(ev.data);
      if (!m) {
        this.dropped++;
        return;
      }
      for (const l of this.messageListeners) l(m);
    };
    // 'error' is always followed by 'close'; reconnecting happens there.
    s.onerror = () => undefined;
    s.onclose = () => {
      if (this.socket !== s) return;
      this.socket = undefined;
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.closedForGood) return;
    this.retryInMs = this.delay;
    this.setState('closed');
    this.timer = this.setTimer(() => this.connect(), this.delay);
    this.delay = Math.min(this.delay * 2, this.backoff.maxMs);
  }

  private setState(s: ConnectionState): void {
    if (s === this.current && s !== 'closed') return;
    this.current = s;
    for (const l of this.connectionListeners) l(s);
  }
}

/**
 * The /v2 URL for a page served at `location` (http → ws, https → wss), with the control token
 * in its query when there is one (the server reads `token` there: docs/protocol.md §1).
 */
export function v2UrlFor(location: { protocol: string; host: string }, query = 'format=both', token?: string): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const q = [query, token ? `token=${encodeURIComponent(token)}` : ''].filter((p) => p !== '').join('&');
  return `${scheme}://${location.host}/v2${q ? `?${q}` : ''}`;
}

/** Where the page keeps the token: sessionStorage, so it lasts for this tab (reloads too) and no longer. */
export const TOKEN_STORAGE_KEY = 'serverbit.token';

export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * The control token for this page. From the address's fragment (`#token=…`, never sent to any
 * server) it is kept in `storage` and removed from the address bar with `history.replaceState`,
 * so it stays out of the history, bookmarks and screenshots; without one in the address, the
 * token kept earlier in this tab, if any. Storage that throws (disabled, sandboxed) is skipped.
 */
export function takePageToken(
  location: { hash: string; pathname: string; search: string },
  history: { replaceState(data: unknown, unused: string, url?: string): void } | undefined,
  storage: TokenStorage | undefined,
): string | undefined {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const fromAddress = params.get('token');
  if (fromAddress !== null) {
    params.delete('token');
    const rest = params.toString();
    try {
      history?.replaceState(null, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
    } catch {
      /* cannot rewrite the address: the token stays visible, nothing else changes */
    }
    if (fromAddress !== '') {
      try {
        storage?.setItem(TOKEN_STORAGE_KEY, fromAddress);
      } catch {
        /* kept for this page load only */
      }
      return fromAddress;
    }
  }
  try {
    return storage?.getItem(TOKEN_STORAGE_KEY) || undefined;
  } catch {
    return undefined;
  }
}
