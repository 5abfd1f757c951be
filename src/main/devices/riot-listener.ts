/**
 * The UDP sockets R-IoT modules stream to (docs/osc.md "R-IoT devices"). Several modules usually send to
 * the same port (8888) and tell themselves apart by the id in their address, /<id>/raw, so one
 * socket per host:port is shared by every R-IoT device on it (reference-counted) and each
 * datagram's messages are routed to the device of their module id.
 *
 * Untrusted input, bounded: at most 4000 datagrams per second are decoded per socket (an R-IoT
 * sends at most about 333; the rest are dropped and counted); a datagram over 4096 bytes is
 * dropped undecoded (an R-IoT message is 120 bytes); node-osc's decoding is linear and, with that
 * size bound, its bundle recursion at most about 200 deep; at most 64 messages are kept per
 * datagram, and bundles nested deeper than 4 are ignored. Nothing is ever sent back.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { decode } from 'node-osc';
import { DeviceError } from '../../shared/errors.js';

export interface RiotSubscriber {
  /** The argument lists of this module's /<id>/raw messages in one datagram, in order; `receivedAt` ms since the epoch. */
  messages(argLists: unknown[][], receivedAt: number): void;
  /** The socket failed after it was open; it is closed. */
  failed(error: DeviceError): void;
}

export interface RiotSocketStats {
  datagrams: number;
  /** Not OSC, too large, or beyond the per-datagram message bound. */
  malformed: number;
  /** Messages for no subscribed module (another address, another module id). */
  ignored: number;
  /** Datagrams over the rate bound. */
  rateLimited: number;
}

export interface RiotSocket {
  readonly host: string;
  readonly port: number;
  readonly stats: RiotSocketStats;
  /** Routes /<module>/raw to `subscriber`; returns the unsubscribe function. */
  subscribe(module: number, subscriber: RiotSubscriber): () => void;
  /** Gives this reference back; the socket closes with the last one. Idempotent per reference. */
  release(): Promise<void>;
}

export const RIOT_MAX_DATAGRAM_BYTES = 4096;
export const RIOT_MAX_DATAGRAMS_PER_SECOND = 4000;
const MAX_MESSAGES = 64;
const MAX_DEPTH = 4;
const RAW_ADDRESS = /^\/(\d{1,3})\/raw$/;

interface Shared {
  socket: dgram.Socket;
  refs: number;
  /** Released by its last reference: a new open binds again. */
  closed: boolean;
  subscribers: Map<number, Set<RiotSubscriber>>;
  stats: RiotSocketStats;
  tokens: number;
  tokensAt: number;
}

const shared = new Map<string, Promise<Shared>>();

/** Opens (or shares) the socket for host:port. Rejects with DEVICE_OPEN_FAILED naming what to check. */
export async function openRiotSocket(host: string, port: number): Promise<RiotSocket> {
  const key = `${host}|${port}`;
  let entry = shared.get(key);
  if (!entry) {
    entry = bind(host, port);
    shared.set(key, entry);
    entry.catch(() => shared.delete(key));
  }
  const s = await entry;
  // The last reference may have been released while we waited: bind a new socket then.
  if (s.closed) return openRiotSocket(host, port);
  s.refs++;
  let released = false;
  return {
    host,
    port,
    stats: s.stats,
    subscribe(module, subscriber) {
      let set = s.subscribers.get(module);
      if (!set) s.subscribers.set(module, (set = new Set()));
      set.add(subscriber);
      return () => {
        set.delete(subscriber);
        if (set.size === 0 && s.subscribers.get(module) === set) s.subscribers.delete(module);
      };
    },
    async release() {
      if (released) return;
      released = true;
      if (--s.refs > 0) return;
      s.closed = true;
      if (shared.get(key) === entry) shared.delete(key);
      await new Promise<void>((resolve) => {
        try {
          s.socket.close(() => resolve());
        } catch {
          resolve(); // already closed after an error
        }
      });
    },
  };
}

