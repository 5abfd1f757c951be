import { decode } from 'node-osc';
import { describe, expect, it } from 'vitest';
import { addressPart, columnAddress, deviceAddress } from '../../../src/main/outputs/osc/addresses.js';
import { BUNDLE_HEADER_BYTES, encodeBatch, keepSample, layoutFor, messageBytes, samplesPerBundle, type EncoderOptions } from '../../../src/main/outputs/osc/encoder.js';
import { riotStreamMeta } from '../../../src/main/devices/riot.js';
import { defaultRiotDeviceSettings } from '../../../src/shared/outputs/osc-config.js';
import { feedMeta, sampleValues, signalBatch } from './signal.js';

const opts = (over: Partial<EncoderOptions> = {}): EncoderOptions => ({ addresses: 'consolidated', values: 'raw', maxRate: 0, maxDatagramBytes: 1400, timeTag: 'device', ...over });

interface Decoded {
  oscType: string;
  timetag: number;
  elements: { address: string; args: { value: number }[] }[];
}

describe('OSC addresses', () => {
  it('replace the characters OSC reserves in an address part, cut at 64 characters', () => {
    expect(deviceAddress('0')).toBe('/0/bitalino');
    expect(deviceAddress('/dev/rfcomm0')).toBe('/_dev_rfcomm0/bitalino');
    expect(deviceAddress('20:16:07:18:15:26')).toBe('/20:16:07:18:15:26/bitalino');
    expect(columnAddress('0', 'my label*{1}')).toBe('/0/bitalino/my_label__1_');
    expect(addressPart('')).toBe('_');
    expect(addressPart('x'.repeat(100))).toBe('x'.repeat(64));
  });
});

describe('OSC sizes', () => {
  it('are the OSC 1.0 layout: NUL-terminated strings padded to 4 bytes, 4 bytes per float', () => {
    // "/0/bitalino" 11 + NUL = 12; ",fffffffffff" 12 + NUL → 16; 11 floats = 44.
    expect(messageBytes('/0/bitalino', 11)).toBe(72);
    // "/0/bitalino/nSeq" 16 + NUL → 20; ",f" → 4; one float 4.
    expect(messageBytes('/0/bitalino/nSeq', 1)).toBe(28);
    const meta = feedMeta('0', 1000, 0);
    expect(layoutFor(meta, 'consolidated').sampleBytes).toBe(76); // + the element's size prefix
    // nSeq 28, I1..O2 4 × 24 ("/0/bitalino/I1" 14 + NUL → 16), A1..A6 6 × 24; each + 4.
    expect(layoutFor(meta, 'per-label').sampleBytes).toBe(32 + 4 * 28 + 6 * 28);
    expect(samplesPerBundle(layoutFor(meta, 'consolidated'), 1400)).toBe(18);
  });

  it('match what node-osc encodes, and no datagram exceeds the bound', () => {
    const meta = feedMeta('0', 1000, 0);
    for (const mode of ['consolidated', 'per-label'] as const) {
      for (const max of [128, 300, 1400, 9000]) {
        const layout = layoutFor(meta, mode);
        const enc = encodeBatch(layout, signalBatch('0', 0, 100, 1000, 0), opts({ addresses: mode, maxDatagramBytes: max }));
        const per = samplesPerBundle(layout, max);
        expect(enc.datagrams.length).toBe(Math.ceil(100 / per));
        enc.datagrams.forEach((d, k) => {
          const n = Math.min(per, 100 - k * per);
          expect(d.length).toBe(BUNDLE_HEADER_BYTES + n * layout.sampleBytes);
          if (layout.sampleBytes + BUNDLE_HEADER_BYTES <= max) expect(d.length).toBeLessThanOrEqual(max);
        });
        expect(enc.oversize).toBe(BUNDLE_HEADER_BYTES + layout.sampleBytes > max ? 100 : 0);
      }
    }
  });
});

