/**
 * Config faults, end to end: the `serverbit` CLI (a child process, as users run it) on broken
 * config files, and writes interrupted by SIGKILL.
 *
 * The unit tests (test/config/config-store.test.ts) check each message; here the whole program
 * must: say what is wrong (the key and what is allowed) on stderr, run on the simulator with
 * defaults, stream to a client, stop cleanly, and leave the file and its folder exactly as they
 * were — the original ServerBIT crashed on invalid JSON and deleted ~/ServerBIT over a missing key.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigStore } from '../../src/main/config/config-store.js';
import { normalizeConfigFile, validateConfig } from '../../src/shared/config-schema.js';
import { Cleanup, compatSamples, freePort, openClient, sleep, tempDir, waitFor } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/main/cli.js');
const WRITER = path.join(ROOT, 'test/reliability/fixtures/config-writer.mjs');

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

beforeAll(() => {
  // `npm test` builds first; when this file runs alone without dist, build it (tsc emits even with type errors elsewhere).
  if (!existsSync(CLI) || !existsSync(path.join(ROOT, 'dist/main/config/config-store.js'))) spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'ignore' });
  expect(existsSync(CLI), `${CLI} (run npm run build)`).toBe(true);
}, 180_000);

function track(child: ChildProcess): void {
  cleanup.add(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
}

/** Every file under dir with its bytes (and mode), to prove nothing was written, renamed or deleted. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const st = fs.lstatSync(p);
      if (e.isDirectory()) {
        out[`${path.relative(dir, p)}/`] = `dir ${st.mode}`;
        walk(p);
      } else out[path.relative(dir, p)] = e.isFile() ? `${st.mode} ${fs.readFileSync(p).toString('base64')}` : `special ${st.mode}`;
    }
  };
  walk(dir);
  return out;
}

interface Case {
  name: string;
  /** Creates the fault in `dir` (a fresh temp folder) and returns the config path to pass to --config. */
  make(dir: string): string;
  /** What stderr must say: the key and what is allowed, or the reason and the fix. */
  says: RegExp[];
  /** Readable JSON with invalid settings: the file's other settings run, defaults for those (issue 10 item 1). */
  partial?: boolean;
}

