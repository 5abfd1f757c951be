/**
 * Recording and playback through the real CLI (`node dist/main/cli.js`, a fresh HOME and config):
 * `--record DIR` records the project's emulator over a socat pty and the built-in simulator
 * side by side, and every row read back with the tests' own OpenSignals parser is what the
 * device sent; /v2 record_start, marker and record_stop; a recording played back as a device
 * (`file:…?loop=1`, .txt and .h5) streams the file's samples to a /v2 client; a `file:` address
 * that names no file is a clear error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DataMessage, RecordingResult, ServerStatusMessage, StatusMessage } from '../../src/shared/v2.js';
import { V2Client, allClients } from '../api/helpers.js';
import { emulatorOnPty } from '../helpers/emulator-on-pty.js';
import { parseOpenSignalsText, seqJumps } from '../helpers/opensignals-parser.js';
import { pythonReadH5 } from '../helpers/opensignals-python.js';

const CLI = path.resolve('dist/main/cli.js');
const TOKEN = 'rec-e2e-0123456789abcdef';
const LABELS = ['nSeq', 'I1', 'I2', 'O1', 'O2', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6'];
const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of allClients.splice(0)) {
    c.close();
    expect(c.invalid, 'every /v2 message matches its schema').toEqual([]);
  }
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  while (cleanups.length) await cleanups.pop()!();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function tempDir(prefix: string): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), prefix));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

interface Cli {
  child: ChildProcess;
  port: number;
  home: string;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
  v2: (query?: string) => Promise<V2Client>;
  /** SIGINT, then the exit code. */
  interrupt: () => Promise<number | null>;
}

/** The CLI with a fresh HOME whose ~/ServerBIT/config.json is `config` (plus port and token). */
async function startCli(config: Record<string, unknown>, args: string[] = []): Promise<Cli> {
  const home = await tempDir('serverbit-rec-e2e-');
  await mkdir(path.join(home, 'ServerBIT'));
  const port = await freePort();
  await writeFile(path.join(home, 'ServerBIT', 'config.json'), JSON.stringify({ channels: [1, 2, 3, 4, 5, 6], sampling_rate: 1000, labels: LABELS, ...config, port, token: TOKEN }));
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, HOME: home, USERPROFILE: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await waitFor(() => /^ServerBIT LISTENING /m.test(out) || child.exitCode !== null, 'the LISTENING line');
  expect(out, err).toMatch(/^ServerBIT LISTENING /m);
  return {
    child,
    port,
    home,
    stdout: () => out,
    stderr: () => err,
    exit,
    v2: (query = '') => V2Client.open(`ws://127.0.0.1:${port}/v2?token=${TOKEN}${query}`),
    interrupt: () => {
      child.kill('SIGINT');
      return exit;
    },
  };
}

/** Every sample a /v2 client received for `device`, by session index: [nSeq, I1, I2, O1, O2, A1…]. */
function samplesByIndex(c: V2Client, device: string): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const m of c.data as DataMessage[]) {
    if (m.device !== device || !m.raw) continue;
    const cols = Object.values(m.raw);
    for (let i = 0; i < m.count; i++) out.set(m.index + i, cols.map((col) => col[i]));
  }
  return out;
}

const ok = <T>(reply: unknown): T => {
  expect(reply).toMatchObject({ ok: true });
  return (reply as { result: T }).result;
};

/** The emulator's inputs: distinct per channel and tick; I1 and I2 toggle. */
const input = (ch: number, i: number) => (i * (5 + ch) + ch * 71) % 1024;
const digitalIn = (i: number) => ((i >> 4) & 1 ? 0b1000 : 0) | ((i >> 6) & 1 ? 0b0100 : 0);

