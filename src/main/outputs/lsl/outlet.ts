/**
 * One LSL stream (docs/lsl.md §1–§9), independent of the hub: a TCP data port serving stream feeds
 * and info requests, a UDP service port answering queries and time probes, and a place on the
 * process's discovery socket. Samples pushed go to every connected inlet; nothing is kept for inlets
 * that connect later (as in liblsl).
 *
 *   const outlet = await LslOutlet.open({ name: 'BITalino', type: 'ECG', channelCount: 1,
 *     channelFormat: 'float32', sourceId: '20:16:07:18:15:26', nominalSrate: 1000, desc: [] });
 *   outlet.push(Float32Array.of(0.1), Float64Array.of(lslClock()));
 *   await outlet.close();
 */
import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import os from 'node:os';
import { lslClock, type Clock } from './clock.js';
import { DATA_SERVER_DEFAULTS, DataServer, type DataServerCounters } from './data-server.js';
import { Discovery } from './discovery.js';
import { fullinfoXml, infoFields, shortinfoXml, type StreamInfo, type XmlNode } from './info-xml.js';
import { bindUdpInRange } from './ports.js';
import { BASE_PORT, DEFAULT_SESSION_ID, MULTICAST_PORT, PORT_RANGE, PROTOCOL_VERSION, type ChannelFormat } from './protocol.js';
import { encodeSamples, type SampleValues } from './sample-encoder.js';
import { UdpResponder, newResponderCounters, type ResponderCounters } from './udp-responder.js';
import { createLogger } from '../../log.js';

const log = createLogger('serverbit:lsl');

/** What a stream is, as its inlets see it. */
export interface LslStreamSpec {
  name: string;
  type: string;
  channelCount: number;
  channelFormat: ChannelFormat;
  /** Lets an inlet find the stream again after the outlet restarts (liblsl recovers by it). */
  sourceId: string;
  /** Hz; 0 = irregular. */
  nominalSrate: number;
  /** Children of `<desc>` (XDF meta-data). */
  desc: readonly XmlNode[];
}

export interface LslOutletOptions {
  /** IPv4 address to serve on. Default "127.0.0.1"; "0.0.0.0" serves every interface (docs/lsl.md §11). */
  host?: string;
  /** First port of the range for the data and service ports. Default 16572; 0 = OS-picked ports (tests). */
  basePort?: number;
  /** Ports in the range. Default 32. */
  portRange?: number;
  /** Use an OS-picked port when the range is full. Default true (as liblsl). */
  allowRandomPorts?: boolean;
  /** The lab's `SessionID`; resolvers only see streams of their own session. Default "default". */
  sessionId?: string;
  /** Default os.hostname(). */
  hostname?: string;
  /** Most samples one inlet's backlog holds. Default 360 s of data (at least 1000 samples for irregular streams: 360 × 100, as liblsl). */
  backlogSamples?: number;
  /** Most inlets at once. Default 16. */
  maxConsumers?: number;
  /**
   * The discovery socket to answer on (shared by outlets; its owner closes it). Default: the outlet
   * opens its own on port 16571 and closes it with itself; `false`: no discovery socket (then only
   * queries to the service port, i.e. `KnownPeers`, find the stream).
   */
  discovery?: Discovery | false;
  /** For an own discovery socket: groups are joined on these local IPv4 addresses (see Discovery). */
  interfaces?: readonly string[];
  clock?: Clock;
}

export interface LslOutletCounters extends DataServerCounters {
  /** Samples pushed. */
  samples: number;
  /** Inlets connected now. */
  consumers: number;
  /** The service port's replies (shortinfo, time probes) and ignored datagrams. */
  service: ResponderCounters;
}

/** liblsl's default outlet buffer: 360 s (irregular streams: 360 × 100 samples). */
export function defaultBacklogSamples(nominalSrate: number, seconds = 360): number {
  return Math.max(1, Math.ceil(nominalSrate > 0 ? nominalSrate * seconds : seconds * 100));
}

export class LslOutlet {
  /** The info as the outlet publishes it (uid, ports and created_at filled in). */
  readonly info: StreamInfo;
  private samples = 0;
  private closed = false;
  private readonly leave: () => void;

