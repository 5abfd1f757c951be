import { describe, expect, it } from 'vitest';
import { DEFAULT_LABELS } from '../../src/shared/config.js';
import { compatKeys, encodeCompat } from '../../src/main/server/compat-encoder.js';
import { ORIGINAL_EXAMPLE, makeBatch, originalExampleBatch } from './helpers.js';

describe('encodeCompat', () => {
  it('matches the original example byte for byte', () => {
    expect(encodeCompat(originalExampleBatch(), DEFAULT_LABELS)).toBe(ORIGINAL_EXAMPLE);
  });

  it('maps every digital bit to its column (bit3 I1, bit2 I2, bit1 O1, bit0 O2)', () => {
    const b = { ...originalExampleBatch(), digital: Uint8Array.of(0b1000, 0b0010, 0b0001) };
    const m = JSON.parse(encodeCompat(b, DEFAULT_LABELS));
    expect([m.I1, m.I2, m.O1, m.O2]).toEqual([[1, 0, 0], [0, 0, 0], [0, 1, 0], [0, 0, 1]]);
  });

  it('names columns by the configured labels, physical channel order, escaped', () => {
    const labels = ['seq', 'in1', 'in2', 'out1', 'out2', 'ECG', 'EMG', 'E"DA', 'EEG', 'ACC', 'LUX\u2028'];
    const text = encodeCompat(makeBatch(0, 2, [1, 3, 6]), labels);
    const m = JSON.parse(text);
    expect(Object.keys(m)).toEqual(['seq', 'in1', 'in2', 'out1', 'out2', 'ECG', 'E"DA', 'LUX\u2028']);
    expect(text).toContain('"E\\"DA":[');
  });

  it('emits integers only, and empty arrays for an empty batch', () => {
    const text = encodeCompat(makeBatch(1000, 50, [1, 2, 3, 4, 5, 6]), DEFAULT_LABELS);
    const m = JSON.parse(text) as Record<string, number[]>;
    for (const col of Object.values(m)) {
      expect(col).toHaveLength(50);
      col.forEach((v) => expect(Number.isInteger(v)).toBe(true));
    }
    expect(text).not.toMatch(/\d\.\d/);
    expect(encodeCompat(makeBatch(0, 0), DEFAULT_LABELS)).toBe('{"nSeq":[],"I1":[],"I2":[],"O1":[],"O2":[],"A1":[],"A2":[],"A6":[]}');
  });

  it('never emits a duplicate key: later collisions get a suffix', () => {
    const labels = ['nSeq', 'I1', 'I2', 'O1', 'A1', 'A1', 'A1_2', 'A3', 'A4', 'A5', 'A6'];
    expect(compatKeys(labels, [1, 2])).toEqual(['nSeq', 'I1', 'I2', 'O1', 'A1', 'A1_2', 'A1_2_2']);
    const text = encodeCompat(makeBatch(0, 1, [1, 2]), labels);
    expect(Object.keys(JSON.parse(text))).toHaveLength(7);
  });

  it('falls back to the default names when labels are missing', () => {
    expect(compatKeys(['s'], [2, 4])).toEqual(['s', 'I1', 'I2', 'O1', 'O2', 'A2', 'A4']);
  });
});
