import { describe, expect, it } from 'vitest';
import { encodeSamples, sampleBytes, testPatternBytes, testPatternValues } from '../../../src/main/outputs/lsl/sample-encoder.js';
import { fixture, specs } from './fixtures.js';

/** The recorded feed minus its text header: two test patterns, then the spec's samples. */
function recordedBody(kind: 'float32' | 'int16'): Buffer {
  const feed = fixture(`${kind}-streamfeed.bin`);
  return feed.subarray(feed.indexOf('\r\n\r\n') + 4);
}

describe('sample encoding, compared with liblsl’s stream feed', () => {
  for (const kind of ['float32', 'int16'] as const) {
    const spec = specs[kind];
    const size = sampleBytes(kind, spec.channelCount);

    it(`sends the two test-pattern samples as liblsl does (${kind})`, () => {
      expect(testPatternBytes(kind, spec.channelCount)).toEqual(recordedBody(kind).subarray(0, 2 * size));
    });

    it(`encodes samples as liblsl does: tag 2, LE double, LE values (${kind})`, () => {
      const n = spec.samples.length;
      const values = kind === 'float32' ? new Float32Array(n * spec.channelCount) : new Int16Array(n * spec.channelCount);
      spec.samples.forEach((s, i) => values.set(s.values, i * spec.channelCount));
      const timestamps = Float64Array.from(spec.samples.map((s) => s.timestamp));
      expect(encodeSamples(kind, spec.channelCount, values, timestamps)).toEqual(recordedBody(kind).subarray(2 * size));
    });
  }

  it('builds the test pattern from sample.cpp: k + offset, odd channels negated; int16 offset by 257', () => {
    expect([...testPatternValues('float32', 4, 4)]).toEqual([4, -5, 6, -7]);
    expect([...testPatternValues('float32', 3, 2)]).toEqual([2, -3, 4]);
    expect([...testPatternValues('int16', 3, 4)]).toEqual([261, -262, 263]);
  });

  it('wraps int16 test-pattern values modulo 32767', () => {
    const v = testPatternValues('int16', 40000, 2);
    expect(v[32508]).toBe((32508 + 259) % 32767);
    expect(v[32508]).toBe(0);
    expect(v[32509]).toBe(-1);
  });

  it('sends a NaN timestamp as deduced (tag 1, no timestamp bytes)', () => {
    const b = encodeSamples('int16', 2, Int16Array.of(1, -2, 3, 4), Float64Array.of(NaN, 7.5));
    expect([...b]).toEqual([1, 1, 0, 0xfe, 0xff, 2, 0, 0, 0, 0, 0, 0, 0x1e, 0x40, 3, 0, 4, 0]);
  });

  it('refuses values that do not fill the samples', () => {
    expect(() => encodeSamples('float32', 3, new Float32Array(5), new Float64Array(2))).toThrow(RangeError);
  });
});
