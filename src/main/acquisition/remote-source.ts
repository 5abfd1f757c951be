/**
 * Devices that are not this ServerBIT's own: streams another ServerBIT publishes to an MQTT
 * broker, relayed (docs/mqtt.md "Relay"). The transport (outputs/mqtt/relay.ts) hands each
 * message here with the device it is about; this module validates it (remote-payloads.ts) and
 * publishes it into the hub as it is — the publisher's indices, t0 and device time, never
 * re-indexed — so the compatible stream, /v2 and every output serve a relayed device exactly as
 * a local one. Acquisition lists these devices among its ids (kind "remote" in meta and status);
 * commands to them are refused with DEVICE_REMOTE (acquisition.ts).
 *
 * The guarantees per device (order, at most once, nothing lost silently) are RemoteStream's
 * (remote-stream.ts), which a remote device in the device list shares (remote-runner.ts).
 *
 * Bounds: at most `maxDevices` relayed devices (more are refused and counted); each device holds
 * its last meta and status and one index; payload limits are in remote-payloads.ts. Bad messages
 * are dropped and counted (`invalid`), with the last reason kept for the status.
 */
import type { DeviceStatus, WireError } from '../../shared/acquisition.js';
import { MAX_DEVICES } from '../../shared/config.js';
import type { Hub } from './hub.js';
import { parseRemoteMarker } from './remote-payloads.js';
import { newRemoteCounters, RemoteStream, type RemoteCounters, type RemoteMessageKind } from './remote-stream.js';

export type { RemoteCounters, RemoteMessageKind } from './remote-stream.js';

/** What Acquisition needs of a set of devices it does not run. */
export interface RemoteDevices {
  ids(): string[];
  has(id: string): boolean;
  status(id: string): DeviceStatus | undefined;
  /** Where the device comes from, for DEVICE_REMOTE's message ("mqtt://broker:1883/serverbit/lab/0"). */
  address(id: string): string | undefined;
}

export interface RemoteMessage {
  /** The relay's id for the device; undefined for a marker on every device of a publisher. */
  device: string | undefined;
  kind: RemoteMessageKind;
  payload: Buffer;
  /** Delivered because it was retained (at subscribe time), not as it happened. */
  retained: boolean;
  /** Where it came from, shown as the device's address: the broker and the publisher's topic for the device. */
  address: string;
}

export interface RemoteSourceOptions {
  hub: Hub;
  /** Most relayed devices. Default MAX_DEVICES (16), what a /v2 `server` message lists. */
  maxDevices?: number;
}

export class RemoteSource implements RemoteDevices {
  private readonly hub: Hub;
  private readonly maxDevices: number;
  private readonly remotes = new Map<string, RemoteStream>();
  readonly counters: RemoteCounters = newRemoteCounters();
  /** Why the last message was dropped (shown in the relay's status). */
  lastProblem: string | undefined;

  constructor(options: RemoteSourceOptions) {
    this.hub = options.hub;
    this.maxDevices = options.maxDevices ?? MAX_DEVICES;
  }

  ids(): string[] {
    return [...this.remotes.keys()];
  }

  has(id: string): boolean {
    return this.remotes.has(id);
  }

  status(id: string): DeviceStatus | undefined {
    return this.remotes.get(id)?.status;
  }

  address(id: string): string | undefined {
    return this.remotes.get(id)?.address;
  }

  /** One message from the broker. Never throws. */
  receive(msg: RemoteMessage): void {
    try {
      this.handle(msg);
    } catch (e) {
      this.drop(msg, `internal error: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** The relay lost its broker: every relayed device is "reconnecting" with why, until its status arrives again. */
  connectionLost(error: WireError): void {
    for (const r of this.remotes.values()) r.connectionLost(error);
  }

  /** Every relayed device leaves the set (the relay stops). */
  close(): void {
    for (const id of [...this.remotes.keys()]) this.remove(id);
  }

  private handle(msg: RemoteMessage): void {
    const { kind, payload } = msg;
    const id = msg.device;
    // An empty payload deletes a retained message: on `…/status`, the publisher removed the device.
    if (payload.length === 0) {
      if (id !== undefined && kind === 'status' && this.remotes.has(id)) this.remove(id);
      return;
    }
    if (id === undefined) return this.onMarkerForAll(msg);
    let r = this.remotes.get(id);
    if (!r) {
      if (kind !== 'meta' && kind !== 'status') return this.drop(msg, `${kind} for device "${id}" before its meta or status`);
      if (this.remotes.size >= this.maxDevices) {
        this.counters.refusedDevices++;
        this.lastProblem = `device "${id}" refused: this relay serves at most ${this.maxDevices} devices`;
        return;
      }
      const stream: RemoteStream = new RemoteStream({
        hub: this.hub,
        id,
        address: msg.address,
        counters: this.counters,
        // In the set from its first valid meta or status, before that is published.
        admit: () => void this.remotes.set(id, stream),
        onProblem: (p) => (this.lastProblem = p),
      });
      r = stream;
    }
    r.receive(kind, payload, msg.retained);
  }

  /** A marker on every device of a publisher whose devices this relay does not know one by one. */
  private onMarkerForAll(msg: RemoteMessage): void {
    const p = parseRemoteMarker(msg.payload, undefined);
    if (!p.ok) return this.drop(msg, `marker: ${p.problem}`);
    this.counters.messages++;
    this.hub.publishMarker(p.value);
  }

  private remove(id: string): void {
    if (!this.remotes.delete(id)) return;
    this.hub.publishRemoved(id);
  }

  private drop(msg: RemoteMessage, problem: string): void {
    this.counters.invalid++;
    this.lastProblem = `${msg.address}/${msg.kind}: ${problem}`.slice(0, 300);
  }
}
