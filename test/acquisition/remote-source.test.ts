/**
 * RemoteSource (src/main/acquisition/remote-source.ts, docs/mqtt.md "Relay"): what a broker
 * delivers becomes hub events with the publisher's indices; skipped indices are announced as
 * link_lost gaps, resends dropped, hostile payloads dropped and counted (fast-check), and
 * Acquisition lists the relayed devices and refuses their control with DEVICE_REMOTE.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GapEvent, SampleBatch, StreamMeta } from '../../src/shared/acquisition.js';
import { Acquisition } from '../../src/main/acquisition/acquisition.js';
import { Hub } from '../../src/main/acquisition/hub.js';
import { RemoteSource, type RemoteMessage } from '../../src/main/acquisition/remote-source.js';
import { buildStreamMeta } from '../../src/main/acquisition/stream-meta.js';
import { DataEncoder, toMetaMessage, toStatusMessage } from '../../src/main/api/meta.js';
import { DEFAULT_LABELS } from '../../src/shared/config.js';

const ADDRESS = 'mqtt://broker:1883/serverbit/lab/0';
const publisherMeta = (t0 = 1_700_000_000_000, segmentStart = 0): StreamMeta =>
  buildStreamMeta({ device: '0', name: 'arm', kind: 'bitalino', address: 'simulator', connection: 'simulator', board: 'revolution', firmware: 'BITalino_v5.2', version: 5.2, simulated: true, rate: 1000, irregular: false, channels: [1, 2], t0, segmentStart, labels: DEFAULT_LABELS });
const enc = new DataEncoder({ columns: 'all', format: 'raw' });
function batch(index: number, count: number): SampleBatch {
  return {
    device: '0', index, time: 1_700_000_000_000 + index, rate: 1000, count, channels: [1, 2],
    seq: Uint8Array.from({ length: count }, (_, i) => (index + i) % 16),
    digital: Uint8Array.from({ length: count }, (_, i) => (index + i) % 16),
    analog: [Uint16Array.from({ length: count }, (_, i) => (index + i) % 1024), Uint16Array.from({ length: count }, (_, i) => 1023 - ((index + i) % 1024))],
  };
}
const msg = (kind: RemoteMessage['kind'], payload: unknown, retained = false, device: string | undefined = 'lab.0'): RemoteMessage => ({
  device, kind, retained, address: ADDRESS, payload: Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
});
const status = (state = 'streaming') => ({ ...toStatusMessage({ device: '0', name: 'arm', address: 'simulator', state: 'streaming', rate: 1000, channels: [1, 2], counters: { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0 } }), state });

function rig() {
  const hub = new Hub();
  const remote = new RemoteSource({ hub });
  const events: string[] = [];
  const batches: SampleBatch[] = [];
  const gaps: GapEvent[] = [];
  hub.subscribe({
    meta: (m) => events.push(`meta ${m.device} ${m.kind} ${m.segmentStart}`),
    status: (s) => events.push(`status ${s.device} ${s.state}`),
    batch: (b) => (batches.push(b), events.push(`batch ${b.index}+${b.count}`)),
    gap: (g) => (gaps.push(g), events.push(`gap ${g.from}-${g.to} ${g.reason}`)),
    removed: (id) => events.push(`removed ${id}`),
  });
  const meta = publisherMeta();
  remote.receive(msg('status', status(), true));
  remote.receive(msg('meta', toMetaMessage(meta), true));
  const data = (i: number, n: number) => remote.receive(msg('data', enc.encode(batch(i, n), meta)));
  return { hub, remote, events, batches, gaps, meta, data };
}

describe('RemoteSource', () => {
  it('publishes the publisher\'s stream as it is: its indices, time and values, kind "remote"', () => {
    const { hub, remote, events, batches, data } = rig();
    data(1000, 40);
    data(1040, 40);
    expect(events).toEqual(['status lab.0 streaming', 'meta lab.0 remote 0', 'batch 1000+40', 'batch 1040+40']);
    expect(remote.ids()).toEqual(['lab.0']);
    expect(hub.meta('lab.0')).toMatchObject({ kind: 'remote', address: ADDRESS, rate: 1000, t0: 1_700_000_000_000, columns: publisherMeta().columns });
    expect(hub.status('lab.0')).toMatchObject({ kind: 'remote', address: ADDRESS, state: 'streaming' });
    const b = batches[1];
    expect([b.index, b.time, b.count]).toEqual([1040, 1_700_000_001_040, 40]);
    expect([...b.analog[0].subarray(0, 3)]).toEqual([16, 17, 18]);
    expect([...b.analog[1].subarray(0, 3)]).toEqual([1023 - 16, 1023 - 17, 1023 - 18]);
    expect([...b.seq.subarray(0, 2)]).toEqual([0, 1]);
    expect([...b.digital.subarray(0, 2)]).toEqual([0, 1]);
  });

  it('announces what never arrived (link_lost), drops resends, trims overlaps, and takes the publisher\'s own gaps', () => {
    const { events, data, remote, meta } = rig();
    data(0, 40);
    data(80, 40); // 40..80 lost between the publisher and here
    data(80, 40); // a resend
    data(100, 40); // half new
    remote.receive(msg('gap', { type: 'gap', device: '0', from: 140, to: 200, reason: 'output_overflow' }));
    remote.receive(msg('gap', { type: 'gap', device: '0', from: 140, to: 200, reason: 'output_overflow' })); // again
    remote.receive(msg('data', enc.encode(batch(200, 10), meta)));
    expect(events.slice(2)).toEqual(['batch 0+40', 'gap 40-80 link_lost', 'batch 80+40', 'batch 120+20', 'gap 140-200 output_overflow', 'batch 200+10']);
    expect(remote.counters).toMatchObject({ stale: 2, lostRanges: 1, invalid: 0 });
  });

  it('the same retained meta again changes nothing; a new session starts over; an empty status removes the device', () => {
    const { events, data, remote, meta } = rig();
    data(0, 40);
    remote.receive(msg('meta', toMetaMessage(meta), true)); // after the relay's reconnect
    data(40, 40);
    const next = publisherMeta(1_800_000_000_000, 0); // the publisher changed its rate or restarted: index 0 again
    remote.receive(msg('meta', toMetaMessage(next)));
    remote.receive(msg('data', enc.encode(batch(0, 40), next)));
    remote.receive(msg('status', status('offline')));
    remote.receive(msg('status', ''));
    expect(events.slice(2)).toEqual(['batch 0+40', 'batch 40+40', 'meta lab.0 remote 0', 'batch 0+40', 'status lab.0 reconnecting', 'removed lab.0']);
    expect(remote.ids()).toEqual([]);
  });

  it('the relay\'s own broker link lost: every relayed device is reconnecting, with why', () => {
    const { events, remote, hub } = rig();
    remote.connectionLost({ code: 'MQTT_UNREACHABLE', message: 'cannot reach the broker' });
    expect(events.at(-1)).toBe('status lab.0 reconnecting');
    expect(hub.status('lab.0')?.error?.code).toBe('MQTT_UNREACHABLE');
  });

  it('hostile payloads (any bytes, any JSON, mutated real messages) never throw: each is accepted as valid, or dropped and counted (fast-check)', () => {
    const { remote, events, meta } = rig();
    const before = events.length;
    const real = JSON.stringify(enc.encode(batch(0, 5), meta));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
          fc.json().map((j) => Buffer.from(j)),
          fc.tuple(fc.nat(real.length - 1), fc.string({ maxLength: 3 })).map(([at, s]) => Buffer.from(real.slice(0, at) + s + real.slice(at + 1))),
        ),
        fc.constantFrom<RemoteMessage['kind']>('data', 'gap', 'marker', 'meta', 'status'),
        fc.constantFrom('lab.0', 'lab.1'),
        (payload, kind, device) => {
          const n = remote.counters.invalid + remote.counters.stale + remote.counters.messages;
          remote.receive(msg(kind, payload, false, device));
          expect(remote.counters.invalid + remote.counters.stale + remote.counters.messages).toBe(n + (payload.length === 0 ? 0 : 1));
        },
      ),
      { numRuns: 2000 },
    );
    // Whatever got through was a valid message; the device set stayed bounded.
    expect(remote.ids().length).toBeLessThanOrEqual(2);
    expect(events.length).toBeGreaterThanOrEqual(before);
  });

  it('at most maxDevices relayed devices; more are refused and counted', () => {
    const hub = new Hub();
    const remote = new RemoteSource({ hub, maxDevices: 2 });
    for (const id of ['a', 'b', 'c']) remote.receive(msg('status', status(), true, id));
    expect(remote.ids()).toEqual(['a', 'b']);
    expect(remote.counters.refusedDevices).toBe(1);
  });
});

describe('Acquisition with relayed devices', () => {
  it('lists them after its own, reports their status, lets them be marked, and refuses their control with DEVICE_REMOTE', async () => {
    const hub = new Hub();
    const acq = new Acquisition({ hub });
    const remote = new RemoteSource({ hub });
    acq.attachRemote(remote);
    remote.receive(msg('status', status(), true));
    expect(acq.ids()).toEqual(['lab.0']);
    expect(acq.has('lab.0')).toBe(true);
    expect(acq.status('lab.0')).toMatchObject({ kind: 'remote', state: 'streaming' });
    expect(acq.mark({ label: 'here', device: 'lab.0', source: 'test' })).toMatchObject({ device: 'lab.0' });
    for (const call of [() => acq.start('lab.0'), () => acq.stop('lab.0'), () => acq.command('lab.0', async () => 1), () => acq.remove('lab.0')]) {
      await expect(Promise.resolve().then(call)).rejects.toMatchObject({ code: 'DEVICE_REMOTE', message: `device "lab.0" is relayed from ${ADDRESS}: this ServerBIT only serves its stream` });
    }
    await acq.sync([]); // its own devices only: the relayed one stays
    expect(acq.ids()).toEqual(['lab.0']);
    await acq.stopAll();
  });
});
