/**
 * Builds the /v2 messages that describe a stream (meta, status) and encodes sample batches as
 * data messages for a subscription. Pure: no I/O, no clocks (local time comes from `Date`).
 *
 * Column names: `nSeq`, the four digital bits (I1, I2, O1, O2 on the (r)evolution; I1..I4 on the
 * legacy board, whose frames carry four inputs, PROTOCOL.md §6.2), then the configured label of
 * each acquired channel in ascending channel order. The fixed names are not renamed by `labels`
 * (unlike the compatible stream): /v2 clients and OpenSignals files rely on them. A label that
 * repeats an earlier name gets a `_2`, `_3`… suffix so no column hides another.
 */
import type { Board, SampleBatch, ServiceStatus } from '../../shared/acquisition.js';
import type { ServerBitConfig } from '../../shared/config.js';
import { SENSOR_UNITS, convert, sensorFor, slotResolution, type SensorName } from '../../shared/sensors.js';
import type { ColumnMeta, DataMessage, MetaMessage, StatusMessage, Subscription } from '../../shared/v2.js';

/** Digital nibble bit 3 … bit 0, per board. */
export const DIGITAL_COLUMNS: Readonly<Record<Board, readonly string[]>> = {
  revolution: ['I1', 'I2', 'O1', 'O2'],
  legacy: ['I1', 'I2', 'I3', 'I4'],
};

/** Every name a subscription may list, whatever the channels and board: checked at subscribe time. */
export function knownColumnNames(labels: readonly string[]): Set<string> {
  // Labels are unique (config schema), so a suffix only comes from a clash with a fixed name,
  // which depends on the board and not on which channels are acquired.
  const all = [1, 2, 3, 4, 5, 6];
  return new Set([...columnNames('revolution', labels, all), ...columnNames('legacy', labels, all)]);
}

/** The analog subset of knownColumnNames: what format "converted" can carry. */
export function analogColumnNames(labels: readonly string[]): Set<string> {
  const all = [1, 2, 3, 4, 5, 6];
  return new Set([...columnNames('revolution', labels, all).slice(5), ...columnNames('legacy', labels, all).slice(5)]);
}

function columnNames(board: Board, labels: readonly string[], channels: readonly number[]): string[] {
  const used = new Set<string>();
  const unique = (name: string): string => {
    let n = name;
    for (let k = 2; used.has(n); k++) n = `${name}_${k}`;
    used.add(n);
    return n;
  };
  const fixed = ['nSeq', ...DIGITAL_COLUMNS[board]].map(unique);
  return [...fixed, ...channels.map((ch) => unique(typeof labels[4 + ch] === 'string' ? labels[4 + ch] : `A${ch}`))];
}

/** Column descriptions in message order for a board, the 11 labels and the acquired channels (ascending). */
export function describeColumns(board: Board, labels: readonly string[], channels: readonly number[]): ColumnMeta[] {
  const names = columnNames(board, labels, channels);
  return names.map((name, i): ColumnMeta => {
    if (i === 0) return { name, kind: 'sequence', resolution: 4 };
    if (i < 5) return { name, kind: 'digital', resolution: 1 };
    const slot = i - 4;
    const channel = channels[slot - 1];
    const sensor = sensorFor(board, channel);
    return { name, kind: 'analog', channel, sensor, resolution: slotResolution(slot), unit: SENSOR_UNITS[sensor] };
  });
}

/** OpenSignals' header date (YYYY-M-D) and time (HH:MM:SS.mmm) of an instant, in local time. */
export function openSignalsDateTime(ms: number): { date: string; time: string } {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return {
    date: `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`,
    time: `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`,
  };
}

/** Overrides for what the stream itself says (a batch's rate and channels, t0 derived from its time). */
export interface MetaOverrides {
  rate?: number;
  channels?: readonly number[];
  t0?: number;
}

/**
 * The meta message for the service's device, or undefined while no device is known (before the
 * first connect). `t0` falls back to `fallbackT0` (then to now) between acquisitions, when there
 * is no sample 0; a new meta follows once acquisition gives it one.
 */
