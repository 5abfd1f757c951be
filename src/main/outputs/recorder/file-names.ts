/**
 * Recording file names (docs/recording.md "Where files go"):
 * `<prefix>_<device>_<YYYY-MM-DD>_<HH-MM-SS>.<ext>`, local time, like OpenSignals'
 * `opensignals_<MAC>_<date>_<time>.txt`; `_2`, `_3`, … when a name is taken. Every file of one
 * recording shares the stem, and each is created with O_EXCL, so nothing is ever overwritten.
 */
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordingError } from '#shared/errors.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** `2024-05-01_10-22-03` in local time. */
export function fileTimestamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}_${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}`;
}

/** The device part of a name: the MAC without colons, else the name, reduced to safe characters. */
export function deviceTag(mac: string | undefined, name: string): string {
  const raw = mac ? mac.replace(/:/g, '') : name;
  const safe = raw.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return safe || 'device';
}

const MAX_TRIES = 1000;

/**
 * Creates an empty file for every suffix (e.g. `.txt`, `.h5`, `.events.json`) under the first
 * free stem and returns the paths. Creating is the reservation: O_EXCL fails if the file exists.
 */
export async function reserveFiles(folder: string, stem: string, suffixes: readonly string[]): Promise<{ stem: string; paths: string[] }> {
  for (let n = 1; n <= MAX_TRIES; n++) {
    const s = n === 1 ? stem : `${stem}_${n}`;
    const made: string[] = [];
    let taken = false;
    for (const suffix of suffixes) {
      const p = join(folder, s + suffix);
      try {
        await (await open(p, 'wx')).close();
        made.push(p);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          await Promise.all(made.map((m) => unlink(m).catch(() => undefined)));
          throw err;
        }
        taken = true;
        break;
      }
    }
    if (!taken) return { stem: s, paths: made };
    // Only the empty files this call created are removed; the one that existed is untouched.
    await Promise.all(made.map((m) => unlink(m).catch(() => undefined)));
  }
  throw new RecordingError('RECORDING_FOLDER_UNWRITABLE', `more than ${MAX_TRIES} recordings named ${stem}… exist in ${folder}`, 'Move old recordings away or choose another folder.');
}
