/**
 * The /v2 messages built from the hub's events: `meta` from a StreamMeta, `status` from a
 * DeviceStatus, `data` from a batch (DataEncoder). Pure: no I/O, no clocks (local time comes
 * from `Date`). Column names come from StreamMeta.columns (decided once, in
 * acquisition/stream-meta.ts).
 */
import type { DeviceStatus, SampleBatch, StreamColumn, StreamMeta } from '../../shared/acquisition.js';
import { convert, type SensorName } from '../../shared/sensors.js';
import type { DataMessage, MarkerMessage, MetaMessage, StatusMessage, Subscription } from '../../shared/v2.js';
import type { MarkerEvent } from '../../shared/acquisition.js';

/** OpenSignals' header date (YYYY-M-D) and time (HH:MM:SS.mmm) of an instant, in local time. */
export function openSignalsDateTime(ms: number): { date: string; time: string } {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return {
    date: `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`,
    time: `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`,
  };
}

export function toMetaMessage(m: StreamMeta): MetaMessage {
  const analog = m.columns.filter((c) => c.kind === 'analog');
  return {
    type: 'meta',
    device: m.device,
    name: m.name,
    kind: m.kind,
    address: m.address,
    connection: m.connection,
    ...(m.mac ? { mac: m.mac } : {}),
    ...(m.board ? { board: m.board } : {}),
    firmware: m.firmware,
    'firmware version': m.version,
    'sampling rate': m.rate,
    channels: [...m.channels],
    column: m.columns.map((c) => c.name),
    label: analog.map((c) => c.name),
    sensor: analog.map((c) => c.sensor ?? 'RAW'),
    resolution: m.columns.map((c) => c.resolution),
    columns: m.columns.map((c) => ({ ...c })),
    t0: m.t0,
    segmentStart: m.segmentStart,
    irregular: m.irregular,
    ...openSignalsDateTime(m.t0),
    simulated: m.simulated,
  };
}

export function toStatusMessage(s: DeviceStatus): StatusMessage {
  const m: StatusMessage = {
    type: 'status',
    device: s.device,
    ...(s.kind ? { kind: s.kind } : {}),
    name: s.name,
    address: s.address,
    state: s.state,
    rate: s.rate,
    channels: [...s.channels],
    counters: { ...s.counters },
  };
  if (s.info) {
    m.board = s.info.board;
    m.firmware = s.info.firmware;
  }
  if (s.error) m.error = { ...s.error };
  if (s.battery !== undefined) m.battery = s.battery;
  return m;
}

export function toMarkerMessage(k: MarkerEvent): MarkerMessage {
  return { type: 'marker', ...k };
}

/** Converted values keep 4 decimals: finer than a tenth of one ADC step of every sensor (e.g. ECG 0.003 mV). */
const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

interface Plan {
  raw: { name: string; read: (b: SampleBatch, i: number) => number }[];
  converted: { name: string; k: number; sensor: SensorName; bits: number }[];
}

function isConvertible(c: StreamColumn): boolean {
  return c.kind === 'analog' && c.unit !== undefined && c.sensor !== undefined && c.resolution <= 16;
}

/**
 * Encodes batches as data messages for one subscription. One encoder serves every client with the
 * same subscription (a StreamGroup): the plan per stream is computed once and cached.
 */
export class DataEncoder {
  readonly subscription: Pick<Subscription, 'columns' | 'format'>;
  private planFor: StreamMeta | undefined;
  private plan: Plan = { raw: [], converted: [] };

  constructor(subscription: Pick<Subscription, 'columns' | 'format'>) {
    this.subscription = subscription;
  }

  /** `meta` describes the batch's segment (the hub's last meta for its device). */
  encode(batch: SampleBatch, meta: StreamMeta | undefined): DataMessage {
    const plan = this.planOf(meta, batch);
    const n = batch.count;
    const msg: DataMessage = { type: 'data', device: batch.device, index: batch.index, time: batch.time, count: n };
    const { format } = this.subscription;
    if (format !== 'converted') {
      const raw: Record<string, number[]> = {};
      for (const col of plan.raw) {
        const out = new Array<number>(n);
        for (let i = 0; i < n; i++) out[i] = col.read(batch, i);
        raw[col.name] = out;
      }
      msg.raw = raw;
    }
    if (format !== 'raw') {
      const converted: Record<string, number[]> = {};
      const board = meta?.board ?? 'revolution';
      for (const col of plan.converted) {
        const src = batch.analog[col.k];
        const out = new Array<number>(n);
        for (let i = 0; i < n; i++) out[i] = round4(convert(col.sensor, src[i], col.bits, { board }));
        converted[col.name] = out;
      }
      msg.converted = converted;
    }
    if (batch.timestamps) msg.timestamps = Array.from(batch.timestamps.subarray(0, n));
    return msg;
  }

  private planOf(meta: StreamMeta | undefined, batch: SampleBatch): Plan {
    if (meta === this.planFor && meta !== undefined) return this.plan;
    const cols = this.subscription.columns;
    const wanted = (name: string) => cols === 'all' || cols.includes(name);
    const plan: Plan = { raw: [], converted: [] };
    const columns = meta?.columns ?? fallbackColumns(batch);
    let k = 0;
    let digitalBit = 3; // I1 is bit 3 … the last digital column bit 0
    for (const c of columns) {
      if (c.kind === 'sequence') {
        if (wanted(c.name)) plan.raw.push({ name: c.name, read: (b, j) => b.seq[j] });
      } else if (c.kind === 'digital') {
        const shift = digitalBit--;
        if (wanted(c.name)) plan.raw.push({ name: c.name, read: (b, j) => (b.digital[j] >> shift) & 1 });
      } else {
        const slot = k++;
        if (!wanted(c.name)) continue;
        plan.raw.push({ name: c.name, read: (b, j) => b.analog[slot][j] });
        if (isConvertible(c)) plan.converted.push({ name: c.name, k: slot, sensor: c.sensor as SensorName, bits: c.resolution });
      }
    }
    this.planFor = meta;
    this.plan = plan;
    return plan;
  }
}

/** Before any meta (never in practice: the runner publishes meta before its first batch). */
function fallbackColumns(b: SampleBatch): StreamColumn[] {
  return [
    { name: 'nSeq', label: 'nSeq', kind: 'sequence', resolution: 4 },
    ...['I1', 'I2', 'O1', 'O2'].map((n): StreamColumn => ({ name: n, label: n, kind: 'digital', resolution: 1 })),
    ...b.channels.map((ch): StreamColumn => ({ name: `A${ch}`, label: `A${ch}`, kind: 'analog', channel: ch, resolution: 10 })),
  ];
}
