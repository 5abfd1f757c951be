/**
 * The OSC output (docs/osc.md): every sample of every device (or of `devices`), as OSC bundles
 * over UDP to one or several destinations, for Pure Data, Max, TouchDesigner, SuperCollider…
 *
 * Hub callbacks encode and hand datagrams to the sockets synchronously (the work is linear in the
 * batch: 2.7 µs of CPU per sample consolidated, 12 µs per-label, docs/osc.md "Cost") and never wait: UDP does not block, and each socket's
 * queue is bounded (`maxQueueBytes`, default 1 MiB; beyond it datagrams are dropped and counted).
 * Nothing escapes a hub callback: a failure is counted and logged once.
 *
 * Status: `running` while sending; `error` while a destination reports errors (an ICMP "port
 * unreachable" when nothing listens, no route…), with the last one, back to `running` after a
 * status interval without errors. Sending goes on meanwhile: a receiver started later gets the
 * stream from then on.
 */
import type { SampleBatch, StreamMeta, WireError } from '#shared/acquisition.js';
import { type NetworkError, ServerBitError } from '#shared/errors.js';
import { validateOscOutputSettings, type OscOutputSettings } from '#shared/outputs/osc-config.js';
import type { HubSource } from '../../acquisition/hub.js';
import { createLogger } from '../../log.js';
import { StatusListeners, type Output, type OutputState, type OutputStatus } from '../output.js';
import { encodeBatch, layoutFor, type DeviceLayout, type EncoderOptions } from './encoder.js';
import { UdpDestination } from './udp-destination.js';
import { toWireError as toWire } from '#shared/errors.js';

const log = createLogger('serverbit:osc');

export interface OscOutputOptions {
  hub: HubSource;
  settings: OscOutputSettings;
  /** ms between counter updates (datagrams/s) and error recovery checks. Default 1000. */
  statusIntervalMs?: number;
  /** Per destination: bytes waiting in the socket above which datagrams are dropped. Default 1 MiB. */
  maxQueueBytes?: number;
}

export const DEFAULT_MAX_QUEUE_BYTES = 1 << 20;

interface Counters {
  [name: string]: number;
  /** Bundles built (each goes to every destination). */
  bundles: number;
  /** Datagrams handed to sockets, all destinations. */
  datagrams: number;
  bytes: number;
  /** Samples carried (after decimation), counted once whatever the number of destinations. */
  samples: number;
  /** Datagrams per second over the last status interval, all destinations. */
  datagramsPerSecond: number;
  /** Datagrams dropped because a socket's queue was full. */
  dropped: number;
  /** Socket errors (unreachable destination, refused broadcast…). */
  errors: number;
  /** Bundles holding one sample larger than maxDatagramBytes. */
  oversize: number;
  /** Batches skipped because their device had not published its meta yet. */
  noMeta: number;
  /** Batches that failed to encode (a bug; logged once). */
  internalErrors: number;
}

export class OscOutput implements Output {
  readonly name = 'osc';
  private readonly hub: HubSource;
  private readonly settings: OscOutputSettings;
  private readonly encoder: EncoderOptions;
  private readonly intervalMs: number;
  private readonly destinations: UdpDestination[];
  private readonly layouts = new Map<string, DeviceLayout>();
  private readonly listeners = new StatusListeners('an OSC output');
  private readonly counters: Counters = {
    bundles: 0, datagrams: 0, bytes: 0, samples: 0, datagramsPerSecond: 0, dropped: 0, errors: 0, oversize: 0, noMeta: 0, internalErrors: 0,
  };
  private state: OutputState = 'off';
  private error: WireError | undefined;
  private errorsAtLastTick = 0;
  private datagramsAtLastTick = 0;
  private lastTickAt = 0;
  private loggedInternal = false;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private starting: Promise<void> | undefined;
  private closed = false;

  constructor(options: OscOutputOptions) {
    const issues = validateOscOutputSettings(options.settings);
    if (issues.length > 0) throw new TypeError(`OscOutput: ${issues.map((i) => i.message).join('; ')}`);
    this.hub = options.hub;
    this.settings = options.settings;
    const s = options.settings;
    this.encoder = { addresses: s.addresses, values: s.values, maxRate: s.maxRate, maxDatagramBytes: s.maxDatagramBytes, timeTag: s.timeTag };
    this.intervalMs = options.statusIntervalMs ?? 1000;
    const maxQueueBytes = options.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES;
    this.destinations = s.destinations.map(
      (d) =>
        new UdpDestination(d, {
          broadcast: s.broadcast,
          multicastTtl: s.multicastTtl,
          multicastInterface: s.multicastInterface,
          maxQueueBytes,
          onError: (e) => this.onSendError(e),
        }),
    );
  }

