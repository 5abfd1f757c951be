import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeviceStatus, ServiceState, StreamMeta } from '../../src/shared/acquisition.js';
import { Hub } from '../../src/main/acquisition/hub.js';
import { makeBatch } from '../server/helpers.js';

const status = (state: ServiceState, device = 'sim'): DeviceStatus => ({
  device,
  name: device,
  address: device,
  state,
  rate: 1000,
  channels: [1],
  counters: { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0 },
});

const meta = (device: string, segmentStart = 0): StreamMeta => ({
  device,
  name: device,
  kind: 'bitalino',
  address: device,
  connection: device,
  board: 'revolution',
  firmware: 'BITalino_v5.2',
  version: 5.2,
  simulated: true,
  rate: 1000,
  irregular: false,
  channels: [1],
  columns: [{ name: 'A1', label: 'A1', kind: 'analog', channel: 1, sensor: 'EMG', resolution: 10, unit: 'mV' }],
  t0: 1_700_000_000_000,
  segmentStart,
});

describe('Hub', () => {
  afterEach(() => vi.restoreAllMocks());

  it('delivers every event kind to every subscriber, in publish order', () => {
    const hub = new Hub();
    const a: string[] = [];
    const b: string[] = [];
    hub.subscribe({
      meta: (m) => a.push(`m${m.segmentStart}`),
      batch: (x) => a.push(`b${x.index}`),
      gap: (g) => a.push(`g${g.from}`),
      status: (s) => a.push(s.state),
      marker: (m) => a.push(`k${m.label}`),
      removed: (d) => a.push(`r${d}`),
    });
    hub.subscribe({ batch: (x) => b.push(`b${x.index}`) });
    hub.publishStatus(status('streaming'));
    hub.publishMeta(meta('sim'));
    hub.publishBatch(makeBatch(0, 5));
    hub.publishGap({ device: 'sim', from: 5, to: 9, reason: 'crc_error' });
    hub.publishMarker({ id: 1, label: 'x', time: 0, source: 'v2' });
    hub.publishBatch(makeBatch(9, 5));
    hub.publishRemoved('sim');
    expect(a).toEqual(['streaming', 'm0', 'b0', 'g5', 'kx', 'b9', 'rsim']);
    expect(b).toEqual(['b0', 'b9']);
  });

  it('a subscriber for some devices gets only theirs, and markers for every device', () => {
    const hub = new Hub();
    const got: string[] = [];
    hub.subscribe(
      { batch: (x) => got.push(`${x.device}:b${x.index}`), status: (s) => got.push(`${s.device}:${s.state}`), marker: (m) => got.push(`${m.device ?? '*'}:k`) },
      { devices: ['1'] },
    );
    hub.publishStatus(status('streaming', '0'));
    hub.publishStatus(status('streaming', '1'));
    hub.publishBatch({ ...makeBatch(0, 2), device: '0' });
    hub.publishBatch({ ...makeBatch(0, 2), device: '1' });
    hub.publishMarker({ id: 1, label: 'all', time: 0, source: 'tray' });
    hub.publishMarker({ id: 2, label: 'zero', time: 0, source: 'v2', device: '0' });
    hub.publishMarker({ id: 3, label: 'one', time: 0, source: 'v2', device: '1' });
    expect(got).toEqual(['1:streaming', '1:b0', '*:k', '1:k']);
  });

  it('isolates a throwing subscriber: the others get everything, the error is logged once and counted', () => {
    const warn = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const hub = new Hub();
    const got: number[] = [];
    hub.subscribe({ batch: () => { throw new Error('boom'); } });
    hub.subscribe({ batch: (x) => got.push(x.index) });
    for (let i = 0; i < 3; i++) hub.publishBatch(makeBatch(i * 10, 10));
    expect(got).toEqual([0, 10, 20]);
    expect(hub.subscriberErrors).toBe(3);
    expect(warn.mock.calls.filter((c) => String(c[0]).includes('subscriber threw'))).toHaveLength(1);
  });

  it('keeps the last status and meta per device; catchUp replays them (status first) in the order devices were seen', () => {
    const hub = new Hub();
    expect(hub.status('a')).toBeUndefined();
    hub.publishStatus(status('connecting', 'b'));
    hub.publishStatus(status('streaming', 'a'));
    hub.publishStatus(status('streaming', 'b'));
    hub.publishMeta(meta('b', 0));
    hub.publishMeta(meta('b', 500));
    expect(hub.devices()).toEqual(['b', 'a']);
    expect(hub.status('b')?.state).toBe('streaming');
    expect(hub.meta('b')?.segmentStart).toBe(500);
    const seen: string[] = [];
    hub.subscribe({ status: (s) => seen.push(`${s.device}:${s.state}`), meta: (m) => seen.push(`${m.device}:m${m.segmentStart}`) }, { catchUp: true });
    expect(seen).toEqual(['b:streaming', 'b:m500', 'a:streaming']);
    const late: string[] = [];
    hub.subscribe({ status: (s) => late.push(s.device) });
    expect(late).toEqual([]); // without catchUp, only what comes next
  });

  it('forgets a removed device', () => {
    const hub = new Hub();
    hub.publishStatus(status('streaming', 'x'));
    hub.publishMeta(meta('x'));
    hub.publishRemoved('x');
    expect(hub.devices()).toEqual([]);
    expect(hub.status('x')).toBeUndefined();
    expect(hub.meta('x')).toBeUndefined();
  });

  it('lets a subscriber unsubscribe from inside its own callback', () => {
    const hub = new Hub();
    const got: number[] = [];
    const off = hub.subscribe({ batch: (x) => { got.push(x.index); off(); } });
    hub.publishBatch(makeBatch(0, 1));
    hub.publishBatch(makeBatch(1, 1));
    expect(got).toEqual([0]);
    expect(hub.subscriberCount).toBe(0);
  });
});
