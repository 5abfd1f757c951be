/**
 * The last page the service refused for its Origin (docs/desktop.md "Pages the service refuses"),
 * kept for the window's banner (the /v2 `server` message's `origin`), the tray's notification and
 * the CLI's stderr. A page retries its WebSocket every second or so, and a hostile one may send a
 * new Origin each time: this keeps ONE notice (the latest origin and how many refusals since it
 * was first shown) and publishes a change at most once per `minIntervalMs`, and the same origin
 * again only after `repeatMs`. Memory: one notice and one pending refusal, whatever arrives.
 */
import type { OriginNotice } from '../../shared/v2.js';

/** What the server reports of a refused handshake (StreamServer's OriginRefusal). */
export interface RefusedOrigin {
  origin: string;
  opaque: boolean;
  guidance: string;
}

export interface OriginNoticesOptions {
  /** Least time between two published notices, ms. Default 2000. */
  minIntervalMs?: number;
  /** The same origin is published again (with its count) only after this long, ms. Default 60 000. */
  repeatMs?: number;
  /** Wall clock, ms since the epoch. Default Date.now. */
  now?: () => number;
}

/** Longest Origin kept (it is an untrusted header: shown, never parsed again). */
const MAX_ORIGIN_CHARS = 200;

export class OriginNotices {
  private readonly minIntervalMs: number;
  private readonly repeatMs: number;
  private readonly now: () => number;
  private shown: OriginNotice | undefined;
  private lastPublished = -Infinity;
  /** Refusals of the shown origin not yet published. */
  private pending: { refusal: RefusedOrigin; count: number } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<(n: OriginNotice) => void>();

  constructor(o: OriginNoticesOptions = {}) {
    this.minIntervalMs = o.minIntervalMs ?? 2000;
    this.repeatMs = o.repeatMs ?? 60_000;
    this.now = o.now ?? Date.now;
  }

  /** The last notice published, if any. */
  current(): OriginNotice | undefined {
    return this.shown;
  }

  /** Called with each notice published; returns the unsubscribe function. */
  onChange(listener: (n: OriginNotice) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One refused handshake. */
  add(r: RefusedOrigin): void {
    const refusal = { origin: printable(r.origin), opaque: r.opaque, guidance: r.guidance };
    if (this.pending && this.pending.refusal.origin === refusal.origin) this.pending.count++;
    else this.pending = { refusal, count: (this.shown?.origin === refusal.origin ? this.shown.count : 0) + 1 };
    this.schedule();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private schedule(): void {
    if (this.timer || !this.pending) return;
    const t = this.now();
    const p = this.pending;
    const sameAsShown = this.shown?.origin === p.refusal.origin;
    const due = Math.max(this.lastPublished + this.minIntervalMs, sameAsShown ? this.shown!.time + this.repeatMs : -Infinity);
    if (t >= due) this.publish();
    else if (!sameAsShown) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.publish();
      }, due - t);
      this.timer.unref?.();
    }
    // The same origin within repeatMs: counted, published with the next refusal after repeatMs.
  }

  private publish(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    const t = this.now();
    this.lastPublished = t;
    this.shown = { ...p.refusal, time: t, count: p.count };
    for (const l of this.listeners) {
      try {
        l(this.shown);
      } catch {
        // A listener's failure must not reach the server's handshake path.
      }
    }
  }
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, MAX_ORIGIN_CHARS);
}
