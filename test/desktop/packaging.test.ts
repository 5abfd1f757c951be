/**
 * Packaging smoke test: electron-builder packs the built app for Linux (`--linux dir`) with the
 * real electron-builder.yml. The Electron binary cannot be downloaded here (no access to GitHub), so
 * `electronDist` points at a stand-in folder: an executable named `electron` (electron-builder
 * renames it to the app's executable) that carries the fuse wire @electron/fuses looks for, so
 * the `electronFuses` settings are applied and checked too. What this proves: the config is
 * valid, the asar holds the main process, preload, renderer and icons, serialport's native
 * module is unpacked next to it, and the fuses are flipped. What it cannot: that Electron runs it.
 *
 * Needs `npm run build` first (npm test does it). Takes ~20–60 s.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

/** @electron/fuses: the sentinel, then wire version 1, the wire length, one byte per fuse ('0'/'1'). */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Fuse order (FuseV1Options): RunAsNode, EnableCookieEncryption, EnableNodeOptionsEnvironmentVariable, EnableNodeCliInspectArguments, EnableEmbeddedAsarIntegrityValidation, OnlyLoadAppFromAsar, LoadBrowserProcessSpecificV8Snapshot, GrantFileProtocolExtraPrivileges. */
const ELECTRON_DEFAULT_FUSES = '10101001';

let work: string;
let appDir: string;
let build: ReturnType<typeof spawnSync>;

beforeAll(() => {
  for (const f of ['dist/main/electron/main.js', 'dist/main/electron/preload.cjs', 'dist/renderer/index.html']) {
    if (!existsSync(path.join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` before this test`);
  }
  work = mkdtempSync(path.join(os.tmpdir(), 'serverbit-pack-'));
  const fakeDist = path.join(work, 'electron-dist');
  mkdirSync(fakeDist);
  const exe = path.join(fakeDist, 'electron');
  writeFileSync(exe, Buffer.concat([Buffer.from('#!/bin/sh\necho "stand-in for Electron"\n# '), Buffer.from(FUSE_SENTINEL), Buffer.from([1, ELECTRON_DEFAULT_FUSES.length]), Buffer.from(ELECTRON_DEFAULT_FUSES), Buffer.from('\n')]));
  chmodSync(exe, 0o755);
  const out = path.join(work, 'release');
  build = spawnSync(
    process.execPath,
    [require.resolve('electron-builder/cli.js'), '--linux', 'dir', '--x64', '--publish', 'never', `-c.electronDist=${fakeDist}`, `-c.directories.output=${out}`],
    { cwd: ROOT, encoding: 'utf8', timeout: 240_000, env: { ...process.env, CI: '1', ELECTRON_BUILDER_CACHE: path.join(work, 'cache') } },
  );
  appDir = path.join(out, 'linux-unpacked');
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('electron-builder --linux dir (stand-in Electron)', () => {
  it('packs without error', () => {
    expect(build.status, `${build.stdout}\n${build.stderr}`).toBe(0);
    expect(readdirSync(appDir).sort()).toEqual(['resources', 'serverbit-desktop']);
  });

  it('app.asar holds the main process, preload, renderer, icons and manifest (no sources, no maps)', async () => {
    const asar = require('@electron/asar') as { listPackage(p: string, o?: object): string[]; extractFile(p: string, f: string): Buffer };
    const archive = path.join(appDir, 'resources', 'app.asar');
    expect(existsSync(archive)).toBe(true);
    const files = new Set(asar.listPackage(archive).map((f) => f.replaceAll('\\', '/')));
    for (const f of [
      '/package.json',
      '/dist/main/electron/main.js',
      '/dist/main/electron/preload.cjs',
      '/dist/main/app.js',
      '/dist/renderer/index.html',
      '/dist/renderer/app.js',
      '/assets/icon.png',
      '/assets/tray-streaming.png',
      '/assets/tray-errorTemplate@2x.png',
      '/node_modules/ws/package.json',
      '/node_modules/serialport/package.json',
      '/node_modules/electron-store/package.json',
    ]) {
      expect(files.has(f), f).toBe(true);
    }
    expect([...files].filter((f) => f.startsWith('/src/') || (f.startsWith('/dist/') && f.endsWith('.map')))).toEqual([]);
    expect([...files].some((f) => f.startsWith('/node_modules/electron/'))).toBe(false);
    const manifest = JSON.parse(asar.extractFile(archive, 'package.json').toString('utf8')) as { main: string; type: string };
    expect(manifest.main).toBe('dist/main/electron/main.js');
    expect(manifest.type).toBe('module');
  });

  it('unpacks serialport’s native module (a .node file cannot be loaded from inside an asar)', () => {
    const bindings = path.join(appDir, 'resources', 'app.asar.unpacked', 'node_modules', '@serialport', 'bindings-cpp');
    expect(existsSync(path.join(bindings, 'package.json'))).toBe(true);
    expect(existsSync(path.join(bindings, 'prebuilds', 'linux-x64', '@serialport+bindings-cpp.glibc.node'))).toBe(true);
    expect(existsSync(path.join(bindings, 'prebuilds', 'win32-x64', '@serialport+bindings-cpp.node'))).toBe(true);
    expect(existsSync(path.join(bindings, 'prebuilds', 'darwin-x64+arm64', '@serialport+bindings-cpp.node'))).toBe(true);
  });

  it('flips the fuses electron-builder.yml asks for', () => {
    const exe = readFileSync(path.join(appDir, 'serverbit-desktop'));
    const at = exe.indexOf(FUSE_SENTINEL) + FUSE_SENTINEL.length;
    const wire = exe.subarray(at + 2, at + 2 + exe[at + 1]).toString('latin1');
    // RunAsNode off, cookie encryption on, NODE_OPTIONS off, --inspect off, asar integrity on,
    // app only from asar, V8 snapshot untouched, file:// privileges kept (ES module page).
    expect(wire).toBe('01001101');
  });
});
