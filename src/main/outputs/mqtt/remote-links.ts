/**
 * The broker links of remote devices in the device list (docs/mqtt.md "A remote device in the
 * device list"): one MQTT connection per broker and credentials, however many remote devices
 * come from it, opened when the first of them starts and closed when the last one stops. Each
 * device subscribes to its publisher's topics, `<prefix>/<device>/meta|status|data|gap|marker`
 * and `<prefix>/marker`; messages go to the device's feed (acquisition/remote-runner.ts), which
 * validates them (RemoteStream) before anything is published.
 *
 * As the relay (relay.ts): MQTT 5 with a Maximum Packet Size (the broker never sends more than
 * MAX_PACKET_BYTES), the connection options and backoff of connection.ts (0.5 s doubling to
 * 10 s, like the devices), no retry after a refusal of credentials or certificate. TLS files and
 * default credentials come from the config's `mqtt` section; credentials in the address win.
 *
 * Bounds: at most one connection per distinct broker+credentials among the configured devices
 * (≤ MAX_DEVICES); topics per connection ≤ 6 × its devices. MQTT.js's offline queue is never
 * used (subscriptions are sent only while connected, and again at every connect).
 */
import type { MqttClient } from 'mqtt';
import type { WireError } from '#shared/acquisition.js';
import type { RemoteAddress } from '#shared/device-address.js';
import { toWireError } from '#shared/errors.js';
import type { RemoteFeed, RemoteLinks, RemoteSubscription } from '../../acquisition/remote-runner.js';
import type { RemoteMessageKind } from '../../acquisition/remote-stream.js';
import { createLogger } from '../../log.js';
import { endClient, keepConnecting } from './connection.js';
import { MAX_PACKET_BYTES } from './relay.js';
import { DEVICE_TOPICS, deviceTopic, markerTopic } from './topics.js';

const log = createLogger('serverbit:mqtt-remote');

/** What every link shares, read when a link opens (the config's `mqtt` section). */
export interface RemoteLinkDefaults {
  /** Used when the address has no credentials. */
  username?: string | undefined;
  password?: string | undefined;
  /** PEM files (paths): the broker's CA, this client's certificate and key. */
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  /** Default 30 s. */
  keepaliveS?: number | undefined;
  /** Client ids are `<clientIdBase>-<n>`. */
  clientIdBase: string;
}

export interface MqttRemoteLinksOptions {
  defaults: () => RemoteLinkDefaults;
}

interface Entry {
  feed: RemoteFeed;
  /** Topic → what a message there is, for this device. */
  topics: Map<string, RemoteMessageKind>;
}

/** Calls a feed; a feed that throws costs the link nothing. */
function safely(f: () => void): void {
  try {
    f();
  } catch (e) {
    log.warn('a remote device feed threw: %O', e);
  }
}

class BrokerLink {
  private readonly client: MqttClient;
  private readonly entries = new Set<Entry>();
  private connected = false;
  private dead = false;
  private lastDown: { error: WireError; permanent: boolean } | undefined;