  private constructor(
    info: StreamInfo,
    private readonly data: DataServer,
    private readonly service: dgram.Socket,
    private readonly serviceResponder: UdpResponder,
    private readonly ownDiscovery: Discovery | undefined,
    discovery: Discovery | undefined,
  ) {
    this.info = info;
    const discoverable = { shortinfo: shortinfoXml(info), fields: infoFields(info) };
    this.leave = discovery ? discovery.add(discoverable) : () => {};
  }

  /** Binds the ports and starts answering. Rejects with a NetworkError (LSL_LISTEN_FAILED) when it cannot listen. */
  static async open(spec: LslStreamSpec, options: LslOutletOptions = {}): Promise<LslOutlet> {
    if (!spec.name) throw new TypeError('an LSL stream needs a non-empty name');
    if (!Number.isInteger(spec.channelCount) || spec.channelCount < 1) throw new RangeError('channelCount must be a positive integer');
    if (!(spec.nominalSrate >= 0)) throw new RangeError('nominalSrate must be >= 0');
    const clock = options.clock ?? lslClock;
    const host = options.host ?? '127.0.0.1';
    const range = { host, basePort: options.basePort ?? BASE_PORT, portRange: options.portRange ?? PORT_RANGE, allowRandomPorts: options.allowRandomPorts ?? true };
    const data = await DataServer.open(range, {
      backlogSamples: options.backlogSamples ?? defaultBacklogSamples(spec.nominalSrate),
      maxConsumers: options.maxConsumers ?? DATA_SERVER_DEFAULTS.maxConsumers,
    });
    let service: dgram.Socket;
    try {
      service = await bindUdpInRange(range);
    } catch (err) {
      await data.close();
      throw err;
    }
    let own: Discovery | undefined;
    if (options.discovery === undefined) {
      try {
        own = await Discovery.open({ host, port: MULTICAST_PORT, interfaces: options.interfaces, clock });
      } catch (err) {
        log.warn('%s', (err as Error).message);
      }
    }
    const info: StreamInfo = {
      name: spec.name,
      type: spec.type,
      channelCount: spec.channelCount,
      channelFormat: spec.channelFormat,
      sourceId: spec.sourceId,
      nominalSrate: spec.nominalSrate,
      version: PROTOCOL_VERSION,
      createdAt: clock(),
      uid: randomUUID(),
      sessionId: options.sessionId ?? DEFAULT_SESSION_ID,
      hostname: options.hostname ?? os.hostname(),
      v4address: '',
      v4dataPort: data.port,
      v4servicePort: service.address().port,
      v6address: '',
      v6dataPort: 0,
      v6servicePort: 0,
      desc: spec.desc,
    };
    const fields = infoFields(info);
    const shortinfo = shortinfoXml(info);
    data.serve({ uid: info.uid, channelFormat: info.channelFormat, channelCount: info.channelCount, fullinfo: fullinfoXml(info), shortinfo, fields });
    const responder = new UdpResponder(service, () => [{ shortinfo, fields }], true, clock, newResponderCounters());
    const discovery = options.discovery === false ? undefined : (options.discovery ?? own);
    log.debug('outlet %s (%s) on %s: data %d, service %d', info.name, info.uid, host, info.v4dataPort, info.v4servicePort);
    return new LslOutlet(info, data, service, responder, own, discovery);
  }

  /** Inlets connected now. */
  get consumerCount(): number {
    return this.data.consumerCount;
  }

  get counters(): LslOutletCounters {
    return { ...this.data.counters, samples: this.samples, consumers: this.data.consumerCount, service: { ...this.serviceResponder.counters } };
  }

  /**
   * Sends `timestamps.length` samples: `values` sample-major (channelCount per sample), in the
   * stream's format; timestamps in LSL-clock seconds (NaN = let the inlet deduce it, §7).
   */
  push(values: SampleValues, timestamps: Float64Array): void {
    if (this.closed || timestamps.length === 0) return;
    this.samples += timestamps.length;
    if (this.data.consumerCount === 0) return;
    this.data.push(encodeSamples(this.info.channelFormat, this.info.channelCount, values, timestamps));
  }

  /** Counts `count` samples that were not even encoded because no inlet is connected. */
  skip(count: number): void {
    if (!this.closed) this.samples += count;
  }

  /** Closes the ports and every inlet connection; idempotent, never rejects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.leave();
    await Promise.all([
      this.data.close(),
      new Promise<void>((resolve) => this.service.close(() => resolve())),
      this.ownDiscovery?.close(),
    ]);
  }
}
