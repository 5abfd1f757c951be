/**
 * What one /v2 client receives of its StreamGroup (stream-group.ts).
 *
 * Data waits until the session settles its subscription (`settle()`, or `settleWithin` running
 * out), so a client may send `subscribe` right after opening without racing the data. Before
 * data, the client gets a meta that describes it (device, rate, channels, t0).
 *
 * Nothing is lost silently. A client over its high-water mark (`isBackedUp`) has data messages
 * dropped; the dropped range goes out as one `gap` (reason client_too_slow) before anything else
 * about that device, or as soon as the client drains. Gaps, status and meta are small and always
 * sent. Bound: one pending range, no queued data.
 */
import type { GapEvent, SampleBatch, ServiceStatus } from '../../shared/acquisition.js';
import { jsonEqual } from '../../shared/schema.js';
import type { MetaMessage, ServerMessage } from '../../shared/v2.js';
import type { AcquisitionService } from '../acquisition/device-runner.js';
import { buildMeta, buildStatus, metaKey } from './meta.js';
import type { Encoded, StreamMember } from './stream-group.js';

/** While a dropped range is pending, how often to check whether the client drained, ms. */
const DRAIN_POLL_MS = 25;

export interface ClientStreamOptions {
  service: AcquisitionService;
  /** Sends a small message (meta, status, gap). */
  send: (msg: ServerMessage) => unknown;
  /** Sends a data message; false means it was not delivered, and it counts as dropped. */
  deliver: (encoded: Encoded) => boolean;
  /** True while the client is over its high-water mark. */
  isBackedUp: () => boolean;
}

export class ClientStream implements StreamMember {
  private readonly service: AcquisitionService;
  private readonly send: ClientStreamOptions['send'];
  private readonly deliver: ClientStreamOptions['deliver'];
  private readonly isBackedUp: () => boolean;
  private closed = false;
  private _settled = false;
  private _started = false;
  private lastMeta: MetaMessage | undefined;
  private missed: { device: string; from: number; to: number } | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;

  constructor(options: ClientStreamOptions) {
    this.service = options.service;
    this.send = options.send;
    this.deliver = options.deliver;
    this.isBackedUp = options.isBackedUp;
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

  /** Sends `meta` unless the client already holds the same one. */
  sendMetaIfChanged(meta: MetaMessage | undefined): void {
    if (!meta) return;
    const last = this.lastMeta;
    if (last && metaKey(meta) === metaKey(last) && Math.abs(meta.t0 - last.t0) < 0.5) return;
    this.lastMeta = meta;
    this.send(meta);
  }

  data(b: SampleBatch, encoded: Encoded): void {
    if (this.closed || !this._settled) return;
    this._started = true;
    this.metaFor(b);
    if (this.isBackedUp()) return this.drop(b);
    if (this.missed) this.flushMissed();
    if (!this.deliver(encoded)) this.drop(b);
  }

  gap(g: GapEvent): void {
    if (this.closed || !this._started) return; // before its first data, a loss is none of this client's business
    if (this.missed) this.flushMissed();
    this.send({ type: 'gap', device: g.device, from: g.from, to: g.to, reason: g.reason });
  }

  status(s: ServiceStatus): void {
    if (this.closed) return;
    this.sendMetaIfChanged(buildMeta(s, this.service.currentConfig, {}, this.lastMeta?.t0));
    this.send(buildStatus(s));
  }

  /** Ignores the group from now on and stops the timers. Idempotent. */
  close(): void {
    this.closed = true;
    if (this.settleTimer) clearTimeout(this.settleTimer);
    if (this.drainTimer) clearInterval(this.drainTimer);
  }

  /** Before data: the meta this client holds must describe this batch (device, rate, channels, t0). */
  private metaFor(b: SampleBatch): void {
    const t0 = b.time - (b.index * 1000) / b.rate;
    const m = this.lastMeta;
    if (m && m.device === b.device && m['sampling rate'] === b.rate && Math.abs(m.t0 - t0) < 0.5 && jsonEqual(m.channels, b.channels)) return;
    this.sendMetaIfChanged(buildMeta(this.service.status, this.service.currentConfig, { rate: b.rate, channels: b.channels, t0 }));
  }

  private flushMissed(): void {
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = undefined;
    const m = this.missed;
    this.missed = undefined;
    if (m) this.send({ type: 'gap', device: m.device, from: m.from, to: m.to, reason: 'client_too_slow' });
  }

  private drop(b: SampleBatch): void {
    if (this.missed && (this.missed.device !== b.device || this.missed.to !== b.index)) this.flushMissed();
    if (this.missed) this.missed.to = b.index + b.count;
    else this.missed = { device: b.device, from: b.index, to: b.index + b.count };
    this.drainTimer ??= setInterval(() => {
      if (this.closed || !this.isBackedUp()) this.flushMissed();
    }, DRAIN_POLL_MS);
    this.drainTimer.unref?.();
  }
}
