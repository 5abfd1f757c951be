/**
 * Samples as protocol 1.10 puts them on the wire (docs/lsl.md §7): per sample a tag byte — 1 when
 * the inlet deduces the timestamp (previous + 1 / nominal rate), 2 when an 8-byte little-endian
 * double follows — then each channel's value, little endian (liblsl sample.cpp `save_streambuf`).
 * ServerBIT always sends Byte-Order 1234 and leaves any swap to a big-endian inlet.
 */
import { FORMAT_BYTES, TAG_DEDUCED_TIMESTAMP, TAG_TRANSMITTED_TIMESTAMP, TEST_PATTERN_OFFSETS, TEST_PATTERN_TIMESTAMP, type ChannelFormat } from './protocol.js';

/** Values of `count` samples, sample-major (value of channel c of sample s at s × channels + c). */
export type SampleValues = Float32Array | Int16Array;

/** Bytes of one sample with a transmitted timestamp. */
export function sampleBytes(format: ChannelFormat, channels: number): number {
  return 1 + 8 + channels * FORMAT_BYTES[format];
}

/**
 * Encodes `timestamps.length` samples. A NaN timestamp is sent as "deduced" (tag 1, no timestamp);
 * every other value is transmitted as is.
 */
export function encodeSamples(format: ChannelFormat, channels: number, values: SampleValues, timestamps: Float64Array): Buffer {
  const count = timestamps.length;
  if (values.length !== count * channels) throw new RangeError(`expected ${count * channels} values for ${count} samples × ${channels} channels, got ${values.length}`);
  let deduced = 0;
  for (let s = 0; s < count; s++) if (Number.isNaN(timestamps[s])) deduced++;
  const width = FORMAT_BYTES[format];
  const buf = Buffer.allocUnsafe(count * (1 + channels * width) + (count - deduced) * 8);
  let o = 0;
  for (let s = 0; s < count; s++) {
    const t = timestamps[s];
    if (Number.isNaN(t)) {
      buf[o++] = TAG_DEDUCED_TIMESTAMP;
    } else {
      buf[o++] = TAG_TRANSMITTED_TIMESTAMP;
      buf.writeDoubleLE(t, o);
      o += 8;
    }
    const base = s * channels;
    if (format === 'float32') {
      for (let c = 0; c < channels; c++, o += 4) buf.writeFloatLE(values[base + c], o);
    } else {
      for (let c = 0; c < channels; c++, o += 2) buf.writeInt16LE(values[base + c], o);
    }
  }
  return buf;
}

/**
 * One test-pattern sample (sample.cpp `assign_test_pattern`): channel k holds k + offset (plus 257
 * for int16, whose values then wrap modulo 32767), negated on odd channels; timestamp 123456.789.
 */
export function testPatternValues(format: ChannelFormat, channels: number, offset: number): SampleValues {
  const out = format === 'float32' ? new Float32Array(channels) : new Int16Array(channels);
  for (let k = 0; k < channels; k++) {
    let v = format === 'float32' ? k + offset : (k + offset + 257) % 32767;
    if (k % 2 === 1) v = -v;
    out[k] = v;
  }
  return out;
}

/** The two test-pattern samples that open every stream feed, encoded (offsets 4 then 2). */
export function testPatternBytes(format: ChannelFormat, channels: number): Buffer {
  const parts = TEST_PATTERN_OFFSETS.map((offset) =>
    encodeSamples(format, channels, testPatternValues(format, channels, offset), Float64Array.of(TEST_PATTERN_TIMESTAMP)),
  );
  return Buffer.concat(parts);
}
