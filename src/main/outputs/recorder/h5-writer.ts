/**
 * OpenSignals HDF5 (docs/recording.md "HDF5 layout"), written with h5wasm: one group per device
 * named by its key, holding `raw/nSeq`, `raw/channel_<n>`, `digital/digital_1…4`, empty
 * `events/digital` and `events/sync`, the markers in `events/markers` (ours: OpenSignals has no
 * such dataset), an empty `plugin`, and the 16 group attributes.
 * `support` (OpenSignals' display zoom levels) is left out: NeuroKit2 and opensignalsreader do
 * not open .h5 at all and biosignalsnotebooks reads only the group attributes and `raw/channel_<n>`
 * (docs/recording.md "Which tools open the files").
 *
 * Samples are held in memory until `flush()`, which appends them all (resize + write), updates
 * `nsamples` and `duration` and flushes HDF5 in one synchronous step, so the file on disk changes
 * only then. The HDF5 library has no journal: a crash *during* that step can damage the file
 * (docs/recording.md "Limits").
 */
import type { StreamMeta } from '#shared/acquisition.js';
import { durationString, firmwareVersion, deviceType, isFloatSource, openSignalsDateTime, recordedColumns, type RecordedColumns } from './opensignals-header.js';
import { loadH5wasm, loadedH5wasm, type H5Module, type H5wasm } from '../../h5wasm.js';
import type { SampleBlock } from './row-encoders.js';

type File = InstanceType<H5wasm['File']>;
type Group = InstanceType<H5wasm['Group']>;
type Dataset = InstanceType<H5wasm['Dataset']>;

const CHUNK = 1024;

/** A growable typed-array buffer for one dataset's pending values. */
class Pending<T extends Uint16Array | Float32Array> {
  buf: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.buf = make(CHUNK);
  }
  reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = this.make(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length) as never);
    this.buf = next;
  }
  take(): T {
    const out = this.buf.slice(0, this.length) as T;
    this.length = 0;
    if (this.buf.length > 16 * CHUNK) this.buf = this.make(CHUNK);
    return out;
  }
}

/** A marker as written to `events/markers` (docs/recording.md "Markers"). */
export interface H5Marker {
  /** This device's data row the marker falls before: the rows recorded when it arrived. */
  row: number;
  /** The session index the sender named, or -1. */
  index: number;
  /** Wall clock of the mark, ms since the Unix epoch. */
  time: number;
  id: number;
  label: string;
  source: string;
}

/**
 * `events/markers`: one compound record per marker. Fixed-length UTF-8 strings (h5wasm cannot
 * extend variable-length ones): a label has at most 256 UTF-16 code units (acquisition.ts
 * MAX_MARKER_LABEL), which never take more than 768 bytes in UTF-8, so none is cut.
 */
export const H5_MARKER_DTYPE: [string, string][] = [
  ['row', '<q'],
  ['index', '<q'],
  ['time', '<d'],
  ['id', '<q'],
  ['label', 'S768'],
  ['source', 'S16'],
];

function markerColumns(ms: readonly H5Marker[]): Map<string, BigInt64Array | Float64Array | string[]> {
  return new Map<string, BigInt64Array | Float64Array | string[]>([
    ['row', new BigInt64Array(ms.map((m) => BigInt(m.row)))],
    ['index', new BigInt64Array(ms.map((m) => BigInt(m.index)))],
    ['time', new Float64Array(ms.map((m) => m.time))],
    ['id', new BigInt64Array(ms.map((m) => BigInt(m.id)))],
    ['label', ms.map((m) => m.label)],
    ['source', ms.map((m) => m.source.slice(0, 16))],
  ]);
}

const u16 = (n: number) => new Uint16Array(n);
const f32 = (n: number) => new Float32Array(n);
const i64 = (values: number[]) => new BigInt64Array(values.map((v) => BigInt(Math.round(v))));