describe('encodeBatch', () => {
  it('consolidated: one message per sample with every column as a float, bundles split at the bound, time tag = device time of the first sample', () => {
    const t0 = 1_750_000_000_000;
    const layout = layoutFor(feedMeta('0', 1000, t0), 'consolidated');
    const enc = encodeBatch(layout, signalBatch('0', 40, 40, 1000, t0), opts());
    expect(enc.samples).toBe(40);
    expect(enc.datagrams.length).toBe(3); // 18 + 18 + 4
    let j = 40;
    enc.datagrams.forEach((d) => {
      const b = decode(d) as Decoded;
      expect(b.oscType).toBe('bundle');
      expect(Math.abs(b.timetag * 1000 - (t0 + j))).toBeLessThan(0.001);
      for (const m of b.elements) {
        expect(m.address).toBe('/0/bitalino');
        expect(m.args.map((a) => a.value)).toEqual(sampleValues(j++));
      }
      // Every argument is tagged 'f' (the type tag string follows the 12-byte address).
      expect(d.subarray(BUNDLE_HEADER_BYTES + 4 + 12, BUNDLE_HEADER_BYTES + 4 + 24).toString()).toBe(',fffffffffff');
    });
    expect(j).toBe(80);
  });

  it('per-label: one /<id>/bitalino/<column> message per column per sample', () => {
    const layout = layoutFor(feedMeta('7', 100, 0, ['EMG', 'ECG', 'A3', 'A4', 'A5', 'LUX']), 'per-label');
    const enc = encodeBatch(layout, signalBatch('7', 0, 3, 100, 0), opts({ addresses: 'per-label' }));
    const msgs = enc.datagrams.flatMap((d) => (decode(d) as Decoded).elements);
    expect(msgs.length).toBe(33);
    expect(msgs.slice(0, 11).map((m) => m.address)).toEqual(['nSeq', 'I1', 'I2', 'O1', 'O2', 'EMG', 'ECG', 'A3', 'A4', 'A5', 'LUX'].map((c) => `/7/bitalino/${c}`));
    expect(msgs.map((m) => m.args[0].value)).toEqual([0, 1, 2].flatMap(sampleValues));
  });

  it('decimation keeps the first sample of each 1/maxRate interval of the index, across batch boundaries', () => {
    expect([...Array(25).keys()].filter((i) => keepSample(i, 1000, 100))).toEqual([0, 10, 20]);
    expect([...Array(10).keys()].filter((i) => keepSample(i, 1000, 300))).toEqual([0, 4, 7]);
    expect(keepSample(5, 100, 100)).toBe(true);
    expect(keepSample(5, 100, 0)).toBe(true);
    const layout = layoutFor(feedMeta('0', 1000, 0), 'consolidated');
    const kept: number[] = [];
    for (let start = 0; start < 100; start += 7) {
      const enc = encodeBatch(layout, signalBatch('0', start, Math.min(7, 100 - start), 1000, 0), opts({ maxRate: 100 }));
      for (const d of enc.datagrams) for (const m of (decode(d) as Decoded).elements) kept.push(m.args[5].value);
    }
    expect(kept).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90].map((j) => sampleValues(j)[5]));
  });

  it('converted: analog columns in their units, RAW and float columns unchanged', () => {
    const meta = feedMeta('0', 1000, 0);
    meta.columns[6] = { ...meta.columns[6], sensor: 'RAW' }; // A2 unconverted
    const layout = layoutFor(meta, 'consolidated');
    const batch = signalBatch('0', 0, 1, 1000, 0);
    batch.analog[0][0] = 1023; // A1 EMG, 10 bits
    batch.analog[1][0] = 700; // A2 RAW
    batch.analog[5][0] = 63; // A6 LUX, 6 bits
    const m = (decode(encodeBatch(layout, batch, opts({ values: 'converted' })).datagrams[0]) as Decoded).elements[0];
    const v = m.args.map((a) => a.value);
    expect(v[5]).toBeCloseTo(((1023 / 1024 - 0.5) * 3300) / 1009, 5);
    expect(v[6]).toBe(700);
    expect(v[10]).toBeCloseTo((100 * 63) / 64, 4);
  });

  it('immediate time tags, and an R-IoT stream: 22 float columns, time tag from its arrival timestamps', () => {
    const s = defaultRiotDeviceSettings('r');
    const layout = layoutFor(riotStreamMeta(s, { t0: 0, segmentStart: 0 }), 'consolidated');
    const analog = s.labels.map((_, c) => Float32Array.from([c + 0.5, -c]));
    const batch = { device: 'r', index: 0, time: 5000, rate: 200, count: 2, seq: new Uint8Array(2), digital: new Uint8Array(2), analog, channels: s.labels.map((_, c) => c + 1), timestamps: Float64Array.from([1_700_000_000_123, 1_700_000_000_130]) };
    const b = decode(encodeBatch(layout, batch, opts()).datagrams[0]) as Decoded;
    expect(Math.abs(b.timetag - 1_700_000_000.123)).toBeLessThan(1e-6);
    expect(b.elements.map((m) => m.args.map((a) => a.value))).toEqual([s.labels.map((_, c) => c + 0.5), s.labels.map((_, c) => -c)]);
    expect(b.elements[0].address).toBe('/r/bitalino');
    const imm = encodeBatch(layout, batch, opts({ timeTag: 'immediate' })).datagrams[0];
    expect(imm.subarray(8, 16).toString('hex')).toBe('0000000000000001');
  });

  it('a column the batch lacks reads NaN instead of failing', () => {
    const layout = layoutFor(feedMeta('0', 1000, 0), 'consolidated');
    const batch = signalBatch('0', 0, 2, 1000, 0);
    batch.analog = batch.analog.slice(0, 2);
    batch.channels = [1, 2];
    const m = (decode(encodeBatch(layout, batch, opts()).datagrams[0]) as Decoded).elements[0];
    expect(m.args.slice(5, 7).map((a) => a.value)).toEqual(sampleValues(0).slice(5, 7));
    expect(m.args.slice(7).every((a) => Number.isNaN(a.value))).toBe(true);
  });
});