describe('recording through the CLI', () => {
  it('--record DIR records an emulated BITalino (pty) and the simulator; every row is what the device sent; Ctrl-C closes the files', async () => {
    const emu = await emulatorOnPty({ inputs: input, digitalInputs: digitalIn });
    cleanups.push(() => emu.close());
    const dir = path.join(await tempDir('serverbit-rec-dir-'), 'today');
    const cli = await startCli(
      { device: emu.path, devices: [{ id: '0', address: emu.path }, { id: '1', address: 'simulator' }], record: { formats: ['txt', 'h5'], flush_ms: 200 } },
      ['--record', dir],
    );
    await waitFor(() => /^Recording to /m.test(cli.stdout()), 'the recording line');
    expect(cli.stdout()).toMatch(new RegExp(`^Recording to ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(txt, h5\\) until ServerBIT stops: .*serverbit_simulator_.*\\.txt`, 'm'));
    const c = await cli.v2('&devices=1&format=raw');
    const status = await c.next<ServerStatusMessage>((m) => m.type === 'server' && m.outputs[0]?.state === 'running', 10_000);
    expect(status.outputs[0]).toMatchObject({ output: 'recorder', state: 'running', detail: expect.stringMatching(new RegExp(`^recording \\d+:\\d\\d · .* in \\d+ files · ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)) });
    await c.until(() => samplesByIndex(c, '1').size >= 2500, 20_000, '2.5 s of the simulator');
    expect(await cli.interrupt()).toBe(0);
    expect(cli.stderr()).toMatch(/SIGINT: stopping the devices and closing the recording/);
    expect(cli.stderr()).toMatch(/recording stopped: \d+:\d\d, \d+ samples, .* in 6 files in /);

    // The config file was not changed by the flag.
    expect(JSON.parse(await readFile(path.join(cli.home, 'ServerBIT', 'config.json'), 'utf8')).record).toEqual({ formats: ['txt', 'h5'], flush_ms: 200 });
    const names = (await readdir(dir)).sort();
    expect(names).toHaveLength(6);
    const file = (tag: string, ext: string) => path.join(dir, names.find((n) => n.startsWith(`serverbit_${tag}_`) && n.endsWith(ext))!);

    // The emulated BITalino: row r is session index firstIndex + r, tick for tick what the emulator sent.
    const emuFile = (ext: string) => path.join(dir, names.find((n) => !n.includes('simulator') && n.endsWith(ext))!);
    const evEmu = JSON.parse(await readFile(emuFile('.events.json'), 'utf8'));
    expect(evEmu).toMatchObject({ stopReason: 'stopped', gaps: [] });
    const parsed = parseOpenSignalsText(await readFile(emuFile('.txt')));
    expect(parsed.rows).toBeGreaterThan(1500);
    expect(parsed.devices[0].header['device connection']).toBe(emu.path);
    const first = evEmu.devices[0].firstIndex as number;
    expect(evEmu.devices[0].samples).toBe(parsed.rows);
    const [o1, o2] = emu.emu.outputs;
    const cols = [...parsed.devices[0].columns.values()];
    for (let r = 0; r < parsed.rows; r++) {
      const i = first + r;
      const d = digitalIn(i);
      const expected = [i & 15, (d >> 3) & 1, (d >> 2) & 1, o1, o2, ...[1, 2, 3, 4, 5, 6].map((ch, k) => (k >= 4 ? input(ch, i) >> 4 : input(ch, i)))];
      const row = cols.map((col) => col[r]);
      if (row.join() !== expected.join()) expect(row, `row ${r} (index ${i})`).toEqual(expected);
    }
    // The .h5 of the same recording holds the same values.
    const g = Object.values((await pythonReadH5(emuFile('.h5'))).groups)[0];
    expect(g.attrs.nsamples.value).toBe(parsed.rows);
    expect(g.datasets['raw/channel_1'].values).toEqual(cols[5]);
    expect(g.datasets['raw/channel_6'].values).toEqual(cols[10]);
    expect(g.datasets['digital/digital_1'].values).toEqual(cols[1]);

    // The simulator: every recorded row equals what the /v2 client got for that index.
    const evSim = JSON.parse(await readFile(file('simulator', '.events.json'), 'utf8'));
    expect(evSim).toMatchObject({ stopReason: 'stopped', gaps: [] });
    const sim = parseOpenSignalsText(await readFile(file('simulator', '.txt')));
    const simCols = [...sim.devices[0].columns.values()];
    expect(seqJumps(simCols[0])).toEqual([]);
    const streamed = samplesByIndex(c, '1');
    let compared = 0;
    for (let r = 0; r < sim.rows; r++) {
      const want = streamed.get(evSim.devices[0].firstIndex + r);
      if (!want) continue;
      compared++;
      const row = simCols.map((col) => col[r]);
      if (row.join() !== want.join()) expect(row, `simulator row ${r}`).toEqual(want);
    }
    expect(compared).toBeGreaterThan(2000);
  });

  it('/v2 record_start, marker and record_stop: the reply names the files; the marker is in the .h5 and the events file', async () => {
    const dir = await tempDir('serverbit-rec-v2-');
    const cli = await startCli({ device: 'simulator' });
    const c = await cli.v2();
    await c.until(() => c.data.length > 3, 10_000, 'data');
    const started = ok<RecordingResult>(await c.command('record_start', { folder: dir, formats: ['txt', 'h5'] }));
    expect(started).toMatchObject({ state: 'running', folder: dir, formats: ['txt', 'h5'] });
    expect(started.files.map((f) => path.extname(f))).toEqual(['.txt', '.h5', '.json']);
    await waitFor(() => /Recording to .* \(txt, h5\)/.test(cli.stderr()), 'the CLI to say where the files go');
    await sleep(700);
    const marked = ok<{ id: number; time: number }>(await c.command('marker', { label: 'stimulus ✓', device: '0' }));
    const m = await c.next((x) => x.type === 'marker' && x.id === marked.id, 5000);
    expect(m).toMatchObject({ label: 'stimulus ✓', device: '0', source: 'v2' });
    await sleep(500);
    const stopped = ok<RecordingResult>(await c.command('record_stop'));
    expect(stopped.state).toBe('stopped');
    expect(stopped.files).toEqual(started.files);
    expect(stopped.samples).toBeGreaterThan(900);
    await c.next((x) => x.type === 'server' && x.outputs[0]?.output === 'recorder' && x.outputs[0].state === 'stopped', 5000);
    expect(await c.command('record_stop')).toMatchObject({ ok: false, error: { code: 'RECORDING_NOT_RUNNING' } });
    await waitFor(() => /recording stopped: /.test(cli.stderr()), 'the CLI to say the recording stopped');

    const [txt, h5, events] = stopped.files;
    const rows = parseOpenSignalsText(await readFile(txt)).rows;
    const ev = JSON.parse(await readFile(events, 'utf8'));
    expect(ev.markers).toEqual([expect.objectContaining({ id: marked.id, label: 'stimulus ✓', device: '0', source: 'v2', time: marked.time, rows: { '0': expect.any(Number) } })]);
    const row = ev.markers[0].rows['0'] as number;
    expect(row).toBeGreaterThan(0); // marked after some rows were recorded, before the last one
    expect(row).toBeLessThan(rows);
    const g = Object.values((await pythonReadH5(h5)).groups)[0];
    expect(g.attrs.nsamples.value).toBe(rows);
    expect(g.datasets['events/markers'].records).toEqual([{ row, index: -1, time: marked.time, id: marked.id, label: 'stimulus ✓', source: 'v2' }]);
    expect(await cli.interrupt()).toBe(0);
  });
});

describe('playback through the CLI', () => {
  it('a recording played back as a device (file:…?loop=1, .txt and .h5) streams the recorded samples to /v2, looping', async () => {
    // Record 2 s of the simulator through the CLI first.
    const dir = await tempDir('serverbit-rec-play-');
    const rec = await startCli({ device: 'simulator', record: { formats: ['txt', 'h5'] } }, ['--record', dir]);
    await sleep(2000);
    expect(await rec.interrupt()).toBe(0);
    const names = await readdir(dir);
    const txt = path.join(dir, names.find((n) => n.endsWith('.txt'))!);
    const h5 = path.join(dir, names.find((n) => n.endsWith('.h5'))!);
    const file = parseOpenSignalsText(await readFile(txt));
    const n = file.rows;
    expect(n).toBeGreaterThan(1000);
    const rows = Array.from({ length: n }, (_, r) => [...file.devices[0].columns.values()].map((col) => col[r]));

    const cli = await startCli({ device: `file:${txt}?loop=1`, devices: [{ id: 't', address: `file:${txt}?loop=1` }, { id: 'h', address: `file:${h5}?loop=1` }] });
    const c = await cli.v2('&format=raw');
    for (const id of ['t', 'h']) {
      const meta = await c.next((x) => x.type === 'meta' && x.device === id, 10_000);
      expect(meta).toMatchObject({ kind: 'playback', 'sampling rate': 1000, channels: [1, 2, 3, 4, 5, 6], connection: id === 't' ? txt : h5, column: LABELS });
    }
    // Long enough to see the end of the file and the start again.
    await c.until(() => ['t', 'h'].every((id) => [...samplesByIndex(c, id).keys()].some((i) => i >= n + 200)), 30_000, 'a loop of both files');
    for (const id of ['t', 'h']) {
      const got = samplesByIndex(c, id);
      expect(got.size).toBeGreaterThan(500);
      for (const [i, values] of got) if (values.join() !== rows[i % n].join()) expect(values, `${id} index ${i} (row ${i % n})`).toEqual(rows[i % n]);
    }
    expect(await cli.interrupt()).toBe(0);
  });

  it('a file: address that names no file: the device is in "error" with PLAYBACK_UNREADABLE and the fix, on stderr and /v2; no retry', async () => {
    const missing = path.join(tmpdir(), 'serverbit-no-such-dir', 'rec.txt');
    const cli = await startCli({ device: `file:${missing}` });
    await waitFor(() => /not streaming/.test(cli.stderr()), 'the device error on stderr');
    expect(cli.stderr()).toContain(`device: not streaming — cannot read the recording ${missing}: there is no such file; it stays stopped until its setting is changed.`);
    expect(cli.stderr()).toMatch(/→ Check the path after "file:" in the device address/);
    const c = await cli.v2();
    const st = await c.next<StatusMessage>((x) => x.type === 'status' && x.device === '0', 5000);
    expect(st).toMatchObject({ state: 'error', error: { code: 'PLAYBACK_UNREADABLE', message: expect.stringContaining(missing) } });
    await sleep(1500);
    expect(c.of('status').filter((x) => x.device === '0').map((x) => x.state)).toEqual(['error']); // no reconnecting
    expect(await cli.interrupt()).toBe(0);
  });
});
