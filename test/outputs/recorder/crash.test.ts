/**
 * A recorder in a child process (recorder-child.ts, bundled here with esbuild from the current
 * sources): killed with SIGKILL at a random moment, run out of disk or of its file size limit,
 * its folder made read-only. Each time every file must open in the readers, hold whole rows only,
 * and be complete up to the last flush the child reported.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseOpenSignalsText } from '../../helpers/opensignals-parser.js';
import { pythonReadH5, pythonReadText } from '../../helpers/opensignals-python.js';
import { expectedRow, until } from '../../helpers/opensignals-rig.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../../..');
// Inside the repo, so the bundle's bare imports (h5wasm) resolve from node_modules.
const OUT = join(ROOT, 'node_modules/.cache/serverbit-tests/recorder-child.mjs');
const MAC = '20:16:07:18:15:26';

beforeAll(async () => {
  await build({ entryPoints: [join(HERE, 'recorder-child.ts')], outfile: OUT, bundle: true, platform: 'node', format: 'esm', packages: 'external', target: 'node20', logLevel: 'error' });
});

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(async () => {
  for (const d of dirs) {
    spawnSync('umount', [join(d, 'disk')], { stdio: 'ignore' });
    await rm(d, { recursive: true, force: true });
  }
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'serverbit-rec-crash-'));
  dirs.push(d);
  return d;
}

interface Child {
  child: ChildProcess;
  files: () => string[];
  lastFlushed: () => number;
  error: () => { code: string; message: string } | undefined;
  alive: () => number;
  /** True when the child's last word was "H5 BEGIN" (it was inside an HDF5 flush); final once `exited` resolved. */
  inH5Flush: () => boolean;
  /** Resolves when the child exited and everything it printed was read. */
  exited: Promise<void>;
  stderr: () => string;
}

function runChild(settings: object, wrap: string[] = [], options: { uid?: number; gid?: number } = {}): Child {
  const argv = [...wrap, process.execPath, OUT, JSON.stringify({ settings })];
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.push(child);
  let files: string[] = [];
  let flushed = 0;
  let error: { code: string; message: string } | undefined;
  let alive = 0;
  let inH5 = false;
  let buf = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    buf += s;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const [word, ...rest] = line.split(' ');
      const arg = rest.join(' ');
      if (word === 'FILES') files = JSON.parse(arg);
      else if (word === 'FLUSHED') flushed = Math.max(flushed, Number(arg));
      else if (word === 'ERROR') error = JSON.parse(arg);
      else if (word === 'ALIVE') alive = Number(arg);
      else if (word === 'H5') inH5 = rest[0] === 'BEGIN';
    }
  });
  // 'close', not 'exit': after the exit, the last lines may still be in the pipe.
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  return { child, files: () => files, lastFlushed: () => flushed, error: () => error, alive: () => alive, inH5Flush: () => inH5, exited, stderr: () => err };
}

/**
 * Checks every file of a recording: whole rows, every value right, at least `atLeast` samples;
 * returns the row count. `h5MayBeDamaged`: the process was killed inside an HDF5 flush, where
 * docs/recording.md "Limits" says the .h5 may be left unreadable (HDF5 has no journal); the text
 * and CSV files are checked in full all the same.
 */
async function checkRecording(files: string[], atLeast: number, h5MayBeDamaged = false): Promise<number> {
  const txt = files.find((f) => f.endsWith('.txt'))!;
  const parsed = parseOpenSignalsText(await readFile(txt)); // throws on a partial row or a damaged header
  expect(parsed.rows).toBeGreaterThanOrEqual(atLeast);
  const cols = [...parsed.devices[0].columns.values()];
  for (let i = 0; i < parsed.rows; i++) expect(cols.map((c) => c[i]), `row ${i}`).toEqual(expectedRow(i, 6));
  if (parsed.rows > 0) expect((await pythonReadText(txt)).shape).toEqual([parsed.rows, 11]);
  const csv = files.find((f) => f.endsWith('.csv'));
  if (csv) {
    const lines = (await readFile(csv, 'utf8')).split('\n');
    expect(lines.at(-1)).toBe(''); // ends with a whole line
    const rows = lines.slice(1, -1);
    expect(rows.length).toBeGreaterThanOrEqual(atLeast);
    rows.forEach((l, i) => expect(Number(l.split(',')[0]), `csv row ${i}`).toBe(i));
    expect(new Set(rows.map((l) => l.split(',').length)).size).toBeLessThanOrEqual(1);
  }
  const h5 = files.find((f) => f.endsWith('.h5'));
  if (h5 && !h5MayBeDamaged) {
    const g = (await pythonReadH5(h5)).groups[MAC];
    const n = g.attrs.nsamples.value as number;
    expect(n).toBeGreaterThanOrEqual(atLeast);
    expect(g.datasets['raw/channel_1'].shape).toEqual([n, 1]);
    expect(g.datasets['raw/nSeq'].values).toEqual(cols[0].slice(0, n));
    expect(g.datasets['raw/channel_6'].values).toEqual(cols[10].slice(0, n));
  }
  JSON.parse(await readFile(files.find((f) => f.endsWith('.events.json'))!, 'utf8'));
  return parsed.rows;
}

