/**
 * Wires a WebSocket accepted on `/v2` (StreamServer's `v2` hook; Host, client cap and Origin
 * have already been checked) to a /v2 session (api/session.ts).
 *
 * Query string: `?batch=10&columns=nSeq,A1,A2&format=raw|converted|both&token=…`.
 *
 * Trust: none. A WebSocket client controls ServerBIT only with the token (at connect, in a
 * subscribe message or per command), whatever it claims: an `Origin` header proves nothing to
 * a program (any local program can send `Origin: http://127.0.0.1:9001`), and a same-host reverse
 * proxy would make a loopback peer address true for every network client. The status page gets
 * the token from the address the CLI prints (…/#token=…); the desktop window is trusted over IPC
 * (docs/protocol.md "Access and threat model").
 *
 * Bounds: a client over `HIGH_WATER_BYTES` unsent has its data dropped and reported as a gap
 * (the session does that); one over `HARD_LIMIT_BYTES` (it stopped reading while still sending
 * commands) is closed with 1013. No exception from a client message escapes the socket's handlers.
 */
import type { IncomingMessage } from 'node:http';
import { WebSocket, type RawData } from 'ws';
import type { ServerMessage, SubscribeMessage } from '../../shared/v2.js';
import type { ApiContext } from '../api/context.js';
import { createLogger } from '../log.js';
import { createV2Session } from '../api/session.js';

const log = createLogger('serverbit:v2');

/** Unsent bytes above which data messages are dropped (and reported as a gap). */
export const HIGH_WATER_BYTES = 1024 * 1024;
/** Unsent bytes above which the client is closed: replies and events alone should never get here. */
export const HARD_LIMIT_BYTES = 16 * 1024 * 1024;

export interface V2HandlerOptions {
  /** How long data waits for a first subscribe message, ms (tests shorten it). Default: the session's. */
  settleMs?: number;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Subscription options from the query string, as typed values the session validates. */
export function subscriptionFromQuery(q: URLSearchParams): Partial<SubscribeMessage> {
  const out: Record<string, unknown> = {};
  const batch = q.get('batch');
  // Only plain digits become a number: "1e3", "0x10" or "" stay strings and fail validation visibly.
  if (batch !== null) out.batch = /^\d{1,7}$/.test(batch) ? Number(batch) : batch;
  const columns = q.get('columns');
  if (columns !== null) out.columns = columns === 'all' ? 'all' : columns.split(',').map((c) => c.trim()).filter((c) => c !== '');
  const format = q.get('format');
  if (format !== null) out.format = format;
  const devices = q.get('devices');
  if (devices !== null) out.devices = devices === 'all' ? 'all' : devices.split(',').map((d) => d.trim()).filter((d) => d !== '');
  return out as Partial<SubscribeMessage>;
}

export function createV2Handler(context: ApiContext, opts: V2HandlerOptions = {}): (ws: WebSocket, req: IncomingMessage, url: URL) => void {
  return (ws, req, url) => {
    const origin = headerValue(req.headers.origin ?? req.headers['sec-websocket-origin']);

    const deliver = (text: string): boolean => {
      if (ws.readyState !== WebSocket.OPEN) return false;
      if (ws.bufferedAmount > HARD_LIMIT_BYTES) {
        log.debug('v2 client %s: %d bytes unsent, closing', req.socket.remoteAddress, ws.bufferedAmount);
        ws.close(1013, 'too slow: stopped reading');
        return false;
      }
      ws.send(text);
      return true;
    };

    const token = url.searchParams.get('token') ?? undefined;
    const session = createV2Session({
      context,
      trusted: false,
      ...(token !== undefined ? { token } : {}),
      subscription: subscriptionFromQuery(url.searchParams),
      ...(opts.settleMs !== undefined ? { settleMs: opts.settleMs } : {}),
      send: (msg: ServerMessage) => deliver(JSON.stringify(msg)),
      sendText: deliver,
      isBackedUp: () => ws.bufferedAmount > HIGH_WATER_BYTES,
    });
    log.debug('v2 client %s (origin %s): %s', req.socket.remoteAddress, origin, session.control ? 'control by token' : 'token needed for commands');

    ws.on('message', (data: RawData, isBinary: boolean) => {
      try {
        // Text frames arrive as UTF-8 bytes (ws has checked the encoding); binary frames are refused by the session.
        session.receive(isBinary ? data : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'));
      } catch (err) {
        // The session catches its own errors; this is the last line, so the process never sees one.
        log.warn('v2 message handler threw: %O', err);
        deliver(INTERNAL_REPLY);
      }
    });
    ws.once('close', () => {
      try {
        session.close();
      } catch (err) {
        log.warn('v2 session close threw: %O', err);
      }
    });
  };
}

const INTERNAL_REPLY = JSON.stringify({
  type: 'reply',
  id: null,
  ok: false,
  error: { code: 'INTERNAL', message: 'ServerBIT failed while handling this message; it was not processed', hint: 'This is a ServerBIT bug; please report it with the message that caused it.' },
});
