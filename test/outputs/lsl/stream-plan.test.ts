import { describe, expect, it } from 'vitest';
import { convert } from '../../../src/shared/sensors.js';
import { MIXED_STREAM_TYPE, planStream } from '../../../src/main/outputs/lsl/stream-plan.js';
import { batchOf, bitalinoMeta, digitalValue, rawValue } from './synthetic.js';

describe('planStream (StreamMeta → LSL stream)', () => {
  it('names the stream after the device, finds it by its address, runs at its rate', () => {
    const p = planStream(bitalinoMeta({ name: 'Lab BITalino', address: '98:D3:31:B2:BB:A4', rate: 100 }), { format: 'converted', digital: false });
    expect(p.spec).toMatchObject({ name: 'Lab BITalino', sourceId: '98:D3:31:B2:BB:A4', nominalSrate: 100, channelFormat: 'float32', channelCount: 6 });
  });

  it('types the stream by its sensors when they agree, else as mixed', () => {
    expect(planStream(bitalinoMeta(), { format: 'converted', digital: false }).spec.type).toBe(MIXED_STREAM_TYPE);
    expect(planStream(bitalinoMeta({ channels: [2] }), { format: 'converted', digital: false }).spec.type).toBe('ECG');
    expect(planStream(bitalinoMeta({ sensor: 'EEG' }), { format: 'converted', digital: false }).spec.type).toBe('EEG');
    expect(planStream(bitalinoMeta({ sensor: 'RAW' }), { format: 'converted', digital: false }).spec.type).toBe(MIXED_STREAM_TYPE);
  });

  it('describes channels and acquisition per the XDF meta-data conventions', () => {
    const p = planStream(bitalinoMeta({ channels: [1, 2] }), { format: 'converted', digital: true });
    expect(p.spec.desc).toEqual([
      {
        name: 'channels',
        children: [
          { name: 'channel', children: [{ name: 'label', text: 'A1' }, { name: 'unit', text: 'mV' }, { name: 'type', text: 'EMG' }] },
          { name: 'channel', children: [{ name: 'label', text: 'A2' }, { name: 'unit', text: 'mV' }, { name: 'type', text: 'ECG' }] },
          ...['I1', 'I2', 'O1', 'O2'].map((l) => ({ name: 'channel', children: [{ name: 'label', text: l }, { name: 'unit', text: '' }, { name: 'type', text: 'Digital' }] })),
        ],
      },
      {
        name: 'acquisition',
        children: [
          { name: 'manufacturer', text: 'PLUX' },
          { name: 'model', text: 'BITalino (r)evolution' },
          { name: 'serial_number', text: '20:16:07:18:15:26' },
          { name: 'firmware_version', text: 'BITalino_v5.2' },
        ],
      },
    ]);
  });

  it('converts each value with the column’s sensor, resolution and board (sample-major)', () => {
    const meta = bitalinoMeta();
    const p = planStream(meta, { format: 'converted', digital: false });
    const v = p.values(batchOf(meta, 1000, 40))!;
    expect(v).toBeInstanceOf(Float32Array);
    expect(v.length).toBe(40 * 6);
    for (const [i, slot] of [[0, 0], [7, 3], [39, 4], [12, 5]]) {
      const col = meta.columns[5 + slot];
      expect(v[i * 6 + slot]).toBe(Math.fround(convert(col.sensor as 'EMG', rawValue(1000 + i, slot), col.resolution, { board: 'revolution' })));
    }
  });

  it('sends raw ADC values as int16 with unit ADC and the resolution, and digital lines as 0/1', () => {
    const meta = bitalinoMeta({ channels: [1, 6] });
    const p = planStream(meta, { format: 'raw', digital: true });
    expect(p.spec.channelFormat).toBe('int16');
    expect(p.spec.channelCount).toBe(6);
    const ch0 = (p.spec.desc[0] as unknown as { children: { children: { name: string; text: string }[] }[] }).children[0].children;
    expect(ch0).toContainEqual({ name: 'unit', text: 'ADC' });
    expect(ch0).toContainEqual({ name: 'resolution', text: '10' });
    const v = p.values(batchOf(meta, 5, 3))!;
    expect(v).toBeInstanceOf(Int16Array);
    for (let i = 0; i < 3; i++) {
      expect([...v.subarray(i * 6, i * 6 + 6)]).toEqual([rawValue(5 + i, 0), rawValue(5 + i, 1), (digitalValue(5 + i) >> 3) & 1, (digitalValue(5 + i) >> 2) & 1, (digitalValue(5 + i) >> 1) & 1, digitalValue(5 + i) & 1]);
    }
  });

  it('keeps float sources (resolution 32) as float32 even in raw format', () => {
    const meta = bitalinoMeta({ channels: [1] });
    meta.columns[5] = { ...meta.columns[5], resolution: 32, sensor: 'RAW', unit: undefined };
    const p = planStream(meta, { format: 'raw', digital: false });
    expect(p.spec.channelFormat).toBe('float32');
    const b = batchOf(meta, 0, 2);
    b.analog = [Float32Array.of(0.25, -1.5)];
    expect([...p.values(b)!]).toEqual([0.25, -1.5]);
  });

  it('gives the same key for the same stream (a reconnect) and a new one when it changes', () => {
    const a = planStream(bitalinoMeta({ segmentStart: 0 }), { format: 'converted', digital: false });
    const b = planStream(bitalinoMeta({ segmentStart: 5000, t0: 1 }), { format: 'converted', digital: false });
    const c = planStream(bitalinoMeta({ rate: 100 }), { format: 'converted', digital: false });
    const d = planStream(bitalinoMeta({ channels: [1, 2] }), { format: 'converted', digital: false });
    expect(b.key).toBe(a.key);
    expect(c.key).not.toBe(a.key);
    expect(d.key).not.toBe(a.key);
  });

  it('refuses (undefined) a batch whose channels are not the meta’s', () => {
    const meta = bitalinoMeta({ channels: [1, 2] });
    const p = planStream(meta, { format: 'converted', digital: false });
    expect(p.values(batchOf(bitalinoMeta({ channels: [1, 3] }), 0, 4))).toBeUndefined();
  });
});
