import { describe, expect, it } from 'vitest';
import { DeviceActivity, formatAgo, liveness } from '../../src/renderer/device-activity.js';
import { deviceRows } from '../../src/renderer/device-list-view.js';
import { compatAddress } from '../../src/renderer/format.js';
import { colorSlot, tracesFromMeta } from '../../src/renderer/traces.js';
import { pickDevice } from '../../src/renderer/store.js';
import type { MetaMessage, StatusMessage } from '../../src/shared/v2.js';

/** 40-sample messages at 1000 Hz for `seconds`, from t0 (ms). */
function feed(a: DeviceActivity, device: string, t0: number, seconds: number): number {
  let t = t0;
  for (let i = 0; i < seconds * 25; i++) {
    t += 40;
    a.data(device, 40, t, t);
  }
  return t;
}

describe('DeviceActivity (issue 10 item 6: samples/s falls to 0 when a device stops)', () => {
  it('measures each device on its own', () => {
    const a = new DeviceActivity(3000);
    a.status('0', 'streaming');
    a.status('1', 'streaming');
    let t = 0;
    for (let i = 0; i < 100; i++) {
      t += 40;
      a.data('0', 40, t, t);
      if (i % 10 === 0) a.data('1', 40, t, t);
    }
    const s = a.snapshot(['0', '1'], t);
    expect(s['0'].sps).toBeGreaterThan(900);
    expect(s['0'].sps).toBeLessThan(1100);
    expect(s['1'].sps).toBeGreaterThan(80);
    expect(s['1'].sps).toBeLessThan(120);
  });

  it('reads 0 the moment a device leaves streaming, even with its last batches arriving after', () => {
    const a = new DeviceActivity(3000);
    a.status('0', 'streaming');
    const t = feed(a, '0', 0, 5);
    expect(a.snapshot(['0'], t)['0'].sps).toBeGreaterThan(900);
    for (const state of ['stopped', 'error', 'reconnecting', 'idle']) {
      a.status('0', 'streaming');
      feed(a, '0', t, 2);
      a.status('0', state);
      // The batch flushed at the stop arrives after the status.
      a.data('0', 12, t + 2010, t + 2010);
      a.data('0', 40, t + 2020, t + 2020);
      expect(a.snapshot(['0'], t + 2021)['0'].sps, state).toBe(0);
    }
    // Back to streaming: measured afresh, not with the old messages.
    a.status('0', 'streaming');
    expect(a.snapshot(['0'], t + 3000)['0'].sps).toBe(0);
  });

  it('knows the time since the last data, forgets devices no longer listed', () => {
    const a = new DeviceActivity();
    a.status('0', 'streaming');
    a.data('0', 40, 1000, 1000);
    expect(a.snapshot(['0'], 4000)['0'].sinceData).toBe(3000);
    a.keep([]);
    expect(a.snapshot(['0'], 5000)['0']).toEqual({ sps: 0, sinceData: undefined });
  });
});

describe('liveness (issue 10 item 5: the plot marked stale)', () => {
  it('live only while streaming with a recent sample; otherwise says why and since when', () => {
    expect(liveness('streaming', { sps: 1000, sinceData: 100 })).toEqual({ live: true, text: '' });
    expect(liveness('streaming', { sps: 0, sinceData: 4200 })).toEqual({ live: false, text: 'Not live — no data, last sample 4.2 s ago' });
    expect(liveness('stopped', { sps: 0, sinceData: 12_500 })).toEqual({ live: false, text: 'Not live — stopped, last sample 12 s ago' });
    expect(liveness('reconnecting', { sps: 0, sinceData: undefined })).toEqual({ live: false, text: 'Not live — reconnecting, no sample yet' });
    expect(formatAgo(185_000)).toBe('3 min 5 s');
    expect(formatAgo(7_260_000)).toBe('2 h 1 min');
  });
});

describe('device list and addresses', () => {
  const st = (device: string, state: string, name: string, address: string) => ({ type: 'status', device, name, address, state, rate: 1000, channels: [1], counters: { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0 } }) as StatusMessage;

  it('one row per device: name, address, state, rate, which one is selected', () => {
    const rows = deviceRows({
      devices: ['0', '1'],
      statuses: { '0': st('0', 'streaming', 'Left arm', '/dev/rfcomm0'), '1': st('1', 'reconnecting', '/dev/rfcomm1', '/dev/rfcomm1') },
      activity: { '0': { sps: 998.2, sinceData: 10 } },
      device: '1',
      connection: 'open',
    });
    expect(rows).toEqual([
      { id: '0', name: 'Left arm', address: '/dev/rfcomm0', state: 'streaming', stateText: 'streaming', sps: '998', selected: false },
      { id: '1', name: '/dev/rfcomm1', address: '/dev/rfcomm1', state: 'reconnecting', stateText: 'reconnecting', sps: '0', selected: true },
    ]);
    expect(deviceRows({ devices: ['0'], statuses: {}, activity: {}, device: '0', connection: 'closed' })[0]).toMatchObject({ name: 'device 0', state: 'offline' });
  });

  it('the selection stays on its device while it exists', () => {
    expect(pickDevice(['0', '1'], '1')).toBe('1');
    expect(pickDevice(['0'], '1')).toBe('0');
    expect(pickDevice([], '1')).toBeUndefined();
  });

  it('each device\'s compatible stream: the first at /, every other at /devices/<id>', () => {
    expect(compatAddress('ws://127.0.0.1:9001/', '0', ['0'])).toBe('ws://127.0.0.1:9001/');
    expect(compatAddress('ws://127.0.0.1:9001/', '0', ['0', 'b c'])).toBe('ws://127.0.0.1:9001/');
    expect(compatAddress('ws://127.0.0.1:9001', 'b c', ['0', 'b c'])).toBe('ws://127.0.0.1:9001/devices/b%20c');
  });
});

describe('trace colours follow the channel (issue 10 item 7)', () => {
  it('A3 has the same colour whatever else is acquired', () => {
    const meta = (channels: number[]) =>
      ({ columns: channels.map((c) => ({ name: `A${c}`, label: `A${c}`, kind: 'analog', channel: c, resolution: 10, unit: 'mV', sensor: 'ECG' })) }) as unknown as MetaMessage;
    const slotOf = (channels: number[]) => {
      const specs = tracesFromMeta(meta(channels));
      return colorSlot(specs.find((s) => s.key === 'A3')!, specs.findIndex((s) => s.key === 'A3'));
    };
    expect(slotOf([3])).toBe(2);
    expect(slotOf([1, 3])).toBe(2);
    expect(slotOf([2, 3, 6])).toBe(2);
    expect(colorSlot({}, 4)).toBe(4);
  });
});
