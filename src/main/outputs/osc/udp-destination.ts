/**
 * One OSC destination: a UDP socket connected to host:port (docs/osc.md "Destinations").
 *
 * Connected, so that the kernel reports an ICMP "port unreachable" (nothing listens there) or
 * "no route" back to us: Linux delivers those only to connected UDP sockets, as an `error` event
 * (ECONNREFUSED, EHOSTUNREACH…); an unconnected socket would lose every datagram silently. It
 * also makes the kernel drop datagrams arriving from anyone but the destination.
 *
 * Never blocks and never throws from send(): a datagram is handed to the socket, or dropped and
 * counted when more than `maxQueueBytes` are already waiting in the socket's user-space queue
 * (the kernel's send buffer is full: a slow link). Errors are counted and reported to `onError`.
 */
import dgram from 'node:dgram';
import dns from 'node:dns/promises';
import net from 'node:net';
import { NetworkError } from '#shared/errors.js';
import type { OscDestination } from '#shared/outputs/osc-config.js';

export interface DestinationOptions {
  /** SO_BROADCAST. */
  broadcast: boolean;
  /** Hops for a multicast group, 1..255. */
  multicastTtl: number;
  /** Local interface address multicast leaves from. */
  multicastInterface?: string;
  /** Bytes waiting in the socket (not yet taken by the kernel) above which a datagram is dropped. */
  maxQueueBytes: number;
  /** Called on every socket error, after it is counted. Must not throw. */
  onError(error: NetworkError): void;
}

export interface DestinationCounters {
  datagrams: number;
  bytes: number;
  /** Datagrams not sent because the socket's queue was over its bound. */
  dropped: number;
  /** Socket errors (unreachable, refused, not permitted…). */
  errors: number;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);

export function isMulticast(address: string): boolean {
  if (net.isIPv4(address)) {
    const first = Number(address.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  return net.isIPv6(address) && /^ff/i.test(address);
}

function isLoopback(address: string): boolean {
  return (net.isIPv4(address) && address.startsWith('127.')) || address === '::1';
}

export class UdpDestination {
  readonly host: string;
  readonly port: number;
  readonly counters: DestinationCounters = { datagrams: 0, bytes: 0, dropped: 0, errors: 0 };
  /** The address `host` resolved to, once open. */
  address: string | undefined;
  private socket: dgram.Socket | undefined;
  private closed = false;
  private readonly opts: DestinationOptions;

  constructor(destination: OscDestination, options: DestinationOptions) {
    this.host = destination.host;
    this.port = destination.port;
    this.opts = options;
  }

  get label(): string {
    return net.isIPv6(this.host) ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  /** Resolves the host, binds and connects. Rejects with OSC_HOST_UNRESOLVED or OSC_SEND_FAILED. */
  async open(): Promise<void> {
    const { address, family } = await this.resolve();
    if (this.closed) return;
    this.address = address;
    const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
    this.socket = socket;
    socket.on('error', (err) => this.onSocketError(err));
    try {
      // A loopback destination is reached from a loopback address: nothing of ours is bound on
      // another interface. Otherwise the system picks the interface (port 0: an ephemeral port).
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ port: 0, address: isLoopback(address) ? (family === 6 ? '::1' : '127.0.0.1') : undefined }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      if (this.opts.broadcast) socket.setBroadcast(true);
      if (isMulticast(address)) {
        socket.setMulticastTTL(this.opts.multicastTtl);
        if (this.opts.multicastInterface) socket.setMulticastInterface(this.opts.multicastInterface);
      }
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        // With a callback, a failed connect (EACCES for a broadcast address without SO_BROADCAST)
        // is passed to it rather than emitted.
        socket.connect(this.port, address, (err?: Error) => {
          socket.off('error', reject);
          if (err) reject(err);
          else resolve();
        });
      });
    } catch (err) {
      await this.close();
      throw new NetworkError('OSC_SEND_FAILED', `cannot open a UDP socket to ${this.label}: ${describe(err)}`, this.hintFor(err), { cause: err });
    }
  }

  /** Hands one datagram to the socket, or drops it (counted). Never throws. */
  send(datagram: Buffer): void {
    const s = this.socket;
    if (!s || this.closed) return;
    try {
      if (s.getSendQueueSize() + datagram.length > this.opts.maxQueueBytes) {
        this.counters.dropped++;
        return;
      }
      s.send(datagram); // no callback: a failure comes back as an 'error' event
      this.counters.datagrams++;
      this.counters.bytes += datagram.length;
    } catch (err) {
      this.onSocketError(err as Error);
    }
  }

  /** Idempotent, never rejects. */
  close(): Promise<void> {
    this.closed = true;
    const s = this.socket;
    this.socket = undefined;
    if (!s) return Promise.resolve();
    return new Promise<void>((resolve) => {
      try {
        s.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }

  private async resolve(): Promise<{ address: string; family: 4 | 6 }> {
    const family = net.isIP(this.host);
    if (family === 4 || family === 6) return { address: this.host, family };
    if (this.host === 'localhost') return { address: '127.0.0.1', family: 4 };
    try {
      const r = await dns.lookup(this.host);
      return { address: r.address, family: r.family === 6 ? 6 : 4 };
    } catch (err) {
      throw new NetworkError(
        'OSC_HOST_UNRESOLVED',
        `cannot find the OSC destination ${this.host}: ${describe(err)}`,
        'Check the host name, or use the receiving computer\'s IP address (e.g. "192.168.1.20").',
        { cause: err },
      );
    }
  }

  private onSocketError(err: Error): void {
    this.counters.errors++;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const error = UNREACHABLE.has(code)
      ? new NetworkError('OSC_UNREACHABLE', `OSC to ${this.label} is not arriving: ${describe(err)}`, this.hintFor(err), { cause: err })
      : new NetworkError('OSC_SEND_FAILED', `cannot send OSC to ${this.label}: ${describe(err)}`, this.hintFor(err), { cause: err });
    try {
      this.opts.onError(error);
    } catch {
      // the owner's bug must not escape a socket event
    }
  }

  private hintFor(err: unknown): string {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    switch (code) {
      case 'ECONNREFUSED':
        return `Nothing receives on UDP port ${this.port} at ${this.host}: start the receiving program (Pd, Max, TouchDesigner…) or check the port.`;
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
      case 'EHOSTDOWN':
      case 'ENETDOWN':
        return `There is no route to ${this.host}: check the address and that this computer is on the same network.`;
      case 'EACCES':
        return `Sending to a broadcast address needs the "broadcast" setting.`;
      case 'EMSGSIZE':
        return `The datagram is too large for the network: lower "maxDatagramBytes".`;
      case 'EADDRNOTAVAIL':
        return `Check the multicast interface address and the destination.`;
      default:
        return `Check the destination ${this.label}.`;
    }
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.code === 'ECONNREFUSED') return 'the port is closed (ICMP port unreachable)';
  return e?.code ? `${e.code}${e.syscall ? ` (${e.syscall})` : ''}` : String((err as Error)?.message ?? err);
}
