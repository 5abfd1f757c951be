/**
 * Desktop notifications about each device: it disconnected (or stopped sending), could not be
 * reached at start, came back, or failed for good — each naming the device. Decided from one
 * device's status transitions only (`notificationFor`), then passed through a rate limit shared
 * by all devices (`NotificationGate`), so a flapping Bluetooth link, or several, does not bury
 * the user in toasts; the tray icon always shows the live state.
 */
import type { DeviceStatus, ServiceState, WireError } from '../../shared/acquisition.js';
import type { OutputStatus } from '../../shared/outputs.js';
import type { OriginNotice } from '../../shared/v2.js';
import { deviceName, outputTitle } from './tray-model.js';

export type NotificationKind = 'disconnected' | 'unreachable' | 'reconnected' | 'failed' | 'recording-failed' | 'output-failed' | 'origin-refused' | 'action-failed';

export interface DesktopNotification {
  kind: NotificationKind;
  /** The device it is about ("output:<name>" for an output, "origin:<origin>" for a refused page: the rate limit's key). */
  device: string;
  title: string;
  body: string;
}

/** A notification body is a sentence or two; the OS cuts long ones anyway. */
const MAX_BODY_CHARS = 240;

const OUTAGE: ReadonlySet<ServiceState> = new Set(['stalled', 'reconnecting']);

type StatusLike = Pick<DeviceStatus, 'device' | 'name' | 'address' | 'info' | 'state' | 'error' | 'rate'>;

function reason(status: { error?: WireError | undefined }, fallback: string): string {
  const e = status.error;
  return body(e ? [e.message, e.hint].filter(Boolean).join(' ') : fallback);
}

function body(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= MAX_BODY_CHARS ? oneLine : `${oneLine.slice(0, MAX_BODY_CHARS - 1)}…`;
}

/**
 * The notification an output's new status deserves: the recording stopped on an error (disk
 * full, folder removed); an output (OSC, LSL, MQTT…) went into "error", or reports an error while
 * it retries (a broker it cannot reach) — with the service's message and hint. Once per error
 * (a new code tells again); nothing for other moves (turned on or off, counters).
 */
export function outputNotificationFor(prev: Pick<OutputStatus, 'state' | 'error'> | undefined, next: OutputStatus): DesktopNotification | undefined {
  if (!next.error || next.state === 'off' || next.state === 'stopped') return undefined;
  if (prev?.error?.code === next.error.code && prev.state === next.state) return undefined;
  const device = `output:${next.output}`;
  if (next.output === 'recorder') return next.state === 'error' ? { kind: 'recording-failed', device, title: 'Recording stopped on an error', body: reason(next, 'The recording could not be written.') } : undefined;
  const title = next.state === 'error' ? `${outputTitle(next.output)} failed` : `${outputTitle(next.output)}: ${next.error.message.slice(0, 60)} — retrying`;
  return { kind: 'output-failed', device, title, body: reason(next, `${outputTitle(next.output)} stopped with an error.`) };
}

/** A page the service refused for its Origin: which, and exactly how to allow it (the service's guidance). */
export function originNotificationFor(n: OriginNotice): DesktopNotification {
  return {
    kind: 'origin-refused',
    device: `origin:${n.origin}`,
    title: n.opaque ? 'ServerBIT refused a page opened from disk' : `ServerBIT refused a web page from ${n.origin}`,
    body: body(n.guidance),
  };
}

/** A tray action that failed ("Record", "OSC"…), with the service's message and hint. */
export function actionFailedNotification(action: string, error: WireError): DesktopNotification {
  return { kind: 'action-failed', device: `action:${action}`, title: `${action} failed`, body: reason({ error }, 'ServerBIT could not do it.') };
}

/**
 * The notification a transition of one device deserves, if any:
 *
 *   streaming → stalled | reconnecting     disconnected (with the reason)
 *   connecting → reconnecting              unreachable: the first attempt failed, retrying
 *   stalled | reconnecting → streaming     reconnected
 *   anything else → error                  failed (acquisition stopped; with the reason)
 *
 * Nothing for user actions (start, stop, quit) or for moves within one outage
 * (stalled → reconnecting, reconnecting → reconnecting with a new error).
 */