export class H5DeviceGroup {
  readonly key: string;
  private readonly group: Group;
  private readonly cols: RecordedColumns;
  private readonly rate: number;
  private readonly datasets: Dataset[];
  private readonly pending: Pending<Uint16Array | Float32Array>[];
  private written = 0;
  private queued = 0;
  private readonly markers: Dataset;
  private markersWritten = 0;
  private markersQueued: H5Marker[] = [];

  constructor(file: File, key: string, meta: StreamMeta, start: number) {
    this.key = key;
    this.rate = meta.rate;
    this.cols = recordedColumns(meta);
    const floats = isFloatSource(this.cols);
    const g = file.create_group(key);
    this.group = g;
    const { date, time } = openSignalsDateTime(start);
    const str = (name: string, v: string) => g.create_attribute(name, v);
    const int = (name: string, v: number) => g.create_attribute(name, i64([v]), [], '<q');
    const ints = (name: string, v: number[]) => g.create_attribute(name, i64(v), [v.length], '<q');
    // The 16 attributes in the order of docs/recording.md (HDF5 keeps them by name anyway).
    ints('channels', meta.channels);
    str('comments', '');
    str('date', date);
    str('device', deviceType(meta));
    str('device connection', meta.connection);
    str('device name', key);
    ints('digital IO', this.cols.digitalIO);
    str('duration', durationString(0, meta.rate));
    str('firmware version', firmwareVersion(meta));
    str('macaddress', meta.mac ?? key);
    int('mode', 0);
    int('nsamples', 0);
    ints('resolution', this.cols.resolution);
    int('sampling rate', Math.round(meta.rate));
    int('sync interval', 2);
    str('time', time);

    const extensible = (parent: Group, name: string, dtype: string) =>
      parent.create_dataset({ name, data: dtype === '<f' ? new Float32Array(0) : new Uint16Array(0), shape: [0, 1], maxshape: [null, 1], chunks: [CHUNK, 1], dtype });
    const raw = g.create_group('raw');
    const digital = g.create_group('digital');
    const events = g.create_group('events');
    events.create_dataset({ name: 'digital', data: new Uint32Array(0), shape: [0, 4], maxshape: [null, 4], chunks: [512, 4], dtype: '<I' });
    events.create_dataset({ name: 'sync', data: new Uint32Array(0), shape: [0, 3], maxshape: [null, 3], chunks: [512, 3], dtype: '<I' });
    this.markers = events.create_dataset({ name: 'markers', data: markerColumns([]) as never, shape: [0], maxshape: [null], chunks: [64], dtype: H5_MARKER_DTYPE as never });
    g.create_group('plugin');
    this.datasets = [extensible(raw, 'nSeq', '<H')];
    for (let k = 1; k <= 4; k++) this.datasets.push(extensible(digital, `digital_${k}`, '<H'));
    this.cols.analog.forEach((c) => {
      const ds = extensible(raw, `channel_${c.channel ?? 0}`, floats ? '<f' : '<H');
      ds.create_attribute('label', c.name);
      ds.create_attribute('sensor', c.sensor ?? 'RAW');
      ds.create_attribute('special', '{}');
      this.datasets.push(ds);
    });
    this.pending = this.datasets.map((_, i) => new Pending<Uint16Array | Float32Array>(i >= 5 && floats ? f32 : u16));
  }

  get samples(): number {
    return this.written + this.queued;
  }

  /** Queues a block's samples (written at the next flush). */
  append(b: SampleBlock): void {
    const n = b.count;
    for (const p of this.pending) p.reserve(n);
    const [seq, d1, d2, d3, d4] = this.pending;
    for (let i = 0; i < n; i++) {
      const d = b.digital[i] | 0; // absent for sources without digital columns
      seq.buf[seq.length + i] = (b.seq[i] | 0) & 15;
      d1.buf[d1.length + i] = (d >> 3) & 1;
      d2.buf[d2.length + i] = (d >> 2) & 1;
      d3.buf[d3.length + i] = (d >> 1) & 1;
      d4.buf[d4.length + i] = d & 1;
    }
    for (let k = 0; k < b.analog.length && k + 5 < this.pending.length; k++) {
      const p = this.pending[k + 5];
      p.buf.set(b.analog[k].subarray(0, n) as never, p.length);
    }
    for (const p of this.pending) p.length += n;
    this.queued += n;
  }

