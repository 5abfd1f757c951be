/**
 * A recording opened for playback: its info and its samples, read block by block so a file of
 * any length plays in constant memory (docs/recording.md "Playback").
 */
import { open, type FileHandle } from 'node:fs/promises';
import { DeviceError } from '#shared/errors.js';
import { DEFAULT_READER_LIMITS, RowDecoder, RowSink, parseTextHeader, type ReaderLimits, type RecordingInfo, type Rows } from './text-reader.js';

export interface SampleSource {
  readonly info: RecordingInfo;
  /** Up to `max` next samples, or null at the end of the file. */
  read(max: number): Promise<Rows | null>;
  /** Back to the first sample. */
  rewind(): Promise<void>;
  close(): Promise<void>;
}

const CHUNK = 64 * 1024;
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function unreadable(path: string, err: unknown): DeviceError {
  const code = (err as NodeJS.ErrnoException)?.code;
  const why = code === 'ENOENT' ? 'there is no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : ((err as Error)?.message ?? String(err));
  return new DeviceError('PLAYBACK_UNREADABLE', `cannot read the recording ${path}: ${why}`, 'Check the path after "file:" in the device address, and that you may read the file.', { cause: err });
}

/** Opens a .txt or .h5 recording (decided by its first bytes, not its name) and checks all of it. */
export async function openRecording(path: string, limits: Partial<ReaderLimits> = {}): Promise<SampleSource> {
  const lim = { ...DEFAULT_READER_LIMITS, ...limits };
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw unreadable(path, err);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw unreadable(path, Object.assign(new Error('not a regular file'), { code: st.isDirectory() ? 'EISDIR' : undefined }));
    if (st.size > lim.maxFileBytes) throw new DeviceError('PLAYBACK_TOO_LARGE', `${path} is ${st.size} bytes, more than the ${lim.maxFileBytes} this player reads`, 'Play a shorter recording, or raise the playback file size limit.');
    const sig = new Uint8Array(8);
    await fh.read(sig, 0, 8, 0);
    if (HDF5_SIGNATURE.every((b, i) => sig[i] === b)) {
      await fh.close();
      const { openH5Recording } = await import('./h5-source.js');
      return await openH5Recording(path, lim);
    }
    const src = await TextSource.open(path, fh, st.size, lim);
    return src;
  } catch (err) {
    await fh.close().catch(() => undefined);
    if (err instanceof DeviceError) throw err;
    throw unreadable(path, err);
  }
}

class TextSource implements SampleSource {
  readonly info: RecordingInfo;
  private readonly fh: FileHandle;
  private readonly header: ReturnType<typeof parseTextHeader>;
  private readonly limits: ReaderLimits;
  private decoder!: RowDecoder;
  private sink!: RowSink;
  private pos = 0;
  private eof = false;
  private readonly buf = new Uint8Array(CHUNK);

  private constructor(fh: FileHandle, header: ReturnType<typeof parseTextHeader>, limits: ReaderLimits) {
    this.fh = fh;
    this.header = header;
    this.info = header.info;
    this.limits = limits;
    this.reset();
  }

  static async open(path: string, fh: FileHandle, size: number, limits: ReaderLimits): Promise<TextSource> {
    const headLen = Math.min(size, limits.maxHeaderBytes + 4096);
    const head = new Uint8Array(headLen);
    let got = 0;
    while (got < headLen) {
      const { bytesRead } = await fh.read(head, got, headLen - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const header = parseTextHeader(path, head.subarray(0, got), limits);
    const src = new TextSource(fh, header, limits);
    // One pass over the whole file now, so a damaged line is reported at connect, not mid-stream.
    header.info.samples = await src.scan();
    if (header.info.samples === 0) throw new DeviceError('PLAYBACK_BAD_FILE', `${path}: the recording has no samples`, 'Play a recording that holds data.');
    src.reset();
    return src;
  }

  private reset(): void {
    this.decoder = new RowDecoder(this.info.path, this.header.columns, this.info.resolutions, this.header.firstLine, this.limits);
    this.sink = new RowSink(this.info.channels.length);
    this.pos = this.header.dataOffset;
    this.eof = false;
  }

  private async scan(): Promise<number> {
    let rows = 0;
    for (;;) {
      const { bytesRead } = await this.fh.read(this.buf, 0, CHUNK, this.pos);
      if (bytesRead === 0) break;
      this.pos += bytesRead;
      rows += this.decoder.push(this.buf.subarray(0, bytesRead));
    }
    return rows + this.decoder.end();
  }

  async read(max: number): Promise<Rows | null> {
    while (this.sink.count < max && !this.eof) {
      const { bytesRead } = await this.fh.read(this.buf, 0, CHUNK, this.pos);
      if (bytesRead === 0) {
        this.eof = true;
        this.decoder.end(this.sink);
        break;
      }
      this.pos += bytesRead;
      this.decoder.push(this.buf.subarray(0, bytesRead), this.sink);
    }
    if (this.sink.count === 0) return null;
    return this.sink.take(max);
  }

  async rewind(): Promise<void> {
    this.reset();
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}
