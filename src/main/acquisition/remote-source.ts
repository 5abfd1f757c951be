/**
 * Devices that are not this ServerBIT's own: streams another ServerBIT publishes to an MQTT
 * broker, relayed (docs/mqtt.md "Relay"). The transport (outputs/mqtt/relay.ts) hands each
 * message here with the device it is about; this module validates it (remote-payloads.ts) and
 * publishes it into the hub as it is — the publisher's indices, t0 and device time, never
 * re-indexed — so the compatible stream, /v2 and every output serve a relayed device exactly as
 * a local one. Acquisition lists these devices among its ids (kind "remote" in meta and status);
 * commands to them are refused with DEVICE_REMOTE (acquisition.ts).
 *
 * Guarantees, per device, whatever the broker delivers:
 * - data is published in index order, each sample at most once: a message that repeats indices
 *   already published (a QoS 1 resend) is dropped, or trimmed to what is new, and counted;
 * - nothing is lost silently: when data or a gap skips indices, the skipped range is published as
 *   a `gap` first (reason link_lost: lost between the publisher and here), unless the publisher's
 *   own gap for it came first (then with the publisher's reason);
 * - a retained meta that repeats the current one changes nothing (it arrives again after every
 *   reconnect); a new one starts a new segment, as on the publisher.
 *
 * Bounds: at most `maxDevices` relayed devices (more are refused and counted); each device holds
 * its last meta and status and one index; payload limits are in remote-payloads.ts. Bad messages
 * are dropped and counted (`invalid`), with the last reason kept for the status.
 */
import type { DeviceStatus, GapEvent, StreamMeta, WireError } from '../../shared/acquisition.js';
import { MAX_DEVICES } from '../../shared/config.js';
import type { Hub } from './hub.js';
import { parseRemoteData, parseRemoteGap, parseRemoteMarker, parseRemoteMeta, parseRemoteStatus } from './remote-payloads.js';

/** What Acquisition needs of a set of devices it does not run. */
export interface RemoteDevices {
  ids(): string[];
  has(id: string): boolean;
  status(id: string): DeviceStatus | undefined;
  /** Where the device comes from, for DEVICE_REMOTE's message ("mqtt://broker:1883/serverbit/lab/0"). */
  address(id: string): string | undefined;
}

export type RemoteMessageKind = 'meta' | 'status' | 'data' | 'gap' | 'marker';

export interface RemoteMessage {
  /** The relay's id for the device; undefined for a marker on every device of a publisher. */
  device: string | undefined;
  kind: RemoteMessageKind;
  payload: Buffer;
  /** Delivered because it was retained (at subscribe time), not as it happened. */
  retained: boolean;
  /** Where it came from, shown as the device's address: the broker and the publisher's topic for the device. */
  address: string;
}

export interface RemoteCounters {
  /** Messages received and accepted. */
  messages: number;
  /** Dropped: not valid (size, JSON, schema, ranges) or arriving before the device's meta. */
  invalid: number;
  /** Data or gaps whose indices were all published already (resends), dropped. */
  stale: number;
  /** Gaps this relay announced for indices the broker never delivered. */
  lostRanges: number;
  /** Devices refused past maxDevices. */
  refusedDevices: number;
}

interface Remote {
  id: string;
  address: string;
  metaText?: string;
  meta?: StreamMeta;
  status?: DeviceStatus;
  /** The next index expected; undefined until the first data of a session. */
  next?: number;
}

export interface RemoteSourceOptions {
  hub: Hub;
  /** Most relayed devices. Default MAX_DEVICES (16), what a /v2 `server` message lists. */
  maxDevices?: number;
}

export class RemoteSource implements RemoteDevices {
  private readonly hub: Hub;
  private readonly maxDevices: number;
  private readonly remotes = new Map<string, Remote>();
  readonly counters: RemoteCounters = { messages: 0, invalid: 0, stale: 0, lostRanges: 0, refusedDevices: 0 };
  /** Why the last message was dropped (shown in the relay's status). */
  lastProblem: string | undefined;

  constructor(options: RemoteSourceOptions) {
    this.hub = options.hub;
    this.maxDevices = options.maxDevices ?? MAX_DEVICES;
  }

  ids(): string[] {
    return [...this.remotes.keys()];
  }

  has(id: string): boolean {
    return this.remotes.has(id);
  }

  status(id: string): DeviceStatus | undefined {
    return this.remotes.get(id)?.status;
  }

  address(id: string): string | undefined {
    return this.remotes.get(id)?.address;
  }

