/**
 * An append-only text file that stays valid on disk whatever happens (docs/recording.md "Never
 * lose a recording"): text is written only in whole lines, one write per flush; a failed or
 * short write (disk full, file size limit) is cut back to the last complete line; a file that
 * was deleted (its folder removed) is noticed at the next flush instead of writing into the void.
 */
import { open, type FileHandle } from 'node:fs/promises';

export class AppendFile {
  readonly path: string;
  private fh: FileHandle | undefined;
  private chunks: string[] = [];
  private pendingLength = 0;
  /** Bytes on disk that are known good (whole lines). */
  private size = 0;

  private constructor(path: string, fh: FileHandle) {
    this.path = path;
    this.fh = fh;
  }

  /** Opens a file that must not exist yet (`wx`): a recording never overwrites a file. */
  static async create(path: string): Promise<AppendFile> {
    return new AppendFile(path, await open(path, 'wx'));
  }

  /** Opens an empty file this recording reserved (file-names.ts) for writing from its start. */
  static async reopenReserved(path: string): Promise<AppendFile> {
    const fh = await open(path, 'r+');
    const st = await fh.stat();
    if (st.size !== 0) {
      await fh.close();
      throw Object.assign(new Error(`${path} is not the empty file this recording reserved`), { code: 'EEXIST' });
    }
    return new AppendFile(path, fh);
  }

  get bytes(): number {
    return this.size;
  }
  get pending(): number {
    return this.pendingLength;
  }

  /** Queues text (whole lines) for the next flush. */
  append(text: string): void {
    if (text.length === 0) return;
    this.chunks.push(text);
    this.pendingLength += text.length;
  }

  /** Writes the queued text in one write, then fsyncs if asked. Rejects with the OS error (the file is cut back to whole lines first). */
  async flush(fsync: boolean): Promise<void> {
    const fh = this.fh;
    if (!fh) throw new Error(`${this.path} is closed`);
    const st = await fh.stat();
    if (st.nlink === 0) throw Object.assign(new Error(`${this.path} was deleted (was its folder removed?)`), { code: 'ENOENT' });
    if (this.chunks.length > 0) {
      const buf = Buffer.from(this.chunks.join(''), 'utf8');
      this.chunks = [];
      this.pendingLength = 0;
      let written = 0;
      try {
        while (written < buf.length) {
          const { bytesWritten } = await fh.write(buf, written, buf.length - written, this.size + written);
          if (bytesWritten === 0) throw Object.assign(new Error('no space left (0 bytes written)'), { code: 'ENOSPC' });
          written += bytesWritten;
        }
      } catch (err) {
        // Keep only whole lines of what did reach the file: a reader must never see half a row.
        const lastLf = written > 0 ? buf.lastIndexOf(0x0a, written - 1) : -1;
        const keep = this.size + (lastLf + 1);
        await fh.truncate(keep).catch(() => undefined);
        this.size = keep;
        throw err;
      }
      this.size += buf.length;
    }
    if (fsync) await fh.sync();
  }

  /** Closes the file; idempotent, never rejects. Unflushed text is dropped (flush first). */
  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    this.chunks = [];
    this.pendingLength = 0;
    await fh?.close().catch(() => undefined);
  }
}