const CLASSIC = { device: 'simulator', channels: [1, 2, 3, 4, 5, 6], sampling_rate: 1000, port: 9001, labels: ['nSeq', 'I1', 'I2', 'O1', 'O2', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6'], token: 't-0123456789abcdef' };
/** A config.json in dir with `content` (a function makes something else there). */
const file = (content: string | ((f: string) => void)) => (dir: string) => {
  const f = path.join(dir, 'config.json');
  if (typeof content === 'string') fs.writeFileSync(f, content);
  else content(f);
  return f;
};
const withKeys = (patch: Record<string, unknown>) => file(JSON.stringify({ ...CLASSIC, ...patch }, null, 2));

const CASES: Case[] = [
  { name: 'invalid JSON (a trailing comma)', make: file('{\n  "device": "simulator",\n  "port": 9001,\n}\n'), says: [/is not valid JSON/, /line 4, column 1/, /no trailing commas/] },
  { name: 'a wrong type (port as text)', make: withKeys({ port: '9001' }), says: [/port is "9001"; allowed: an integer from 1 to 65535/], partial: true },
  { name: 'channel 7', make: withKeys({ channels: [1, 7] }), says: [/channels\[1\] is 7; allowed: a channel number from 1 to 6/], partial: true },
  { name: 'port 70000', make: withKeys({ port: 70000 }), says: [/port is 70000; allowed: an integer from 1 to 65535/], partial: true },
  { name: 'labels of the wrong length', make: withKeys({ labels: ['A1', 'A2', 'A3'] }), says: [/labels has 3 items; allowed: 11 different names/], partial: true },
  { name: 'an empty file', make: file(''), says: [/is empty; allowed: a JSON object/] },
  {
    name: 'a folder where the file should be',
    make: file((f) => {
      fs.mkdirSync(f);
      fs.writeFileSync(path.join(f, 'keep.txt'), 'mine');
    }),
    says: [/Cannot read .*: it is a folder, not a file/, /Move .* out of the way/],
  },
  { name: 'a FIFO (not a regular file)', make: file((f) => spawnSync('mkfifo', [f])), says: [/Cannot read .*: it is not a regular file/] },
  {
    name: 'a file where its folder should be',
    make: (dir) => {
      fs.writeFileSync(path.join(dir, 'ServerBIT'), 'not a folder');
      return path.join(dir, 'ServerBIT', 'config.json');
    },
    says: [/Cannot read .*: a part of the path is not a folder \(ENOTDIR\)/],
  },
];

describe('broken config files: the CLI says what is wrong, runs on the simulator (on the file\'s valid settings when it can be read), and never touches the file', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const dir = await tempDir('serverbit-cfg-');
      cleanup.add(() => fs.rmSync(dir, { recursive: true, force: true }));
      const file = c.make(dir);
      const before = snapshot(dir);
      const port = await freePort();
      const child = spawn(process.execPath, [CLI, '--config', file, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
      track(child);
      let out = '';
      let err = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      await waitFor(() => /LISTENING/.test(out) || child.exitCode !== null, 20_000, `LISTENING (stderr: ${err})`);
      expect(out).toMatch(new RegExp(`ServerBIT LISTENING on ws://127\\.0\\.0\\.1:${port}/ — simulator`));
      expect(err).toContain(file);
      for (const re of c.says) expect(err).toMatch(re);
      if (c.partial) expect(err).toMatch(/ServerBIT uses the default for \S+ and the file's other settings \(the file was not changed\)/);
      else expect(err).toMatch(/Running on the simulator with default settings until the file is fixed; the file was not changed/);

      // It streams.
      const client = await openClient(`ws://127.0.0.1:${port}/`, cleanup);
      await waitFor(() => compatSamples(client) >= 100, 10_000, 'samples from the simulator');
      client.ws.close();

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(snapshot(dir)).toEqual(before);
    }, 40_000);
  }

  it('an unreadable file (no permission)', async () => {
    const dir = await tempDir('serverbit-cfg-');
    cleanup.add(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify(CLASSIC));
    fs.chmodSync(file, 0o000);
    cleanup.add(() => fs.chmodSync(file, 0o600));
    const before = snapshot(dir);
    // Root reads any file: as root, run the CLI without the capabilities that override file
    // permissions (util-linux setpriv), so chmod 000 holds as it does for a user.
    const cmd = [process.execPath, CLI, '--config', file, '--show-token'];
    const argv = process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', ...cmd] : cmd;
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    expect(r.stderr).toMatch(/permission denied \(EACCES\)/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('missing keys: named with the value used instead; the file keeps every key it had', async () => {
    const dir = await tempDir('serverbit-cfg-');
    cleanup.add(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'config.json');
    const original = { device: 'simulator', token: 'kept-0123456789abcdef', mine: { anything: [1, 2] } };
    fs.writeFileSync(file, JSON.stringify(original));
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, '--config', file, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    await waitFor(() => /LISTENING/.test(out), 20_000, `LISTENING (stderr: ${err})`);
    for (const key of ['channels', 'sampling_rate', 'labels']) expect(err).toMatch(new RegExp(`"${key}" is missing; using `));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(original);
    expect(fs.readdirSync(dir)).toEqual(['config.json']);
  }, 40_000);
});

// ---------------------------------------------------------------------------------------------

describe('atomic writes', () => {
  /** Starts the writer, lets it save for a random moment, SIGKILLs it; returns the file as left. */
  async function killMidSave(mode: 'store' | 'naive', file: string, rnd: () => number): Promise<string> {
    const child = spawn(process.execPath, [WRITER, mode, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (d: string) => d.includes('ready') && resolve());
      void exited.then(() => reject(new Error(`the writer exited: ${err}`)));
    });
    await sleep(5 + Math.floor(rnd() * 60));
    child.kill('SIGKILL');
    await exited;
    return fs.readFileSync(file, 'utf8');
  }

  /** The file parses, validates, and is one of the two configs the writer alternates. */
  function intact(text: string): boolean {
    try {
      const r = normalizeConfigFile(JSON.parse(text));
      return r.ok && validateConfig(r.config).length === 0 && ['small-0123456789abcdef', 'big-0123456789abcdef'].includes(r.config.token);
    } catch {
      return false;
    }
  }

  it('a process killed (SIGKILL) at random moments while saving in a tight loop never leaves a torn file (25 kills)', async () => {
    const dir = await tempDir('serverbit-atomic-');
    cleanup.add(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'config.json');
    let s = 12345;
    const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) / 16777216;
    const seen = new Set<string>();
    for (let i = 0; i < 25; i++) {
      const text = await killMidSave('store', file, rnd);
      expect(intact(text), `after kill ${i + 1}: ${text.slice(0, 80)}…(${text.length} bytes)`).toBe(true);
      seen.add(JSON.parse(text).token as string);
    }
    expect(seen.size).toBe(2); // both configs were caught on disk: the kills landed mid-loop
    // A kill between writing the temp file and renaming it leaves that temp file, nothing else.
    const others = fs.readdirSync(dir).filter((f) => f !== 'config.json');
    for (const f of others) expect(f).toMatch(/^config\.json\.tmp-\d{10}[0-9a-f]{6}$/);
    // The next save removes the stale ones (older than a minute: a younger one may be another
    // process's save in progress), so crashes do not pile files up in ~/ServerBIT.
    const young = path.join(dir, 'config.json.tmp-1234567890abcdef');
    fs.writeFileSync(young, 'a save in progress elsewhere');
    const old = new Date(Date.now() - 120_000);
    for (const f of others) fs.utimesSync(path.join(dir, f), old, old);
    const store = ConfigStore.open({ path: file });
    store.save(store.load().config);
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'config.json.tmp-1234567890abcdef']);
    expect(intact(fs.readFileSync(file, 'utf8'))).toBe(true);
    console.log(`[atomic] 25 kills, file intact every time; ${others.length} temp file(s) left behind, removed by the next save`);
  }, 120_000);

  it('control: the same harness does catch a plain (non-atomic) writer tearing the file', async () => {
    const dir = await tempDir('serverbit-atomic-');
    cleanup.add(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'config.json');
    let s = 777;
    const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) / 16777216;
    let torn = 0;
    for (let i = 0; i < 25 && torn === 0; i++) if (!intact(await killMidSave('naive', file, rnd))) torn++;
    expect(torn).toBeGreaterThan(0);
  }, 120_000);
});
