/**
 * The serverbit-emulator binary end to end over a real pty (socat), opened with the same
 * SerialTransport a real BITalino port uses. Runs the compiled CLI: `npm test` builds first; when
 * dist is missing (running this file alone) it is built here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { crcMatches, decodeFrame } from '../../src/main/devices/codec.js';
import { SerialTransport } from '../../src/main/devices/serial-transport.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/main/devices/emulator-cli.js');
/** 1: the pty's real path, 2: socat's symlink to it, 3: the firmware. */
const LINE = /^BITalino emulator on (\/dev\/\S+), also at (.+) \((BITalino_v\d\.\d), live inputs: synthetic\)$/;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Running {
  child: ChildProcess;
  line: string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];

/** Starts the CLI and resolves with its first stdout line. */
function startCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Running> {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line from the emulator in 10 s; stderr: ${err}`)), 10_000);
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve({ child, line: out.slice(0, nl), stderr: () => err, exited });
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      if (!out.includes('\n')) resolve({ child, line: '', stderr: () => err, exited: Promise.resolve({ code, signal: null }) });
    });
  });
}

/** Collects everything a transport receives; waitFor() polls for a condition on it. */
function collector(t: SerialTransport) {
  let bytes: number[] = [];
  t.onData((c) => bytes.push(...c));
  return {
    get bytes() {
      return Uint8Array.from(bytes);
    },
    clear() {
      bytes = [];
    },
    async waitFor(pred: (b: Uint8Array) => boolean, ms = 3000) {
      const end = Date.now() + ms;
      while (!pred(Uint8Array.from(bytes))) {
        if (Date.now() > end) throw new Error(`timed out; got ${bytes.length} bytes`);
        await sleep(10);
      }
    },
  };
}

// socat is a test dependency (.ci/run installs it): without it this suite fails, it does not skip.
describe('serverbit-emulator over a pty', () => {
  let dir: string;

  beforeAll(async () => {
    if (!existsSync(CLI)) {
      // Other files may not type-check yet; tsc still emits, so only the output matters.
      spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'ignore' });
    }
    expect(existsSync(CLI), `${CLI} (run npm run build)`).toBe(true);
    dir = await mkdtemp(path.join(tmpdir(), 'serverbit-emulator-test-'));
  }, 120_000);

  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers the version, streams valid frames at 100 Hz on A1..A2, and exits 0 on SIGTERM', async () => {
    const link = path.join(dir, 'bitalino');
    const run = await startCli(['--link', link, '--seed', '2']);
    const m = LINE.exec(run.line);
    expect(m, `first line: "${run.line}" stderr: ${run.stderr()}`).not.toBeNull();
    expect(m![2]).toBe(link);
    expect(m![3]).toBe('BITalino_v5.2');
    // The first path is the pty itself, under /dev/ (the official Python API refuses any other
    // serial path on Linux and macOS), and the symlink points at it.
    expect(m![1]).toBe(await realpath(link));
    expect(m![1]).not.toBe(link);
    expect((await stat(m![1])).isCharacterDevice()).toBe(true);

    // A client opens the real path (what the official API would do).
    const port = new SerialTransport(m![1], { baudRate: 115200 });
    await port.open();
    const rx = collector(port);
    try {
      await port.write(Uint8Array.of(0x07));
      await rx.waitFor((b) => new TextDecoder().decode(b).endsWith('\n'));
      expect(new TextDecoder().decode(rx.bytes)).toBe('BITalino_v5.2\n');

      rx.clear();
      await port.write(Uint8Array.of(0x83));
      await sleep(5);
      await port.write(Uint8Array.of(0x0d)); // start live A1, A2: 4-byte frames
      await rx.waitFor((b) => b.length >= 4 * 20);
      await port.write(Uint8Array.of(0x00));
      await sleep(100);
      const bytes = rx.bytes;
      expect(bytes.length % 4).toBe(0);
      const n = bytes.length / 4;
      for (let k = 0; k < n; k++) {
        expect(crcMatches(bytes, 4 * k, 4), `frame ${k}`).toBe(true);
        const f = decodeFrame(bytes, 4 * k, 2);
        expect(f.seq).toBe(k % 16);
        expect(f.analog.every((v) => v >= 0 && v <= 1023)).toBe(true);
      }
      // Stopped: nothing more arrives.
      rx.clear();
      await sleep(100);
      expect(rx.bytes.length).toBe(0);
    } finally {
      await port.close();
    }

    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    expect(code).toBe(0);
    // socat removed its links.
    expect(await lstat(link).then(() => true, () => false)).toBe(false);
  });

  it('--firmware 4.0 reports the legacy version', async () => {
    const run = await startCli(['--firmware', '4.0', '--link', path.join(dir, 'legacy')]);
    const m = LINE.exec(run.line);
    expect(m, run.stderr()).not.toBeNull();
    expect(m![3]).toBe('BITalino_v4.0');
    const port = new SerialTransport(m![2]); // the symlink works too
    await port.open();
    const rx = collector(port);
    try {
      await port.write(Uint8Array.of(0x07));
      await rx.waitFor((b) => b.includes(0x0a));
      expect(new TextDecoder().decode(rx.bytes)).toBe('BITalino_v4.0\n');
    } finally {
      await port.close();
    }
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(0);
  });

  it('exits 1 with a hint when socat is missing, and on a bad flag', async () => {
    const noSocat = await startCli([], { ...process.env, PATH: '/nonexistent' });
    expect((await noSocat.exited).code).toBe(1);
    expect(noSocat.stderr()).toContain('install socat (apt install socat / brew install socat)');

    const bad = await startCli(['--firmware', '9.9']);
    expect((await bad.exited).code).toBe(1);
    expect(bad.stderr()).toContain('--firmware');
  });
});