  /** Queues a marker (written at the next flush). */
  addMarker(m: H5Marker): void {
    this.markersQueued.push(m);
  }

  /** Bytes the next write adds, roughly (for the free-space check). */
  get pendingBytes(): number {
    return this.queued * this.datasets.length * 4 + this.markersQueued.length * 816;
  }

  /** Appends the queued samples to the datasets and updates `nsamples`/`duration`; appends the queued markers. */
  write(): void {
    if (this.markersQueued.length > 0) {
      const ms = this.markersQueued;
      this.markersQueued = [];
      const to = this.markersWritten + ms.length;
      this.markers.resize([to]);
      this.markers.write_slice([[this.markersWritten, to]], markerColumns(ms));
      this.markersWritten = to;
    }
    if (this.queued === 0) return;
    const from = this.written;
    const to = from + this.queued;
    this.datasets.forEach((ds, i) => {
      const data = this.pending[i].take();
      ds.resize([to, 1]);
      ds.write_slice([[from, to], []], data);
    });
    this.written = to;
    this.queued = 0;
    this.group.delete_attribute('nsamples');
    this.group.create_attribute('nsamples', i64([to]), [], '<q');
    this.group.delete_attribute('duration');
    this.group.create_attribute('duration', durationString(to, this.rate));
  }
}

export class OpenSignalsH5File {
  readonly path: string;
  private file: File | undefined;
  private readonly module: H5Module;
  private readonly groups: H5DeviceGroup[] = [];

  private constructor(path: string, file: File, module: H5Module) {
    this.path = path;
    this.file = file;
    this.module = module;
  }

  /** Creates (truncates) `path`, which the caller has reserved (docs/recording.md "Where files go"). */
  static async create(path: string): Promise<OpenSignalsH5File> {
    await loadH5wasm();
    return OpenSignalsH5File.createLoaded(path);
  }

  /** Same, synchronously, once loadH5wasm() has resolved. */
  static createLoaded(path: string): OpenSignalsH5File {
    const { h5, module } = loadedH5wasm();
    // Superblock version 0 and object formats every HDF5 from 1.8 reads, as OpenSignals writes
    // (docs/recording.md "HDF5 layout"); HDF5 2.0's default would be superblock 2.
    return new OpenSignalsH5File(path, new h5.File(path, 'w', { libver: ['earliest', 'v110'] }), module);
  }

  group(key: string): H5DeviceGroup | undefined {
    return this.groups.find((g) => g.key === key);
  }

  addDevice(key: string, meta: StreamMeta, start: number): H5DeviceGroup {
    if (!this.file) throw new Error(`${this.path} is closed`);
    const g = new H5DeviceGroup(this.file, key, meta, start);
    this.groups.push(g);
    return g;
  }

  get pendingBytes(): number {
    return this.groups.reduce((n, g) => n + g.pendingBytes, 0);
  }

  /** Writes every group's queued samples and flushes the file to the OS. Throws on an HDF5 error. */
  flush(): void {
    const file = this.file;
    if (!file) throw new Error(`${this.path} is closed`);
    for (const g of this.groups) g.write();
    // h5wasm's File.flush() drops H5Fflush's status; ask the module directly.
    const status = this.module.flush(file.file_id);
    if (status < 0) throw new Error(`HDF5 could not flush ${this.path}`);
  }

  /** Closes the file (H5Fclose); idempotent, never throws. Call flush() first. */
  close(): void {
    const file = this.file;
    this.file = undefined;
    try {
      file?.close();
    } catch {
      // A file whose last write failed may not close cleanly; what was flushed stays.
    }
  }
}
