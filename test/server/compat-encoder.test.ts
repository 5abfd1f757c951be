import { describe, expect, it } from 'vitest';
import { encodeCompat } from '../../src/main/server/compat-encoder.js';
import { ORIGINAL_EXAMPLE, makeBatch, originalExampleBatch, streamMeta } from './helpers.js';

const keysOf = (labels: readonly string[], channels: number[]) => streamMeta({ labels, channels }).columns.map((c) => c.label);

describe('encodeCompat', () => {
  it('matches the original example byte for byte', () => {
    expect(encodeCompat(originalExampleBatch(), streamMeta())).toBe(ORIGINAL_EXAMPLE);
  });

  it('maps every digital bit to its column (bit3 I1, bit2 I2, bit1 O1, bit0 O2)', () => {
    const b = { ...originalExampleBatch(), digital: Uint8Array.of(0b1000, 0b0010, 0b0001) };
    const m = JSON.parse(encodeCompat(b, streamMeta()));
    expect([m.I1, m.I2, m.O1, m.O2]).toEqual([[1, 0, 0], [0, 0, 0], [0, 1, 0], [0, 0, 1]]);
  });

  it('names columns by the configured labels, physical channel order, escaped', () => {
    const labels = ['seq', 'in1', 'in2', 'out1', 'out2', 'ECG', 'EMG', 'E"DA', 'EEG', 'ACC', 'LUX\u2028'];
    const text = encodeCompat(makeBatch(0, 2, [1, 3, 6]), streamMeta({ labels, channels: [1, 3, 6] }));
    const m = JSON.parse(text);
    expect(Object.keys(m)).toEqual(['seq', 'in1', 'in2', 'out1', 'out2', 'ECG', 'E"DA', 'LUX\u2028']);
    expect(text).toContain('"E\\"DA":[');
  });

  it('emits integers only, and empty arrays for an empty batch', () => {
    const text = encodeCompat(makeBatch(1000, 50, [1, 2, 3, 4, 5, 6]), streamMeta({ channels: [1, 2, 3, 4, 5, 6] }));
    const m = JSON.parse(text) as Record<string, number[]>;
    for (const col of Object.values(m)) {
      expect(col).toHaveLength(50);
      col.forEach((v) => expect(Number.isInteger(v)).toBe(true));
    }
    expect(text).not.toMatch(/\d\.\d/);
    expect(encodeCompat(makeBatch(0, 0), streamMeta())).toBe('{"nSeq":[],"I1":[],"I2":[],"O1":[],"O2":[],"A1":[],"A2":[],"A6":[]}');
  });

  it('never emits a duplicate key: later collisions get a suffix', () => {
    const labels = ['nSeq', 'I1', 'I2', 'O1', 'A1', 'A1', 'A1_2', 'A3', 'A4', 'A5', 'A6'];
    expect(keysOf(labels, [1, 2])).toEqual(['nSeq', 'I1', 'I2', 'O1', 'A1', 'A1_2', 'A1_2_2']);
    const text = encodeCompat(makeBatch(0, 1, [1, 2]), streamMeta({ labels, channels: [1, 2] }));
    expect(Object.keys(JSON.parse(text))).toHaveLength(7);
  });

  it('falls back to the default names when labels are missing', () => {
    expect(keysOf(['s'], [2, 4])).toEqual(['s', 'I1', 'I2', 'O1', 'O2', 'A2', 'A4']);
  });

  it('without a meta (never in practice), uses the classic keys', () => {
    expect(encodeCompat(originalExampleBatch(), undefined)).toBe(ORIGINAL_EXAMPLE);
  });

  it('prints float columns (an R-IoT) as JS numbers, and only the columns the stream has', () => {
    const meta = { ...streamMeta({ channels: [1, 2] }), columns: [
      { name: 'ACC_X', label: 'ACC_X', kind: 'analog' as const, channel: 1, resolution: 32 },
      { name: 'ACC_Y', label: 'ACC_Y', kind: 'analog' as const, channel: 2, resolution: 32 },
    ] };
    const b = { ...makeBatch(0, 2, [1, 2], 0), analog: [Float32Array.of(0.5, -1.25), Float32Array.of(3, 0.125)] };
    expect(encodeCompat(b, meta)).toBe('{"ACC_X":[0.5,-1.25],"ACC_Y":[3,0.125]}');
  });
});