describe('recorder in a child process', () => {
  it('SIGKILL at a random moment leaves files the readers open, complete up to the last flush, every row whole', async () => {
    const folder = await tempDir();
    const c = runChild({ folder, formats: ['txt', 'h5', 'csv'], flushIntervalMs: 200, fsync: false });
    await until(() => c.lastFlushed() > 0, 20_000, 'the first flush');
    await new Promise((r) => setTimeout(r, 300 + Math.random() * 2500));
    const flushed = c.lastFlushed();
    c.child.kill('SIGKILL');
    await c.exited;
    expect(c.error()).toBeUndefined();
    // The .txt and .csv always; the .h5 too unless the kill fell inside an HDF5 flush (a few ms
    // of every 200), the one window where docs/recording.md "Limits" says it may be damaged.
    const rows = await checkRecording(c.files(), flushed, c.inH5Flush());
    expect(rows).toBeGreaterThan(0);
  });

  it('a file size limit (ulimit -f) stops the recording with RECORDING_WRITE_FAILED before a write fails; acquisition goes on', async () => {
    const folder = await tempDir();
    const limit = 256 * 1024;
    const c = runChild({ folder, formats: ['txt', 'h5', 'csv'], flushIntervalMs: 100, fsync: false }, ['prlimit', `--fsize=${limit}`]);
    await until(() => c.error() !== undefined, 60_000, 'the recorder to stop');
    expect(c.error()).toMatchObject({ code: 'RECORDING_WRITE_FAILED', message: expect.stringMatching(/file size limit/) });
    const alive = c.alive();
    await until(() => c.alive() > alive + 200, 10_000, 'acquisition to go on');
    c.child.kill('SIGKILL');
    await c.exited;
    for (const f of c.files()) expect((await stat(f)).size).toBeLessThanOrEqual(limit);
    const rows = await checkRecording(c.files(), c.lastFlushed());
    expect(rows).toBeGreaterThan(1000);
    const ev = JSON.parse(await readFile(c.files().at(-1)!, 'utf8'));
    expect(ev).toMatchObject({ stopReason: 'error', error: { code: 'RECORDING_WRITE_FAILED' } });
  });

  it('a full disk (a 256 kB tmpfs) stops the recording with a clear error and valid files', async () => {
    const dir = await tempDir();
    const disk = join(dir, 'disk');
    await mkdir(disk);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', disk], { stdio: 'ignore' }).status === 0;
    // Mounting needs root (CI runs as root); elsewhere the same full disk is made with a file size limit.
    const wrap = mounted ? [] : ['prlimit', '--fsize=262144'];
    const c = runChild({ folder: disk, formats: ['txt', 'h5'], flushIntervalMs: 100, fsync: false }, wrap);
    await until(() => c.error() !== undefined, 60_000, 'the recorder to stop');
    expect(c.error()).toMatchObject({ code: 'RECORDING_WRITE_FAILED', message: mounted ? expect.stringMatching(/disk holding .* is full/) : expect.any(String) });
    c.child.kill('SIGKILL');
    await c.exited;
    await checkRecording(c.files(), c.lastFlushed());
  });

  it('a folder made read-only mid-recording stops it with RECORDING_WRITE_FAILED; the files so far stay valid', async () => {
    const dir = await tempDir();
    await chmod(dir, 0o755);
    const folder = join(dir, 'rec');
    await mkdir(folder);
    // Root ignores permissions: then the recorder runs as "nobody".
    const asRoot = process.getuid?.() === 0;
    if (asRoot) await chown(folder, 65534, 65534);
    const c = runChild({ folder, formats: ['txt', 'csv'], flushIntervalMs: 100, fsync: false }, [], asRoot ? { uid: 65534, gid: 65534 } : {});
    await until(() => c.lastFlushed() > 500, 20_000, `the first flushes (${c.stderr()})`);
    await chmod(folder, 0o555);
    await until(() => c.error() !== undefined, 20_000, 'the recorder to stop');
    expect(c.error()).toMatchObject({ code: 'RECORDING_WRITE_FAILED', message: expect.stringMatching(/no longer writable/) });
    c.child.kill('SIGKILL');
    await c.exited;
    await chmod(folder, 0o755);
    await checkRecording(c.files(), c.lastFlushed());
  });
});
