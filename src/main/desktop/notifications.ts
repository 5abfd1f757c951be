/**
 * Desktop notifications about the device: it disconnected (or stopped sending), could not be
 * reached at start, came back, or failed for good. Decided from status transitions only
 * (`notificationFor`), then passed through a rate limit (`NotificationGate`) so a flapping
 * Bluetooth link does not bury the user in toasts; the tray icon always shows the live state.
 */
import type { ServiceState, ServiceStatus } from '../../shared/acquisition.js';
import { deviceName } from './tray-model.js';

export type NotificationKind = 'disconnected' | 'unreachable' | 'reconnected' | 'failed';

export interface DesktopNotification {
  kind: NotificationKind;
  title: string;
  body: string;
}

/** A notification body is a sentence or two; the OS cuts long ones anyway. */
const MAX_BODY_CHARS = 240;

const OUTAGE: ReadonlySet<ServiceState> = new Set(['stalled', 'reconnecting']);

function reason(status: ServiceStatus, fallback: string): string {
  const e = status.error;
  const text = e ? [e.message, e.hint].filter(Boolean).join(' ') : fallback;
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= MAX_BODY_CHARS ? oneLine : `${oneLine.slice(0, MAX_BODY_CHARS - 1)}…`;
}

/**
 * The notification a transition deserves, if any:
 *
 *   streaming → stalled | reconnecting     disconnected (with the reason)
 *   connecting → reconnecting              unreachable: the first attempt failed, retrying
 *   stalled | reconnecting → streaming     reconnected
 *   anything else → error                  failed (acquisition stopped; with the reason)
 *
 * Nothing for user actions (start, stop, quit) or for moves within one outage
 * (stalled → reconnecting, reconnecting → reconnecting with a new error).
 */
export function notificationFor(prev: ServiceStatus | undefined, next: ServiceStatus, configuredDevice: string): DesktopNotification | undefined {
  const from = prev?.state;
  const to = next.state;
  if (from === to) return undefined;
  const device = deviceName({ status: next, device: configuredDevice });
  if (to === 'error') {
    return { kind: 'failed', title: `ServerBIT stopped: ${device} failed`, body: reason(next, 'Acquisition stopped with an error.') };
  }
  if (from === 'streaming' && to !== undefined && OUTAGE.has(to)) {
    return { kind: 'disconnected', title: `${device} disconnected`, body: reason(next, 'The link to the device was lost. ServerBIT reconnects by itself.') };
  }
  if (from === 'connecting' && to === 'reconnecting') {
    return { kind: 'unreachable', title: `Cannot reach ${device}`, body: reason(next, 'The device did not answer. ServerBIT keeps trying.') };
  }
  if (from !== undefined && OUTAGE.has(from) && to === 'streaming') {
    return { kind: 'reconnected', title: `${device} reconnected`, body: `Streaming again at ${next.rate} Hz.` };
  }
  return undefined;
}

export interface NotificationLimits {
  /** Minimum time between two notifications of the same kind, ms. Default 60 000. */
  sameKindIntervalMs?: number;
  /** At most this many notifications per `windowMs`. Default 3. */
  maxPerWindow?: number;
  /** Sliding window for `maxPerWindow`, ms. Default 300 000 (5 min). */
  windowMs?: number;
}

/**
 * The rate limit:
 * - "failed" always passes: it ends acquisition, so it cannot repeat without the user restarting.
 * - "reconnected" passes exactly when the outage it ends was announced (otherwise the user never
 *   heard the device was gone), so it is bounded by the outages shown.
 * - "disconnected" and "unreachable" pass when none of the same kind was shown in the last
 *   `sameKindIntervalMs` and fewer than `maxPerWindow` notifications were shown in `windowMs`.
 * Memory: the times of at most `maxPerWindow` shown notifications.
 */
export class NotificationGate {
  private readonly sameKindIntervalMs: number;
  private readonly maxPerWindow: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private shownAt: number[] = [];
  private lastOfKind = new Map<NotificationKind, number>();
  private outageAnnounced = false;

  constructor(limits: NotificationLimits = {}, now: () => number = Date.now) {
    this.sameKindIntervalMs = limits.sameKindIntervalMs ?? 60_000;
    this.maxPerWindow = limits.maxPerWindow ?? 3;
    this.windowMs = limits.windowMs ?? 300_000;
    this.now = now;
  }

  /** Whether to show `n` now; records it when it is shown. */
  admit(n: DesktopNotification): boolean {
    const t = this.now();
    this.shownAt = this.shownAt.filter((s) => t - s < this.windowMs);
    let show: boolean;
    switch (n.kind) {
      case 'failed':
        show = true;
        this.outageAnnounced = false;
        break;
      case 'reconnected':
        show = this.outageAnnounced;
        this.outageAnnounced = false;
        break;
      default: {
        const last = this.lastOfKind.get(n.kind);
        show = (last === undefined || t - last >= this.sameKindIntervalMs) && this.shownAt.length < this.maxPerWindow;
        this.outageAnnounced = show;
      }
    }
    if (show) {
      this.lastOfKind.set(n.kind, t);
      this.shownAt.push(t);
      if (this.shownAt.length > this.maxPerWindow) this.shownAt.shift();
    }
    return show;
  }
}

/** Follows the status stream: returns the notification to show for each new status, if any. */
export function createNotifier(configuredDevice: () => string, limits?: NotificationLimits, now?: () => number): (status: ServiceStatus) => DesktopNotification | undefined {
  const gate = new NotificationGate(limits, now);
  let prev: ServiceStatus | undefined;
  return (status) => {
    const n = notificationFor(prev, status, configuredDevice());
    prev = status;
    return n && gate.admit(n) ? n : undefined;
  };
}
