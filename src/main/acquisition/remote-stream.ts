/**
 * One device another ServerBIT publishes to an MQTT broker, as this ServerBIT serves it: the
 * messages of its topics in, the hub's events out, under this ServerBIT's id for it. Shared by the
 * relay's set of devices (remote-source.ts) and by a remote device in the device list
 * (remote-runner.ts), so both keep the same guarantees (docs/mqtt.md "Relay"):
 *
 * - the publisher's indices, t0 and device time as they are, never re-indexed;
 * - data in index order, each sample at most once: a message repeating indices already published
 *   (a QoS 1 resend) is dropped, or trimmed to what is new, and counted (`stale`);
 * - nothing lost silently: when data or a gap skips indices, the skipped range is published as a
 *   `gap` first (reason link_lost), unless the publisher's own gap for it came first;
 * - a meta repeating the current one changes nothing (it arrives again after every reconnect); a
 *   new one starts a new segment, as on the publisher.
 *
 * Holds the last meta and status and one index; payload limits are in remote-payloads.ts. A bad
 * message is dropped and counted (`invalid`), its reason handed to `onProblem`. Never throws.
 */
import type { DeviceStatus, GapEvent, StreamMeta, WireError } from '../../shared/acquisition.js';
import type { Hub } from './hub.js';
import { parseRemoteData, parseRemoteGap, parseRemoteMarker, parseRemoteMeta, parseRemoteStatus } from './remote-payloads.js';

export type RemoteMessageKind = 'meta' | 'status' | 'data' | 'gap' | 'marker';

export interface RemoteCounters {
  /** Messages received and accepted. */
  messages: number;
  /** Dropped: not valid (size, JSON, schema, ranges) or arriving before the device's meta. */
  invalid: number;
  /** Data or gaps whose indices were all published already (resends), dropped. */
  stale: number;
  /** Gaps announced here for indices the broker never delivered. */
  lostRanges: number;
  /** Devices refused past a relay's maxDevices. */
  refusedDevices: number;
}

export const newRemoteCounters = (): RemoteCounters => ({ messages: 0, invalid: 0, stale: 0, lostRanges: 0, refusedDevices: 0 });

export interface RemoteStreamOptions {
  hub: Hub;
  /** This ServerBIT's id for the device. */
  id: string;
  /** Where it comes from, as shown in meta and status: the broker and topic, never with credentials. */
  address: string;
  /** Counters to add to (a relay shares one set among its devices). */
  counters: RemoteCounters;
  /** Replaces the publisher's name in meta and status (a device list entry's `name`). */
  name?: string | undefined;
  /** Called once, just before the device's first accepted meta or status is published (the relay lists it from then on). */
  admit?: () => void;
  /** Why a message was dropped. */
  onProblem?: (problem: string) => void;
}

export class RemoteStream {
  readonly id: string;
  readonly address: string;
  private readonly hub: Hub;
  private readonly counters: RemoteCounters;
  private readonly options: RemoteStreamOptions;
  private admitted = false;
  private metaText: string | undefined;
  private currentMeta: StreamMeta | undefined;
  private currentStatus: DeviceStatus | undefined;
  /** The next index expected; undefined until the first data of a session. */
  private next: number | undefined;

  constructor(options: RemoteStreamOptions) {
    this.options = options;
    this.id = options.id;
    this.address = options.address;
    this.hub = options.hub;
    this.counters = options.counters;
  }

  get meta(): StreamMeta | undefined {
    return this.currentMeta;
  }

  /** The last status published for the device; undefined before its first meta or status. */
  get status(): DeviceStatus | undefined {
    return this.currentStatus;
  }

