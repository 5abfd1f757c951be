/**
 * Parses the datagrams an outlet's UDP sockets receive (docs/lsl.md §2, §3), the way liblsl's
 * `udp_server::handle_receive_outcome` reads them:
 *
 *   LSL:shortinfo\r\n<query>\r\n<return port> <query id>\r\n   → reply `<query id>\r\n<shortinfo>`
 *                                                                 to the sender's address, return port
 *   LSL:timedata\r\n<wave id> <t0>\r\n                          → reply ` <wave id> <t0> <t1> <t2>`
 *
 * Pure, linear in the datagram; anything malformed is `undefined` (the datagram is ignored).
 */
import { formatG } from './c-format.js';

export type UdpRequest =
  | { kind: 'shortinfo'; query: string; returnPort: number; queryId: string }
  | { kind: 'timedata'; waveId: number; t0: number };

/** A query id longer than this is not one liblsl makes (it sends a decimal std::hash, ≤ 20 digits). */
const MAX_QUERY_ID = 128;

const SPACE = /[ \t\r\n]/;

/** The first line (up to `\n`) and the rest, as std::getline splits them. */
function splitLine(text: string, from: number): [string, number] {
  const nl = text.indexOf('\n', from);
  return nl < 0 ? [text.slice(from), text.length] : [text.slice(from, nl), nl + 1];
}

/** liblsl's trim: spaces, tabs, CR and LF at both ends. */
export function trimLsl(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && SPACE.test(s[a])) a++;
  while (b > a && SPACE.test(s[b - 1])) b--;
  return s.slice(a, b);
}

/** Whitespace-separated tokens of `text` from `from` (istream >> semantics), at most `max`. */
function tokens(text: string, from: number, max: number): string[] {
  const out: string[] = [];
  let i = from;
  while (out.length < max) {
    while (i < text.length && SPACE.test(text[i])) i++;
    if (i >= text.length) break;
    const s = i;
    while (i < text.length && !SPACE.test(text[i])) i++;
    out.push(text.slice(s, i));
  }
  return out;
}

const DECIMAL_INT = /^[+-]?[0-9]{1,10}$/;
const DOUBLE = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?$/;

export function parseUdpRequest(datagram: Buffer): UdpRequest | undefined {
  const text = datagram.toString('utf8');
  const [methodLine, afterMethod] = splitLine(text, 0);
  const method = trimLsl(methodLine);
  if (method === 'LSL:shortinfo') {
    const [queryLine, afterQuery] = splitLine(text, afterMethod);
    const [port, queryId] = tokens(text, afterQuery, 2);
    if (port === undefined || queryId === undefined || !/^[0-9]{1,5}$/.test(port) || queryId.length > MAX_QUERY_ID) return undefined;
    const returnPort = Number(port);
    if (returnPort < 1 || returnPort > 65535) return undefined;
    return { kind: 'shortinfo', query: trimLsl(queryLine), returnPort, queryId };
  }
  if (method === 'LSL:timedata') {
    const [wave, t0text] = tokens(text, afterMethod, 2);
    if (wave === undefined || t0text === undefined || !DECIMAL_INT.test(wave) || !DOUBLE.test(t0text)) return undefined;
    const waveId = Number(wave);
    const t0 = Number(t0text);
    // liblsl reads the wave id into an int.
    if (waveId < -2147483648 || waveId > 2147483647 || !Number.isFinite(t0)) return undefined;
    return { kind: 'timedata', waveId, t0 };
  }
  return undefined;
}

/** The reply to a time probe: t1 when it arrived, t2 when the reply leaves, printed with 16 digits. */
export function timedataReply(waveId: number, t0: number, t1: number, t2: number): string {
  return ` ${waveId} ${formatG(t0)} ${formatG(t1)} ${formatG(t2)}`;
}

/** The reply to a matching shortinfo query. */
export function shortinfoReply(queryId: string, shortinfo: string): string {
  return `${queryId}\r\n${shortinfo}`;
}
