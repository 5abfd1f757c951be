/**
 * The hub: the one place acquired data is published to, so producers do not know consumers
 * (STYLE.md §6). The acquisition service publishes; the WebSocket server, the window's plot and
 * a recorder subscribe.
 *
 * Delivery is synchronous, in publish order, to every subscriber. The hub itself queues nothing:
 * each subscriber owns the bound on its own backlog (the WebSocket server bounds each client by
 * its socket's `bufferedAmount`, see ws-server.ts), so a slow consumer never makes the hub, the
 * producer or another consumer wait.
 *
 * Published batches are shared by reference: subscribers must treat them as read-only and must
 * not keep them past the callback if the producer reuses its buffers (copy what you keep).
 */
import type { GapEvent, SampleBatch, ServiceStatus } from '../../shared/acquisition.js';
import { createLogger } from '../log.js';

const log = createLogger('serverbit:hub');

/** Any subset of the callbacks; missing ones are skipped. */
export interface HubListener {
  batch?(batch: SampleBatch): void;
  gap?(gap: GapEvent): void;
  status?(status: ServiceStatus): void;
}

interface Subscription {
  listener: HubListener;
  /** The first error is logged; the rest are only counted (a throwing plot must not flood stderr). */
  logged: boolean;
}

export class Hub {
  /** Copy-on-write, so a subscriber may (un)subscribe from inside a callback safely. */
  private subs: readonly Subscription[] = [];
  private status: ServiceStatus | undefined;
  private errors = 0;

  /** The last published status, for subscribers that arrive after it (e.g. a /v2 hello). */
  get lastStatus(): ServiceStatus | undefined {
    return this.status;
  }

  /** How many times a subscriber callback threw (each is caught and skipped). */
  get subscriberErrors(): number {
    return this.errors;
  }

  get subscriberCount(): number {
    return this.subs.length;
  }

  publish(batch: SampleBatch): void {
    for (const s of this.subs) {
      if (s.listener.batch) this.call(s, 'batch', () => s.listener.batch!(batch));
    }
  }

  publishGap(gap: GapEvent): void {
    for (const s of this.subs) {
      if (s.listener.gap) this.call(s, 'gap', () => s.listener.gap!(gap));
    }
  }

  publishStatus(status: ServiceStatus): void {
    this.status = status;
    for (const s of this.subs) {
      if (s.listener.status) this.call(s, 'status', () => s.listener.status!(status));
    }
  }

  /**
   * Adds a listener; returns its unsubscribe function (idempotent). The listener gets only what
   * is published from now on: read `lastStatus` to catch up on the state.
   */
  subscribe(listener: HubListener): () => void {
    const sub: Subscription = { listener, logged: false };
    this.subs = [...this.subs, sub];
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
