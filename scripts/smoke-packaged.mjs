#!/usr/bin/env node
// Release smoke test (.github/workflows/release.yml, one run per OS): starts the packaged app as
// a user would on a fresh account, waits until it serves its status page, takes a screenshot of
// the screen with its window on it, and stops it. Fails (exit 1, with the app's log) when the app
// does not start, exits early, or the screenshot is not a PNG.
//
//   node scripts/smoke-packaged.mjs [--release DIR] [--app PATH] [--port N] [--out FILE]
//                                   [--timeout SECONDS] [--settle SECONDS] [--no-screenshot]
//
//   --release   where electron-builder put the installers (default: release)
//   --app       the executable to start, instead of the one found in --release
//   --port      the status port of a first launch (default 9001, the config default)
//   --out       the screenshot (default: <release>/ServerBIT-<platform>-screenshot.png); the app's
//               stdout and stderr go to the same name with -launch.log
//   --timeout   longest wait for the status page (default 120)
//   --settle    wait after the page answers, for the window to paint (default 5)
//
// Which package is started, per OS:
//   linux   the AppImage, with APPIMAGE_EXTRACT_AND_RUN=1 (no FUSE needed); run this under
//           xvfb-run, which gives the app and the screenshot tool (ImageMagick's `import`) a display
//   darwin  the dmg for this machine's architecture, mounted read-only; screenshot by `screencapture`
//   win32   the NSIS installer, run silently (/S, per-user install), then the installed exe;
//           screenshot through .NET's Graphics.CopyFromScreen
//
// "Started" means: the status page http://127.0.0.1:<port>/ answers 200 with ServerBIT's page,
// and the first launch created <fresh home>/ServerBIT/config.json (so it is this app answering,
// not something else on the port).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    release: { type: 'string', default: 'release' },
    app: { type: 'string' },
    port: { type: 'string', default: '9001' },
    out: { type: 'string' },
    timeout: { type: 'string', default: '120' },
    settle: { type: 'string', default: '5' },
    'no-screenshot': { type: 'boolean', default: false },
  },
  strict: true,
});
const release = path.resolve(values.release);
const port = Number(values.port);
const timeoutMs = Number(values.timeout) * 1000;
const settleMs = Number(values.settle) * 1000;
const platform = process.platform;
const out = path.resolve(values.out ?? path.join(release, `ServerBIT-${platform}-screenshot.png`));
const logFile = out.replace(/(-screenshot)?\.png$/, '') + '-launch.log';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (s) => process.stdout.write(`smoke: ${s}\n`);
const cleanups = [];

function fail(message) {
  process.stderr.write(`smoke: ${message}\n`);
  if (existsSync(logFile)) {
    const log = readFileSync(logFile, 'utf8');
    process.stderr.write(`--- the app's output (${logFile}), last 4000 characters ---\n${log.slice(-4000)}\n`);
  }
  for (const c of cleanups.splice(0).reverse()) c();
  process.exit(1);
}

function only(dir, test, what) {
  const found = existsSync(dir) ? readdirSync(dir).filter(test) : [];
  if (found.length !== 1) fail(`expected one ${what} in ${dir}, found ${found.length}: ${found.join(', ')}`);
  return path.join(dir, found[0]);
}

/** The executable to start and the environment it needs. */
function packagedApp() {
  if (values.app) return { exe: path.resolve(values.app), env: {} };
  if (platform === 'linux') {
    const image = only(release, (f) => f.startsWith('ServerBIT-') && f.endsWith('.AppImage'), 'AppImage');
    chmodSync(image, 0o755);
    return { exe: image, env: { APPIMAGE_EXTRACT_AND_RUN: '1' } };
  }
  if (platform === 'darwin') {
    const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
    const dmg = only(release, (f) => f.startsWith('ServerBIT-') && f.endsWith(`-${arch}.dmg`), `${arch} dmg`);
    const mount = mkdtempSync(path.join(os.tmpdir(), 'serverbit-dmg-'));
    const r = spawnSync('hdiutil', ['attach', '-nobrowse', '-readonly', '-mountpoint', mount, dmg], { encoding: 'utf8' });
    if (r.status !== 0) fail(`hdiutil attach ${dmg} failed: ${r.stderr}`);
    cleanups.push(() => spawnSync('hdiutil', ['detach', mount, '-force']));
    return { exe: path.join(mount, 'ServerBIT.app', 'Contents', 'MacOS', 'ServerBIT'), env: {} };
  }
  if (platform === 'win32') {
    const installer = only(release, (f) => f.startsWith('ServerBIT-') && f.endsWith('.exe'), 'NSIS installer');
    say(`installing ${installer} silently`);
    const r = spawnSync(installer, ['/S'], { stdio: 'inherit', timeout: 300_000 });
    if (r.status !== 0) fail(`the installer exited with ${r.status ?? r.error}`);
    const candidates = [
      path.join(process.env.LOCALAPPDATA ?? '', 'Programs', 'ServerBIT', 'ServerBIT.exe'),
      path.join(process.env.ProgramFiles ?? 'C:\\Program Files', 'ServerBIT', 'ServerBIT.exe'),
    ];
    const exe = candidates.find((c) => existsSync(c));
    if (!exe) fail(`ServerBIT.exe is not where the installer puts it: ${candidates.join(', ')}`);
    return { exe, env: {} };
  }
  fail(`no packaged app for ${platform}`);
}

