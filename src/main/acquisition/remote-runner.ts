/**
 * A remote device in the device list (docs/mqtt.md "A remote device in the device list"): an
 * entry whose address is a device another ServerBIT publishes to an MQTT broker,
 * `mqtt://broker.local:1883/serverbit/lab-pc/0`. Acquisition runs it beside its own devices with
 * the same surface as a DeviceRunner (start, stop, settings, status), so the config's `devices`,
 * `--device`, the window's Devices tab and /v2 `add_device` treat it like any device; every
 * client and output serves it like a local one.
 *
 *   idle ─start()→ connecting ─its status arrives→ (the publisher's state: streaming, …)
 *                      │ broker link down / publisher offline / nothing published there
 *                      ▼
 *                 reconnecting ── the link retries with the devices' backoff (0.5 s × 2ⁿ, ≤ 10 s)
 *                      │ credentials or certificate refused (MQTT_AUTH_FAILED, MQTT_TLS_FAILED)
 *                      ▼
 *                    error (no retry until the settings change or the device is started again)
 *   stop() from any state: unsubscribed, "stopped".
 *
 * What arrives is the publisher's stream as it is (RemoteStream: its indices, t0, segments, gaps;
 * link_lost for what never arrived). The broker connection is not this module's: `RemoteLinks`
 * (implemented by outputs/mqtt/remote-links.ts, one connection per broker and credentials, shared
 * by every remote device there) subscribes to the device's topics and feeds it.
 *
 * Device commands (digital outputs, PWM, battery, state) are refused by Acquisition with
 * DEVICE_REMOTE: they belong to the publisher, as on a relay.
 */
import type { DeviceStatus, ServiceState, WireError } from '../../shared/acquisition.js';
import { parseRemoteAddress, type RemoteAddress } from '../../shared/device-address.js';
import { toWireError } from '../../shared/errors.js';
import { createLogger } from '../log.js';
import type { RunnerSettings } from './device-runner.js';
import type { Hub } from './hub.js';
import { newRemoteCounters, RemoteStream, type RemoteCounters, type RemoteMessageKind } from './remote-stream.js';

const log = createLogger('serverbit:remote');

/** What a broker link tells one remote device. Calls never throw back into the link. */
export interface RemoteFeed {
  /** A message on one of the device's topics (`<prefix>/<device>/<kind>`, or `<prefix>/marker`). */
  message(kind: RemoteMessageKind, payload: Buffer, retained: boolean): void;
  /** Connected and subscribed (again): the retained meta and status follow. */
  up(): void;
  /** The link is down (or an attempt failed); `permanent`: it gives up (refused credentials, certificate). */
  down(error: WireError, permanent: boolean): void;
}

export interface RemoteSubscription {
  /** Unsubscribes; the link closes when no device uses it. Never rejects; twice is harmless. */
  close(): Promise<void>;
}

/** Broker links by broker: one MQTT connection per broker and credentials, whatever the number of devices. */
export interface RemoteLinks {
  /** Subscribes to the device's topics; resolves once subscribed or queued until connected (never waits for the broker). */
  open(address: RemoteAddress, feed: RemoteFeed): Promise<RemoteSubscription>;
}

export interface RemoteRunnerOptions {
  settings: RunnerSettings;
  hub: Hub;
  /** Undefined: this ServerBIT cannot open remote devices (the device is in "error", saying so). */
  links: RemoteLinks | undefined;
  /**
   * How long after subscribing, with nothing published for the device, before it is said to be
   * missing (state reconnecting, REMOTE_OFFLINE naming the topic), ms. Default 3000.
   */
  silentMs?: number;
}

export class RemoteRunner {
  readonly id: string;
  private settings: RunnerSettings;
  private readonly hub: Hub;
  private readonly links: RemoteLinks | undefined;
  private readonly silentMs: number;
  private address: RemoteAddress | undefined;
  /** Why the address cannot be used (config validation refuses these first; this is the last fence). */
  private addressError: WireError | undefined;
  private stream!: RemoteStream;
  readonly counters: RemoteCounters = newRemoteCounters();
  /** Why the last message was dropped. */
  lastProblem: string | undefined;
  private subscription: Promise<RemoteSubscription> | undefined;
  /** Bumped by every start and stop: a feed of an earlier run is ignored. */
  private generation = 0;
  private silent: NodeJS.Timeout | undefined;
  private own: { state: ServiceState; error?: WireError } = { state: 'idle' };

  constructor(options: RemoteRunnerOptions) {
    this.settings = options.settings;
    this.id = options.settings.id;
    this.hub = options.hub;
    this.links = options.links;
    this.silentMs = options.silentMs ?? 3000;
    this.useSettings(options.settings);
  }

  get currentSettings(): RunnerSettings {
    return this.settings;
  }

  /** True between start() and stop(). */
  get running(): boolean {
    return this.subscription !== undefined;
  }

  /** Where the device comes from, without credentials (DEVICE_REMOTE's message). */
  get shownAddress(): string {
    return this.stream.address;
  }

  get status(): DeviceStatus {
    return this.stream.status ?? this.ownStatus();
  }

  /** Nothing to pace: the publisher cut the batches. */
  refreshReadBatch(): void {}

  announce(): void {
    this.hub.publishStatus(this.status);
  }

