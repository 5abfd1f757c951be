// Bundles measure-main.ts (TypeScript) with esbuild and runs it: node test/outputs/osc/measure.mjs [seconds]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serverbit-osc-measure-'));
const outfile = path.join(dir, 'measure.mjs');
// esbuild and node-osc stay external (resolved from the repository's node_modules).
await build({ entryPoints: [path.join(here, 'measure-main.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, packages: 'external', logLevel: 'warning', absWorkingDir: path.resolve(here, '../../..') });
fs.copyFileSync(outfile, path.join(here, '.measure.tmp.mjs'));
const r = spawnSync(process.execPath, [path.join(here, '.measure.tmp.mjs'), ...process.argv.slice(2)], { stdio: 'inherit' });
fs.rmSync(path.join(here, '.measure.tmp.mjs'), { force: true });
fs.rmSync(dir, { recursive: true, force: true });
process.exit(r.status ?? 1);
