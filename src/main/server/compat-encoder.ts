/**
 * The original ServerBIT's message (docs/original-serverbit.md "Data stream"): one JSON object
 * per batch, keys nSeq, I1, I2, O1, O2 (renamed by `labels`) then the label of each acquired
 * channel in ascending channel order, each an array of that column's values:
 *
 *   {"nSeq":[4,5,6],"I1":[0,0,0],"I2":[1,1,1],"O1":[0,0,0],"O2":[0,0,0],"A1":[20,21,22],...}
 *
 * The keys are the stream's columns' `label`s (acquisition/stream-meta.ts decides them, suffixing
 * any that repeat so `JSON.parse` keeps every column). Unlike the original we emit integers for
 * BITalino values (never `512.0`) and never a duplicate key.
 *
 * Built by hand: this runs once per message for all clients, at up to 1000 messages/s, so no
 * per-sample objects and no JSON.stringify of the data; keys are escaped once per stream.
 */
import type { SampleBatch, StreamColumn, StreamMeta } from '../../shared/acquisition.js';
import { DEFAULT_LABELS } from '../../shared/config.js';

/** The constant pieces around each column: `{"nSeq":[`, `],"I1":[`, …; the last is `]}`. */
function buildParts(keys: readonly string[]): string[] {
  const parts = keys.map((k, i) => `${i === 0 ? '{' : '],'}${JSON.stringify(k)}:[`);
  parts.push(']}');
  return parts;
}

interface Plan {
  parts: string[];
  /** Per column: 'seq', a digital bit shift (3 = I1 … 0), or an analog slot. */
  cols: ({ kind: 'seq' } | { kind: 'bit'; shift: number } | { kind: 'analog'; k: number })[];
}

function planOf(columns: readonly StreamColumn[]): Plan {
  let bit = 3;
  let k = 0;
  const cols: Plan['cols'] = columns.map((c) => (c.kind === 'sequence' ? { kind: 'seq' } : c.kind === 'digital' ? { kind: 'bit', shift: bit-- } : { kind: 'analog', k: k++ }));
  return { parts: buildParts(columns.map((c) => c.label)), cols };
}

/** Without a meta (never in practice), the classic keys for a BITalino batch. */
function fallbackColumns(b: SampleBatch): StreamColumn[] {
  return [
    ...DEFAULT_LABELS.slice(0, 5).map((n, i): StreamColumn => ({ name: n, label: n, kind: i === 0 ? 'sequence' : 'digital', resolution: i === 0 ? 4 : 1 })),
    ...b.channels.map((ch): StreamColumn => ({ name: `A${ch}`, label: `A${ch}`, kind: 'analog', channel: ch, resolution: 10 })),
  ];
}

// One-entry cache per meta object: a stream's columns change only with a new segment.
const plans = new WeakMap<StreamMeta, Plan>();

/** `a[0],a[1],…,a[n-1]` for the first n entries (arrays may be longer than `count`); float columns print as JS numbers. */
function joinValues(a: Uint8Array | Uint16Array | Float32Array, n: number): string {
  return n === a.length ? a.join(',') : a.subarray(0, n).join(',');
}

/** One digital bit per sample (bit 3 = I1 … bit 0 = O2), as `0,1,…`. */
function joinBit(digital: Uint8Array, n: number, shift: number): string {
  if (n === 0) return '';
  let s = (digital[0] >> shift) & 1 ? '1' : '0';
  for (let i = 1; i < n; i++) s += (digital[i] >> shift) & 1 ? ',1' : ',0';
  return s;
}

/** Encodes the first `batch.count` samples as one compat JSON text message, with the keys `meta` gives. */
export function encodeCompat(batch: SampleBatch, meta: StreamMeta | undefined): string {
  let plan = meta ? plans.get(meta) : undefined;
  if (!plan) {
    plan = planOf(meta?.columns ?? fallbackColumns(batch));
    if (meta) plans.set(meta, plan);
  }
  const n = batch.count;
  let s = '';
  plan.cols.forEach((c, i) => {
    s += plan.parts[i];
    s += c.kind === 'seq' ? joinValues(batch.seq, n) : c.kind === 'bit' ? joinBit(batch.digital, n, c.shift) : joinValues(batch.analog[c.k], n);
  });
  return s + plan.parts[plan.parts.length - 1];
}
