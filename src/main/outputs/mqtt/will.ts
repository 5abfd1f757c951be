/**
 * Will holders (docs/mqtt.md "Last will"): MQTT gives each connection one will, and a will names
 * one topic. So that every device's retained `…/status` turns "offline" when the publisher
 * vanishes, each device gets a connection of its own that publishes nothing and holds the will
 * `<prefix>/<device id>/status` = its status with state "offline" (retained, QoS 1). Ending a
 * holder cleanly (DISCONNECT) discards its will.
 *
 * Bound: one connection per device (at most MAX_DEVICES, 16). Holders reconnect with the same
 * backoff as the output; their failures are the output's to report (the same broker, the same
 * credentials), so here they are only logged.
 */
import type { MqttClient } from 'mqtt';
import type { MqttSettings } from '#shared/outputs/mqtt-config.js';
import { createLogger } from '../../log.js';
import { endClient, keepConnecting } from './connection.js';
import { deviceTopic } from './topics.js';

const log = createLogger('serverbit:mqtt');

export class WillHolders {
  private readonly holders = new Map<string, MqttClient>();
  private n = 0;
  private closed = false;

  constructor(private readonly settings: MqttSettings) {}

  /** Opens the device's holder unless it has one; `payload` is its will (read now). */
  ensure(device: string, payload: () => string): void {
    if (this.closed || this.holders.has(device)) return;
    const clientId = `${this.settings.clientId.slice(0, 110)}-w${++this.n}`;
    try {
      const c = keepConnecting(
        { ...this.settings, clientId },
        { will: { topic: deviceTopic(this.settings.prefix, device, 'status'), payload: Buffer.from(payload()), qos: 1, retain: true } },
        { connect: () => log.debug('will holder for %s connected', device), down: (e) => log.debug('will holder for %s: %s', device, e.message) },
      );
      this.holders.set(device, c);
    } catch (e) {
      log.debug('will holder for %s not opened: %s', device, e instanceof Error ? e.message : String(e));
    }
  }

  /** Ends the device's holder without its will. */
  async remove(device: string): Promise<void> {
    const c = this.holders.get(device);
    if (!c) return;
    this.holders.delete(device);
    await endClient(c, 1000);
  }

  /**
   * Ends every holder: cleanly (no will) when the output could say "offline" itself; else
   * `withWills` cuts the connections, and the broker publishes the wills.
   */
  async close(withWills = false): Promise<void> {
    this.closed = true;
    if (!withWills) {
      await Promise.all([...this.holders.keys()].map((d) => this.remove(d)));
      return;
    }
    for (const c of this.holders.values()) c.end(true);
    this.holders.clear();
  }
}
