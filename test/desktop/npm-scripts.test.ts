/**
 * The npm scripts a user types (README "Set up"): `npm run serve`, `npm start` and
 * `npm run emulator` start what `npm install` built, without rebuilding; `npm run dev…` rebuild
 * first; `npm test` builds first (CI relies on it). Without the Electron binary, `npm start` says
 * how to get it or how to use the service instead, rather than ending in Electron's stack trace.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPTS = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const dirs: string[] = [];
const groups: ChildProcess[] = [];
afterEach(() => {
  for (const c of groups.splice(0)) {
    if (c.exitCode === null && c.signalCode === null && c.pid) {
      try {
        process.kill(-c.pid, 'SIGKILL'); // the npm → sh → node group this test started
      } catch {
        /* already gone */
      }
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(name: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), `serverbit-${name}-`));
  dirs.push(d);
  return d;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Runs a script of this repository's (or a stand-in) check, without inheriting Electron overrides. */
function node(script: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const base = { ...process.env };
  delete base.ELECTRON_OVERRIDE_DIST_PATH;
  delete base.ELECTRON_SKIP_BINARY_DOWNLOAD;
  return spawnSync(process.execPath, [path.join(ROOT, 'scripts', script), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...base, ...env }, timeout: 30_000 });
}

describe('npm scripts', () => {
  it('serve, start and emulator start the build as it is; dev, dev:desktop and dev:emulator build first; test builds first', () => {
    for (const name of ['serve', 'start', 'emulator']) expect(SCRIPTS[name], name).not.toMatch(/\b(npm run build|tsc)\b/);
    // Node's own flags (docs/performance.md "Memory"), then the build check, which runs the CLI in its process.
    expect(SCRIPTS.serve).toMatch(/^node(?: --[\w-]+(?:=\S+)?)* scripts\/check-built\.mjs --run dist\/main\/cli\.js$/);
    expect(SCRIPTS.emulator).toMatch(/node dist\/main\/devices\/emulator-cli\.js$/);
    expect(SCRIPTS.start).toMatch(/^node scripts\/check-electron\.mjs && .*electron \.$/);
    for (const name of ['dev', 'dev:desktop', 'dev:emulator']) expect(SCRIPTS[name], name).toMatch(/npm run build && /);
    expect(SCRIPTS.test).toMatch(/^npm run build && /);
    expect(SCRIPTS.prepare).toBe('npm run build');
  });

  it('`npm run serve` reaches LISTENING without rebuilding dist/', async () => {
    const watched = ['dist/main/cli.js', 'dist/main/app.js', 'dist/renderer/app.js'].map((f) => path.join(ROOT, f));
    const before = watched.map((f) => statSync(f).mtimeMs);
    const home = tempDir('serve');
    const port = await freePort();
    const child = spawn(NPM, ['run', 'serve', '--', '--port', String(port), '--config', path.join(home, 'config.json')], {
      cwd: ROOT,
      env: { ...process.env, HOME: home, USERPROFILE: home },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so the whole npm → sh → node chain can be stopped
    });
    groups.push(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no LISTENING line in 60 s; stderr: ${stderr}`)), 60_000);
      child.stdout!.setEncoding('utf8').on('data', (s: string) => {
        out += s;
        const m = /^ServerBIT LISTENING .*$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      });
      child.once('exit', (code) => reject(new Error(`npm run serve exited (${String(code)}) before LISTENING; stderr: ${stderr}`)));
    });
    expect(line).toContain(`ws://127.0.0.1:${port}/`);
    expect(watched.map((f) => statSync(f).mtimeMs)).toEqual(before);
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }, 90_000);

  it('check-built says what to run when the build is missing', () => {
    const r = node('check-built.mjs', ['dist/not-built.js']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('dist/not-built.js is missing');
    expect(r.stderr).toContain('npm run build');
    expect(r.stderr).toContain('npm run dev');
    expect(node('check-built.mjs', ['dist/main/cli.js']).status).toBe(0);
  });

  it('check-built --run starts the file in its own process with the arguments after it', () => {
    const r = node('check-built.mjs', ['--run', 'dist/main/cli.js', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--relay URL');
    const missing = node('check-built.mjs', ['--run', 'dist/not-built.js', '--help']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('dist/not-built.js is missing');
  });
});

describe('npm start without the Electron binary', () => {
  /** A stand-in project: node_modules/electron as npm leaves it, with or without the download. */
  function fakeProject(opts: { pkg: boolean; pathTxt?: string; binary?: boolean }): string {
    const root = tempDir('electron-check');
    const dir = path.join(root, 'node_modules', 'electron');
    if (opts.pkg) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'package.json'), '{"name":"electron","version":"41.7.1"}');
    }
    if (opts.pathTxt !== undefined) writeFileSync(path.join(dir, 'path.txt'), opts.pathTxt);
    if (opts.binary) {
      mkdirSync(path.join(dir, 'dist'), { recursive: true });
      writeFileSync(path.join(dir, 'dist', 'electron'), '');
    }
    return root;
  }

  const expectAdvice = (stderr: string) => {
    expect(stderr).toMatch(/^Cannot start the ServerBIT desktop app: /);
    expect(stderr).toContain('node node_modules/electron/install.js');
    expect(stderr).toContain('npm install (without ELECTRON_SKIP_BINARY_DOWNLOAD)');
    expect(stderr).toContain('npm run serve');
    expect(stderr).toContain('http://127.0.0.1:9001/');
    expect(stderr).not.toMatch(/failed to install correctly|\n\s+at /);
  };

  it('installed with ELECTRON_SKIP_BINARY_DOWNLOAD (no path.txt): exit 1 with the steps', () => {
    const r = node('check-electron.mjs', ['--root', fakeProject({ pkg: true })]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the Electron binary was never downloaded');
    expectAdvice(r.stderr);
    const again = node('check-electron.mjs', ['--root', fakeProject({ pkg: true })], { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
    expect(again.stderr).toContain('ELECTRON_SKIP_BINARY_DOWNLOAD is set in your environment: unset it first.');
  });

  it('no electron package, or a download that went missing: exit 1 with the steps', () => {
    const none = node('check-electron.mjs', ['--root', fakeProject({ pkg: false })]);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('node_modules/electron is missing');
    expectAdvice(none.stderr);
    const gone = node('check-electron.mjs', ['--root', fakeProject({ pkg: true, pathTxt: 'electron' })]);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain(path.join('node_modules', 'electron', 'dist', 'electron'));
    expectAdvice(gone.stderr);
  });

  it('with the binary in place: exit 0, silent', () => {
    const r = node('check-electron.mjs', ['--root', fakeProject({ pkg: true, pathTxt: 'electron', binary: true })]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('`npm start` itself stops at the check (Electron pointed at an empty folder)', () => {
    const empty = tempDir('no-electron');
    const r = spawnSync(NPM, ['start'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: empty }, timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`ELECTRON_OVERRIDE_DIST_PATH is set, but ${path.join(empty, 'electron')} does not exist`);
    expectAdvice(r.stderr.slice(r.stderr.indexOf('Cannot start')));
  });
});
