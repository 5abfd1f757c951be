/**
 * Reading OpenSignals text recordings (ours and PLUX's; docs/recording.md "Text header" and
 * "Text rows") for playback. Untrusted input: every step is linear in the bytes read, every
 * buffer has a bound (a header line, a data line), and every problem is a DeviceError naming the
 * line and what is wrong — never a crash or a hang.
 *
 * `parseTextHeader` checks the three header lines; `RowDecoder` is a pure incremental transform
 * (the shape of devices/frame-decoder.ts): bytes in, columnar rows out, carrying at most one
 * partial line between chunks.
 */
import { DeviceError } from '#shared/errors.js';
import type { Board } from '#shared/acquisition.js';

export interface ReaderLimits {
  /** Largest file accepted, bytes. Default 8 GiB (about 60 hours of 6 channels at 1000 Hz). */
  maxFileBytes: number;
  /** Longest header line (the JSON), bytes. Default 1 MiB. */
  maxHeaderBytes: number;
  /** Longest data line, bytes. Default 1024 (an 11-column BITalino line is under 60). */
  maxLineBytes: number;
}

export const DEFAULT_READER_LIMITS: Readonly<ReaderLimits> = Object.freeze({ maxFileBytes: 8 * 1024 ** 3, maxHeaderBytes: 1024 * 1024, maxLineBytes: 1024 });

/** What a player needs from a recording: enough to build the device's StreamMeta and replay it. */
export interface RecordingInfo {
  format: 'txt' | 'h5';
  path: string;
  /** The device's top-level key (a MAC in PLUX files). */
  key: string;
  /** The key when it is a MAC address (upper case, colons). */
  mac?: string;
  /** OpenSignals `device` ("bitalino", "bitalino_rev"). */
  deviceType: string;
  board: Board;
  /** OpenSignals `firmware version` ("5.1"), and as a number. */
  firmwareVersion: string;
  version: number;
  /** A BITalino-style version string for DeviceInfo.firmware ("BITalino_v5.1"). */
  firmware: string;
  /** `device connection` as recorded. */
  connection: string;
  rate: number;
  /** Analog channels, 1-based, in file order. */
  channels: number[];
  /** Per channel: label, sensor, resolution in bits. */
  labels: string[];
  sensors: string[];
  resolutions: number[];
  /** Start of the recording as written (`date` + `time`, local time), ms since epoch; undefined if unreadable. */
  start?: number;
  /** Number of samples (data rows, or `nsamples`). */
  samples: number;
}

function bad(path: string, where: string, what: string): DeviceError {
  return new DeviceError('PLAYBACK_BAD_FILE', `${path}: ${where}: ${what}`, 'Give the path of an OpenSignals recording (.txt or .h5) from ServerBIT or OpenSignals.');
}

const MAC = /^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/;

/** Board from the recorded firmware: OpenSignals' "bitalino" files were made by (r)evolution boards too (docs/recording.md). */
export function boardOf(deviceType: string, version: number): Board {
  if (Number.isFinite(version) && version > 0) return Math.floor(version) >= 5 ? 'revolution' : 'legacy';
  return deviceType === 'bitalino' ? 'legacy' : 'revolution';
}

