/**
 * Parses what a client sends on an outlet's TCP data port (docs/lsl.md §6), as liblsl's
 * `client_session` reads it:
 *
 *   LSL:fullinfo\r\n                                   → the fullinfo XML, then close
 *   LSL:shortinfo\r\n<query>\r\n                       → the shortinfo XML if it matches, then close
 *   LSL:streamfeed/<version> <uid>\r\n<headers>\r\n\r\n → the stream feed (§7)
 *   LSL:streamfeed\r\n<max buffered> <chunk>\r\n         → protocol 1.00: not supported (§12)
 *
 * Incremental and bounded: bytes are fed as they arrive; the request must be complete within
 * MAX_REQUEST_BYTES, or it is `invalid`. Pure: no sockets.
 */
import { trimLsl } from './udp-request.js';

/** liblsl reads header lines into a 16 KiB buffer; a whole request larger than this is refused. */
export const MAX_REQUEST_BYTES = 16 * 1024;

/** Stream feed request parameters (the headers liblsl's data_receiver sends, lower-cased keys). */
export interface FeedParams {
  /** From the request line (`LSL:streamfeed/110` → 110). */
  requestVersion: number;
  /** The UID the inlet expects; empty = any. */
  uid: string;
  /**
   * `Protocol-Version`: the data protocol the client wants; default requestVersion. (liblsl's inlets
   * send `Data-Protocol-Version`, which liblsl's own outlet does not read either: docs/lsl.md §7.)
   */
  protocolVersion: number;
  nativeByteOrder: number;
  endianPerformance: number;
  hasIeee754Floats: boolean;
  supportsSubnormals: boolean;
  /** Bytes per value the inlet expects; undefined = the stream's own. */
  valueSize: number | undefined;
  /** Samples the inlet buffers (`Max-Buffer-Length`); undefined when the header is missing. */
  maxBufferLength: number | undefined;
  /** Samples per chunk the inlet asks for (`Max-Chunk-Length`); 0 = no preference. */
  maxChunkLength: number;
}

export type FeedRequest =
  | { kind: 'incomplete' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'fullinfo' }
  | { kind: 'shortinfo'; query: string }
  | { kind: 'streamfeed'; params: FeedParams }
  | { kind: 'streamfeed-1.00' };

const INT = /^[+-]?[0-9]{1,10}/;
const NUMBER = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?/;

/** std::stoi: leading whitespace, an optional sign, digits; trailing text ignored; undefined if none. */
function stoi(s: string): number | undefined {
  const m = INT.exec(s.trimStart());
  if (!m) return undefined;
  const v = Number(m[0]);
  return v >= -2147483648 && v <= 2147483647 ? v : undefined;
}

function stod(s: string): number | undefined {
  const m = NUMBER.exec(s.trimStart());
  return m ? Number(m[0]) : undefined;
}

/**
 * Reads the request in `bytes` (everything received so far). Returns `incomplete` until the request
 * is whole; the caller then stops reading from the socket.
 */
export function parseFeedRequest(bytes: Buffer): FeedRequest {
  const nl = bytes.indexOf(0x0a);
  if (nl < 0) return bytes.length >= MAX_REQUEST_BYTES ? { kind: 'invalid', reason: 'request line too long' } : { kind: 'incomplete' };
  const method = trimLsl(bytes.toString('utf8', 0, nl));
  if (method === 'LSL:fullinfo') return { kind: 'fullinfo' };
  if (method === 'LSL:shortinfo') {
    const end = bytes.indexOf(0x0a, nl + 1);
    if (end < 0) return bytes.length >= MAX_REQUEST_BYTES ? { kind: 'invalid', reason: 'query too long' } : { kind: 'incomplete' };
    return { kind: 'shortinfo', query: trimLsl(bytes.toString('utf8', nl + 1, end)) };
  }
  if (method === 'LSL:streamfeed') return { kind: 'streamfeed-1.00' };
  if (!method.startsWith('LSL:streamfeed/')) return { kind: 'invalid', reason: 'unknown request' };
  const parts = method.split(' ').map(trimLsl);
  const requestVersion = stoi(parts[0].slice(15));
  if (requestVersion === undefined) return { kind: 'invalid', reason: 'bad protocol version' };
  const uid = parts.length > 1 ? parts[1] : '';
  // Headers end at the first empty line (liblsl stops at a line that starts with CR).
  const lines: string[] = [];
  let at = nl + 1;
  for (;;) {
    const e = bytes.indexOf(0x0a, at);
    if (e < 0) return bytes.length >= MAX_REQUEST_BYTES ? { kind: 'invalid', reason: 'headers too long' } : { kind: 'incomplete' };
    const line = bytes.toString('utf8', at, e);
    at = e + 1;
    if (line === '' || line.startsWith('\r')) break;
    lines.push(line);
  }
  const params: FeedParams = {
    requestVersion,
    uid,
    protocolVersion: requestVersion,
    nativeByteOrder: 1234,
    endianPerformance: 0,
    hasIeee754Floats: true,
    supportsSubnormals: true,
    valueSize: undefined,
    maxBufferLength: undefined,
    maxChunkLength: 0,
  };
  for (const raw of lines) {
    const colon = raw.indexOf(':');
    if (colon < 0) continue;
    // liblsl strips a `;` comment and lower-cases the line before splitting it at the first colon.
    const semi = raw.indexOf(';');
    const line = (semi >= 0 ? raw.slice(0, semi) : raw).toLowerCase();
    if (colon >= line.length) continue;
    const key = trimLsl(line.slice(0, colon));
    const value = trimLsl(line.slice(colon + 1));
    // A value liblsl's std::stoi would throw on is ignored here (the default stays).
    switch (key) {
      case 'native-byte-order':
        params.nativeByteOrder = stoi(value) ?? params.nativeByteOrder;
        break;
      case 'endian-performance':
        params.endianPerformance = stod(value) ?? params.endianPerformance;
        break;
      case 'has-ieee754-floats':
        params.hasIeee754Floats = value === '1';
        break;
      case 'supports-subnormals':
        params.supportsSubnormals = value === '1';
        break;
      case 'value-size':
        params.valueSize = stoi(value) ?? params.valueSize;
        break;
      case 'max-buffer-length':
        params.maxBufferLength = stoi(value) ?? params.maxBufferLength;
        break;
      case 'max-chunk-length':
        params.maxChunkLength = stoi(value) ?? params.maxChunkLength;
        break;
      case 'protocol-version':
        params.protocolVersion = stoi(value) ?? params.protocolVersion;
        break;
    }
  }
  return { kind: 'streamfeed', params };
}