  /** One message from the broker. Never throws. */
  receive(msg: RemoteMessage): void {
    try {
      this.handle(msg);
    } catch (e) {
      this.drop(msg, `internal error: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** The relay lost its broker: every relayed device is "reconnecting" with why, until its status arrives again. */
  connectionLost(error: WireError): void {
    for (const r of this.remotes.values()) {
      if (!r.status) continue;
      r.status = { ...r.status, state: 'reconnecting', error };
      this.hub.publishStatus(r.status);
    }
  }

  /** Every relayed device leaves the set (the relay stops). */
  close(): void {
    for (const id of [...this.remotes.keys()]) this.remove(id);
  }

  private handle(msg: RemoteMessage): void {
    const { kind, payload } = msg;
    const id = msg.device;
    // An empty payload deletes a retained message: on `…/status`, the publisher removed the device.
    if (payload.length === 0) {
      if (id !== undefined && kind === 'status' && this.remotes.has(id)) this.remove(id);
      return;
    }
    if (kind === 'marker' || id === undefined) return this.onMarker(msg);
    let r = this.remotes.get(id);
    if (!r) {
      if (kind !== 'meta' && kind !== 'status') return this.drop(msg, `${kind} for device "${id}" before its meta or status`);
      if (this.remotes.size >= this.maxDevices) {
        this.counters.refusedDevices++;
        this.lastProblem = `device "${id}" refused: this relay serves at most ${this.maxDevices} devices`;
        return;
      }
      r = { id, address: msg.address };
    }
    switch (kind) {
      case 'meta':
        return this.onMeta(r, msg);
      case 'status':
        return this.onStatus(r, msg);
      case 'data':
        return this.onData(r, msg);
      case 'gap':
        return this.onGap(r, msg);
    }
  }

  private onMeta(r: Remote, msg: RemoteMessage): void {
    const text = msg.payload.toString('utf8');
    if (text === r.metaText) return void this.counters.messages++; // the same segment, delivered again
    const p = parseRemoteMeta(msg.payload, r.id, r.address);
    if (!p.ok) return this.drop(msg, `meta: ${p.problem}`);
    this.counters.messages++;
    const m = p.value;
    const prev = r.meta;
    this.add(r);
    if (!r.status) {
      // A status normally comes first; until it does, say what we know.
      r.status = { device: r.id, kind: 'remote', name: m.name, address: r.address, state: 'connecting', rate: m.rate, channels: [...m.channels], counters: { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0 }, t0: m.t0 };
      this.hub.publishStatus(r.status);
    }
    const newSession = !prev || prev.t0 !== m.t0 || prev.rate !== m.rate;
    if (newSession) r.next = msg.retained ? undefined : m.segmentStart;
    else if (!msg.retained && r.next !== undefined && m.segmentStart > r.next) this.lost(r, m.segmentStart);
    r.meta = m;
    r.metaText = text;
    this.hub.publishMeta(m);
  }

  private onStatus(r: Remote, msg: RemoteMessage): void {
    const p = parseRemoteStatus(msg.payload, r.id, r.address, r.meta);
    if (!p.ok) return this.drop(msg, `status: ${p.problem}`);
    this.counters.messages++;
    this.add(r);
    r.status = p.value;
    this.hub.publishStatus(p.value);
  }

  private onData(r: Remote, msg: RemoteMessage): void {
    if (!r.meta) return this.drop(msg, `data for device "${r.id}" before its meta`);
    const p = parseRemoteData(msg.payload, r.id, r.meta);
    if (!p.ok) return this.drop(msg, `data: ${p.problem}`);
    let b = p.value;
    const end = b.index + b.count;
    if (r.next !== undefined && end <= r.next) {
      this.counters.stale++;
      return;
    }
    if (r.next !== undefined && b.index < r.next) {
      const skip = r.next - b.index;
      b = {
        ...b,
        index: r.next,
        time: b.timestamps ? b.time : b.time + (skip * 1000) / b.rate,
        count: b.count - skip,
        seq: b.seq.subarray(skip),
        digital: b.digital.subarray(skip),
        analog: b.analog.map((a) => a.subarray(skip)),
        ...(b.timestamps ? { timestamps: b.timestamps.subarray(skip) } : {}),
      };
    } else if (r.next !== undefined && b.index > r.next) this.lost(r, b.index);
    this.counters.messages++;
    r.next = end;
    this.hub.publishBatch(b);
  }

  private onGap(r: Remote, msg: RemoteMessage): void {
    const p = parseRemoteGap(msg.payload, r.id);
    if (!p.ok) return this.drop(msg, `gap: ${p.problem}`);
    let g: GapEvent = p.value;
    if (r.next !== undefined) {
      if (g.to <= r.next) {
        this.counters.stale++;
        return;
      }
      if (g.from > r.next) this.lost(r, g.from);
      else if (g.from < r.next) g = { ...g, from: r.next };
    }
    this.counters.messages++;
    r.next = g.to;
    this.hub.publishGap(g);
  }

  private onMarker(msg: RemoteMessage): void {
    if (msg.device !== undefined && !this.remotes.has(msg.device)) return this.drop(msg, `marker for device "${msg.device}" before its meta or status`);
    const p = parseRemoteMarker(msg.payload, msg.device);
    if (!p.ok) return this.drop(msg, `marker: ${p.problem}`);
    this.counters.messages++;
    this.hub.publishMarker(p.value);
  }

  /** Indices [r.next, to) never arrived: announce them. */
  private lost(r: Remote, to: number): void {
    const from = r.next!;
    this.counters.lostRanges++;
    r.next = to;
    this.hub.publishGap({ device: r.id, from, to, reason: 'link_lost' });
  }

  private add(r: Remote): void {
    if (!this.remotes.has(r.id)) this.remotes.set(r.id, r);
  }

  private remove(id: string): void {
    if (!this.remotes.delete(id)) return;
    this.hub.publishRemoved(id);
  }

  private drop(msg: RemoteMessage, problem: string): void {
    this.counters.invalid++;
    this.lastProblem = `${msg.address}/${msg.kind}: ${problem}`.slice(0, 300);
  }
}
