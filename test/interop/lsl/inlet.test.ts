/**
 * A real liblsl inlet (docs/lsl.md §14) reads ServerBIT's streams: resolving by name, type and
 * source_id; 10 s at 1000 Hz × 6 channels with every value and timestamp checked; time correction;
 * two inlets at once; two devices, two streams.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from '../../../src/main/acquisition/hub.js';
import type { LslOutput } from '../../../src/main/outputs/lsl/lsl-output.js';
import { convert, type SensorName } from '../../../src/shared/sensors.js';
import { rawValue } from '../../outputs/lsl/synthetic.js';
import { Info, Inlet, Outlet, cft, destroyInfoHandle, liblsl, resolveByprop, resolveHandles, summarize } from './liblsl.js';
import { bitalinoMeta, pace, startOutput, streamOpen, waitFor } from './harness.js';

const hub = new Hub();
let out: LslOutput;
const meta = bitalinoMeta({ device: '0', name: 'ServerBIT interop', address: 'AA:BB:CC:DD:EE:01', sensor: 'EEG', rate: 1000 });
let uid = '';

beforeAll(async () => {
  out = await startOutput(hub);
  hub.publishMeta(meta);
  uid = (await streamOpen(out)).uid;
});
afterAll(async () => {
  await out.close();
});

/** Opens a liblsl inlet on the stream with this uid. */
async function openInlet(pred = `source_id='${meta.address}'`): Promise<Inlet> {
  const handles = await resolveHandles(pred, 1, 15);
  const h = handles.find((x) => summarize(x).uid === uid);
  if (!h) throw new Error(`liblsl did not resolve ${pred}`);
  const inlet = new Inlet(h, 360, true);
  for (const x of handles) destroyInfoHandle(x);
  await inlet.open(15);
  return inlet;
}

describe('a real liblsl inlet on a ServerBIT stream', () => {
  it('resolves the stream by name, by type and by source_id', async () => {
    for (const [prop, value] of [['name', 'ServerBIT interop'], ['type', 'EEG'], ['source_id', 'AA:BB:CC:DD:EE:01']]) {
      const found = await resolveByprop(prop, value, 1, 15);
      const ours = found.find((f) => f.uid === uid);
      expect(ours, `${prop}=${value}`).toMatchObject({ name: 'ServerBIT interop', type: 'EEG', sourceId: 'AA:BB:CC:DD:EE:01', channelCount: 6, nominalSrate: 1000, channelFormat: 1 });
    }
  });

  it('gets the full info with the XDF description', async () => {
    const inlet = await openInlet();
    const info = await inlet.fullinfo(10);
    expect(info.xml).toContain('<label>A1</label>');
    expect(info.xml).toContain('<unit>µV</unit>');
    expect(info.xml).toContain('<manufacturer>PLUX</manufacturer>');
    expect(info.xml).toContain('<firmware_version>BITalino_v5.2</firmware_version>');
    await inlet.destroy();
  });

  it('pulls 10 s at 1000 Hz × 6 channels, every value and timestamp as ServerBIT sent it', async () => {
    const inlet = await openInlet();
    const total = 10_000;
    const before = liblsl.localClock();
    const pub = pace(hub, meta, { until: total });
    const values = new Float32Array(total * 6);
    const stamps = new Float64Array(total);
    let got = 0;
    while (got < total) {
      const chunk = await inlet.pullFloat(Math.min(2000, total - got), 2);
      values.set(chunk.values, got * 6);
      stamps.set(chunk.timestamps, got);
      got += chunk.timestamps.length;
      if (chunk.timestamps.length === 0 && pub.next() >= total) break;
    }
    await pub.done;
    expect(got).toBe(total);
    // The first batch's newest sample (index 39) anchors device time on the LSL clock (docs/lsl.md §9).
    const anchor = stamps[39];
    expect(anchor).toBeGreaterThan(before);
    expect(anchor).toBeLessThan(liblsl.localClock());
    const badTime: number[] = [];
    const badValue: number[] = [];
    for (let k = 0; k < total; k++) {
      if (stamps[k] !== anchor + (k - 39) / 1000) badTime.push(k);
      for (let slot = 0; slot < 6; slot++) {
        const col = meta.columns[5 + slot];
        if (values[k * 6 + slot] !== Math.fround(convert(col.sensor as SensorName, rawValue(k, slot), col.resolution))) badValue.push(k);
      }
    }
    expect(badTime).toEqual([]);
    expect(badValue).toEqual([]);
    await inlet.destroy();
  });

  it('measures the clock offset on loopback as zero within 1 ms (time_correction)', async () => {
    const inlet = await openInlet();
    const tc = await inlet.timeCorrection(10);
    expect(Math.abs(tc.offset)).toBeLessThan(0.001);
    expect(tc.uncertainty).toBeGreaterThanOrEqual(0);
    expect(tc.uncertainty).toBeLessThan(0.1);
    await inlet.destroy();
  });

  it('serves two inlets at once, each every sample', async () => {
    const [a, b] = [await openInlet(), await openInlet(`name='ServerBIT interop'`)];
    await waitFor(() => out.streams()[0].consumers === 2, 'two consumers', 10_000);
    const from = 20_000;
    const n = 2000;
    const pub = pace(hub, meta, { from, until: from + n });
    const pullAll = async (inlet: Inlet): Promise<Float64Array> => {
      const ts = new Float64Array(n);
      let got = 0;
      while (got < n) {
        const c = await inlet.pullFloat(n - got, 5);
        if (c.timestamps.length === 0) break;
        ts.set(c.timestamps, got);
        got += c.timestamps.length;
      }
      return ts.subarray(0, got);
    };
    const [ta, tb] = await Promise.all([pullAll(a), pullAll(b)]);
    await pub.done;
    expect(ta.length).toBe(n);
    expect([...tb]).toEqual([...ta]);
    await Promise.all([a.destroy(), b.destroy()]);
  });

  it('two devices give two streams, both found', async () => {
    const second = bitalinoMeta({ device: '1', name: 'ServerBIT interop 2', address: 'AA:BB:CC:DD:EE:02', sensor: 'EEG', channels: [1, 2] });
    hub.publishMeta(second);
    const uid2 = (await streamOpen(out, '1')).uid;
    const found = await resolveByprop('type', 'EEG', 2, 15);
    expect(found.map((f) => f.uid)).toEqual(expect.arrayContaining([uid, uid2]));
    expect(found.find((f) => f.uid === uid2)).toMatchObject({ name: 'ServerBIT interop 2', sourceId: 'AA:BB:CC:DD:EE:02', channelCount: 2 });
    hub.publishRemoved('1');
  });

  it('shares the host with a liblsl outlet: both are found, each serves its own data', async () => {
    const info = new Info('liblsl neighbour', 'EEG', 2, 100, cft.float32, 'neighbour-1');
    const neighbour = new Outlet(info);
    try {
      const theirUid = /<uid>([^<]+)</.exec(neighbour.xml())![1];
      const found = await resolveByprop('type', 'EEG', 2, 15);
      expect(found.map((f) => f.uid)).toEqual(expect.arrayContaining([uid, theirUid]));
      const inlet = await openInlet();
      expect((await inlet.fullinfo(10)).uid).toBe(uid);
      await inlet.destroy();
    } finally {
      await neighbour.destroy();
      info.destroy();
    }
  });
});
