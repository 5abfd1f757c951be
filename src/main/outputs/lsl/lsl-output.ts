/**
 * The LSL output (docs/lsl.md §10, §11): one LSL stream per hub device, kept while the device's
 * stream keeps its shape. Follows the hub:
 *
 *   meta     → first time: open the device's outlet. Same stream again (a reconnect, a pause): keep
 *              the outlet — inlets stay connected and see a gap in time — and re-anchor the clock.
 *              A different stream (channels, rate, labels, sensors, format): close the outlet and
 *              open a new one; liblsl inlets find it again by source_id (the device address).
 *   batch    → timestamps from device time (SegmentClock), values per the plan, to every inlet.
 *   gap      → re-anchor the clock at the next batch; nothing is filled in.
 *   removed  → close the device's outlet.
 *
 * Hub callbacks never wait: an outlet being opened receives nothing (no inlet can be connected to it
 * yet), and what an inlet cannot take waits in its bounded backlog (docs/lsl.md §8). All outlets
 * share one discovery socket.
 */
import type { SampleBatch, StreamMeta, WireError } from '#shared/acquisition.js';
import { toWireError } from '#shared/errors.js';
import type { HubSource } from '../../acquisition/hub.js';
import { createLogger } from '../../log.js';
import { StatusListeners, type Output, type OutputState, type OutputStatus } from '../output.js';
import { lslClock, type Clock } from './clock.js';
import { Discovery, isLoopback } from './discovery.js';
import { LslOutlet, defaultBacklogSamples, type LslOutletCounters } from './outlet.js';
import { resolveLslSettings, type LslSettings } from './settings.js';
import { planStream, type StreamPlan } from './stream-plan.js';
import { SegmentClock } from './timestamps.js';

const log = createLogger('serverbit:lsl');

interface DeviceStream {
  device: string;
  plan: StreamPlan;
  clock: SegmentClock;
  outlet?: LslOutlet;
  error?: WireError;
}

/** What `streams()` reports per device. */
export interface LslStreamStatus {
  device: string;
  name: string;
  type: string;
  sourceId: string;
  /** Undefined while the outlet is opening (or failed to). */
  uid?: string;
  dataPort?: number;
  servicePort?: number;
  consumers: number;
  error?: WireError;
}

const COUNTER_KEYS = ['samples', 'feeds', 'droppedSamples', 'refused', 'invalid', 'infoRequests'] as const;

/** Every error the output reports carries a hint (what to do); one that is not a ServerBitError is a bug. */
function wire(err: unknown): WireError {
  const w = toWireError(err);
  return w.hint ? w : { ...w, hint: 'This is a bug in ServerBIT (the other streams are not affected): please report it with the log of DEBUG=serverbit:lsl.' };
}

/**
 * Who can receive the streams served on `host` (docs/lsl.md §11): "this computer only" for a
 * loopback address, "every network" for 0.0.0.0, else the network of that interface.
 */
