/**
 * The MQTT output (docs/mqtt.md): every device of the hub published to a broker under
 * `<prefix>/<device id>/…` (topics.ts), each payload the /v2 message of the same name, so any
 * /v2 client library parses it (docs/protocol.md "MQTT").
 *
 * Flow: hub → StreamGroup (batches of `batchMs` of device time, the shared batcher policy) →
 * PublishQueue (bounded, hub order) → MQTT.js, only while connected and while the socket keeps up
 * (at most HIGH_WATER_BYTES unsent in the socket, MAX_INFLIGHT QoS 1 messages unacknowledged).
 * Hub callbacks only encode and enqueue: acquisition and the other outputs never wait for the
 * broker. What the queue cannot hold becomes an `output_overflow` gap (publish-queue.ts).
 *
 * Connection: reconnects with backoff (connection.ts). At every connect the last meta and status
 * the broker was given are published again (a broker restarted without persistence has lost its
 * retained messages), then the queue drains. A broker that refuses the credentials or a
 * certificate that cannot be verified puts the output in state "error" with no retry.
 *
 * Last will: MQTT allows one will per connection, and a will must name its topic; so each device
 * has a "will holder" (will.ts), a connection that publishes nothing and whose will sets the
 * device's retained status to state "offline". Closing cleanly publishes that "offline" status
 * itself and ends the holders without their wills.
 */
import type { MqttClient } from 'mqtt';
import type { DeviceStatus, MarkerEvent, SampleBatch, StreamMeta, WireError } from '#shared/acquisition.js';
import { toWireError, type ServerBitError } from '#shared/errors.js';
import { brokerName, type MqttSettings } from '#shared/outputs/mqtt-config.js';
import { samplesPerBatch } from '#shared/config.js';
import type { BatchDemand } from '../../acquisition/batch-demand.js';
import type { HubSource } from '../../acquisition/hub.js';
import { StreamGroup } from '../../acquisition/stream-group.js';
import { createLogger } from '../../log.js';
import { StatusListeners, type Output, type OutputState, type OutputStatus } from '../output.js';
import { endClient, keepConnecting } from './connection.js';
import { offlineStatus } from './payloads.js';
import { PublishQueue, type QueuedMessage } from './publish-queue.js';
import { commandTopic, deviceTopic, markerTopic, replyTopic } from './topics.js';
import { WillHolders } from './will.js';

const log = createLogger('serverbit:mqtt');

/** Unsent bytes in the socket above which nothing more is handed to MQTT.js (it waits for 'drain'). */
export const HIGH_WATER_BYTES = 256 * 1024;
/** QoS 1 messages handed to MQTT.js and not yet acknowledged, at most. */
export const MAX_INFLIGHT = 256;
/** Largest command message accepted on `<prefix>/command`, bytes (as /v2). */
export const MAX_COMMAND_BYTES = 32 * 1024;
/** How long close() waits for the queue to reach the broker, ms. */
const CLOSE_DRAIN_MS = 3000;

/**
 * The /v2 encoders, injected by the composition root (outputs may not import api/: the
 * payloads are exactly what /v2 sends, from the one encoder).
 */
export interface MqttEncoders {
  meta(m: StreamMeta): object;
  status(s: DeviceStatus): object;
  marker(k: MarkerEvent): object;
  data(b: SampleBatch, meta: StreamMeta | undefined): object;
}

/**
 * Control over MQTT, injected by the composition root when `mqtt.control` is true: given where
 * replies go, returns what runs one command message (JSON text, the /v2 command shape with its
 * `token`) through the /v2 command path; each command gets exactly one /v2 reply message.
 */
export type MqttCommandHandler = (reply: (msg: object) => void) => (text: string) => void;

export interface MqttOutputOptions {
  hub: HubSource;
  settings: MqttSettings;
  encoders: MqttEncoders;
  /** Present only when control over MQTT is enabled (settings.control). */
  command?: MqttCommandHandler | undefined;
  /** Where the output says which batch size it cuts, so the drivers' read pacing serves it too (acquisition.demand). */
  demand?: BatchDemand | undefined;
  /** Counter updates at most this often, ms. Default 1000. */
  statusIntervalMs?: number;
}

