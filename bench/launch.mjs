/**
 * Launch time: from starting the README's headless command to the "ServerBIT LISTENING" line,
 * with a fresh HOME (so a config file is created on the first run, as on a user's first launch),
 * the simulator as the device, on a free port. One run first, not counted (the OS's file cache and
 * the config file), then `runs` runs each of `npm run serve` and of the CLI started by Node itself
 * with the same flags (what `npm run serve` costs beyond npm's own start-up).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, now, summarize } from './lib.mjs';
import { SERVE_NODE_FLAGS } from './rig.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Milliseconds from spawn to the LISTENING line; the process group is then stopped with SIGINT. */
async function launchOnce(cmd, args, home) {
  const port = await freePort();
  const t0 = now();
  const child = spawn(cmd, [...args, '--port', String(port)], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: home, USERPROFILE: home } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const ms = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} ${args.join(' ')}: no LISTENING line in 20 s; stderr: ${stderr.slice(0, 300)}`)), 20_000);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ServerBIT LISTENING')) {
        clearTimeout(timer);
        resolve(now() - t0);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} ${args.join(' ')} exited (${code}) before LISTENING; stderr: ${stderr.slice(0, 300)}`));
    });
  });
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(-child.pid, 'SIGINT');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  return ms;
}

export async function runLaunchBench({ runs = 7 } = {}) {
  const serve = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).scripts.serve;
  const home = mkdtempSync(path.join(os.tmpdir(), 'serverbit-launch-'));
  try {
    const readme = [npm, ['run', '--silent', 'serve', '--']];
    const direct = [process.execPath, [...SERVE_NODE_FLAGS, 'dist/main/cli.js']];
    await launchOnce(...readme, home); // warm-up: creates the config file, fills the file cache
    const npmMs = [];
    const nodeMs = [];
    for (let i = 0; i < runs; i++) {
      npmMs.push(await launchOnce(...readme, home));
      nodeMs.push(await launchOnce(...direct, home));
    }
    return { serveScript: serve, runs, npmRunServe: summarize(npmMs), node: summarize(nodeMs), npmRunServeMs: npmMs, nodeMs };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
