/**
 * The hub: the one place acquired data is published to, so producers do not know consumers
 * (docs/architecture.md). Device runners publish; the compatible stream, /v2 sessions, the
 * window's plot and every output (recorder, OSC, LSL, MQTT) subscribe.
 *
 * Events, per device, in this order for each segment of a stream:
 *   status(connecting) → meta → batch… (gap, batch…)… → status(reconnecting | stopped …) → meta → …
 * `meta` starts a segment (first connect, reconnect, pause, new settings); `marker` may come at any
 * time; `removed` ends a device (nothing follows for that id until it is added again).
 *
 * Delivery is synchronous, in publish order, to every subscriber. The hub itself queues nothing:
 * each subscriber owns the bound on its own backlog (a WebSocket client its `bufferedAmount`, an
 * output its queue), so a slow consumer never makes the hub, the producer or another consumer
 * wait. A subscriber that throws is isolated: the error is logged once and counted.
 *
 * Published objects are shared by reference: subscribers treat them as read-only and copy what
 * they keep past the callback.
 */
import type { DeviceStatus, GapEvent, MarkerEvent, SampleBatch, StreamMeta } from '../../shared/acquisition.js';
import { createLogger } from '../log.js';

const log = createLogger('serverbit:hub');

/** Any subset of the callbacks; missing ones are skipped. */
export interface HubListener {
  meta?(meta: StreamMeta): void;
  batch?(batch: SampleBatch): void;
  gap?(gap: GapEvent): void;
  status?(status: DeviceStatus): void;
  marker?(marker: MarkerEvent): void;
  /** The device left the set (removed by the user); its last meta and status are forgotten. */
  removed?(device: string): void;
}

export interface SubscribeOptions {
  /** Only these devices' events (markers for every device included). Default: every device, also those added later. */
  devices?: readonly string[];
  /**
   * Deliver, from inside subscribe(), the last status and then the last meta of every device
   * already known (in the order the devices were first seen), so a late subscriber starts from
   * the current state. Default false.
   */
  catchUp?: boolean;
}

/** What a consumer needs of the hub: subscribe, and read the current state. */
export interface HubSource {
  subscribe(listener: HubListener, options?: SubscribeOptions): () => void;
  /** Devices with a status or meta, in the order they were first seen. */
  devices(): string[];
  meta(device: string): StreamMeta | undefined;
  status(device: string): DeviceStatus | undefined;
}

interface Subscription {
  listener: HubListener;
  devices: ReadonlySet<string> | undefined;
  /** The first error is logged; the rest are only counted (a throwing plot must not flood stderr). */
  logged: boolean;
}

export class Hub implements HubSource {
  /** Copy-on-write, so a subscriber may (un)subscribe from inside a callback safely. */
  private subs: readonly Subscription[] = [];
  private readonly metas = new Map<string, StreamMeta>();
  private readonly statuses = new Map<string, DeviceStatus>();
  /** Insertion order = first seen. */
  private readonly known = new Set<string>();
  private errors = 0;

  /** How many times a subscriber callback threw (each is caught and skipped). */
  get subscriberErrors(): number {
    return this.errors;
  }

  get subscriberCount(): number {
    return this.subs.length;
  }

  devices(): string[] {
    return [...this.known];
  }

  meta(device: string): StreamMeta | undefined {
    return this.metas.get(device);
  }

  status(device: string): DeviceStatus | undefined {
    return this.statuses.get(device);
  }

  publishMeta(meta: StreamMeta): void {
    this.known.add(meta.device);
    this.metas.set(meta.device, meta);
    for (const s of this.subs) if (s.listener.meta && wants(s, meta.device)) this.call(s, 'meta', () => s.listener.meta!(meta));
  }

  publishBatch(batch: SampleBatch): void {
    for (const s of this.subs) if (s.listener.batch && wants(s, batch.device)) this.call(s, 'batch', () => s.listener.batch!(batch));
  }

  publishGap(gap: GapEvent): void {
    for (const s of this.subs) if (s.listener.gap && wants(s, gap.device)) this.call(s, 'gap', () => s.listener.gap!(gap));
  }

  publishStatus(status: DeviceStatus): void {
    this.known.add(status.device);
    this.statuses.set(status.device, status);
    for (const s of this.subs) if (s.listener.status && wants(s, status.device)) this.call(s, 'status', () => s.listener.status!(status));
  }

  publishMarker(marker: MarkerEvent): void {
    for (const s of this.subs) {
      if (s.listener.marker && (marker.device === undefined || wants(s, marker.device))) this.call(s, 'marker', () => s.listener.marker!(marker));
    }
  }

  publishRemoved(device: string): void {
    this.known.delete(device);
    this.metas.delete(device);
    this.statuses.delete(device);
    for (const s of this.subs) if (s.listener.removed && wants(s, device)) this.call(s, 'removed', () => s.listener.removed!(device));
  }

  /** Adds a listener; returns its unsubscribe function (idempotent). */
  subscribe(listener: HubListener, options: SubscribeOptions = {}): () => void {
    const sub: Subscription = { listener, devices: options.devices ? new Set(options.devices) : undefined, logged: false };
    this.subs = [...this.subs, sub];
    if (options.catchUp) {
      for (const id of this.known) {
        if (!wants(sub, id)) continue;
        const st = this.statuses.get(id);
        const m = this.metas.get(id);
        if (st && listener.status) this.call(sub, 'status', () => listener.status!(st));
        if (m && listener.meta) this.call(sub, 'meta', () => listener.meta!(m));
      }
    }
    return () => {
      this.subs = this.subs.filter((s) => s !== sub);
    };
  }

  private call(sub: Subscription, kind: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.errors++;
      if (!sub.logged) {
        sub.logged = true;
        log.warn('a %s subscriber threw (further errors from it are only counted): %O', kind, err);
      }
    }
  }
}

function wants(s: Subscription, device: string): boolean {
  return s.devices === undefined || s.devices.has(device);
}
