#!/usr/bin/env node
// Run before `npm run serve`, `npm run emulator` and `npm start`, which start the build in dist/
// as it is (npm install builds it once, in npm's prepare step) instead of rebuilding on every
// start. `npm run dev`, `dev:desktop` and `dev:emulator` rebuild first.
//
//   node scripts/check-built.mjs <file in dist/>...
//   node scripts/check-built.mjs --run <file in dist/> [its arguments...]
//
// --run then starts that file in this same process, with the arguments after it (npm run serve:
// one Node start-up instead of two, ~0.1 s of the launch, docs/performance.md "Launch").
//
// Exit 1, with what to run, when a file is missing. When a file under src/ is newer than the
// build, it says so on stderr (the old build still starts: exit 0).
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = process.argv[2] === '--run';
const files = run ? process.argv.slice(3, 4) : process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node scripts/check-built.mjs <file in dist/>... | --run <file in dist/> [arguments...]\n');
  process.exit(2);
}

const missing = files.filter((f) => !existsSync(path.join(ROOT, f)));
if (missing.length > 0) {
  process.stderr.write(
    `ServerBIT is not built: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing.\n` +
      '  Build it once with `npm run build` (npm install does it, unless run with --ignore-scripts),\n' +
      '  or use `npm run dev` (service), `npm run dev:desktop` (app), `npm run dev:emulator`, which build first.\n',
  );
  process.exit(1);
}

/** The newest file under `dir` (bounded walk: the source tree is a few hundred files). */
function newest(dir) {
  let best = { file: undefined, mtime: 0 };
  const stack = [dir];
  let seen = 0;
  while (stack.length > 0 && seen < 10_000) {
    const d = stack.pop();
    for (const e of readdirSync(d, { withFileTypes: true })) {
      seen++;
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) {
        const m = statSync(p).mtimeMs;
        if (m > best.mtime) best = { file: p, mtime: m };
      }
    }
  }
  return best;
}

const src = path.join(ROOT, 'src');
if (existsSync(src)) {
  const built = Math.min(...files.map((f) => statSync(path.join(ROOT, f)).mtimeMs));
  const changed = newest(src);
  if (changed.file && changed.mtime > built) {
    process.stderr.write(
      `note: ${path.relative(ROOT, changed.file)} changed after the last build; this starts the old build. ` +
        'Run `npm run build` (or `npm run dev`, which builds first) to include your changes.\n',
    );
  }
}

if (run) {
  // The file reads its arguments from process.argv as if Node had started it.
  const file = path.join(ROOT, files[0]);
  process.argv = [process.argv[0], file, ...process.argv.slice(4)];
  await import(pathToFileURL(file).href);
}
