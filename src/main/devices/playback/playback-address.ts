/**
 * The device address of a recording played back (docs/recording.md "Playback as a device"):
 *
 *   file:/home/me/ServerBIT/recordings/serverbit_201607181526_2026-05-01_10-22-03.txt
 *   file:/home/me/rec.h5?loop=1            play it again from the start at its end
 *   file:~/ServerBIT/recordings/x.txt      under the home folder
 *   file:C:\Users\me\rec.txt               Windows
 *   file:///home/me/a%20b.txt?loop=1       a file: URL (percent escapes; the way to name a file with "?" in it)
 *
 * The only option is `loop` (1, 0, true, false, yes, no; default 0). The path must be absolute
 * (or under `~`): a relative one would depend on the folder ServerBIT was started in.
 * Pure: reads nothing; the file is opened by PlaybackDevice.connect().
 */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeviceError } from '#shared/errors.js';

export interface PlaybackAddress {
  /** Absolute path of the recording. */
  path: string;
  /** Start again from the first sample at the end of the file. */
  loop: boolean;
}

const FORMS = 'Use file:/absolute/path/recording.txt (or .h5), optionally with ?loop=1, or a file:/// URL.';
/** Longest address the config accepts (config schema `device`). */
const MAX_ADDRESS = 256;

function bad(message: string): DeviceError {
  return new DeviceError('DEVICE_BAD_ARGUMENT', message, FORMS);
}

/** True for an address of the `file:` form (well-formed or not). */
export function isPlaybackAddress(address: string): boolean {
  return /^file:/i.test(address.trim());
}

function loopValue(v: string): boolean {
  switch (v.toLowerCase()) {
    case '':
    case '1':
    case 'true':
    case 'yes':
      return true;
    case '0':
    case 'false':
    case 'no':
      return false;
    default:
      throw bad(`loop=${JSON.stringify(v).slice(1, -1).slice(0, 20)}: allowed: loop=1 or loop=0`);
  }
}

function options(query: string): { loop: boolean } {
  let loop = false;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeURIComponent(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? '' : decodeURIComponent(part.slice(eq + 1));
    if (key !== 'loop') throw bad(`"${key.slice(0, 20)}" is not an option of a file: address; allowed: loop`);
    loop = loopValue(value);
  }
  return { loop };
}

/**
 * Reads a `file:` address; undefined when the address is not one. Throws DeviceError
 * DEVICE_BAD_ARGUMENT (with the accepted forms) for a malformed one.
 */
export function parsePlaybackAddress(address: string, home = homedir()): PlaybackAddress | undefined {
  const text = address.trim();
  if (!isPlaybackAddress(text)) return undefined;
  if (text.length > MAX_ADDRESS) throw bad(`the address is ${text.length} characters long; allowed: up to ${MAX_ADDRESS}`);
  const rest = text.slice(5);
  let path: string;
  let loop: boolean;
  try {
    let query = '';
    if (rest.startsWith('//')) {
      const url = new URL(text);
      if (url.host !== '' && url.host !== 'localhost') throw bad(`"${text.slice(0, 60)}" names the host "${url.host}"; allowed: a file on this computer (file:///path)`);
      query = url.search.slice(1);
      url.search = '';
      url.hash = '';
      path = fileURLToPath(url);
    } else {
      const q = rest.lastIndexOf('?');
      path = q === -1 ? rest : rest.slice(0, q);
      if (q !== -1) query = rest.slice(q + 1);
    }
    loop = options(query).loop;
  } catch (e) {
    if (e instanceof DeviceError) throw e;
    throw bad(`"${text.slice(0, 60)}" is not a valid file: address (${(e as Error).message.slice(0, 80)})`);
  }
  if (path === '~' || path.startsWith('~/') || path.startsWith('~\\')) path = join(home, path.slice(2));
  if (path === '') throw bad('"file:" names no file');
  if (!isAbsolute(path)) {
    throw bad(`"${path.slice(0, 60)}" is a relative path; allowed: an absolute path (it would otherwise depend on the folder ServerBIT was started in)`);
  }
  return { path, loop };
}
