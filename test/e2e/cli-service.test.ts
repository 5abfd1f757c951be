/**
 * The headless service as a user runs it: `serverbit` as a child process, two WebSocket clients
 * on the compatible stream for a few seconds, then SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLI, children, startCli } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function collect(url: string): { msgs: Record<string, number[]>[]; ws: WebSocket; opened: Promise<void> } {
  const ws = new WebSocket(url);
  const msgs: Record<string, number[]>[] = [];
  ws.on('message', (d) => msgs.push(JSON.parse(String(d))));
  const opened = new Promise<void>((r, j) => {
    ws.once('open', () => r());
    ws.once('error', j);
  });
  return { msgs, ws, opened };
}

describe('serverbit (headless service) as a child process', () => {
  it('prints LISTENING, streams every sample once and in order to two clients, stops on SIGTERM', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'serverbit home é '));
    dirs.push(home);
    const port = await freePort();
    const { child, line, stderr } = await startCli(['--port', String(port)], { HOME: home, USERPROFILE: home });
    expect(line).toBe(`ServerBIT LISTENING on ws://127.0.0.1:${port}/ — simulator (BITalino (r)evolution), A1..A6 @ 1000 Hz`);
    const cfg = JSON.parse(await readFile(path.join(home, 'ServerBIT', 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ device: 'simulator', sampling_rate: 1000, port: 9001, channels: [1, 2, 3, 4, 5, 6] });

    const a = collect(`ws://127.0.0.1:${port}/`);
    const b = collect(`ws://127.0.0.1:${port}/`);
    await Promise.all([a.opened, b.opened]);
    await new Promise((r) => setTimeout(r, 3000));
    a.ws.close();
    b.ws.close();

    for (const c of [a, b]) {
      expect(c.msgs.length).toBeGreaterThan(20);
      const seq = c.msgs.flatMap((m) => m.nSeq);
      // ~3 s at 1000 Hz: nothing missing (continuous mod 16), nothing repeated.
      expect(seq.length).toBeGreaterThan(2000);
      for (let i = 1; i < seq.length; i++) if (seq[i] !== ((seq[i - 1] + 1) & 15)) throw new Error(`discontinuity at ${i}: ${seq[i - 1]} → ${seq[i]}`);
      for (const [i, m] of c.msgs.entries()) {
        expect(Object.keys(m)).toEqual(['nSeq', 'I1', 'I2', 'O1', 'O2', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6']);
        expect(m.A1.every((v) => Number.isInteger(v) && v >= 0 && v <= 1023)).toBe(true);
        expect(m.A6.every((v) => Number.isInteger(v) && v >= 0 && v <= 63)).toBe(true);
        // Default batch: 40 ms at 1000 Hz, cut at fixed boundaries: the first, joined mid-stream, may end early.
        if (i > 0) expect(m.nSeq.length).toBe(40);
        else expect(m.nSeq.length).toBeLessThanOrEqual(40);
      }
    }
    // Both clients saw the same samples where they overlap.
    const fa = a.msgs.map((m) => m.A1.join(','));
    const fb = b.msgs.map((m) => m.A1.join(','));
    const overlap = fa.filter((x) => fb.includes(x)).length;
    expect(overlap).toBeGreaterThan(Math.min(fa.length, fb.length) - 3);

    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(stderr.join('')).toMatch(/SIGTERM: stopping the device/);
  });

  it('an invalid config file is reported, left untouched, and the service runs on the simulator', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'serverbit-bad-'));
    dirs.push(home);
    const file = path.join(home, 'config.json');
    const bad = '{"device": "simulator", "sampling_rate": 500, "channels": [1], "port": 9001}';
    await (await import('node:fs/promises')).writeFile(file, bad);
    const port = await freePort();
    const { child, stderr } = await startCli(['--config', file, '--port', String(port)]);
    expect(stderr.join('')).toMatch(/sampling_rate/);
    expect(stderr.join('')).toMatch(/1, 10, 100 or 1000/);
    expect(await readFile(file, 'utf8')).toBe(bad);
    child.kill('SIGINT');
    await new Promise((r) => child.on('exit', r));
    expect(await readFile(file, 'utf8')).toBe(bad);
  });

  it('reports a port in use with the port and the fix', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'serverbit-port-'));
    dirs.push(home);
    const blocker = createServer();
    const port = await new Promise<number>((r) => blocker.listen(0, '127.0.0.1', () => r((blocker.address() as { port: number }).port)));
    try {
      const child = spawn(process.execPath, [CLI, '--port', String(port)], { env: { ...process.env, HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let err = '';
      child.stderr!.on('data', (d) => (err += d));
      const code = await new Promise((r) => child.on('exit', r));
      expect(code).toBe(1);
      expect(err).toMatch(new RegExp(`port ${port}`));
      expect(err).toMatch(/--port/);
    } finally {
      blocker.close();
    }
  });
});
