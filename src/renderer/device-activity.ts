/**
 * How each device's data arrives, measured by the window: samples per second (RateMeter) and
 * the time since its last data message, for the device list, the status panel and the plot's
 * "not live" mark (issue 10 items 5 and 6).
 *
 * A device that is not streaming reads 0 samples/s at once: its meter is cleared when its status
 * leaves streaming/stalled, and batches flushed after that (the last one before a stop) are not
 * counted, so the panel never shows a rate for a stopped device.
 *
 * Bound: one meter per device id the service announced; ids it no longer lists are dropped.
 */
import type { ServiceState } from '../shared/acquisition.js';
import { RateMeter } from './rate-meter.js';
import type { Activity } from './store.js';

/** States in which data may arrive. */
const LIVE: ReadonlySet<string> = new Set<ServiceState>(['streaming', 'stalled']);

export class DeviceActivity {
  private readonly meters = new Map<string, RateMeter>();
  private readonly lastData = new Map<string, number>();
  private readonly states = new Map<string, string>();

  /** @param windowMs the meters' averaging window, ms. */
  constructor(private readonly windowMs = 3000) {}

  /** A data message of `count` samples arrived at `nowMs`; `deviceEndMs` is the device time after its last sample. */
  data(device: string, count: number, nowMs: number, deviceEndMs: number): void {
    this.lastData.set(device, nowMs);
    if (!LIVE.has(this.states.get(device) ?? 'streaming')) return;
    this.meter(device).add(count, nowMs, deviceEndMs);
  }

  /** A status arrived; a device that stops streaming reads 0 from now on. */
  status(device: string, state: string): void {
    const was = this.states.get(device);
    this.states.set(device, state);
    if (!LIVE.has(state) || (was !== undefined && !LIVE.has(was))) this.meters.get(device)?.reset();
  }

  /** A new stream (rate or channels changed): measured afresh rather than averaging both. */
  restart(device: string): void {
    this.meters.get(device)?.reset();
  }

  /** Keeps only these devices. */
  keep(ids: readonly string[]): void {
    for (const map of [this.meters, this.lastData, this.states] as Map<string, unknown>[]) {
      for (const id of [...map.keys()]) if (!ids.includes(id)) map.delete(id);
    }
  }

  /** Everything measured is forgotten (the connection dropped). */
  clear(): void {
    this.meters.clear();
    this.lastData.clear();
    this.states.clear();
  }

  snapshot(ids: readonly string[], nowMs: number): Record<string, Activity> {
    const out: Record<string, Activity> = {};
    for (const id of ids) {
      const last = this.lastData.get(id);
      const live = LIVE.has(this.states.get(id) ?? 'idle');
      out[id] = { sps: live ? (this.meters.get(id)?.rate(nowMs) ?? 0) : 0, sinceData: last === undefined ? undefined : nowMs - last };
    }
    return out;
  }

  private meter(device: string): RateMeter {
    let m = this.meters.get(device);
    if (!m) {
      m = new RateMeter(this.windowMs);
      this.meters.set(device, m);
    }
    return m;
  }
}

/**
 * Whether the plot shows live data, and if not, what to say over it: "Not live — stopped, last
 * sample 12 s ago". Live = streaming and a sample within `staleMs` (a stalled link reads as not
 * live before the service declares it stalled).
 */
export function liveness(state: string | undefined, activity: Activity | undefined, staleMs = 1500): { live: boolean; text: string } {
  const since = activity?.sinceData;
  const recent = since !== undefined && since <= staleMs;
  if (state === 'streaming' && recent) return { live: true, text: '' };
  const why = state === undefined ? 'no device' : state === 'streaming' ? 'no data' : state;
  const ago = since === undefined ? 'no sample yet' : `last sample ${formatAgo(since)} ago`;
  return { live: false, text: `Not live — ${why}, ${ago}` };
}

/** "0.4 s", "12 s", "3 min 5 s", "2 h 1 min". */
export function formatAgo(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.floor(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
