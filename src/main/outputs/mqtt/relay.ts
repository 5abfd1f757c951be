/**
 * The relay's link to the broker (docs/mqtt.md "Relay"): `serverbit --relay URL [--prefix F]`
 * subscribes to `F/+/meta|status|data|gap|marker` and `F/marker` and hands every message, with
 * the device its topic names (topics.ts), to a RemoteSource (acquisition/remote-source.ts), which
 * validates it and publishes it into the hub. It lives with the outputs because it is the other
 * half of the same topic scheme and reports like one (status, counters, errors).
 *
 * Untrusted input: topics that do not fit are dropped and counted; the relay connects with MQTT 5
 * so that its Maximum Packet Size asks the broker never to send a packet larger than
 * MAX_PACKET_BYTES (MQTT 3.1.1 has no such limit); payloads are bounded again before parsing. Reconnects with backoff like the publisher;
 * while disconnected every relayed device is "reconnecting", and the retained meta and status
 * delivered at the next subscribe bring them back.
 */
import type { MqttClient } from 'mqtt';
import type { WireError } from '#shared/acquisition.js';
import { toWireError } from '#shared/errors.js';
import { brokerName, type RelaySettings } from '#shared/outputs/mqtt-config.js';
import { MAX_DATA_BYTES } from '../../acquisition/remote-payloads.js';
import type { RemoteSource } from '../../acquisition/remote-source.js';
import { createLogger } from '../../log.js';
import { StatusListeners, type Output, type OutputState, type OutputStatus } from '../output.js';
import { endClient, keepConnecting } from './connection.js';
import { parseRelayTopic, relayFilters } from './topics.js';

const log = createLogger('serverbit:mqtt-relay');

/** The largest packet the broker may send us, bytes (a data payload at its limit, its topic and headers). */
export const MAX_PACKET_BYTES = MAX_DATA_BYTES + 64 * 1024;

export interface MqttRelayOptions {
  settings: RelaySettings;
  remote: RemoteSource;
  /** Counter updates at most this often, ms. Default 1000. */
  statusIntervalMs?: number;
}

export class MqttRelay implements Output {
  readonly name = 'mqtt-relay';
  readonly settings: RelaySettings;
  private readonly remote: RemoteSource;
  private client: MqttClient | undefined;
  private state: OutputState = 'off';
  private error: WireError | undefined;
  private connected = false;
  private connects = 0;
  private badTopics = 0;
  private readonly listeners = new StatusListeners('an MQTT relay');
  private timer: NodeJS.Timeout | undefined;
  private started: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private readonly statusIntervalMs: number;
  private readonly broker: string;

  constructor(options: MqttRelayOptions) {
    this.settings = options.settings;
    this.remote = options.remote;
    this.statusIntervalMs = options.statusIntervalMs ?? 1000;
    this.broker = brokerName(options.settings.url);
  }

  status(): OutputStatus {
    const c = this.remote.counters;
    const problem = this.remote.lastProblem;
    return {
      output: this.name,
      state: this.state,
      detail: `← ${this.broker} ${this.settings.prefix}/… · ${this.remote.ids().length} devices${this.connected ? '' : ' · not connected'}${problem ? ` · last dropped: ${problem}` : ''}`,
      ...(this.error ? { error: this.error } : {}),
      counters: { messages: c.messages, invalid: c.invalid + this.badTopics, stale: c.stale, lostRanges: c.lostRanges, refusedDevices: c.refusedDevices, connects: this.connects },
    };
  }

  onStatus(listener: (s: OutputStatus) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Connects and subscribes. Resolves once connected or once a first attempt failed in a way retrying can fix; rejects for credentials, TLS and settings. */
  start(): Promise<void> {
    return (this.started ??= this.doStart());
  }

  private async doStart(): Promise<void> {
    this.setState('starting');
    let settle!: (e?: Error) => void;
    const first = new Promise<Error | undefined>((r) => (settle = r));
    try {
      this.client = keepConnecting(
        this.settings,
        { protocolVersion: 5, properties: { maximumPacketSize: MAX_PACKET_BYTES } },
        {
          connect: () => {
            this.onConnect();
            settle();
          },
          down: (e, permanent) => {
            const was = this.connected;
            this.connected = false;
            this.error = toWireError(e);
            if (was) log.warn('relay: %s', e.message);
            this.remote.connectionLost(this.error);
            this.setState(permanent ? 'error' : 'starting');
            settle(permanent ? e : undefined);
          },
        },
      );
    } catch (e) {
      this.error = toWireError(e);
      this.setState('error');
      throw e;
    }
    this.client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.retain === true));
    this.timer = setInterval(() => this.tick(), this.statusIntervalMs);
    this.timer.unref();
    const failed = await first;
    if (failed) {
      if (this.timer) clearInterval(this.timer);
      throw failed;
    }
  }

  close(): Promise<void> {
    return (this.closing ??= (async () => {
      await this.started?.catch(() => undefined);
      if (this.timer) clearInterval(this.timer);
      if (this.client) await endClient(this.client, 1000);
      this.connected = false;
      this.remote.close();
      if (this.state !== 'error') this.setState('stopped');
    })());
  }

  private onConnect(): void {
    this.connected = true;
    this.connects++;
    this.error = undefined;
    const subs = Object.fromEntries(relayFilters(this.settings.prefix).map((f) => [f, { qos: 1 as const }]));
    this.client!.subscribe(subs, (err) => {
      if (err) {
        this.error = { code: 'MQTT_UNREACHABLE', message: `the broker ${this.broker} refused the subscriptions: ${err.message}`, hint: 'Check the broker\'s ACL for this user: it must allow reading the prefix.' };
        this.setState('error');
      }
    });
    this.setState('running');
  }

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    const t = parseRelayTopic(this.settings.prefix, topic);
    if (!t) {
      this.badTopics++;
      return;
    }
    // A marker on every device of one publisher: on the relay, on each of its devices.
    if (t.device === undefined) {
      const mine = this.remote.ids().filter((id) => this.remote.address(id)?.startsWith(`${this.broker}/${t.source}/`));
      if (mine.length === 0 || !this.settings.prefix.includes('+')) {
        this.remote.receive({ device: undefined, kind: 'marker', payload, retained, address: `${this.broker}/${t.source}` });
        return;
      }
      for (const id of mine) this.remote.receive({ device: id, kind: 'marker', payload, retained, address: `${this.broker}/${t.source}` });
      return;
    }
    const publisherId = topic.split('/').at(-2)!;
    this.remote.receive({ device: t.device, kind: t.kind, payload, retained, address: `${this.broker}/${t.source}/${publisherId}` });
  }

  private tick(): void {
    this.listeners.emitIfChanged(this.status());
  }

  private setState(state: OutputState): void {
    if (this.state === state && state !== 'error') return;
    this.state = state;
    this.emit(this.status());
  }

  private emit(s: OutputStatus): void {
    this.listeners.emit(s);
  }
}
