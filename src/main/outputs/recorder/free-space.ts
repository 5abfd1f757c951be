/**
 * Is there room for the next write? Checked before every flush (docs/recording.md "Never lose a
 * recording"): the HDF5 library does not recover from a write that fails half-way (the file can
 * be left with a dataset longer than its data), so the recorder stops *before* the disk or the
 * process's file-size limit (RLIMIT_FSIZE, `ulimit -f`) would be reached.
 */
import { statfs } from 'node:fs/promises';
import { readFileSync } from 'node:fs';

/** Headroom kept free beyond the bytes about to be written: HDF5 metadata, the events file. */
export const SPACE_MARGIN_BYTES = 64 * 1024;

/** The soft RLIMIT_FSIZE in bytes from /proc/self/limits (Linux), or Infinity. Read once. */
let fileSizeLimit: number | undefined;
export function processFileSizeLimit(): number {
  if (fileSizeLimit !== undefined) return fileSizeLimit;
  fileSizeLimit = Infinity;
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max file size'));
    const soft = line?.slice('Max file size'.length).trim().split(/\s+/)[0];
    if (soft && /^\d+$/.test(soft)) fileSizeLimit = Number(soft);
  } catch {
    // not Linux: no limit known
  }
  return fileSizeLimit;
}

export type SpaceVerdict = { ok: true } | { ok: false; reason: 'disk_full' | 'file_size_limit'; free: number };

/**
 * `needed`: bytes the next flush writes in total; `largestFile`: the size the biggest file will
 * reach (for the per-file limit).
 */
export async function checkSpace(folder: string, needed: number, largestFile: number): Promise<SpaceVerdict> {
  const limit = processFileSizeLimit();
  if (largestFile + SPACE_MARGIN_BYTES > limit) return { ok: false, reason: 'file_size_limit', free: Math.max(0, limit - largestFile) };
  const st = await statfs(folder);
  const free = st.bavail * st.bsize;
  if (needed + SPACE_MARGIN_BYTES > free) return { ok: false, reason: 'disk_full', free };
  return { ok: true };
}