/** `date` "2016-6-9" + `time` "7:5:4.409" (local time, no zero padding) → ms since epoch. */
export function parseOpenSignalsStart(date: unknown, time: unknown): number | undefined {
  if (typeof date !== 'string' || typeof time !== 'string') return undefined;
  const d = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(date);
  const t = /^(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?$/.exec(time);
  if (!d || !t) return undefined;
  const ms = t[4] ? Number(t[4]) : 0; // milliseconds without leading zeros (docs/recording.md)
  const v = new Date(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(t[1]), Number(t[2]), Number(t[3]), ms).getTime();
  return Number.isFinite(v) ? v : undefined;
}

/** Shared by the text and HDF5 readers: checks the per-device values and builds the info. */
export function infoFrom(
  path: string,
  format: 'txt' | 'h5',
  key: string,
  h: { device: unknown; firmware: unknown; connection: unknown; rate: unknown; channels: unknown; labels: unknown; sensors: unknown; resolutions: unknown; date: unknown; time: unknown },
  samples: number,
): RecordingInfo {
  const where = format === 'txt' ? 'header' : `group /${key}`;
  const isStr = (v: unknown): v is string => typeof v === 'string';
  const isIntArr = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isInteger(x));
  if (!isStr(h.device)) throw bad(path, where, '"device" is missing or not a string');
  if (h.device === 'bioplux' || h.device === 'biosignalsplux') {
    throw new DeviceError('PLAYBACK_UNSUPPORTED', `${path}: a ${h.device} recording cannot be played back: only BITalino recordings can`, 'Record with a BITalino (or ServerBIT) and play that file.');
  }
  const rate = h.rate;
  if (typeof rate !== 'number' || !Number.isInteger(rate) || rate < 1 || rate > 100_000) throw bad(path, where, `"sampling rate" ${JSON.stringify(rate)} is not a rate in Hz`);
  if (!isIntArr(h.channels) || h.channels.length === 0 || h.channels.length > 6 || h.channels.some((c) => c < 1 || c > 6)) {
    throw bad(path, where, `"channels" ${JSON.stringify(h.channels)?.slice(0, 60)} is not a list of 1 to 6 channels in 1..6`);
  }
  if (new Set(h.channels).size !== h.channels.length) throw bad(path, where, '"channels" lists a channel twice');
  const n = h.channels.length;
  const strs = (name: string, v: unknown): string[] => {
    if (!Array.isArray(v) || v.length !== n || !v.every(isStr)) throw bad(path, where, `"${name}" must list one string per channel (${n})`);
    return v.map((s) => s.slice(0, 200));
  };
  const labels = strs('label', h.labels);
  const sensors = strs('sensor', h.sensors);
  if (!isIntArr(h.resolutions) || h.resolutions.length !== n || h.resolutions.some((r) => r < 1 || r > 16)) throw bad(path, where, `"resolution" must give 1..16 bits for each channel`);
  const fw = isStr(h.firmware) ? h.firmware : typeof h.firmware === 'number' ? String(h.firmware) : '';
  const version = /^\d+(\.\d+)?$/.test(fw) ? Number(fw) : NaN;
  const board = boardOf(h.device, version);
  return {
    format,
    path,
    key,
    ...(MAC.test(key) ? { mac: key } : {}),
    deviceType: h.device,
    board,
    firmwareVersion: fw,
    version: Number.isFinite(version) ? version : board === 'revolution' ? 5 : 4,
    firmware: fw ? `BITalino_v${fw}` : 'BITalino',
    connection: isStr(h.connection) ? h.connection : '',
    rate,
    channels: [...h.channels],
    labels,
    sensors,
    resolutions: [...h.resolutions],
    ...(parseOpenSignalsStart(h.date, h.time) !== undefined ? { start: parseOpenSignalsStart(h.date, h.time) } : {}),
    samples,
  };
}

export interface TextHeader {
  info: RecordingInfo;
  /** Byte offset of the first data line. */
  dataOffset: number;
  /** Data columns per line. */
  columns: number;
  /** 1-based line number of the first data line (4). */
  firstLine: number;
}

/**
 * Parses the three header lines at the start of `head` (the first bytes of the file, at most
 * maxHeaderBytes + a little). Our files and PLUX's BITalino files (docs/recording.md): one device.
 */