  /** One message from the device's topics. Returns whether it was accepted. Never throws. */
  receive(kind: RemoteMessageKind, payload: Buffer, retained: boolean): boolean {
    try {
      switch (kind) {
        case 'meta':
          return this.onMeta(payload, retained);
        case 'status':
          return this.onStatus(payload);
        case 'data':
          return this.onData(payload);
        case 'gap':
          return this.onGap(payload);
        case 'marker':
          return this.onMarker(payload);
      }
    } catch (e) {
      return this.drop(kind, `internal error: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** The link to the broker is down: "reconnecting" with why, until the device's status arrives again. */
  connectionLost(error: WireError): void {
    if (!this.currentStatus) return;
    this.setStatus({ ...this.currentStatus, state: 'reconnecting', error });
  }

  /** Publishes a status of this ServerBIT's own for the device (connecting, stopped, an error). */
  setStatus(status: DeviceStatus): void {
    this.currentStatus = status;
    this.hub.publishStatus(status);
  }

  private named<T extends { name: string }>(v: T): T {
    return this.options.name !== undefined ? { ...v, name: this.options.name } : v;
  }

  private admit(): void {
    if (this.admitted) return;
    this.admitted = true;
    this.options.admit?.();
  }

  private onMeta(payload: Buffer, retained: boolean): boolean {
    const text = payload.toString('utf8');
    if (text === this.metaText) {
      this.counters.messages++; // the same segment, delivered again
      return true;
    }
    const p = parseRemoteMeta(payload, this.id, this.address);
    if (!p.ok) return this.drop('meta', `meta: ${p.problem}`);
    this.counters.messages++;
    const m = this.named(p.value);
    const prev = this.currentMeta;
    this.admit();
    if (!this.currentStatus) {
      // A status normally comes first; until it does, say what we know.
      this.setStatus({ device: this.id, kind: 'remote', name: m.name, address: this.address, state: 'connecting', rate: m.rate, channels: [...m.channels], counters: { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0 }, t0: m.t0 });
    }
    const newSession = !prev || prev.t0 !== m.t0 || prev.rate !== m.rate;
    if (newSession) this.next = retained ? undefined : m.segmentStart;
    else if (!retained && this.next !== undefined && m.segmentStart > this.next) this.lost(m.segmentStart);
    this.currentMeta = m;
    this.metaText = text;
    this.hub.publishMeta(m);
    return true;
  }

  private onStatus(payload: Buffer): boolean {
    const p = parseRemoteStatus(payload, this.id, this.address, this.currentMeta);
    if (!p.ok) return this.drop('status', `status: ${p.problem}`);
    this.counters.messages++;
    this.admit();
    this.setStatus(this.named(p.value));
    return true;
  }

  private onData(payload: Buffer): boolean {
    const meta = this.currentMeta;
    if (!meta) return this.drop('data', `data for device "${this.id}" before its meta`);
    const p = parseRemoteData(payload, this.id, meta);
    if (!p.ok) return this.drop('data', `data: ${p.problem}`);
    let b = p.value;
    const end = b.index + b.count;
    const next = this.next;
    if (next !== undefined && end <= next) {
      this.counters.stale++;
      return true;
    }
    if (next !== undefined && b.index < next) {
      const skip = next - b.index;
      b = {
        ...b,
        index: next,
        time: b.timestamps ? b.time : b.time + (skip * 1000) / b.rate,
        count: b.count - skip,
        seq: b.seq.subarray(skip),
        digital: b.digital.subarray(skip),
        analog: b.analog.map((a) => a.subarray(skip)),
        ...(b.timestamps ? { timestamps: b.timestamps.subarray(skip) } : {}),
      };
    } else if (next !== undefined && b.index > next) this.lost(b.index);
    this.counters.messages++;
    this.next = end;
    this.hub.publishBatch(b);
    return true;
  }

  private onGap(payload: Buffer): boolean {
    const p = parseRemoteGap(payload, this.id);
    if (!p.ok) return this.drop('gap', `gap: ${p.problem}`);
    let g: GapEvent = p.value;
    const next = this.next;
    if (next !== undefined) {
      if (g.to <= next) {
        this.counters.stale++;
        return true;
      }
      if (g.from > next) this.lost(g.from);
      else if (g.from < next) g = { ...g, from: next };
    }
    this.counters.messages++;
    this.next = g.to;
    this.hub.publishGap(g);
    return true;
  }

  private onMarker(payload: Buffer): boolean {
    if (!this.admitted) return this.drop('marker', `marker for device "${this.id}" before its meta or status`);
    const p = parseRemoteMarker(payload, this.id);
    if (!p.ok) return this.drop('marker', `marker: ${p.problem}`);
    this.counters.messages++;
    this.hub.publishMarker(p.value);
    return true;
  }

  /** Indices [next, to) never arrived: announce them. */
  private lost(to: number): void {
    const from = this.next!;
    this.counters.lostRanges++;
    this.next = to;
    this.hub.publishGap({ device: this.id, from, to, reason: 'link_lost' });
  }

  private drop(kind: RemoteMessageKind, problem: string): false {
    this.counters.invalid++;
    this.options.onProblem?.(`${this.address}/${kind}: ${problem}`.slice(0, 300));
    return false;
  }
}