export function buildMeta(status: ServiceStatus, config: ServerBitConfig, over: MetaOverrides = {}, fallbackT0?: number): MetaMessage | undefined {
  const dev = status.device;
  if (!dev) return undefined;
  const channels = [...(over.channels ?? status.channels)];
  const columns = describeColumns(dev.board, config.labels, channels);
  const analog = columns.slice(5);
  const t0 = over.t0 ?? status.t0 ?? fallbackT0 ?? Date.now();
  return {
    type: 'meta',
    device: dev.id,
    address: dev.address,
    board: dev.board,
    firmware: dev.firmware,
    'firmware version': dev.version,
    'sampling rate': over.rate ?? status.rate,
    channels,
    column: columns.map((c) => c.name),
    label: analog.map((c) => c.name),
    sensor: analog.map((c) => c.sensor!),
    resolution: columns.map((c) => c.resolution),
    columns,
    t0,
    ...openSignalsDateTime(t0),
    simulated: dev.simulated,
  };
}

/** What decides whether a client needs a new meta: everything but t0 (compared on its own). */
export function metaKey(m: MetaMessage): string {
  return JSON.stringify([m.device, m.address, m.board, m.firmware, m['sampling rate'], m.column, m.columns, m.simulated]);
}

export function buildStatus(status: ServiceStatus): StatusMessage {
  const m: StatusMessage = {
    type: 'status',
    state: status.state,
    rate: status.rate,
    channels: [...status.channels],
    counters: { ...status.counters },
  };
  if (status.device) {
    m.device = status.device.id;
    m.board = status.device.board;
    m.firmware = status.device.firmware;
  }
  if (status.error) m.error = { ...status.error };
  if (status.battery !== undefined) m.battery = status.battery;
  return m;
}

/** Converted values keep 4 decimals: finer than a tenth of one ADC step of every sensor (e.g. ECG 0.003 mV). */
const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

interface Plan {
  raw: { name: string; read: (b: SampleBatch, i: number) => number }[];
  converted: { name: string; k: number; sensor: SensorName; bits: number }[];
}

/**
 * Encodes batches as data messages for one subscription. One encoder serves every client with the
 * same subscription (see StreamGroup in stream-group.ts): the plan per column set is computed once and cached.
 */
export class DataEncoder {
  readonly subscription: Subscription;
  private planKey = '';
  private plan: Plan = { raw: [], converted: [] };

  constructor(subscription: Subscription) {
    this.subscription = subscription;
  }

  encode(batch: SampleBatch, board: Board, labels: readonly string[]): DataMessage {
    const plan = this.planFor(board, labels, batch.channels);
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
      for (const col of plan.converted) {
        const src = batch.analog[col.k];
        const out = new Array<number>(n);
        for (let i = 0; i < n; i++) out[i] = round4(convert(col.sensor, src[i], col.bits, { board }));
        converted[col.name] = out;
      }
      msg.converted = converted;
    }
    return msg;
  }

  private planFor(board: Board, labels: readonly string[], channels: readonly number[]): Plan {
    const key = `${board}\u0000${channels.join(',')}\u0000${labels.join('\u0000')}`;
    if (key === this.planKey) return this.plan;
    const cols = this.subscription.columns;
    const wanted = (name: string) => cols === 'all' || cols.includes(name);
    const plan: Plan = { raw: [], converted: [] };
    describeColumns(board, labels, channels).forEach((c, i) => {
      if (!wanted(c.name)) return;
      if (i === 0) plan.raw.push({ name: c.name, read: (b, j) => b.seq[j] });
      else if (i < 5) {
        const shift = 4 - i; // I1 is bit 3 … the last digital column bit 0
        plan.raw.push({ name: c.name, read: (b, j) => (b.digital[j] >> shift) & 1 });
      } else {
        const k = i - 5;
        plan.raw.push({ name: c.name, read: (b, j) => b.analog[k][j] });
        plan.converted.push({ name: c.name, k, sensor: c.sensor as SensorName, bits: c.resolution });
      }
    });
    this.planKey = key;
    this.plan = plan;
    return plan;
  }
}