export function parseTextHeader(path: string, head: Uint8Array, limits: ReaderLimits = DEFAULT_READER_LIMITS): TextHeader {
  const lines: string[] = [];
  let pos = 0;
  for (let k = 0; k < 3; k++) {
    const lf = head.indexOf(0x0a, pos);
    if (lf < 0) {
      if (head.length - pos > limits.maxHeaderBytes) throw new DeviceError('PLAYBACK_TOO_LARGE', `${path}: header line ${k + 1} is longer than ${limits.maxHeaderBytes} bytes`, 'This is not an OpenSignals recording, or its header is damaged.');
      throw bad(path, `line ${k + 1}`, 'the header ends early (an OpenSignals text file starts with three header lines)');
    }
    let line = Buffer.from(head.subarray(pos, lf)).toString('latin1');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    lines.push(line);
    pos = lf + 1;
  }
  if (!lines[0].startsWith('# OpenSignals Text File Format')) throw bad(path, 'line 1', 'is not "# OpenSignals Text File Format"');
  if (lines[2] !== '# EndOfHeader') throw bad(path, 'line 3', 'is not "# EndOfHeader"');
  if (!lines[1].startsWith('# ')) throw bad(path, 'line 2', 'does not start with "# "');
  let obj: unknown;
  try {
    obj = JSON.parse(lines[1].slice(2));
  } catch (err) {
    throw bad(path, 'line 2', `the header is not valid JSON (${(err as Error).message.slice(0, 80)})`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw bad(path, 'line 2', 'the header is not a JSON object');
  const keys = Object.keys(obj);
  if (keys.length === 0) throw bad(path, 'line 2', 'the header names no device');
  if (keys.length > 1) throw new DeviceError('PLAYBACK_UNSUPPORTED', `${path}: the recording holds ${keys.length} devices; playback replays one device per file`, 'Record each device to its own file (the default layout) to play it back.');
  const key = keys[0];
  const h = (obj as Record<string, unknown>)[key];
  if (h === null || typeof h !== 'object' || Array.isArray(h)) throw bad(path, 'line 2', `the entry of ${key.slice(0, 40)} is not an object`);
  const d = h as Record<string, unknown>;
  const res = d.resolution;
  const channels = d.channels;
  const n = Array.isArray(channels) ? channels.length : 0;
  const column = d.column;
  if (!Array.isArray(column) || column.length !== 5 + n || !column.every((c) => typeof c === 'string')) {
    throw bad(path, 'header', `"column" must list nSeq, I1, I2, O1, O2 and one column per channel (${5 + n})`);
  }
  const info = infoFrom(
    path,
    'txt',
    key,
    {
      device: d.device,
      firmware: d['firmware version'],
      connection: d['device connection'],
      rate: d['sampling rate'],
      channels,
      labels: d.label,
      sensors: d.sensor,
      resolutions: Array.isArray(res) && res.length === 5 + n ? res.slice(5) : res,
      date: d.date,
      time: d.time,
    },
    0,
  );
  return { info, dataOffset: pos, columns: 5 + n, firstLine: 4 };
}

/** Rows decoded from a chunk, column-major; `seq` holds the nSeq column, `digital` the packed I1 I2 O1 O2 nibble. */
export interface Rows {
  count: number;
  seq: Uint8Array;
  digital: Uint8Array;
  analog: Uint16Array[];
}

/**
 * Incremental decoder of data lines: `nSeq I1 I2 O1 O2 A…`, TAB-separated, a TAB before the LF
 * (a CR before the LF is tolerated). Linear; keeps at most one partial line (maxLineBytes).
 */
export class RowDecoder {
  private readonly columns: number;
  private readonly nAnalog: number;
  private readonly analogMax: number[];
  private readonly path: string;
  private readonly maxLine: number;
  private line: number;
  /** Values of the line being read, and where we are in it. */
  private readonly fields: number[];
  private field = 0;
  private digits = 0;
  private value = 0;
  private lineBytes = 0;
  private sawCr = false;

  constructor(path: string, columns: number, resolutions: readonly number[], firstLine: number, limits: ReaderLimits = DEFAULT_READER_LIMITS) {
    this.path = path;
    this.columns = columns;
    this.nAnalog = columns - 5;
    this.analogMax = resolutions.map((r) => 2 ** r - 1);
    this.line = firstLine;
    this.maxLine = limits.maxLineBytes;
    this.fields = new Array<number>(columns).fill(0);
  }

  /** 1-based number of the line being read. */
  get lineNumber(): number {
    return this.line;
  }

  /** True between lines (nothing carried over). */
  get atLineStart(): boolean {
    return this.lineBytes === 0;
  }

  /** Decodes a chunk; `out` (if given) receives the rows, else they are only checked and counted. */
  push(chunk: Uint8Array, out?: RowSink): number {
    let rows = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (++this.lineBytes > this.maxLine) throw new DeviceError('PLAYBACK_TOO_LARGE', `${this.path}: line ${this.line} is longer than ${this.maxLine} bytes`, 'This file is damaged, or it is not an OpenSignals recording.');
      if (this.sawCr && b !== 0x0a) this.fail('a CR is not followed by LF');
      if (b >= 0x30 && b <= 0x39) {
        if (this.digits >= 5) this.fail(`column ${this.field + 1} has more than 5 digits`);
        this.value = this.value * 10 + (b - 0x30);
        this.digits++;
      } else if (b === 0x09) {
        this.endField();
      } else if (b === 0x0a) {
        if (this.digits > 0) this.endField(); // a last value without its TAB (tolerated)
        if (this.field !== this.columns) this.fail(`${this.field} values where the header has ${this.columns} columns`);
        this.emit(out);
        rows++;
        this.field = 0;
        this.lineBytes = 0;
        this.sawCr = false;
        this.line++;
      } else if (b === 0x0d) {
        this.sawCr = true;
      } else {
        this.fail(`unexpected ${b >= 0x20 && b < 0x7f ? `"${String.fromCharCode(b)}"` : `byte 0x${b.toString(16)}`} in column ${this.field + 1} (values are whole numbers separated by TABs)`);
      }
    }
    return rows;
  }

  /** At end of file: a last line without LF is accepted if complete; returns its row count (0 or 1). */
  end(out?: RowSink): number {
    if (this.lineBytes === 0) return 0;
    if (this.digits > 0) this.endField();
    if (this.field !== this.columns) this.fail(`the last line is cut short (${this.field} of ${this.columns} values)`);
    this.emit(out);
    this.field = 0;
    this.lineBytes = 0;
    this.line++;
    return 1;
  }

  private endField(): void {
    if (this.digits === 0) this.fail(`column ${this.field + 1} is empty`);
    if (this.field >= this.columns) this.fail(`more than the ${this.columns} columns the header names`);
    const f = this.field;
    const v = this.value;
    if (f === 0 && v > 65535) this.fail(`nSeq ${v} is out of range`);
    else if (f >= 1 && f <= 4 && v > 1) this.fail(`digital column ${f + 1} is ${v}, not 0 or 1`);
    else if (f >= 5 && v > this.analogMax[f - 5]) this.fail(`value ${v} in column ${f + 1} does not fit its ${Math.log2(this.analogMax[f - 5] + 1)}-bit resolution`);
    this.fields[f] = v;
    this.field++;
    this.digits = 0;
    this.value = 0;
  }

  private emit(out: RowSink | undefined): void {
    if (!out) return;
    const f = this.fields;
    out.put(f[0] & 15, (f[1] << 3) | (f[2] << 2) | (f[3] << 1) | f[4], f, this.nAnalog);
  }

  private fail(what: string): never {
    throw bad(this.path, `line ${this.line}`, what);
  }
}

/** Collects decoded rows into column arrays that grow as needed. */
export class RowSink {
  count = 0;
  private seq: Uint8Array;
  private digital: Uint8Array;
  private analog: Uint16Array[];
  constructor(nAnalog: number, initial = 1024) {
    this.seq = new Uint8Array(initial);
    this.digital = new Uint8Array(initial);
    this.analog = Array.from({ length: nAnalog }, () => new Uint16Array(initial));
  }
  put(seq: number, digital: number, fields: readonly number[], nAnalog: number): void {
    const i = this.count++;
    if (i >= this.seq.length) this.grow();
    this.seq[i] = seq;
    this.digital[i] = digital;
    for (let k = 0; k < nAnalog; k++) this.analog[k][i] = fields[5 + k];
  }
  private grow(): void {
    const n = this.seq.length * 2;
    const g8 = (a: Uint8Array) => {
      const b = new Uint8Array(n);
      b.set(a);
      return b;
    };
    this.seq = g8(this.seq);
    this.digital = g8(this.digital);
    this.analog = this.analog.map((a) => {
      const b = new Uint16Array(n);
      b.set(a);
      return b;
    });
  }
  /** The first `max` rows as exact-length arrays; the rest stay. */
  take(max = this.count): Rows {
    const n = Math.min(max, this.count);
    const out: Rows = { count: n, seq: this.seq.slice(0, n), digital: this.digital.slice(0, n), analog: this.analog.map((a) => a.slice(0, n)) };
    this.seq.copyWithin(0, n, this.count);
    this.digital.copyWithin(0, n, this.count);
    for (const a of this.analog) a.copyWithin(0, n, this.count);
    this.count -= n;
    return out;
  }
}
