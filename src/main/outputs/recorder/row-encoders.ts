/**
 * Turning samples into text rows: the OpenSignals data line (docs/recording.md "Text rows") and
 * the CSV row. Hot path at 1000 Hz × N devices: numbers below 4096 come from a table.
 */
import type { AnalogValues, StreamMeta } from '#shared/acquisition.js';
import { SENSOR_UNITS, convert, type PhysicalSensor, type SensorName } from '#shared/sensors.js';
import { recordedColumns, type RecordedColumns } from './opensignals-header.js';

const SMALL = Array.from({ length: 4096 }, (_, i) => String(i));
const int = (v: number): string => (v < 4096 && v >= 0 ? SMALL[v] : String(v));
/** Float values (R-IoT) with float32 precision, shortest form. */
const float = (v: number): string => (Number.isFinite(v) ? String(Number(v.toPrecision(7))) : '0');

/** The samples of one batch that a writer needs, copied out of the hub's batch (exact length `count`). */
export interface SampleBlock {
  device: string;
  /** Session index of the first sample. */
  index: number;
  count: number;
  seq: Uint8Array;
  digital: Uint8Array;
  analog: AnalogValues[];
  /** Host time per sample, irregular sources only. */
  timestamps?: Float64Array;
}

/**
 * One OpenSignals line fragment per sample, without the LF: every value followed by a TAB
 * (`nSeq I1 I2 O1 O2 A…`), so fragments of several devices concatenate into one combined line.
 * Digital nibble: bit 3 = I1, bit 2 = I2, bit 1 = O1, bit 0 = O2.
 */
export function openSignalsFragment(b: SampleBlock, i: number, floats: boolean): string {
  // `| 0`: a source without nSeq/digital (R-IoT) may send empty arrays; those columns are 0.
  const d = b.digital[i] | 0;
  let s = `${SMALL[(b.seq[i] | 0) & 15]}\t${SMALL[(d >> 3) & 1]}\t${SMALL[(d >> 2) & 1]}\t${SMALL[(d >> 1) & 1]}\t${SMALL[d & 1]}\t`;
  for (const a of b.analog) s += (floats ? float(a[i]) : int(a[i])) + '\t';
  return s;
}

/** All the LF-terminated lines of a block (single-device file). */
export function openSignalsLines(b: SampleBlock, floats: boolean): string {
  let s = '';
  for (let i = 0; i < b.count; i++) s += openSignalsFragment(b, i, floats) + '\n';
  return s;
}

/** A fragment of zeros for `n` analog channels: a combined file's stand-in row for a device with no sample (docs/recording.md "Several devices"). */
export function zeroFragment(nAnalog: number): string {
  return '0\t'.repeat(5 + nAnalog);
}

interface CsvAnalog {
  sensor: SensorName | undefined;
  bits: number;
  float: boolean;
}

/**
 * CSV for one device (docs/recording.md "CSV"): `index`, `time (s)` (device time since the
 * session's sample 0), `device time (ms since epoch)`, nSeq, the digital bits, per channel the raw
 * value and, for a known sensor, the converted value in its unit, then `gap`: how many samples were
 * lost right before this row (0 when none).
 */
export class CsvEncoder {
  readonly header: string;
  private readonly analog: CsvAnalog[];
  private readonly rate: number;
  private readonly t0: number;
  private readonly timeDecimals: number;
  private readonly board: 'revolution' | 'legacy';

  constructor(meta: StreamMeta) {
    const cols: RecordedColumns = recordedColumns(meta);
    this.rate = meta.rate;
    this.t0 = meta.t0;
    this.board = meta.board ?? 'revolution';
    this.timeDecimals = meta.irregular ? 3 : Math.max(0, Math.ceil(Math.log10(Math.max(1, meta.rate))));
    const names = ['index', 'time (s)', 'device time (ms since epoch)', ...cols.names.slice(0, 5)];
    this.analog = cols.analog.map((c) => {
      // Converted columns only for a sensor with a transfer function (RAW has none).
      const sensor = c.sensor && c.sensor !== 'RAW' && c.sensor in SENSOR_UNITS ? (c.sensor as PhysicalSensor) : undefined;
      const isFloat = c.resolution === 32;
      names.push(isFloat ? `${c.name}${c.unit ? ` (${c.unit})` : ''}` : `${c.name} (raw)`);
      if (sensor && !isFloat) names.push(`${c.name} ${sensor} (${c.unit ?? SENSOR_UNITS[sensor]})`);
      return { sensor: isFloat ? undefined : sensor, bits: c.resolution, float: isFloat };
    });
    names.push('gap');
    this.header = names.map(csvField).join(',') + '\n';
  }

  /** Rows of a block; `gapBefore` = samples lost just before its first sample. */
  rows(b: SampleBlock, gapBefore: number): string {
    let s = '';
    for (let i = 0; i < b.count; i++) {
      const index = b.index + i;
      const ms = b.timestamps ? b.timestamps[i] : this.t0 + (index * 1000) / this.rate;
      const secs = (ms - this.t0) / 1000;
      const d = b.digital[i] | 0;
      s += `${index},${secs.toFixed(this.timeDecimals)},${ms.toFixed(3)},${int((b.seq[i] | 0) & 15)},${(d >> 3) & 1},${(d >> 2) & 1},${(d >> 1) & 1},${d & 1}`;
      for (let k = 0; k < this.analog.length; k++) {
        const a = this.analog[k];
        const v = b.analog[k][i];
        if (a.float) {
          s += ',' + float(v);
          continue;
        }
        s += ',' + int(v);
        if (a.sensor) s += ',' + convert(a.sensor, v, a.bits, { board: this.board }).toFixed(6);
      }
      s += i === 0 ? `,${gapBefore}\n` : ',0\n';
    }
    return s;
  }
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
