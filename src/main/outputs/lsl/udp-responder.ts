/**
 * Answers discovery and time datagrams on one UDP socket (docs/lsl.md §2, §3): the shared
 * discovery socket on port 16571 answers shortinfo queries for every outlet of the process; each
 * outlet's service socket answers queries for its own stream and time probes.
 *
 * Never throws out of a handler: a datagram that does not parse, or a query outside the supported
 * subset, is counted and ignored. Replies are budgeted per socket (REPLY_BUDGET per second each for
 * shortinfo and time replies) so a flood of spoofed queries cannot turn the outlet into a
 * reflector; what exceeds the budget is dropped and counted.
 */
import type dgram from 'node:dgram';
import type { Clock } from './clock.js';
import { MAX_DATAGRAM } from './protocol.js';
import { matchQuery } from './query.js';
import { parseUdpRequest, shortinfoReply, timedataReply } from './udp-request.js';

/** A stream the socket answers for. */
export interface Discoverable {
  shortinfo: string;
  fields: Readonly<Record<string, string>>;
}

/** Replies per second, per kind, per socket. liblsl's resolvers send a wave every ~0.5–1 s; inlets 8 time probes every 2 s. */
export const REPLY_BUDGET = { shortinfo: 200, timedata: 2000 } as const;

export interface ResponderCounters {
  /** shortinfo replies sent. */
  answered: number;
  /** Time probes answered. */
  timeProbes: number;
  /** Datagrams that did not parse, or queries outside the supported subset. */
  ignored: number;
  /** Replies not sent because the per-second budget was spent. */
  throttled: number;
}

export function newResponderCounters(): ResponderCounters {
  return { answered: 0, timeProbes: 0, ignored: 0, throttled: 0 };
}

export class UdpResponder {
  private windowStart = 0;
  private spent = { shortinfo: 0, timedata: 0 };

  constructor(
    private readonly socket: dgram.Socket,
    private readonly streams: () => Iterable<Discoverable>,
    private readonly timeService: boolean,
    private readonly clock: Clock,
    readonly counters: ResponderCounters = newResponderCounters(),
    /** Wall-clock ms for the reply budget's one-second windows (injected by tests). */
    private readonly now: () => number = Date.now,
  ) {
    socket.on('message', (msg, rinfo) => {
      try {
        this.handle(msg, rinfo);
      } catch {
        this.counters.ignored++;
      }
    });
    socket.on('error', () => {
      // a failed send (unreachable return address) must not close the socket
    });
  }

  private allow(kind: 'shortinfo' | 'timedata'): boolean {
    const now = this.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.spent = { shortinfo: 0, timedata: 0 };
    }
    if (this.spent[kind] >= REPLY_BUDGET[kind]) {
      this.counters.throttled++;
      return false;
    }
    this.spent[kind]++;
    return true;
  }

  private handle(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const t1 = this.timeService ? this.clock() : 0;
    const req = msg.length > MAX_DATAGRAM ? undefined : parseUdpRequest(msg);
    if (!req) {
      this.counters.ignored++;
      return;
    }
    if (req.kind === 'timedata') {
      if (!this.timeService) {
        this.counters.ignored++;
        return;
      }
      if (!this.allow('timedata')) return;
      const reply = timedataReply(req.waveId, req.t0, t1, this.clock());
      this.socket.send(reply, rinfo.port, rinfo.address, () => {});
      this.counters.timeProbes++;
      return;
    }
    for (const s of this.streams()) {
      const r = matchQuery(req.query, s.fields);
      if (r === 'unsupported') {
        this.counters.ignored++;
        return;
      }
      if (r !== 'match') continue;
      if (!this.allow('shortinfo')) return;
      this.socket.send(shortinfoReply(req.queryId, s.shortinfo), req.returnPort, rinfo.address, () => {});
      this.counters.answered++;
    }
  }
}
