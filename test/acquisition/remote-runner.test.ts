/**
 * Remote devices in Acquisition (src/main/acquisition/remote-runner.ts) over the real broker links
 * (src/main/outputs/mqtt/remote-links.ts) and a real mosquitto; the "publisher" is an MQTT.js
 * client of the test publishing /v2-shaped payloads, so each case controls exactly what arrives.
 * One connection per broker and credentials however many devices; states for a missing device,
 * a removed one, refused credentials; commands refused with DEVICE_REMOTE; a device turned from
 * remote to local and back; the password nowhere in what the hub publishes.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceStatus, SampleBatch, StreamMeta } from '../../src/shared/acquisition.js';
import { DEFAULT_LABELS } from '../../src/shared/config.js';
import { Acquisition } from '../../src/main/acquisition/acquisition.js';
import type { RunnerSettings } from '../../src/main/acquisition/device-runner.js';
import { buildStreamMeta } from '../../src/main/acquisition/stream-meta.js';
import { DataEncoder, toMetaMessage, toStatusMessage } from '../../src/main/api/meta.js';
import { MqttRemoteLinks } from '../../src/main/outputs/mqtt/remote-links.js';
import { cleanup, passwordFile, startBroker, tempDir, waitFor, type Broker } from '../outputs/mqtt/harness.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  await cleanup();
});

const T0 = 1_700_000_000_000;
const meta = (device: string): StreamMeta =>
  buildStreamMeta({ device, name: `arm ${device}`, kind: 'bitalino', address: 'simulator', connection: 'simulator', board: 'revolution', firmware: 'BITalino_v5.2', version: 5.2, simulated: true, rate: 1000, irregular: false, channels: [1, 2], t0: T0, segmentStart: 0, labels: DEFAULT_LABELS });
const status = (device: string) => toStatusMessage({ device, name: `arm ${device}`, address: 'simulator', state: 'streaming', rate: 1000, channels: [1, 2], counters: { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0 } });
const enc = new DataEncoder({ columns: 'all', format: 'raw' });
function batch(device: string, index: number, count: number): SampleBatch {
  return {
    device, index, time: T0 + index, rate: 1000, count, channels: [1, 2],
    seq: Uint8Array.from({ length: count }, (_, i) => (index + i) % 16),
    digital: Uint8Array.from({ length: count }, () => 0),
    analog: [Uint16Array.from({ length: count }, (_, i) => (index + i) % 1024), Uint16Array.from({ length: count }, (_, i) => 1023 - ((index + i) % 1024))],
  };
}

/** The test's own publisher: an MQTT.js client publishing a ServerBIT's topics under `prefix`. */
async function publisher(url: string, prefix: string, options: mqtt.IClientOptions = {}) {
  const client: MqttClient = await mqtt.connectAsync(url, { clientId: `test-pub-${Math.random().toString(16).slice(2)}`, ...options });
  closers.push(() => client.endAsync());
  return {
    announce: async (device: string) => {
      await client.publishAsync(`${prefix}/${device}/status`, JSON.stringify(status(device)), { retain: true, qos: 1 });
      await client.publishAsync(`${prefix}/${device}/meta`, JSON.stringify(toMetaMessage(meta(device))), { retain: true, qos: 1 });
    },
    data: (device: string, index: number, count: number) => client.publishAsync(`${prefix}/${device}/data`, JSON.stringify(enc.encode(batch(device, index, count), meta(device))), { qos: 1 }),
    remove: (device: string) => client.publishAsync(`${prefix}/${device}/status`, '', { retain: true, qos: 1 }),
  };
}

function device(id: string, address: string, name?: string): RunnerSettings {
  return { id, address, channels: [1, 2, 3, 4, 5, 6], sampling_rate: 1000, labels: [...DEFAULT_LABELS], stall_timeout_s: 5, ...(name ? { name } : {}) };
}