const COUNTERS = ['published', 'dataMessages', 'samples', 'queued', 'queuedBytes', 'droppedSamples', 'overflowGaps', 'droppedControl', 'connects', 'commands', 'refusedCommands'] as const;
type CounterName = (typeof COUNTERS)[number];

export class MqttOutput implements Output {
  readonly name = 'mqtt';
  readonly settings: MqttSettings;
  private readonly hub: HubSource;
  private readonly enc: MqttEncoders;
  private readonly command: ((text: string) => void) | undefined;
  private readonly queue: PublishQueue;
  private readonly group: StreamGroup<string>;
  private readonly member = {
    data: (b: SampleBatch, text: string) => this.onData(b, text),
    gap: (g: { device: string; from: number; to: number; reason: string }) =>
      this.control(deviceTopic(this.settings.prefix, g.device, 'gap'), JSON.stringify({ type: 'gap', device: g.device, from: g.from, to: g.to, reason: g.reason }), false, g.device),
    status: (s: DeviceStatus) => this.onDeviceStatus(s),
    meta: (m: StreamMeta) => this.onMeta(m),
    marker: (k: MarkerEvent) => this.onMarker(k),
    removed: (id: string) => this.onRemoved(id),
  };
  private client: MqttClient | undefined;
  private wills: WillHolders | undefined;
  private state: OutputState = 'off';
  private error: WireError | undefined;
  private connected = false;
  private inflight = 0;
  private waitingDrain = false;
  private readonly counts: Record<CounterName, number> = Object.fromEntries(COUNTERS.map((k) => [k, 0])) as Record<CounterName, number>;
  /** What the broker was last given as each device's retained meta and status (republished at every connect). */
  private readonly sentMeta = new Map<string, string>();
  private readonly sentStatus = new Map<string, string>();
  /** Each device's last status (the will holders' "offline" payloads are made from it). */
  private readonly lastStatus = new Map<string, DeviceStatus>();
  private readonly listeners = new StatusListeners('an MQTT output');
  private timer: NodeJS.Timeout | undefined;
  private started: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private readonly statusIntervalMs: number;

  constructor(options: MqttOutputOptions) {
    this.hub = options.hub;
    this.settings = options.settings;
    this.enc = options.encoders;
    this.command = options.settings.control && options.command ? options.command((msg) => this.reply(msg)) : undefined;
    this.statusIntervalMs = options.statusIntervalMs ?? 1000;
    this.queue = new PublishQueue({
      maxDataBytes: this.settings.queueBytes,
      overflowGap: (device, from, to) => ({
        topic: deviceTopic(this.settings.prefix, device, 'gap'),
        payload: JSON.stringify({ type: 'gap', device, from, to, reason: 'output_overflow' }),
        qos: 1,
        retain: false,
      }),
    });
    this.group = new StreamGroup<string>({
      hub: this.hub,
      ...(options.demand ? { demand: options.demand } : {}),
      batchSize: (rate) => samplesPerBatch(rate, this.settings.batchMs),
      encode: (b, meta) => JSON.stringify(this.enc.data(b, meta)),
    });
  }

  status(): OutputStatus {
    const counters: Record<string, number> = { ...this.counts, queued: this.queue.length, queuedBytes: this.queue.bytes, ...this.queueCounters() };
    return {
      output: this.name,
      state: this.state,
      detail: `${brokerName(this.settings.url)} · ${this.settings.prefix}/…${this.connected ? '' : ' · not connected'}${counters.droppedSamples ? ` · ${counters.droppedSamples} samples lost (broker too slow or down)` : ''}`,
      ...(this.error ? { error: this.error } : {}),
      counters,
    };
  }

  onStatus(listener: (s: OutputStatus) => void): () => void {
    return this.listeners.add(listener);
  }

  /**
   * Subscribes to the hub and connects. Resolves once connected, or once the first attempt
   * failed in a way retrying can fix (the output keeps trying: see status). Rejects with
   * MQTT_AUTH_FAILED, MQTT_TLS_FAILED or MQTT_INVALID_SETTING.
   */
  start(): Promise<void> {
    return (this.started ??= this.doStart());
  }

