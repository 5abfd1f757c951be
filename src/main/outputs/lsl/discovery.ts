/**
 * The discovery socket on UDP port 16571 (docs/lsl.md §2), shared by every outlet of the process:
 * liblsl's resolvers send their shortinfo queries there — to the multicast groups, to the broadcast
 * address and to 127.0.0.1 — and this socket answers once per matching outlet. One socket for all
 * outlets also means that a query to 127.0.0.1:16571, which the kernel hands to only one of the
 * sockets bound to that port, still finds every ServerBIT stream (liblsl, with one socket per outlet,
 * finds only one: docs/lsl.md §12).
 *
 * Bound with SO_REUSEADDR, like liblsl's own responders, so ServerBIT and liblsl outlets share the
 * port. On a loopback host it binds 127.0.0.1:16571 and joins no group (same-host inlets reach it
 * through their 127.0.0.1 query); otherwise it binds 0.0.0.0:16571 and joins the groups on each
 * interface in `interfaces`.
 */
import dgram from 'node:dgram';
import os from 'node:os';
import { lslClock, type Clock } from './clock.js';
import { MULTICAST_GROUPS, MULTICAST_PORT } from './protocol.js';
import { UdpResponder, type Discoverable, type ResponderCounters } from './udp-responder.js';
import { NetworkError } from '#shared/errors.js';
import { createLogger } from '../../log.js';

const log = createLogger('serverbit:lsl');

export interface DiscoveryOptions {
  /** IPv4 address the outlets serve on: a loopback address, "0.0.0.0" (every interface), or one local address. */
  host: string;
  /** Default 16571. */
  port?: number;
  /** Groups to join. Default MULTICAST_GROUPS. */
  groups?: readonly string[];
  /**
   * Local IPv4 addresses to join the groups on. Default: every IPv4 interface for "0.0.0.0", the
   * host itself otherwise; ignored for a loopback host.
   */
  interfaces?: readonly string[];
  clock?: Clock;
}

export function isLoopback(host: string): boolean {
  return host.startsWith('127.');
}

function localIPv4(): string[] {
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) out.push(a.address);
  return out;
}

export class Discovery {
  private readonly streams = new Set<Discoverable>();
  private readonly responder: UdpResponder;
  private closed = false;
  /** Group memberships that succeeded (group × interface). */
  readonly joined: number;

  private constructor(
    private readonly socket: dgram.Socket,
    joined: number,
    clock: Clock,
  ) {
    this.joined = joined;
    this.responder = new UdpResponder(socket, () => this.streams, false, clock);
  }

  static async open(options: DiscoveryOptions): Promise<Discovery> {
    const port = options.port ?? MULTICAST_PORT;
    const loopback = isLoopback(options.host);
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ port, address: loopback ? options.host : '0.0.0.0' }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      try {
        socket.close();
      } catch {
        // closed by the failed bind
      }
      throw new NetworkError('LSL_LISTEN_FAILED', `LSL: cannot listen for discovery on UDP port ${port}: ${(err as Error).message}`, `Another program holds UDP port ${port} exclusively: close it, or set lsl.multicast_port. Meanwhile inlets find the streams if their lsl_api.cfg lists this computer in KnownPeers (docs/lsl.md §2).`, { cause: err });
    }
    let joined = 0;
    if (!loopback) {
      const interfaces = options.interfaces ?? (options.host === '0.0.0.0' ? localIPv4() : [options.host]);
      for (const group of options.groups ?? MULTICAST_GROUPS) {
        for (const iface of interfaces) {
          try {
            socket.addMembership(group, iface);
            joined++;
          } catch (err) {
            log.debug('cannot join %s on %s: %s', group, iface, (err as Error).message);
          }
        }
      }
      if (joined === 0) log.debug('joined no multicast group: only broadcast, 127.0.0.1 and KnownPeers queries reach the outlets');
    }
    return new Discovery(socket, joined, options.clock ?? lslClock);
  }

  /** The bound port (16571 unless the options said otherwise). */
  get port(): number {
    return this.socket.address().port;
  }

  get counters(): ResponderCounters {
    return this.responder.counters;
  }

  /** Answers for `stream` until the returned function is called. */
  add(stream: Discoverable): () => void {
    this.streams.add(stream);
    return () => {
      this.streams.delete(stream);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.streams.clear();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