async function statusPage() {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
    const body = await res.text();
    return res.status === 200 && body.includes('<title>ServerBIT</title>');
  } catch {
    return false;
  }
}

function screenshot(file) {
  const cmd =
    platform === 'linux'
      ? ['import', ['-window', 'root', file]]
      : platform === 'darwin'
        ? ['screencapture', ['-x', file]]
        : [
            'powershell',
            [
              '-NoProfile',
              '-Command',
              'Add-Type -AssemblyName System.Windows.Forms,System.Drawing;' +
                '$b=[System.Windows.Forms.Screen]::PrimaryScreen.Bounds;' +
                '$bmp=New-Object System.Drawing.Bitmap $b.Width,$b.Height;' +
                '$g=[System.Drawing.Graphics]::FromImage($bmp);' +
                '$g.CopyFromScreen($b.Location,[System.Drawing.Point]::Empty,$b.Size);' +
                `$bmp.Save('${file.replaceAll("'", "''")}',[System.Drawing.Imaging.ImageFormat]::Png)`,
            ],
          ];
  const r = spawnSync(cmd[0], cmd[1], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) fail(`${cmd[0]} failed (${r.status ?? r.error}): ${r.stderr}`);
  const png = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
  if (png.length < 1000 || !png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) fail(`${file} is not a PNG screenshot (${png.length} bytes)`);
  say(`screenshot: ${file} (${png.length} bytes)`);
}

/** Signals the app and everything it started (POSIX: its process group; Windows: its tree). */
function signal(child, sig) {
  if (platform === 'win32') {
    spawnSync('taskkill', ['/PID', String(child.pid), '/T', '/F']);
    return;
  }
  try {
    process.kill(-child.pid, sig);
  } catch {
    /* already gone */
  }
}

function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((r) => child.once('exit', r));
  signal(child, 'SIGTERM');
  let timer;
  const late = new Promise((r) => (timer = setTimeout(r, 15_000))).then(() => signal(child, 'SIGKILL'));
  return Promise.race([exited, late]).finally(() => clearTimeout(timer));
}

if (await statusPage()) fail(`something already answers on port ${port}: free it first`);
const { exe, env } = packagedApp();
if (!existsSync(exe)) fail(`${exe} does not exist`);
mkdirSync(path.dirname(out), { recursive: true });
// A fresh account: no config yet, so this is a first launch (creates the config, opens the window).
const home = mkdtempSync(path.join(os.tmpdir(), 'serverbit-home-'));
cleanups.push(() => rmSync(home, { recursive: true, force: true }));
const log = openSync(logFile, 'w');
say(`starting ${exe} (HOME=${home})`);
// Its own process group on Linux and macOS: the AppImage runtime starts Electron as a child, and
// Electron starts helpers; stop() signals them all.
const child = spawn(exe, [], { env: { ...process.env, ...env, HOME: home, USERPROFILE: home }, stdio: ['ignore', log, log], detached: platform !== 'win32' });
closeSync(log);
let spawnError;
child.once('error', (e) => (spawnError = e));
cleanups.push(() => {
  if (child.exitCode === null && child.signalCode === null && child.pid) signal(child, 'SIGKILL');
});

const started = Date.now();
for (;;) {
  if (spawnError) fail(`cannot start ${exe}: ${spawnError.message}`);
  if (child.exitCode !== null || child.signalCode !== null) fail(`the app exited (${child.exitCode ?? child.signalCode}) before serving its status page`);
  if ((await statusPage()) && existsSync(path.join(home, 'ServerBIT', 'config.json'))) break;
  if (Date.now() - started > timeoutMs) fail(`no status page on http://127.0.0.1:${port}/ within ${timeoutMs / 1000} s`);
  await sleep(500);
}
say(`status page answered after ${((Date.now() - started) / 1000).toFixed(1)} s`);
await sleep(settleMs);
if (child.exitCode !== null || child.signalCode !== null) fail(`the app exited (${child.exitCode ?? child.signalCode}) after starting`);
if (!values['no-screenshot']) screenshot(out);
await stop(child);
for (const c of cleanups.splice(0).reverse()) c();
say('ok');
process.exit(0);