export function lslAudience(host: string): string {
  if (isLoopback(host)) return 'this computer only';
  if (host === '0.0.0.0') return 'every network';
  return `the network of ${host}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export class LslOutput implements Output {
  readonly name = 'lsl';
  readonly settings: LslSettings;
  private state: OutputState = 'off';
  private error: WireError | undefined;
  private unsubscribe: (() => void) | undefined;
  private discovery: Discovery | undefined;
  private readonly devices = new Map<string, DeviceStream>();
  /** Outlets being opened or closed, so close() can wait for them. */
  private readonly inflight = new Set<Promise<unknown>>();
  /** Counters of outlets already closed. */
  private readonly retired: Record<(typeof COUNTER_KEYS)[number] | 'queries' | 'timeProbes' | 'ignored' | 'throttled', number> = {
    samples: 0, feeds: 0, droppedSamples: 0, refused: 0, invalid: 0, infoRequests: 0, queries: 0, timeProbes: 0, ignored: 0, throttled: 0,
  };
  private mismatched = 0;
  private readonly listeners = new StatusListeners('an LSL output');
  private timer: NodeJS.Timeout | undefined;
  private started: Promise<void> | undefined;
  private closed = false;
  private readonly clock: Clock;

  /**
   * @param hub where the devices' events come from
   * @param settings LslSettings (defaults for what is missing); throws ConfigError on a bad value
   */
  constructor(
    private readonly hub: HubSource,
    settings: Partial<LslSettings> = {},
    deps: { clock?: Clock } = {},
  ) {
    this.settings = resolveLslSettings(settings);
    this.clock = deps.clock ?? lslClock;
  }

  start(): Promise<void> {
    this.started ??= this.doStart();
    return this.started;
  }

  private async doStart(): Promise<void> {
    if (this.closed) return;
    if (!this.settings.enabled) {
      this.setState('off');
      return;
    }
    this.setState('starting');
    if (this.settings.multicastPort !== 0) {
      try {
        this.discovery = await Discovery.open({
          host: this.settings.host,
          port: this.settings.multicastPort,
          interfaces: this.settings.interfaces.length > 0 ? this.settings.interfaces : undefined,
          clock: this.clock,
        });
      } catch (err) {
        // Inlets with KnownPeers still find the streams through their service ports.
        log.warn('%s', (err as Error).message);
        this.error = wire(err);
      }
    }
    if (this.closed) {
      await this.discovery?.close();
      return;
    }
    this.unsubscribe = this.hub.subscribe(
      {
        meta: (m) => this.onMeta(m),
        batch: (b) => this.onBatch(b),
        gap: (g) => this.devices.get(g.device)?.clock.reset(),
        removed: (id) => this.onRemoved(id),
      },
      { catchUp: true },
    );
    this.timer = setInterval(() => this.emitIfChanged(), 1000);
    this.timer.unref();
    this.setState(this.error ? 'error' : 'running');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.started?.catch(() => {});
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    for (const d of this.devices.values()) this.retire(d);
    this.devices.clear();
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    await this.discovery?.close();
    this.setState('stopped');
    this.listeners.clear();
  }

  status(): OutputStatus {
    const streams = this.streams();
    const consumers = streams.reduce((a, s) => a + s.consumers, 0);
    const errors = streams.filter((s) => s.error);
    const error = this.error ?? errors[0]?.error;
    return {
      output: this.name,
      state: this.state === 'running' && errors.length > 0 ? 'error' : this.state,
      detail: `${plural(streams.length, 'stream')} · ${plural(consumers, 'inlet')} · ${lslAudience(this.settings.host)}`,
      ...(error ? { error } : {}),
      counters: { streams: streams.length, consumers, ...this.counters() },
    };
  }

  /**
   * Resolves once no outlet is being opened (every stream is up or has its error), or after
   * `timeoutMs`; never rejects. The CLI waits for it before its LSL start-up line.
   */
  async settled(timeoutMs = 2000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.inflight.size > 0 && Date.now() < end) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => (timer = setTimeout(r, Math.max(0, end - Date.now()))))]);
      clearTimeout(timer);
    }
  }

  onStatus(listener: (status: OutputStatus) => void): () => void {
    return this.listeners.add(listener);
  }

  /** One entry per device with a stream, in the order the devices were first seen. */
  streams(): LslStreamStatus[] {
    return [...this.devices.values()].map((d) => ({
      device: d.device,
      name: d.plan.spec.name,
      type: d.plan.spec.type,
      sourceId: d.plan.spec.sourceId,
      ...(d.outlet ? { uid: d.outlet.info.uid, dataPort: d.outlet.info.v4dataPort, servicePort: d.outlet.info.v4servicePort } : {}),
      consumers: d.outlet?.consumerCount ?? 0,
      ...(d.error ? { error: d.error } : {}),
    }));
  }

  private counters(): Record<string, number> {
    const c = { ...this.retired, mismatchedBatches: this.mismatched };
    for (const d of this.devices.values()) if (d.outlet) addOutlet(c, d.outlet.counters);
    if (this.discovery) {
      const dc = this.discovery.counters;
      c.queries += dc.answered;
      c.ignored += dc.ignored;
      c.throttled += dc.throttled;
    }
    return c;
  }

  private onMeta(meta: StreamMeta): void {
    const plan = planStream(meta, this.settings);
    const d = this.devices.get(meta.device);
    if (d && d.plan.key === plan.key) {
      d.plan = plan;
      d.clock.reset(meta.rate, meta.irregular);
      return;
    }
    if (d) this.retire(d);
    const next: DeviceStream = { device: meta.device, plan, clock: new SegmentClock(this.clock, meta.rate, meta.irregular) };
    this.devices.set(meta.device, next);
    if (plan.spec.channelCount === 0) {
      next.error = { code: 'LSL_INVALID_SETTING', message: `device ${meta.device} has no channel to send`, hint: 'Acquire at least one analog channel, or enable lsl.digital.' };
      this.emit();
      return;
    }
    const opening = LslOutlet.open(plan.spec, {
      host: this.settings.host,
      basePort: this.settings.basePort,
      portRange: this.settings.portRange,
      sessionId: this.settings.sessionId,
      backlogSamples: defaultBacklogSamples(plan.spec.nominalSrate, this.settings.backlogSeconds),
      maxConsumers: this.settings.maxConsumers,
      discovery: this.discovery ?? false,
      clock: this.clock,
    }).then(
      (outlet) => {
        if (this.closed || this.devices.get(meta.device) !== next) return this.track(outlet.close());
        next.outlet = outlet;
        log.debug('device %s → LSL stream %s (%s)', meta.device, outlet.info.name, outlet.info.uid);
        this.emit();
      },
      (err: unknown) => {
        next.error = wire(err);
        log.warn('device %s: %s', meta.device, (err as Error).message);
        this.emit();
      },
    );
    this.track(opening);
  }

  private onBatch(batch: SampleBatch): void {
    const d = this.devices.get(batch.device);
    if (!d) return;
    const timestamps = d.clock.stamp(batch);
    const outlet = d.outlet;
    if (!outlet) return;
    if (outlet.consumerCount === 0) {
      outlet.skip(batch.count);
      return;
    }
    const values = d.plan.values(batch);
    if (!values) {
      this.mismatched++;
      return;
    }
    outlet.push(values, timestamps);
  }

  private onRemoved(device: string): void {
    const d = this.devices.get(device);
    if (!d) return;
    this.retire(d);
    this.devices.delete(device);
    this.emit();
  }

  private retire(d: DeviceStream): void {
    const outlet = d.outlet;
    d.outlet = undefined;
    if (!outlet) return;
    addOutlet(this.retired, outlet.counters);
    this.track(outlet.close());
  }

  private track(p: Promise<unknown>): Promise<unknown> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }

  private setState(state: OutputState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit();
  }

  private emit(): void {
    this.listeners.emit(this.status());
  }

  private emitIfChanged(): void {
    this.listeners.emitIfChanged(this.status());
  }
}

function addOutlet(into: Record<string, number>, c: LslOutletCounters): void {
  for (const k of COUNTER_KEYS) into[k] += c[k];
  into.queries += c.service.answered;
  into.timeProbes += c.service.timeProbes;
  into.ignored += c.service.ignored;
  into.throttled += c.service.throttled;
}
