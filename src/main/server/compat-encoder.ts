/**
 * The original ServerBIT's message (ORIGINAL.md "Data stream"): one JSON object per batch, keys
 * nSeq, I1, I2, O1, O2 (named by labels[0..4]) then the label of each acquired channel in
 * ascending channel order (labels[4 + channel]), each an array of that column's integers:
 *
 *   {"nSeq":[4,5,6],"I1":[0,0,0],"I2":[1,1,1],"O1":[0,0,0],"O2":[0,0,0],"A1":[20,21,22],...}
 *
 * Unlike the original we emit integers only (never `512.0`) and never a duplicate key: a label
 * that repeats an earlier one gets a `_2`, `_3`… suffix, so `JSON.parse` keeps every column.
 *
 * Built by hand: this runs once per message for all clients, at up to 1000 messages/s, so no
 * per-sample objects and no JSON.stringify of the data; labels are escaped with JSON.stringify
 * once per label set.
 */
import type { SampleBatch } from '../../shared/acquisition.js';
import { DEFAULT_LABELS } from '../../shared/config.js';

/**
 * The keys of a compat message, in order: the five fixed columns, then one per channel.
 * Missing labels fall back to the defaults; collisions get a numeric suffix.
 */
export function compatKeys(labels: readonly string[], channels: readonly number[]): string[] {
  const wanted = [0, 1, 2, 3, 4, ...channels.map((c) => 4 + c)].map((i) => {
    const l = labels[i];
    return typeof l === 'string' ? l : (DEFAULT_LABELS[i] ?? `A${i - 4}`);
  });
  const used = new Set<string>();
  return wanted.map((name) => {
    let key = name;
    for (let k = 2; used.has(key); k++) key = `${name}_${k}`;
    used.add(key);
    return key;
  });
}

/** The constant pieces around each column: `{"nSeq":[`, `],"I1":[`, …; the last is `]}`. */
function buildParts(labels: readonly string[], channels: readonly number[]): string[] {
  const keys = compatKeys(labels, channels).map((k) => JSON.stringify(k));
  const parts = keys.map((k, i) => `${i === 0 ? '{' : '],'}${k}:[`);
  parts.push(']}');
  return parts;
}

// One-entry cache: labels and channels change only on reconfiguration.
let cacheKey = '';
let cacheParts: string[] = [];

function partsFor(labels: readonly string[], channels: readonly number[]): string[] {
  const key = `${channels.join(',')}\u0000${labels.join('\u0000')}`;
  if (key !== cacheKey) {
    cacheParts = buildParts(labels, channels);
    cacheKey = key;
  }
  return cacheParts;
}

/** `a[0],a[1],…,a[n-1]` for the first n entries (arrays may be longer than `count`); float columns print as JS numbers. */
function joinInts(a: Uint8Array | Uint16Array | Float32Array, n: number): string {
  return n === a.length ? a.join(',') : a.subarray(0, n).join(',');
}

/** One digital bit per sample (bit 3 = I1 … bit 0 = O2), as `0,1,…`. */
function joinBit(digital: Uint8Array, n: number, shift: number): string {
  if (n === 0) return '';
  let s = (digital[0] >> shift) & 1 ? '1' : '0';
  for (let i = 1; i < n; i++) s += (digital[i] >> shift) & 1 ? ',1' : ',0';
  return s;
}

/** Encodes the first `batch.count` samples as one compat JSON text message. */
export function encodeCompat(batch: SampleBatch, labels: readonly string[]): string {
  const n = batch.count;
  const parts = partsFor(labels, batch.channels);
  let s = parts[0] + joinInts(batch.seq, n);
  s += parts[1] + joinBit(batch.digital, n, 3);
  s += parts[2] + joinBit(batch.digital, n, 2);
  s += parts[3] + joinBit(batch.digital, n, 1);
  s += parts[4] + joinBit(batch.digital, n, 0);
  for (let k = 0; k < batch.channels.length; k++) s += parts[5 + k] + joinInts(batch.analog[k], n);
  return s + parts[parts.length - 1];
}
