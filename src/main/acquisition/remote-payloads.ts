/**
 * Turns what a broker delivers for a relayed device (docs/protocol.md "MQTT": each payload the
 * /v2 message of the same name) back into the hub's types. Untrusted input: every payload is
 * bounded in size before it is parsed, bounded in shape (depth, values) before anything walks it,
 * checked against the /v2 schema, and then for what the encoders rely on (columns that match the
 * channels, arrays of `count` values in range). Linear in the payload; no recursion deeper than
 * the schema's. A payload that fails any check is refused with a one-line reason; nothing throws.
 */
import type { DeviceStatus, GapEvent, GapReason, MarkerEvent, SampleBatch, StreamColumn, StreamMeta } from '../../shared/acquisition.js';
import { checkJsonBounds, type JsonBounds } from '../../shared/json-bounds.js';
import { Type, type Static } from '@sinclair/typebox';
import { Literals, validate, type TSchema } from '../../shared/schema.js';
import { GAP_SCHEMA, MARKER_SCHEMA, META_SCHEMA, SERVICE_STATES, STATUS_SCHEMA } from '../../shared/v2-schemas.js';
import type { MarkerMessage, MetaMessage } from '../../shared/v2.js';

/** Largest meta, status, gap or marker payload, bytes. */
export const MAX_EVENT_BYTES = 64 * 1024;
/** Largest data payload, bytes (10 000 samples of 64 columns in JSON fit). */
export const MAX_DATA_BYTES = 4 * 1024 * 1024;
/** Most samples in one data message. */
export const MAX_DATA_COUNT = 10_000;
/** Most columns a relayed stream may have. */
export const MAX_COLUMNS = 64;

const EVENT_BOUNDS: JsonBounds = { maxDepth: 6, maxNodes: 4096, maxStringLength: 4096, maxTotalChars: MAX_EVENT_BYTES };
const DATA_BOUNDS: JsonBounds = { maxDepth: 3, maxNodes: MAX_DATA_COUNT * (MAX_COLUMNS + 1) + 2 * MAX_COLUMNS + 16, maxStringLength: 256, maxTotalChars: 64 * 1024 };

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

const fail = <T>(problem: string): Parsed<T> => ({ ok: false, problem });

/** The MQTT status payload: /v2 `status`, whose state may also be "offline" (the publisher's will, or its clean stop). */
export const MQTT_STATUS_SCHEMA = Type.Object({ ...STATUS_SCHEMA.properties, state: Literals([...SERVICE_STATES, 'offline']) }, { additionalProperties: false });