  private async doStart(): Promise<void> {
    this.setState('starting');
    // Before the devices' current statuses: each one opens its device's will holder (a device
    // already streaming when the output is turned on sends no new status to open it later).
    this.wills = new WillHolders(this.settings);
    // The current state of every device first (the group does not catch up), then live events.
    for (const id of this.hub.devices()) {
      const st = this.hub.status(id);
      if (st) this.onDeviceStatus(st);
      const m = this.hub.meta(id);
      if (m) this.onMeta(m);
    }
    this.group.add(this.member);
    let settle!: (e?: ServerBitError) => void;
    const first = new Promise<ServerBitError | undefined>((r) => (settle = r));
    try {
      this.client = keepConnecting(this.settings, {}, {
        connect: () => {
          settle();
          this.onConnect();
        },
        down: (e, permanent) => {
          this.onDown(e, permanent);
          if (permanent) settle(e);
          else settle();
        },
      });
    } catch (e) {
      this.teardown();
      await this.wills.close();
      this.error = toWireError(e);
      this.setState('error');
      throw e;
    }
    this.client.on('message', (topic, payload) => this.onMessage(topic, payload));
    this.timer = setInterval(() => this.tick(), this.statusIntervalMs);
    this.timer.unref();
    const failed = await first;
    if (failed) {
      this.teardown();
      await this.wills.close();
      throw failed;
    }
  }

  /** Publishes what is queued (within 3 s), "offline" for every device, and disconnects. Idempotent, never rejects. */
  close(): Promise<void> {
    return (this.closing ??= this.doClose());
  }

  private async doClose(): Promise<void> {
    await this.started?.catch(() => undefined);
    this.group.delete(this.member);
    let said = false;
    if (this.client && this.connected) {
      this.queue.flushGaps();
      for (const [id, s] of this.lastStatus) this.control(deviceTopic(this.settings.prefix, id, 'status'), JSON.stringify(offlineStatus(this.enc.status(s), 'closed')), true, id);
      const deadline = Date.now() + CLOSE_DRAIN_MS;
      while ((this.queue.length > 0 || this.inflight > 0) && this.connected && Date.now() < deadline) {
        this.pump();
        await new Promise((r) => setTimeout(r, 20));
      }
      said = this.queue.length === 0 && this.inflight === 0;
    }
    // Could not say "offline" ourselves (broker down or too slow): let the wills say it.
    await this.wills?.close(!said);
    if (this.client) await endClient(this.client);
    this.teardown();
    if (this.state !== 'error') this.setState('stopped');
  }

