/**
 * scripts/smoke-packaged.mjs, the release workflow's "does the package start" step, run here
 * against a stand-in app (no Electron runs on this machine; the real launch happens on the
 * release runners). What this proves: a fresh HOME per launch, "started" only once the status
 * page answers and the first launch created its config, a clear failure with the app's output
 * when it exits early or never answers, and that the app and what it started are stopped
 * afterwards. The screenshot tools (ImageMagick's import, screencapture, .NET) exist only on the
 * runners: --no-screenshot here.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'smoke-packaged.mjs');

const dirs: string[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A stand-in for the packaged app. `behaviour`: 'ok' creates ~/ServerBIT/config.json and serves
 * ServerBIT's page on PORT, and starts a helper process (as Electron does); 'exit' exits at once
 * with status 3; 'no-config' serves the page but never writes the config.
 */
function standIn(behaviour: 'ok' | 'exit' | 'no-config', port: number): { app: string; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serverbit-smoke-test-'));
  dirs.push(dir);
  const app = path.join(dir, 'ServerBIT');
  writeFileSync(
    app,
    `#!${process.execPath}
const fs = require('node:fs'), path = require('node:path'), http = require('node:http'), cp = require('node:child_process');
console.log('HOME=' + process.env.HOME);
console.log('home had ' + fs.readdirSync(process.env.HOME).length + ' entries');
if (${JSON.stringify(behaviour)} === 'exit') { console.error('stand-in: cannot start'); process.exit(3); }
const helper = cp.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
console.log('HELPER=' + helper.pid);
setTimeout(() => {
  if (${JSON.stringify(behaviour)} === 'ok') {
    fs.mkdirSync(path.join(process.env.HOME, 'ServerBIT'), { recursive: true });
    fs.writeFileSync(path.join(process.env.HOME, 'ServerBIT', 'config.json'), '{}');
  }
  http.createServer((q, r) => r.end('<!doctype html><title>ServerBIT</title>')).listen(${port}, '127.0.0.1');
}, 300);
`,
  );
  chmodSync(app, 0o755);
  return { app, dir };
}

/** Runs the script without blocking this process (a test's own server must keep answering). */
function smoke(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

describe('scripts/smoke-packaged.mjs', () => {
  it('starts the app with a fresh HOME, waits for its page and first-launch config, then stops it and its helpers', async () => {
    const port = await freePort();
    const { app, dir } = standIn('ok', port);
    const out = path.join(dir, 'ServerBIT-test-screenshot.png');
    const r = await smoke(['--app', app, '--port', String(port), '--out', out, '--settle', '0', '--no-screenshot']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/smoke: status page answered after [\d.]+ s/);
    expect(r.stdout).toContain('smoke: ok');
    const log = readFileSync(path.join(dir, 'ServerBIT-test-launch.log'), 'utf8');
    const home = /^HOME=(.+)$/m.exec(log)![1];
    expect(home).not.toBe(os.homedir());
    expect(log).toContain('home had 0 entries'); // a first launch
    expect(existsSync(home)).toBe(false); // removed afterwards
    const helper = Number(/^HELPER=(\d+)$/m.exec(log)![1]);
    expect(alive(helper)).toBe(false); // the whole process group was stopped
    // Nothing answers on the port any more.
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it('fails with the app’s output when it exits before serving its page', async () => {
    const port = await freePort();
    const { app, dir } = standIn('exit', port);
    const r = await smoke(['--app', app, '--port', String(port), '--out', path.join(dir, 'x-screenshot.png'), '--no-screenshot']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('smoke: the app exited (3) before serving its status page');
    expect(r.stderr).toContain('stand-in: cannot start');
  });

  it('does not take another server on the port, or a page without a first-launch config, for the app', async () => {
    const port = await freePort();
    const busy = createServer((q, res) => res.end('<title>ServerBIT</title>'));
    servers.push(busy);
    await new Promise<void>((r) => busy.listen(port, '127.0.0.1', () => r()));
    const a = standIn('ok', port);
    const taken = await smoke(['--app', a.app, '--port', String(port), '--out', path.join(a.dir, 'x-screenshot.png'), '--no-screenshot']);
    expect(taken.status).toBe(1);
    expect(taken.stderr).toContain(`something already answers on port ${port}`);

    const port2 = await freePort();
    const b = standIn('no-config', port2);
    const never = await smoke(['--app', b.app, '--port', String(port2), '--out', path.join(b.dir, 'x-screenshot.png'), '--timeout', '3', '--no-screenshot']);
    expect(never.status).toBe(1);
    expect(never.stderr).toContain(`no status page on http://127.0.0.1:${port2}/ within 3 s`);
    const helper = Number(/^HELPER=(\d+)$/m.exec(readFileSync(path.join(b.dir, 'x-launch.log'), 'utf8'))![1]);
    expect(alive(helper)).toBe(false); // stopped on failure too
  });
});
