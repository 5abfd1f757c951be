/**
 * The OpenSignals header of one device, built from its StreamMeta (docs/recording.md "Text
 * header" and "HDF5 layout"): the 18 keys of the text header in their fixed order, and the 16
 * attributes of an HDF5 device group.
 */
import type { StreamColumn, StreamMeta } from '#shared/acquisition.js';
import { pyJsonDumps, type PyJson } from './python-json.js';

/** The columns a recording writes, in file order: nSeq, four digital bits, then one per acquired channel. */
export interface RecordedColumns {
  /** `nSeq`, then the digital names (`I1 I2 O1 O2`; legacy `I1 … I4`), then each channel's label. */
  names: string[];
  /** Bits per value, one per column: 4, 1, 1, 1, 1, then 10 or 6 (32 for float sources). */
  resolution: number[];
  /** Analog columns only, in channel order. */
  analog: StreamColumn[];
  /** 0 for an input, 1 for an output, per digital column (OpenSignals `digital IO`). */
  digitalIO: number[];
}

const DEFAULT_DIGITAL = ['I1', 'I2', 'O1', 'O2'];

/** Reads the written columns from the meta; missing or odd entries fall back to the BITalino defaults. */
export function recordedColumns(meta: StreamMeta): RecordedColumns {
  const seq = meta.columns.find((c) => c.kind === 'sequence');
  const digital = meta.columns.filter((c) => c.kind === 'digital');
  const digitalNames = digital.length === 4 ? digital.map((c) => c.name) : DEFAULT_DIGITAL;
  const analog = meta.channels.map((ch): StreamColumn => {
    const c = meta.columns.find((col) => col.kind === 'analog' && col.channel === ch);
    return c ?? { name: `A${ch}`, label: `A${ch}`, kind: 'analog', channel: ch, resolution: 10, sensor: 'RAW' };
  });
  return {
    names: [seq?.name ?? 'nSeq', ...digitalNames, ...analog.map((c) => c.name)],
    resolution: [seq?.resolution ?? 4, 1, 1, 1, 1, ...analog.map((c) => c.resolution)],
    analog,
    digitalIO: digitalNames.map((n) => (/^O/i.test(n) ? 1 : 0)),
  };
}

/** True when every analog value is a float (R-IoT): written with decimals, HDF5 float32. */
export function isFloatSource(cols: RecordedColumns): boolean {
  return cols.analog.some((c) => c.resolution === 32);
}

/**
 * The top-level key OpenSignals files use: the device's MAC, else its name, else its id. The same
 * key names the device's HDF5 group, where "/" separates groups: a name such as the serial port
 * "/dev/rfcomm0" becomes "dev_rfcomm0" (in the .txt too, so both files agree).
 */
export function deviceKey(meta: StreamMeta): string {
  const key = meta.mac ?? (meta.name || meta.device);
  const safe = key.replace(/^\/+/, '').replace(/\//g, '_');
  return /^\.*$/.test(safe) ? 'device' : safe; // "", ".", ".." name no HDF5 group
}

/** OpenSignals `device`: "bitalino_rev" for a (r)evolution, "bitalino" for the legacy board, else the source kind. */
export function deviceType(meta: StreamMeta): string {
  if (meta.board === 'revolution') return 'bitalino_rev';
  if (meta.board === 'legacy') return 'bitalino';
  return meta.kind;
}

/** OpenSignals `firmware version`: "5.2" from version 5.2, "5.0" from 5 (as the sample files show). */
export function firmwareVersion(meta: StreamMeta): string {
  const v = meta.version;
  if (!Number.isFinite(v)) return '';
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

/** OpenSignals `date` and `time` of a moment, local time, no zero padding ("2016-6-9", "7:5:4.409"). */
export function openSignalsDateTime(ms: number): { date: string; time: string } {
  const d = new Date(Math.round(ms));
  return {
    date: `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`,
    time: `${d.getHours()}:${d.getMinutes()}:${d.getSeconds()}.${d.getMilliseconds()}`,
  };
}

/** HDF5 `duration`: whole seconds rounded down, "11s", "1m8s", "2h0m5s". */
export function durationString(samples: number, rate: number): string {
  const total = rate > 0 ? Math.floor(samples / rate) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

export interface HeaderDevice {
  /** Top-level key (deviceKey, made unique in a combined file). */
  key: string;
  meta: StreamMeta;
  /** Device time of the first sample in the file, ms since the Unix epoch. */
  start: number;
  /** Place of the device in a combined file (0 for a single device). */
  position: number;
}

/** The 18-key object of one device, keys in the order OpenSignals writes them. */
export function textHeaderEntry(dev: HeaderDevice): Record<string, PyJson> {
  const { meta } = dev;
  const cols = recordedColumns(meta);
  const { date, time } = openSignalsDateTime(dev.start);
  return {
    sensor: cols.analog.map((c) => c.sensor ?? 'RAW'),
    'device name': dev.key,
    column: cols.names,
    'sync interval': 2,
    time,
    comments: '',
    'device connection': meta.connection,
    channels: [...meta.channels],
    date,
    mode: 0,
    'digital IO': cols.digitalIO,
    'firmware version': firmwareVersion(meta),
    device: deviceType(meta),
    position: dev.position,
    'sampling rate': Math.round(meta.rate),
    label: cols.analog.map((c) => c.name),
    resolution: cols.resolution,
    special: cols.analog.map(() => ({})),
  };
}

/** The three header lines, each ending in LF. */
export function formatTextHeader(devices: readonly HeaderDevice[]): string {
  const obj: Record<string, PyJson> = {};
  for (const d of devices) obj[d.key] = textHeaderEntry(d);
  return `# OpenSignals Text File Format\n# ${pyJsonDumps(obj)}\n# EndOfHeader\n`;
}