function rig(silentMs = 3000) {
  const links = new MqttRemoteLinks({ defaults: () => ({ clientIdBase: 'serverbit-remote-test' }) });
  const acq = new Acquisition({ remoteLinks: links, remoteSilentMs: silentMs, backoff: { initialMs: 50, maxMs: 200 } });
  const batches: SampleBatch[] = [];
  const statuses: DeviceStatus[] = [];
  const metas: StreamMeta[] = [];
  acq.hub.subscribe({ batch: (b) => batches.push(b), status: (s) => statuses.push(s), meta: (m) => metas.push(m) });
  closers.push(async () => {
    await acq.stopAll();
    await links.close();
  });
  return { acq, links, batches, statuses, metas };
}

const clientsConnected = (b: Broker) => (b.log().match(/New client connected from .* as serverbit-remote-test-\d+/g) ?? []).length;

describe('remote devices in Acquisition', () => {
  it('two devices from one broker share one connection (another account gets its own); each gets the publisher\'s indices; the link closes with its last device', async () => {
    const broker = await startBroker({ extra: ['log_type all'] });
    const pub = await publisher(broker.url, 'lab/pc');
    await pub.announce('0');
    await pub.announce('1');
    const { acq, links, batches } = rig();
    const at = (d: string, user?: string) => `mqtt://${user ? `${user}:pw-${user}@` : ''}127.0.0.1:${broker.port}/lab/pc/${d}`;
    await acq.add(device('r0', at('0'), 'Left'));
    await acq.add(device('r1', at('1')));
    await acq.add(device('r2', at('1', 'other')));
    await waitFor(() => ['r0', 'r1', 'r2'].every((id) => acq.status(id).state === 'streaming'), 20_000, 'three remote devices streaming');
    expect(links.connections).toBe(2);
    expect(clientsConnected(broker)).toBe(2);

    await pub.data('0', 100, 40);
    await pub.data('1', 500, 40);
    await pub.data('0', 140, 40);
    await waitFor(() => batches.length >= 4, 10_000, 'four batches');
    const of = (id: string) => batches.filter((b) => b.device === id).map((b) => `${b.index}+${b.count}`);
    expect(of('r0')).toEqual(['100+40', '140+40']);
    expect(of('r1')).toEqual(['500+40']);
    expect(of('r2')).toEqual(['500+40']);
    expect(batches.find((b) => b.device === 'r0')!.analog[0][0]).toBe(100);
    expect(acq.status('r0')).toMatchObject({ kind: 'remote', name: 'Left', address: `mqtt://127.0.0.1:${broker.port}/lab/pc/0` });
    expect(acq.status('r1')).toMatchObject({ name: 'arm 1' });
    expect(acq.status('r2').address).toBe(`mqtt://127.0.0.1:${broker.port}/lab/pc/1`);

    // r1 leaves; r0 keeps the shared connection and its data.
    await acq.remove('r1');
    expect(links.connections).toBe(2);
    await pub.data('0', 180, 40);
    await waitFor(() => of('r0').length === 3, 10_000, 'r0 data after r1 left');
    await acq.stop('r0');
    expect(acq.status('r0').state).toBe('stopped');
    await acq.stop('r2');
    expect(links.connections).toBe(0);
    await waitFor(() => (broker.log().match(/Client serverbit-remote-test-\d+ disconnected/g) ?? []).length === 2, 10_000, 'both connections closed at the broker');

    // Started again: a new connection, the retained meta and status again, and the samples that never came are a gap.
    const gaps: { from: number; to: number; reason: string }[] = [];
    acq.hub.subscribe({ gap: (g) => gaps.push(g) });
    await acq.start('r0');
    await waitFor(() => acq.status('r0').state === 'streaming', 20_000, 'r0 streaming again');
    await pub.data('0', 400, 40);
    await waitFor(() => of('r0').length === 4, 10_000, 'r0 data after its restart');
    expect(gaps).toEqual([{ device: 'r0', from: 220, to: 400, reason: 'link_lost' }]);
  }, 60_000);

  it('says what is wrong: nothing published at the address, the device removed at the publisher', async () => {
    const broker = await startBroker();
    const pub = await publisher(broker.url, 'lab/pc');
    const { acq } = rig(300);
    await acq.add(device('r', `mqtt://127.0.0.1:${broker.port}/lab/pc/7`));
    await waitFor(() => acq.status('r').state === 'reconnecting', 10_000, 'missing device reconnecting');
    expect(acq.status('r').error).toMatchObject({ code: 'REMOTE_OFFLINE', message: `nothing is published at mqtt://127.0.0.1:${broker.port}/lab/pc/7 (no retained meta or status there)` });
    expect(acq.status('r').error!.hint).toContain("mosquitto_sub -t 'lab/pc/#' -v");

    await pub.announce('7');
    await waitFor(() => acq.status('r').state === 'streaming', 10_000, 'published at last');
    await pub.remove('7');
    await waitFor(() => acq.status('r').state === 'reconnecting', 10_000, 'removed at the publisher');
    expect(acq.status('r').error!.message).toContain('is no longer published');
    expect(acq.ids()).toEqual(['r']);
  }, 30_000);

  it('refused credentials: error, no retry; the password is in nothing the hub publishes', async () => {
    const dir = await tempDir();
    const broker = await startBroker({ anonymous: false, extra: [`password_file ${passwordFile(dir, 'lab', 'right-password-1')}`, 'log_type all'] });
    const { acq, statuses, links } = rig();
    await acq.add(device('r', `mqtt://lab:wrong-password-2@127.0.0.1:${broker.port}/lab/pc/0`));
    await waitFor(() => acq.status('r').state === 'error', 10_000, 'refused');
    expect(acq.status('r').error).toMatchObject({ code: 'MQTT_AUTH_FAILED' });
    const attempts = (broker.log().match(/New connection from/g) ?? []).length;
    await new Promise((r) => setTimeout(r, 1500));
    expect((broker.log().match(/New connection from/g) ?? []).length).toBe(attempts);
    expect(links.connections).toBe(0);
    expect(JSON.stringify(statuses)).not.toContain('wrong-password-2');
    expect(JSON.stringify(statuses)).toContain(`mqtt://127.0.0.1:${broker.port}/lab/pc/0`);

    // The right password, from a settings change: streaming (a publisher with the right one).
    const pub = await publisher(broker.url, 'lab/pc', { username: 'lab', password: 'right-password-1' });
    await pub.announce('0');
    await acq.update(device('r', `mqtt://lab:right-password-1@127.0.0.1:${broker.port}/lab/pc/0`));
    await waitFor(() => acq.status('r').state === 'streaming', 10_000, 'streaming with the right password');
    expect(JSON.stringify(statuses)).not.toContain('right-password-1');
  }, 30_000);

  it('device commands are DEVICE_REMOTE, markers are allowed; the same id turned into a local device and back', async () => {
    const broker = await startBroker();
    const pub = await publisher(broker.url, 'lab/pc');
    await pub.announce('0');
    const { acq, metas } = rig();
    const remote = device('d', `mqtt://127.0.0.1:${broker.port}/lab/pc/0`);
    await acq.add(remote);
    await waitFor(() => acq.status('d').state === 'streaming', 10_000, 'streaming');
    expect(() => acq.command('d', (r) => r.readState())).toThrow(expect.objectContaining({ code: 'DEVICE_REMOTE', message: `device "d" is relayed from mqtt://127.0.0.1:${broker.port}/lab/pc/0: this ServerBIT only serves its stream` }));
    expect(acq.mark({ label: 'here', device: 'd', source: 'test' })).toMatchObject({ device: 'd' });

    await acq.update({ ...remote, address: 'simulator' });
    await waitFor(() => acq.status('d').state === 'streaming' && metas.at(-1)?.kind === 'bitalino', 10_000, 'the simulator under the same id');
    await expect(acq.command('d', (r) => r.readState())).resolves.toMatchObject({ batteryVolts: expect.any(Number) });

    await acq.update(remote);
    await waitFor(() => acq.status('d').state === 'streaming' && acq.status('d').kind === 'remote', 10_000, 'remote again');
    expect(acq.ids()).toEqual(['d']);
  }, 30_000);
});
