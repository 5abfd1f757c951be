#!/usr/bin/env node
// Run by `npm start` before `electron .`: without the Electron binary, electron's own launcher
// ends in a stack trace ("Electron failed to install correctly"). This says what to do instead.
//
//   node scripts/check-electron.mjs [--root DIR]
//
// DIR is the project whose node_modules/electron is checked (default: this repository).
// Exit 0 when the binary is there; 1 (with the steps on stderr) when it is not.
//
// How the electron package finds its binary (node_modules/electron/index.js): its install script
// downloads Electron from GitHub into node_modules/electron/dist/ and writes the executable's
// path, relative to dist/, into node_modules/electron/path.txt. ELECTRON_OVERRIDE_DIST_PATH
// points at another dist folder. ELECTRON_SKIP_BINARY_DOWNLOAD makes the install script skip
// the download.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const rootAt = args.indexOf('--root');
const ROOT = rootAt >= 0 && args[rootAt + 1] ? path.resolve(args[rootAt + 1]) : here;
const pkgDir = path.join(ROOT, 'node_modules', 'electron');

/** Why the binary cannot be used, or undefined when it can. */
function problem() {
  if (!existsSync(path.join(pkgDir, 'package.json'))) return 'the electron package is not installed (node_modules/electron is missing)';
  const pathFile = path.join(pkgDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const exe = path.join(override, relative || 'electron');
    return existsSync(exe) ? undefined : `ELECTRON_OVERRIDE_DIST_PATH is set, but ${exe} does not exist`;
  }
  if (!relative) return 'the Electron binary was never downloaded (node_modules/electron/path.txt is missing)';
  const exe = path.join(pkgDir, 'dist', relative);
  return existsSync(exe) ? undefined : `the Electron binary is missing (${path.relative(ROOT, exe)} does not exist)`;
}

const why = problem();
if (why) {
  const skipped = process.env.ELECTRON_SKIP_BINARY_DOWNLOAD
    ? '  ELECTRON_SKIP_BINARY_DOWNLOAD is set in your environment: unset it first.\n'
    : '';
  process.stderr.write(
    `Cannot start the ServerBIT desktop app: ${why}.\n` +
      skipped +
      '  To get Electron (about 100 MB, downloaded from GitHub):\n' +
      '    node node_modules/electron/install.js\n' +
      '  or reinstall: npm install (without ELECTRON_SKIP_BINARY_DOWNLOAD).\n' +
      '  Or run the headless service instead: npm run serve, then open http://127.0.0.1:9001/ in a\n' +
      '  browser (your "port" if you changed it) for the same status, plot and settings.\n',
  );
  process.exit(1);
}