export function notificationFor(prev: Pick<StatusLike, 'state'> | undefined, next: StatusLike): DesktopNotification | undefined {
  const from = prev?.state;
  const to = next.state;
  if (from === to) return undefined;
  const name = deviceName(next);
  const device = next.device;
  if (to === 'error') {
    return { kind: 'failed', device, title: `${name} failed: ServerBIT stopped it`, body: reason(next, 'Acquisition stopped with an error.') };
  }
  if (from === 'streaming' && OUTAGE.has(to)) {
    return { kind: 'disconnected', device, title: `${name} disconnected`, body: reason(next, 'The link to the device was lost. ServerBIT reconnects by itself.') };
  }
  if (from === 'connecting' && to === 'reconnecting') {
    return { kind: 'unreachable', device, title: `Cannot reach ${name}`, body: reason(next, 'The device did not answer. ServerBIT keeps trying.') };
  }
  if (from !== undefined && OUTAGE.has(from) && to === 'streaming') {
    return { kind: 'reconnected', device, title: `${name} reconnected`, body: `Streaming again at ${next.rate} Hz.` };
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
 * The rate limit, shared by every device:
 * - "failed" always passes: it ends that device's acquisition, so it cannot repeat without the
 *   user restarting it.
 * - "reconnected" passes exactly when the outage it ends (of the same device) was announced
 *   (otherwise the user never heard the device was gone), so it is bounded by the outages shown.
 * - "disconnected" and "unreachable" pass when none of the same kind for the same device was
 *   shown in the last `sameKindIntervalMs` and fewer than `maxPerWindow` notifications were
 *   shown in `windowMs` (all devices together).
 * Memory: the times of at most `maxPerWindow` shown notifications, and one entry per device and
 * kind (forget() drops a removed device).
 */
export class NotificationGate {
  private readonly sameKindIntervalMs: number;
  private readonly maxPerWindow: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private shownAt: number[] = [];
  private lastOfKind = new Map<string, number>();
  private outageAnnounced = new Set<string>();

  constructor(limits: NotificationLimits = {}, now: () => number = Date.now) {
    this.sameKindIntervalMs = limits.sameKindIntervalMs ?? 60_000;
    this.maxPerWindow = limits.maxPerWindow ?? 3;
    this.windowMs = limits.windowMs ?? 300_000;
    this.now = now;
  }

  /** Whether to show `n` now; records it when it is shown. */
  admit(n: Pick<DesktopNotification, 'kind'> & { device?: string }): boolean {
    const t = this.now();
    const device = n.device ?? '';
    this.shownAt = this.shownAt.filter((s) => t - s < this.windowMs);
    let show: boolean;
    switch (n.kind) {
      case 'failed':
      case 'recording-failed':
      case 'action-failed':
        // They end something (acquisition, the recording) or answer a click: bounded by the user's actions.
        show = true;
        this.outageAnnounced.delete(device);
        break;
      case 'reconnected':
        show = this.outageAnnounced.has(device);
        this.outageAnnounced.delete(device);
        break;
      default: {
        const last = this.lastOfKind.get(`${n.kind}\u0000${device}`);
        show = (last === undefined || t - last >= this.sameKindIntervalMs) && this.shownAt.length < this.maxPerWindow;
        if (show) this.outageAnnounced.add(device);
        else this.outageAnnounced.delete(device);
      }
    }
    if (show) {
      this.lastOfKind.set(`${n.kind}\u0000${device}`, t);
      this.shownAt.push(t);
      if (this.shownAt.length > this.maxPerWindow) this.shownAt.shift();
    }
    return show;
  }

  /** A device left the set: nothing about it is kept. */
  forget(device: string): void {
    this.outageAnnounced.delete(device);
    for (const k of [...this.lastOfKind.keys()]) if (k.endsWith(`\u0000${device}`)) this.lastOfKind.delete(k);
  }
}

export interface Notifier {
  /** The notification to show for this status of its device, if any. */
  (status: StatusLike): DesktopNotification | undefined;
  /** A device was removed: its last state and limits are dropped. */
  forget(device: string): void;
}

/** Follows every device's status stream: returns the notification to show for each new status, if any. */
export function createNotifier(limits?: NotificationLimits, now?: () => number): Notifier {
  const gate = new NotificationGate(limits, now);
  const prev = new Map<string, Pick<StatusLike, 'state'>>();
  const notify = ((status: StatusLike) => {
    const n = notificationFor(prev.get(status.device), status);
    prev.set(status.device, { state: status.state });
    return n && gate.admit(n) ? n : undefined;
  }) as Notifier;
  notify.forget = (device: string) => {
    prev.delete(device);
    gate.forget(device);
  };
  return notify;
}
