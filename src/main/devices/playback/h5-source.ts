/**
 * Reading OpenSignals HDF5 recordings for playback (docs/recording.md "HDF5 layout"): the first
 * device group, its attributes, `raw/nSeq`, `digital/digital_1…4` and `raw/channel_<n>`, read in
 * slices so memory stays bounded. Anything missing or of the wrong shape is a PLAYBACK_BAD_FILE
 * naming the member.
 */
import { DeviceError } from '#shared/errors.js';
import { loadH5wasm, type H5wasm } from '../../h5wasm.js';
import type { SampleSource } from './sample-source.js';
import { infoFrom, type ReaderLimits, type RecordingInfo, type Rows } from './text-reader.js';

type File = InstanceType<H5wasm['File']>;
type Dataset = InstanceType<H5wasm['Dataset']>;

function bad(path: string, what: string): DeviceError {
  return new DeviceError('PLAYBACK_BAD_FILE', `${path}: ${what}`, 'Give the path of an OpenSignals recording (.txt or .h5) from ServerBIT or OpenSignals.');
}

/** Attribute value as a plain JS value (bigint → number, 1-element arrays of scalars kept as arrays). */
function attr(file: File, path: string, name: string): unknown {
  const obj = file.get(path);
  if (!obj) return undefined;
  const a = (obj as unknown as { attrs: Record<string, { json_value: unknown } | undefined> }).attrs[name];
  if (!a) return undefined;
  return a.json_value;
}

/** `_limits`: the file size was checked by openRecording; HDF5 reads are sliced, so nothing else grows with the file. */
export async function openH5Recording(path: string, _limits: ReaderLimits): Promise<SampleSource> {
  const { h5 } = await loadH5wasm();
  let file: File;
  try {
    file = new h5.File(path, 'r');
  } catch (err) {
    throw bad(path, `HDF5 cannot open it (${String((err as Error)?.message ?? err).split('\n')[0].slice(0, 120)})`);
  }
  try {
    const keys = file.keys();
    if (keys.length === 0) throw bad(path, 'the file holds no device group');
    if (keys.length > 1) throw new DeviceError('PLAYBACK_UNSUPPORTED', `${path}: the recording holds ${keys.length} devices; playback replays one device per file`, 'Record each device to its own file (the default layout) to play it back.');
    const key = keys[0];
    const g = `/${key}`;
    const channels = attr(file, g, 'channels');
    const res = attr(file, g, 'resolution');
    const n = Array.isArray(channels) ? channels.length : 0;
    const dataset = (p: string): Dataset => {
      const d = file.get(`${g}/${p}`);
      if (!d || !(d instanceof h5.Dataset)) throw bad(path, `${g}/${p} is missing`);
      const shape = d.shape;
      if (!shape || shape.length !== 2 || shape[1] !== 1) throw bad(path, `${g}/${p} has shape ${JSON.stringify(shape)}, not (N, 1)`);
      const m = d.metadata as { type: number; size: number; signed?: boolean };
      if (m.type !== 0 /* H5T_INTEGER */ || m.size > 4) throw bad(path, `${g}/${p} does not hold integers`);
      return d;
    };
    const chanList = Array.isArray(channels) ? (channels as unknown[]).map(Number) : [];
    const labels: string[] = [];
    const sensors: string[] = [];
    const sets = [dataset('raw/nSeq'), dataset('digital/digital_1'), dataset('digital/digital_2'), dataset('digital/digital_3'), dataset('digital/digital_4')];
    for (const c of chanList) {
      sets.push(dataset(`raw/channel_${c}`));
      labels.push(String(attr(file, `${g}/raw/channel_${c}`, 'label') ?? `A${c}`));
      sensors.push(String(attr(file, `${g}/raw/channel_${c}`, 'sensor') ?? 'RAW'));
    }
    const lengths = sets.map((d) => d.shape![0]);
    const nsamples = Number(attr(file, g, 'nsamples') ?? lengths[0]);
    const samples = Math.min(nsamples, ...lengths);
    const num = (v: unknown) => (Array.isArray(v) && v.length === 1 ? Number(v[0]) : typeof v === 'number' || typeof v === 'bigint' ? Number(v) : v);
    const info = infoFrom(
      path,
      'h5',
      key,
      {
        device: attr(file, g, 'device'),
        firmware: attr(file, g, 'firmware version'),
        connection: attr(file, g, 'device connection'),
        rate: num(attr(file, g, 'sampling rate')),
        channels: chanList,
        labels,
        sensors,
        resolutions: Array.isArray(res) && res.length === 5 + n ? (res as unknown[]).slice(5).map(Number) : res,
        date: attr(file, g, 'date'),
        time: attr(file, g, 'time'),
      },
      samples,
    );
    if (samples <= 0) throw bad(path, 'the recording has no samples');
    return new H5Source(file, sets, info);
  } catch (err) {
    try {
      file.close();
    } catch {
      // closing a half-read file
    }
    if (err instanceof DeviceError) throw err;
    throw bad(path, `unreadable (${String((err as Error)?.message ?? err).split('\n')[0].slice(0, 120)})`);
  }
}

class H5Source implements SampleSource {
  readonly info: RecordingInfo;
  private file: File | undefined;
  private readonly sets: Dataset[];
  private pos = 0;
  private readonly max: number[];

  constructor(file: File, sets: Dataset[], info: RecordingInfo) {
    this.file = file;
    this.sets = sets;
    this.info = info;
    this.max = info.resolutions.map((r) => 2 ** r - 1);
  }

  async read(max: number): Promise<Rows | null> {
    if (!this.file) throw new DeviceError('PLAYBACK_UNREADABLE', `${this.info.path} is closed`);
    const from = this.pos;
    const to = Math.min(this.info.samples, from + Math.max(1, max));
    if (from >= to) return null;
    let cols: ArrayLike<number>[];
    try {
      cols = this.sets.map((d) => d.slice([[from, to], []]) as unknown as ArrayLike<number>);
    } catch (err) {
      throw bad(this.info.path, `reading samples ${from}..${to} failed (${String((err as Error)?.message ?? err).split('\n')[0].slice(0, 120)})`);
    }
    const n = to - from;
    const seq = new Uint8Array(n);
    const digital = new Uint8Array(n);
    const analog = this.info.channels.map(() => new Uint16Array(n));
    const [s, d1, d2, d3, d4] = cols;
    for (let i = 0; i < n; i++) {
      seq[i] = Number(s[i]) & 15;
      digital[i] = ((Number(d1[i]) & 1) << 3) | ((Number(d2[i]) & 1) << 2) | ((Number(d3[i]) & 1) << 1) | (Number(d4[i]) & 1);
    }
    for (let k = 0; k < analog.length; k++) {
      const c = cols[5 + k];
      const a = analog[k];
      const lim = this.max[k];
      for (let i = 0; i < n; i++) {
        const v = Number(c[i]);
        if (!(v >= 0 && v <= lim)) throw bad(this.info.path, `raw/channel_${this.info.channels[k]}[${from + i}] = ${v} does not fit its ${this.info.resolutions[k]}-bit resolution`);
        a[i] = v;
      }
    }
    this.pos = to;
    return { count: n, seq, digital, analog };
  }

  async rewind(): Promise<void> {
    this.pos = 0;
  }

  async close(): Promise<void> {
    const f = this.file;
    this.file = undefined;
    try {
      f?.close();
    } catch {
      // already closed
    }
  }
}
