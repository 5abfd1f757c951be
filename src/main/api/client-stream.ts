/**
 * What one /v2 client receives of its StreamGroup (stream-group.ts), for the devices it
 * subscribed to.
 *
 * Data waits until the session settles its subscription (`settle()`, or `settleWithin` running
 * out), so a client may send `subscribe` right after opening without racing the data. Meta and
 * status always flow; each device's `meta` reaches the client before that device's first data of
 * a segment (the hub publishes meta first, and the session sends the current meta at connect).
 *
 * Nothing is lost silently. A client over its high-water mark (`isBackedUp`) has data messages
 * dropped; the dropped range of each device goes out as one `gap` (reason client_too_slow)
 * before anything else about that device, or as soon as the client drains. Gaps, status, meta
 * and markers are small and always sent. Bound: one pending range per device, no queued data.
 */
import type { DeviceStatus, GapEvent, MarkerEvent, SampleBatch, StreamMeta } from '../../shared/acquisition.js';
import type { ServerMessage } from '../../shared/v2.js';
import { toMarkerMessage, toMetaMessage, toStatusMessage } from './meta.js';
import type { Encoded } from './stream-group.js';
import { wantsDevice, type ResolvedSubscription } from './subscription.js';

/** While a dropped range is pending, how often to check whether the client drained, ms. */
const DRAIN_POLL_MS = 25;

export interface ClientStreamOptions {
  /** Sends a small message (meta, status, gap, marker). */
  send: (msg: ServerMessage) => unknown;
  /** Sends a data message; false means it was not delivered, and it counts as dropped. */
  deliver: (encoded: Encoded) => boolean;
  /** True while the client is over its high-water mark. */
  isBackedUp: () => boolean;
  /** The session's subscription now (its device filter can change before the first data). */
  subscription: () => ResolvedSubscription;
}

export class ClientStream {
  private readonly opts: ClientStreamOptions;
  private closed = false;
  private _settled = false;
  private _started = false;
  /** Devices this client has had data from: gaps about other devices are none of its business. */
  private readonly begun = new Set<string>();
  /** The meta each device was last described with (by identity: the hub's object). */
  private readonly sentMeta = new Map<string, StreamMeta>();
  private readonly missed = new Map<string, { from: number; to: number }>();
  private drainTimer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;

  constructor(options: ClientStreamOptions) {
    this.opts = options;
  }

  /** The subscription is final for data: data flows from now on. */
  get settled(): boolean {
    return this._settled;
  }

  /** Some data was delivered or dropped: from here on the subscription is fixed and gaps matter. */
  get started(): boolean {
    return this._started;
  }

  settle(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    this._settled = true;
  }

  /** Settles after `ms` unless something settles it first. */
  settleWithin(ms: number): void {
    this.settleTimer = setTimeout(() => this.settle(), ms);
    this.settleTimer.unref?.();
  }

  private wants(device: string): boolean {
    return !this.closed && wantsDevice(this.opts.subscription(), device);
  }

  meta(m: StreamMeta): void {
    if (!this.wants(m.device) || this.sentMeta.get(m.device) === m) return;
    this.flushMissed(m.device);
    this.sentMeta.set(m.device, m);
    this.opts.send(toMetaMessage(m));
  }

  data(b: SampleBatch, encoded: Encoded): void {
    if (!this._settled || !this.wants(b.device)) return;
    this._started = true;
    this.begun.add(b.device);
    if (this.opts.isBackedUp()) return this.drop(b);
    this.flushMissed(b.device);
    if (!this.opts.deliver(encoded)) this.drop(b);
  }

  gap(g: GapEvent): void {
    if (!this.wants(g.device) || !this.begun.has(g.device)) return; // before its first data, a loss is none of this client's business
    this.flushMissed(g.device);
    this.opts.send({ type: 'gap', device: g.device, from: g.from, to: g.to, reason: g.reason });
  }

  status(s: DeviceStatus): void {
    if (!this.wants(s.device)) return;
    this.flushMissed(s.device);
    this.opts.send(toStatusMessage(s));
  }

  marker(k: MarkerEvent): void {
    if (this.closed || (k.device !== undefined && !this.wants(k.device))) return;
    this.opts.send(toMarkerMessage(k));
  }

  removed(device: string): void {
    this.flushMissed(device);
    this.sentMeta.delete(device);
    this.begun.delete(device);
  }

  /** Ignores the group from now on and stops the timers. Idempotent. */
  close(): void {
    this.closed = true;
    if (this.settleTimer) clearTimeout(this.settleTimer);
    if (this.drainTimer) clearInterval(this.drainTimer);
  }

  private flushMissed(device?: string): void {
    const which = device === undefined ? [...this.missed.keys()] : this.missed.has(device) ? [device] : [];
    for (const d of which) {
      const m = this.missed.get(d)!;
      this.missed.delete(d);
      this.opts.send({ type: 'gap', device: d, from: m.from, to: m.to, reason: 'client_too_slow' });
    }
    if (this.missed.size === 0 && this.drainTimer) {
      clearInterval(this.drainTimer);
      this.drainTimer = undefined;
    }
  }

  private drop(b: SampleBatch): void {
    const m = this.missed.get(b.device);
    if (m && m.to !== b.index) this.flushMissed(b.device);
    const cur = this.missed.get(b.device);
    if (cur) cur.to = b.index + b.count;
    else this.missed.set(b.device, { from: b.index, to: b.index + b.count });
    this.drainTimer ??= setInterval(() => {
      if (this.closed || !this.opts.isBackedUp()) this.flushMissed();
    }, DRAIN_POLL_MS);
    this.drainTimer.unref?.();
  }
}