function parseJson(payload: Buffer, maxBytes: number, bounds: JsonBounds): Parsed<unknown> {
  if (payload.length > maxBytes) return fail(`${payload.length} bytes; allowed: at most ${maxBytes}`);
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (e) {
    return fail(`not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const b = checkJsonBounds(value, bounds);
  return b.ok ? { ok: true, value } : fail(b.problem);
}

function checked<T>(payload: Buffer, schema: TSchema, name: string): Parsed<T> {
  const p = parseJson(payload, MAX_EVENT_BYTES, EVENT_BOUNDS);
  if (!p.ok) return p;
  const issues = validate(schema, p.value, { rootName: name, maxIssues: 1 });
  return issues.length > 0 ? fail(issues[0].message) : { ok: true, value: p.value as T };
}

/**
 * A meta payload as the relay's StreamMeta: the publisher's stream (columns, rate, t0, segment)
 * under the relay's id, kind "remote", at `address` (the broker and topic it came from).
 */
export function parseRemoteMeta(payload: Buffer, id: string, address: string): Parsed<StreamMeta> {
  const p = checked<MetaMessage>(payload, META_SCHEMA, 'meta');
  if (!p.ok) return p;
  const m = p.value;
  if (!(m['sampling rate'] > 0)) return fail(`"sampling rate" is ${m['sampling rate']}; allowed: a rate above 0 Hz`);
  if (!Number.isSafeInteger(m.segmentStart)) return fail('segmentStart is not a safe integer');
  const cols = m.columns;
  if (cols.length > MAX_COLUMNS) return fail(`${cols.length} columns; allowed: at most ${MAX_COLUMNS}`);
  const names = new Set<string>();
  let seq = 0;
  let digital = 0;
  const analog: StreamColumn[] = [];
  for (const c of cols) {
    if (names.has(c.name)) return fail(`column ${JSON.stringify(c.name)} appears twice`);
    names.add(c.name);
    if (c.kind === 'sequence') seq++;
    else if (c.kind === 'digital') digital++;
    else analog.push(c);
  }
  if (seq > 1 || digital > 4) return fail(`${seq} sequence and ${digital} digital columns; allowed: at most 1 and 4`);
  if (analog.length !== m.channels.length || analog.some((c, k) => c.channel !== m.channels[k])) return fail('the analog columns do not match "channels" one to one, in order');
  return {
    ok: true,
    value: {
      device: id,
      name: m.name,
      kind: 'remote',
      address,
      connection: address,
      ...(m.mac ? { mac: m.mac } : {}),
      ...(m.board ? { board: m.board } : {}),
      firmware: m.firmware,
      version: m['firmware version'],
      simulated: m.simulated,
      rate: m['sampling rate'],
      irregular: m.irregular,
      channels: [...m.channels],
      columns: cols.map((c) => ({ ...c })),
      t0: m.t0,
      segmentStart: m.segmentStart,
    },
  };
}

/** A status payload as the relay's DeviceStatus ("offline" becomes "reconnecting" with its REMOTE_OFFLINE error: the relay waits for the publisher). */
export function parseRemoteStatus(payload: Buffer, id: string, address: string, meta: StreamMeta | undefined): Parsed<DeviceStatus> {
  const p = checked<Static<typeof MQTT_STATUS_SCHEMA>>(payload, MQTT_STATUS_SCHEMA, 'status');
  if (!p.ok) return p;
  const s = p.value;
  const out: DeviceStatus = {
    device: id,
    kind: 'remote',
    name: s.name,
    address,
    state: s.state === 'offline' ? 'reconnecting' : s.state,
    rate: s.rate,
    channels: [...s.channels],
    counters: { ...s.counters },
  };
  if (s.error) out.error = { ...s.error };
  else if (s.state === 'offline') out.error = { code: 'REMOTE_OFFLINE', message: 'the ServerBIT publishing this device is offline' };
  if (s.battery !== undefined) out.battery = s.battery;
  if (s.board && s.firmware) {
    out.info = { id, address, firmware: s.firmware, version: meta?.version ?? 0, board: s.board, stateLength: 0, simulated: meta?.simulated ?? false };
  }
  if (meta) out.t0 = meta.t0;
  return { ok: true, value: out };
}

export function parseRemoteGap(payload: Buffer, id: string): Parsed<GapEvent> {
  const p = checked<{ from: number; to: number; reason: GapReason }>(payload, GAP_SCHEMA, 'gap');
  if (!p.ok) return p;
  const { from, to, reason } = p.value;
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to <= from) return fail(`gap [${from}, ${to}); allowed: safe integers with from < to`);
  return { ok: true, value: { device: id, from, to, reason } };
}

export function parseRemoteMarker(payload: Buffer, id: string | undefined): Parsed<MarkerEvent> {
  const p = checked<MarkerMessage>(payload, MARKER_SCHEMA, 'marker');
  if (!p.ok) return p;
  const k = p.value;
  return {
    ok: true,
    value: { id: k.id, label: k.label, time: k.time, source: k.source.slice(0, 64), ...(id !== undefined ? { device: id } : {}), ...(k.index !== undefined ? { index: k.index } : {}) },
  };
}

/**
 * A data payload as a SampleBatch of the stream `meta` describes: `raw` must hold every column of
 * the stream, each an array of `count` values in the column's range (nSeq 0..15, digital 0 or 1,
 * analog 0..2^resolution − 1, or any finite number for 32-bit float columns).
 */
export function parseRemoteData(payload: Buffer, id: string, meta: StreamMeta): Parsed<SampleBatch> {
  const p = parseJson(payload, MAX_DATA_BYTES, DATA_BOUNDS);
  if (!p.ok) return p;
  const v = p.value as Record<string, unknown> | null;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v.type !== 'data') return fail('not a data message');
  const { index, time, count, raw } = v as { index: unknown; time: unknown; count: unknown; raw: unknown };
  if (!Number.isSafeInteger(index) || (index as number) < 0) return fail('index is not a safe integer ≥ 0');
  if (typeof time !== 'number' || !Number.isFinite(time)) return fail('time is not a finite number');
  if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_DATA_COUNT) return fail(`count is ${String(count)}; allowed: 1 to ${MAX_DATA_COUNT}`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('"raw" is missing (publish with data_format "raw" or "both")');
  const n = count as number;
  const cols = raw as Record<string, unknown>;
  const column = (c: StreamColumn): number[] | string => {
    const a = Object.hasOwn(cols, c.name) ? cols[c.name] : undefined;
    if (!Array.isArray(a) || a.length !== n) return `raw.${c.name} is not an array of ${n} values`;
    return a as number[];
  };
  const seq = new Uint8Array(n);
  const digital = new Uint8Array(n);
  const analog: (Uint16Array | Float32Array)[] = [];
  let bit = 3;
  for (const c of meta.columns) {
    const a = column(c);
    if (typeof a === 'string') return fail(a);
    if (c.kind === 'sequence') {
      for (let i = 0; i < n; i++) {
        const x = a[i];
        if (!Number.isInteger(x) || x < 0 || x > 15) return fail(`raw.${c.name}[${i}] is not an integer from 0 to 15`);
        seq[i] = x;
      }
    } else if (c.kind === 'digital') {
      const shift = bit--;
      for (let i = 0; i < n; i++) {
        const x = a[i];
        if (x !== 0 && x !== 1) return fail(`raw.${c.name}[${i}] is not 0 or 1`);
        digital[i] |= x << shift;
      }
    } else if (c.resolution > 16) {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const x = a[i];
        if (typeof x !== 'number' || !Number.isFinite(x)) return fail(`raw.${c.name}[${i}] is not a finite number`);
        out[i] = x;
      }
      analog.push(out);
    } else {
      const max = 2 ** c.resolution - 1;
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        const x = a[i];
        if (!Number.isInteger(x) || x < 0 || x > max) return fail(`raw.${c.name}[${i}] is not an integer from 0 to ${max}`);
        out[i] = x;
      }
      analog.push(out);
    }
  }
  const batch: SampleBatch = { device: id, index: index as number, time, rate: meta.rate, count: n, seq, digital, analog, channels: [...meta.channels] };
  if (meta.irregular) {
    const t = (v as { timestamps?: unknown }).timestamps;
    if (!Array.isArray(t) || t.length !== n || !t.every((x) => typeof x === 'number' && Number.isFinite(x))) return fail(`timestamps is not an array of ${n} finite numbers (the stream is irregular)`);
    batch.timestamps = Float64Array.from(t as number[]);
  }
  return { ok: true, value: batch };
}
