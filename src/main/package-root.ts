/**
 * Where ServerBIT's own files are: the folder holding its package.json (a clone, an npm install,
 * or the packaged app's `app.asar`). Found by walking up from this module, not by a fixed number
 * of `../`: the headless CLI is also run as a bundle (scripts/bundle-cli.mjs, for a fast launch;
 * docs/performance.md "Launch"), where this code sits in a chunk at another depth than in the
 * per-module build. A leaf like log.ts: any room may use it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A package.json this deep above us would not be ours; stop looking. */
const MAX_LEVELS = 6;

let cached: string | undefined;

/** Absolute path of the folder with ServerBIT's package.json (its `name` is "serverbit"). */
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  const start = path.dirname(fileURLToPath(import.meta.url));
  let dir = start;
  for (let i = 0; i <= MAX_LEVELS; i++) {
    try {
      const pkg: unknown = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      if (typeof pkg === 'object' && pkg !== null && (pkg as { name?: unknown }).name === 'serverbit') return (cached = dir);
    } catch {
      // No package.json here (or not JSON): keep walking up.
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  // Not found (files moved out of their package): fall back on the per-module layout, dist/main/ → root.
  return (cached = path.resolve(start, '..', '..'));
}