  /** Subscribes to the device's topics. Resolves once subscribed (not once the broker answered: watch `status`). Idempotent while running. */
  async start(): Promise<void> {
    if (this.subscription) return;
    const gen = ++this.generation;
    if (this.addressError || !this.address) return this.setOwn('error', this.addressError);
    if (!this.links) {
      return this.setOwn('error', {
        code: 'DEVICE_REMOTE',
        message: `this ServerBIT cannot open ${this.stream.address}: it has no MQTT client here`,
        hint: 'Run the ServerBIT service or desktop app (a relay or a test harness without MQTT cannot open remote devices).',
      });
    }
    this.setOwn('connecting');
    const feed: RemoteFeed = {
      message: (kind, payload, retained) => {
        if (gen !== this.generation) return;
        this.clearSilent();
        if (payload.length === 0) {
          // The publisher deleted its retained status (or meta): it removed the device.
          if (kind === 'status') this.gone(`${this.stream.address} is no longer published (its publisher removed the device)`);
          return;
        }
        this.stream.receive(kind, payload, retained);
      },
      up: () => {
        if (gen !== this.generation) return;
        this.armSilent(gen);
      },
      down: (error, permanent) => {
        if (gen !== this.generation) return;
        this.clearSilent();
        if (permanent) this.setOwn('error', error);
        else if (this.stream.status) this.stream.connectionLost(error);
        else this.setOwn('reconnecting', error);
      },
    };
    this.subscription = this.links.open(this.address, feed);
    try {
      await this.subscription;
    } catch (e) {
      this.subscription = undefined;
      this.setOwn('error', toWireError(e));
    }
  }

  /** Unsubscribes; the device is "stopped". Idempotent. */
  async stop(): Promise<void> {
    const sub = this.subscription;
    this.subscription = undefined;
    this.generation++;
    this.clearSilent();
    if (sub) await (await sub.catch(() => undefined))?.close();
    if (this.status.state !== 'idle' || sub) this.setOwn('stopped');
  }

  /**
   * New settings. Only the address and the name mean something here: rate, channels, labels and
   * sensors are the publisher's. A new address is a new device (a new stream); a new name is
   * shown from the next status.
   */
  async applySettings(next: RunnerSettings): Promise<void> {
    const prev = this.settings;
    if (prev.address === next.address && prev.name === next.name) {
      this.settings = next;
      return;
    }
    const wasRunning = this.running;
    if (wasRunning) await this.stop();
    this.useSettings(next);
    this.announce();
    if (wasRunning) await this.start();
  }

  private useSettings(s: RunnerSettings): void {
    this.settings = s;
    const p = parseRemoteAddress(s.address);
    this.address = p.ok ? p.value : undefined;
    this.addressError = p.ok ? undefined : { code: 'DEVICE_BAD_ARGUMENT', message: `${p.problem}.`, hint: 'Correct the address: docs/mqtt.md "A remote device in the device list".' };
    this.stream = new RemoteStream({
      hub: this.hub,
      id: this.id,
      address: p.ok ? p.value.display : 'mqtt://(invalid address)',
      counters: this.counters,
      name: s.name,
      onProblem: (problem) => {
        // Counted always; said once in a while (whoever can publish to the broker can fill a log).
        if (this.counters.invalid === 1 || this.counters.invalid % 1000 === 0) log.debug('device %s: dropped %d messages; the last: %s', this.id, this.counters.invalid, problem);
        this.lastProblem = problem;
      },
    });
    this.own = { state: 'idle' };
  }

  /** The status of this ServerBIT's own (before the publisher's first, or when it cannot come). */
  private ownStatus(): DeviceStatus {
    const s: DeviceStatus = {
      device: this.id,
      kind: 'remote',
      name: this.settings.name ?? this.stream.address,
      address: this.stream.address,
      state: this.own.state,
      rate: this.settings.sampling_rate,
      channels: [...this.settings.channels],
      counters: { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0 },
    };
    if (this.own.error) s.error = this.own.error;
    return s;
  }

  /** A state of this ServerBIT's own: kept over the publisher's last status (its rate, channels, counters), if any. */
  private setOwn(state: ServiceState, error?: WireError): void {
    this.own = { state, ...(error ? { error } : {}) };
    const last = this.stream.status;
    if (!last) return void this.hub.publishStatus(this.ownStatus());
    const { error: _was, ...rest } = last;
    this.stream.setStatus({ ...rest, state, ...(error ? { error } : {}) });
  }

  private gone(message: string): void {
    this.setOwn('reconnecting', {
      code: 'REMOTE_OFFLINE',
      message,
      hint: `Check that the publisher runs with --mqtt to ${this.address?.broker ?? 'this broker'} and its prefix and device id (mosquitto_sub -t '${this.address?.prefix ?? 'serverbit'}/#' -v lists them); ServerBIT picks the device up as soon as it is published.`,
    });
  }

  private armSilent(gen: number): void {
    this.clearSilent();
    // Known already: its retained meta and status come again with the subscription.
    if (this.stream.meta) return;
    this.silent = setTimeout(() => {
      if (gen !== this.generation || this.stream.meta) return;
      this.gone(`nothing is published at ${this.stream.address} (no retained meta or status there)`);
    }, this.silentMs);
    this.silent.unref();
  }

  private clearSilent(): void {
    if (this.silent) clearTimeout(this.silent);
    this.silent = undefined;
  }
}