  /** Opens every destination, then subscribes to the hub. Rejects (state "error") if a destination cannot be opened. */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new ServerBitError('INTERNAL', 'this OSC output was closed; create a new one'));
    this.starting ??= this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    this.setState('starting');
    try {
      await Promise.all(this.destinations.map((d) => d.open()));
    } catch (err) {
      await Promise.all(this.destinations.map((d) => d.close()));
      this.error = toWire(err);
      this.setState('error');
      throw err;
    }
    if (this.closed) return;
    this.lastTickAt = Date.now();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    this.unsubscribe = this.hub.subscribe(
      {
        meta: (m) => this.onMeta(m),
        batch: (b) => this.onBatch(b),
        removed: (d) => this.layouts.delete(d),
      },
      { catchUp: true, devices: this.settings.devices },
    );
    this.setState('running');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.timer) clearInterval(this.timer);
    await this.starting?.catch(() => undefined);
    await Promise.all(this.destinations.map((d) => d.close()));
    this.setState('stopped');
    this.listeners.clear();
  }

  status(): OutputStatus {
    const s: OutputStatus = { output: this.name, state: this.state, counters: { ...this.counters }, detail: this.detail() };
    if (this.state === 'error' && this.error) s.error = this.error;
    return s;
  }

  onStatus(listener: (status: OutputStatus) => void): () => void {
    return this.listeners.add(listener);
  }

  // -------------------------------------------------------------------------------------------

  private onMeta(meta: StreamMeta): void {
    try {
      this.layouts.set(meta.device, layoutFor(meta, this.settings.addresses));
    } catch (err) {
      this.internalError(err);
    }
  }

  private onBatch(batch: SampleBatch): void {
    try {
      const layout = this.layouts.get(batch.device);
      if (!layout) {
        this.counters.noMeta++;
        return;
      }
      const enc = encodeBatch(layout, batch, this.encoder);
      this.counters.samples += enc.samples;
      this.counters.oversize += enc.oversize;
      for (const datagram of enc.datagrams) {
        this.counters.bundles++;
        for (const d of this.destinations) d.send(datagram);
      }
      this.sumDestinations();
    } catch (err) {
      this.internalError(err);
    }
  }

  private sumDestinations(): void {
    let datagrams = 0;
    let bytes = 0;
    let dropped = 0;
    for (const d of this.destinations) {
      datagrams += d.counters.datagrams;
      bytes += d.counters.bytes;
      dropped += d.counters.dropped;
    }
    this.counters.datagrams = datagrams;
    this.counters.bytes = bytes;
    this.counters.dropped = dropped;
  }

  private onSendError(error: NetworkError): void {
    this.counters.errors++;
    this.error = toWire(error);
    if (this.state === 'running') {
      log.warn('%s', error.message);
      this.setState('error');
    }
  }

  private tick(): void {
    try {
      this.sumDestinations();
      const now = Date.now();
      const seconds = Math.max(0.001, (now - this.lastTickAt) / 1000);
      this.counters.datagramsPerSecond = Math.round((this.counters.datagrams - this.datagramsAtLastTick) / seconds);
      this.datagramsAtLastTick = this.counters.datagrams;
      this.lastTickAt = now;
      // A whole interval without a new error: the destination is receiving again.
      if (this.state === 'error' && this.counters.errors === this.errorsAtLastTick && !this.closed) this.setState('running');
      this.errorsAtLastTick = this.counters.errors;
      this.notify();
    } catch (err) {
      this.internalError(err);
    }
  }

  /** One line for the tray and the window: where, how much, and while in error what is wrong and what to do. */
  private detail(): string {
    const to = this.destinations.map((d) => d.label).join(', ');
    let line = `→ ${to} · ${this.counters.datagramsPerSecond} datagrams/s`;
    if (this.counters.dropped > 0) line += ` · ${this.counters.dropped} dropped (the network is slower than the stream)`;
    if (this.state === 'error' && this.error) line += ` · ${this.error.message}${this.error.hint ? ` — ${this.error.hint}` : ''}`;
    return line;
  }

  private setState(state: OutputState): void {
    if (this.state === state) return;
    this.state = state;
    log.debug('state %s', state);
    this.notify();
  }

  private notify(): void {
    this.listeners.emitIfChanged(this.status());
  }

  private internalError(err: unknown): void {
    this.counters.internalErrors++;
    if (!this.loggedInternal) {
      this.loggedInternal = true;
      log.warn('OSC output failed on a batch (further failures are only counted): %O', err);
    }
  }
}