  private teardown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.group.delete(this.member);
    this.connected = false;
  }

  // --- hub → queue ------------------------------------------------------------------------------

  private onData(b: SampleBatch, text: string): void {
    this.queue.pushData({
      topic: deviceTopic(this.settings.prefix, b.device, 'data'),
      payload: text,
      qos: this.settings.dataQos,
      retain: false,
      samples: { device: b.device, from: b.index, to: b.index + b.count },
    });
    this.pump();
  }

  private onDeviceStatus(s: DeviceStatus): void {
    this.lastStatus.set(s.device, s);
    this.wills?.ensure(s.device, () => JSON.stringify(offlineStatus(this.enc.status(this.lastStatus.get(s.device) ?? s), 'will')));
    this.control(deviceTopic(this.settings.prefix, s.device, 'status'), JSON.stringify(this.enc.status(s)), true, s.device);
  }

  private onMeta(m: StreamMeta): void {
    this.control(deviceTopic(this.settings.prefix, m.device, 'meta'), JSON.stringify(this.enc.meta(m)), true, m.device);
  }

  private onMarker(k: MarkerEvent): void {
    const topic = k.device !== undefined ? deviceTopic(this.settings.prefix, k.device, 'marker') : markerTopic(this.settings.prefix);
    this.control(topic, JSON.stringify(this.enc.marker(k)), false, k.device);
  }

  private onRemoved(id: string): void {
    this.lastStatus.delete(id);
    // An empty retained message deletes the retained one: late subscribers no longer see the device.
    this.control(deviceTopic(this.settings.prefix, id, 'meta'), '', true, id);
    this.control(deviceTopic(this.settings.prefix, id, 'status'), '', true, id);
    void this.wills?.remove(id);
  }

  private control(topic: string, payload: string, retain: boolean, device: string | undefined): void {
    this.queue.pushControl({ topic, payload, qos: 1, retain }, device);
    this.pump();
  }

  // --- queue → broker ---------------------------------------------------------------------------

  /** Hands queued messages to MQTT.js while connected and while the socket and the broker keep up. */
  private pump(): void {
    const c = this.client;
    if (!c || !this.connected || this.waitingDrain) return;
    for (;;) {
      const m = this.queue.peek();
      if (!m) return;
      if (m.qos === 1 && this.inflight >= MAX_INFLIGHT) return;
      const stream = c.stream as { writableLength?: number; once?: (e: string, f: () => void) => void } | undefined;
      if (stream?.writableLength !== undefined && stream.writableLength > HIGH_WATER_BYTES) {
        this.waitingDrain = true;
        stream.once?.('drain', () => {
          this.waitingDrain = false;
          this.pump();
        });
        return;
      }
      this.queue.shift();
      this.send(c, m);
    }
  }

  private send(c: MqttClient, m: QueuedMessage): void {
    if (m.retain && m.topic.endsWith('/meta')) this.sentMeta.set(m.topic, m.payload);
    if (m.retain && m.topic.endsWith('/status')) this.sentStatus.set(m.topic, m.payload);
    if (m.retain && m.payload === '') {
      this.sentMeta.delete(m.topic);
      this.sentStatus.delete(m.topic);
    }
    if (m.qos === 1) this.inflight++;
    this.counts.published++;
    if (m.samples) {
      this.counts.dataMessages++;
      this.counts.samples += m.samples.to - m.samples.from;
    }
    c.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain }, () => {
      if (m.qos === 1) {
        this.inflight--;
        this.pump();
      }
    });
  }

  private onConnect(): void {
    const c = this.client!;
    this.connected = true;
    this.counts.connects++;
    this.error = undefined;
    this.setState('running');
    log.debug('connected to %s', brokerName(this.settings.url));
    if (this.command) c.subscribe(commandTopic(this.settings.prefix), { qos: 1 });
    // The broker may have lost its retained messages (restarted without persistence): give them again.
    for (const [topic, payload] of [...this.sentMeta, ...this.sentStatus]) {
      this.inflight++;
      c.publish(topic, payload, { qos: 1, retain: true }, () => {
        this.inflight--;
        this.pump();
      });
    }
    this.pump();
  }

  private onDown(e: ServerBitError, permanent: boolean): void {
    const was = this.connected;
    this.connected = false;
    this.waitingDrain = false;
    // QoS 1 messages stay with MQTT.js, which sends them again after the reconnect.
    this.error = toWireError(e);
    if (was) log.warn('mqtt: %s', e.message);
    this.setState(permanent ? 'error' : 'starting');
  }

  // --- control ----------------------------------------------------------------------------------

  private onMessage(topic: string, payload: Buffer): void {
    if (!this.command || topic !== commandTopic(this.settings.prefix)) return;
    this.counts.commands++;
    const reply = (msg: object): void => this.reply(msg);
    if (payload.length > MAX_COMMAND_BYTES) {
      this.counts.refusedCommands++;
      reply({ type: 'reply', id: null, ok: false, error: { code: 'BAD_MESSAGE', message: `the message is ${payload.length} bytes; allowed: at most ${MAX_COMMAND_BYTES} bytes` } });
      return;
    }
    try {
      this.command(payload.toString('utf8'));
    } catch (e) {
      // Nothing a publisher sends may escape this handler (docs/protocol.md "Threat model").
      log.warn('an MQTT command handler threw: %O', e);
      reply({ type: 'reply', id: null, ok: false, error: toWireError(e) });
    }
  }

  private reply(msg: object): void {
    this.control(replyTopic(this.settings.prefix), JSON.stringify(msg), false, undefined);
  }

  // --- status -----------------------------------------------------------------------------------

  private queueCounters(): Record<string, number> {
    const q = this.queue.counters;
    return { droppedSamples: q.droppedSamples, overflowGaps: q.overflowGaps, droppedControl: q.droppedControl };
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