  constructor(
    readonly key: string,
    address: RemoteAddress,
    defaults: RemoteLinkDefaults,
    clientId: string,
    private readonly onDead: (link: BrokerLink) => void,
  ) {
    const withCredentials = address.username !== undefined;
    this.client = keepConnecting(
      {
        url: address.broker,
        username: withCredentials ? address.username : defaults.username,
        password: withCredentials ? address.password : defaults.password,
        ca: defaults.ca,
        cert: defaults.cert,
        key: defaults.key,
        clientId,
        keepaliveS: defaults.keepaliveS ?? 30,
      },
      { protocolVersion: 5, properties: { maximumPacketSize: MAX_PACKET_BYTES } },
      {
        connect: () => {
          this.connected = true;
          this.lastDown = undefined;
          log.debug('connected to %s (%d remote devices)', address.broker, this.entries.size);
          for (const e of this.entries) this.subscribe(e);
        },
        down: (e, permanent) => {
          const was = this.connected;
          this.connected = false;
          const error = toWireError(e);
          this.lastDown = { error, permanent };
          if (was || permanent) log.debug('%s: %s', address.broker, e.message);
          for (const entry of this.entries) safely(() => entry.feed.down(error, permanent));
          if (permanent) {
            this.dead = true;
            this.onDead(this);
          }
        },
      },
    );
    this.client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.retain === true));
  }

  get size(): number {
    return this.entries.size;
  }

  add(address: RemoteAddress, feed: RemoteFeed): Entry {
    const topics = new Map<string, RemoteMessageKind>(DEVICE_TOPICS.map((k) => [deviceTopic(address.prefix, address.device, k), k]));
    topics.set(markerTopic(address.prefix), 'marker');
    const entry: Entry = { feed, topics };
    this.entries.add(entry);
    if (this.connected) this.subscribe(entry);
    else if (this.lastDown) {
      const d = this.lastDown;
      safely(() => feed.down(d.error, d.permanent));
    }
    return entry;
  }

  /** Removes a device; its topics no other device uses are unsubscribed. Resolves true when the link is now unused. */
  remove(entry: Entry): boolean {
    if (!this.entries.delete(entry)) return this.entries.size === 0;
    const still = new Set([...this.entries].flatMap((e) => [...e.topics.keys()]));
    const gone = [...entry.topics.keys()].filter((t) => !still.has(t));
    if (this.connected && gone.length > 0 && this.entries.size > 0) this.client.unsubscribe(gone);
    return this.entries.size === 0;
  }

  close(): Promise<void> {
    this.dead = true;
    return endClient(this.client, 1000);
  }

  get closed(): boolean {
    return this.dead;
  }

  private subscribe(entry: Entry): void {
    const subs = Object.fromEntries([...entry.topics.keys()].map((t) => [t, { qos: 1 as const }]));
    this.client.subscribe(subs, (err) => {
      if (err) {
        const error: WireError = { code: 'MQTT_UNREACHABLE', message: `the broker refused the subscriptions: ${err.message}`, hint: "Check the broker's ACL for this user: it must allow reading the publisher's prefix." };
        safely(() => entry.feed.down(error, true));
        return;
      }
      if (this.entries.has(entry)) safely(() => entry.feed.up());
    });
  }

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    for (const e of this.entries) {
      const kind = e.topics.get(topic);
      if (kind !== undefined) safely(() => e.feed.message(kind, payload, retained));
    }
  }
}

export class MqttRemoteLinks implements RemoteLinks {
  private readonly links = new Map<string, BrokerLink>();
  private readonly options: MqttRemoteLinksOptions;
  private opened = 0;

  constructor(options: MqttRemoteLinksOptions) {
    this.options = options;
  }

  /** Open broker connections now (tests: one per broker). */
  get connections(): number {
    return this.links.size;
  }

  open(address: RemoteAddress, feed: RemoteFeed): Promise<RemoteSubscription> {
    try {
      // Credentials are part of the key: two accounts on one broker are two connections. In memory only.
      const key = JSON.stringify([address.broker, address.username ?? null, address.password ?? null]);
      let link = this.links.get(key);
      if (!link || link.closed) {
        const defaults = this.options.defaults();
        link = new BrokerLink(key, address, defaults, `${defaults.clientIdBase}-${++this.opened}`.slice(0, 128), (l) => {
          if (this.links.get(l.key) === l) this.links.delete(l.key);
        });
        this.links.set(key, link);
      }
      const owner = link;
      const entry = owner.add(address, feed);
      let closing: Promise<void> | undefined;
      return Promise.resolve({
        close: () =>
          (closing ??= (async () => {
            if (!owner.remove(entry)) return;
            if (this.links.get(owner.key) === owner) this.links.delete(owner.key);
            await owner.close();
          })()),
      });
    } catch (e) {
      // A TLS file that cannot be read (MQTT_INVALID_SETTING), thrown by the connection options.
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Closes every link (the service stops). Never rejects. */
  async close(): Promise<void> {
    const all = [...this.links.values()];
    this.links.clear();
    await Promise.all(all.map((l) => l.close()));
  }
}