async function bind(host: string, port: number): Promise<Shared> {
  const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
  const s: Shared = { socket, refs: 0, closed: false, subscribers: new Map(), stats: { datagrams: 0, malformed: 0, ignored: 0, rateLimited: 0 }, tokens: RIOT_MAX_DATAGRAMS_PER_SECOND, tokensAt: performance.now() };
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    socket.close();
    throw openError(err, host, port);
  }
  socket.on('message', (datagram) => onDatagram(s, datagram));
  socket.on('error', (err) => {
    const e = new DeviceError('DEVICE_DISCONNECTED', `the R-IoT socket on ${host}:${port} failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`, 'ServerBIT reconnects by itself.', { cause: err });
    for (const set of s.subscribers.values()) for (const sub of set) safe(() => sub.failed(e));
  });
  return s;
}

function onDatagram(s: Shared, datagram: Buffer): void {
  const receivedAt = Date.now();
  s.stats.datagrams++;
  const now = performance.now();
  s.tokens = Math.min(RIOT_MAX_DATAGRAMS_PER_SECOND, s.tokens + ((now - s.tokensAt) * RIOT_MAX_DATAGRAMS_PER_SECOND) / 1000);
  s.tokensAt = now;
  if (s.tokens < 1) {
    s.stats.rateLimited++;
    return;
  }
  s.tokens -= 1;
  if (datagram.length > RIOT_MAX_DATAGRAM_BYTES || datagram.length === 0) {
    s.stats.malformed++;
    return;
  }
  let root: unknown;
  try {
    root = decode(datagram);
  } catch {
    s.stats.malformed++;
    return;
  }
  // Flatten bundles iteratively, in datagram order, grouping argument lists by module.
  const byModule = new Map<number, unknown[][]>();
  let kept = 0;
  const stack: { node: unknown; depth: number }[] = [{ node: root, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    const n = node as { oscType?: unknown; elements?: unknown; address?: unknown; args?: unknown };
    if (n.oscType === 'bundle' && Array.isArray(n.elements)) {
      if (depth >= MAX_DEPTH) {
        s.stats.malformed++;
        continue;
      }
      for (let i = n.elements.length - 1; i >= 0; i--) stack.push({ node: n.elements[i], depth: depth + 1 });
      continue;
    }
    if (typeof n.address !== 'string' || !Array.isArray(n.args)) continue;
    if (kept >= MAX_MESSAGES) {
      s.stats.malformed++;
      continue;
    }
    kept++;
    const m = RAW_ADDRESS.exec(n.address);
    const module = m ? Number(m[1]) : -1;
    if (!s.subscribers.has(module)) {
      s.stats.ignored++;
      continue;
    }
    let list = byModule.get(module);
    if (!list) byModule.set(module, (list = []));
    list.push((n.args as { value?: unknown }[]).map((a) => a?.value));
  }
  for (const [module, lists] of byModule) {
    const subs = s.subscribers.get(module);
    if (subs) for (const sub of subs) safe(() => sub.messages(lists, receivedAt));
  }
}

function safe(fn: () => void): void {
  try {
    fn();
  } catch {
    // a subscriber's failure is its own (the driver catches and counts); never the socket's
  }
}

function openError(err: unknown, host: string, port: number): DeviceError {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE') {
    return new DeviceError(
      'DEVICE_OPEN_FAILED',
      `cannot receive R-IoT data on ${host}:${port}: another program is using UDP port ${port}`,
      `Close the other program (another ServerBIT, a patch receiving the R-IoT directly) or use another port, on the R-IoT and in its ServerBIT settings.`,
      { cause: err },
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new DeviceError(
      'DEVICE_OPEN_FAILED',
      `cannot receive R-IoT data on ${host}:${port}: this computer has no address ${host}`,
      `A factory R-IoT sends to 192.168.1.100: give this computer that address on the R-IoT's Wi-Fi network (R-IoT guide), or set the device's "host" to this computer's address on that network, or to "0.0.0.0" to receive on every network.`,
      { cause: err },
    );
  }
  return new DeviceError('DEVICE_OPEN_FAILED', `cannot receive R-IoT data on ${host}:${port}: ${code ?? String((err as Error)?.message ?? err)}`, 'Check the R-IoT device\'s host and port.', { cause: err });
}
