/**
 * The rooms of docs/architecture.md and which rooms each may import: an import that points up
 * the table (or sideways where the table does not allow it) fails here, naming the file and the
 * import. Static imports, `import type` and dynamic `import()` all count.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SRC = path.join(ROOT, 'src');

type Room = 'shared' | 'devices' | 'acquisition' | 'config' | 'api' | 'server' | 'outputs' | 'desktop' | 'electron' | 'entry' | 'log' | 'renderer';

/** May import, besides itself (docs/architecture.md "Rooms"). `log` is a leaf every room of the main process may use. */
export const ALLOWED: Readonly<Record<Room, readonly Room[]>> = {
  shared: [],
  devices: ['shared', 'log'],
  acquisition: ['shared', 'devices', 'log'],
  config: ['shared', 'log'],
  api: ['shared', 'acquisition', 'config', 'log'],
  server: ['shared', 'acquisition', 'api', 'log'],
  outputs: ['shared', 'acquisition', 'log'],
  desktop: ['shared', 'acquisition', 'api', 'config', 'log'],
  electron: ['desktop', 'api', 'shared', 'config', 'log'],
  // app.ts, cli.ts and electron/main.ts compose everything.
  entry: ['shared', 'devices', 'acquisition', 'config', 'api', 'server', 'outputs', 'desktop', 'electron', 'log', 'entry'],
  log: [],
  renderer: ['shared'],
};

function roomOf(file: string): Room | undefined {
  const rel = path.relative(SRC, file).split(path.sep).join('/');
  if (rel.startsWith('shared/')) return 'shared';
  if (rel.startsWith('renderer/')) return 'renderer';
  if (rel === 'main/app.ts' || rel === 'main/cli.ts' || rel === 'main/electron/main.ts') return 'entry';
  // Leaf utilities every room of the main process may use: the logger, the HDF5 library's setup, where the package is.
  if (rel === 'main/log.ts' || rel === 'main/h5wasm.ts' || rel === 'main/package-root.ts') return 'log';
  const m = /^main\/([^/]+)\//.exec(rel);
  return m ? (m[1] as Room) : undefined;
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|cts)$/.test(e.name) ? [p] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]((?:\.|#shared\/)[^'"]+)['"]|import\(\s*['"]((?:\.|#shared\/)[^'"]+)['"]\s*\)|\/\/\/\s*<reference path="(\.[^"]+)"/g;

/** Where an import points: relative to the file, or `#shared/…` (package.json "imports": src/shared). */
function resolveImport(file: string, spec: string): string {
  return spec.startsWith('#shared/') ? path.join(SRC, 'shared', spec.slice('#shared/'.length)) : path.resolve(path.dirname(file), spec);
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

describe('architecture: arrows point down the table', () => {
  const files = sources(SRC);

  it('every source file lives in a known room', () => {
    const homeless = files.filter((f) => roomOf(f) === undefined).map((f) => path.relative(ROOT, f));
    expect(homeless).toEqual([]);
  });

  it('no room imports one it may not (no upward imports, no circles between rooms)', () => {
    const violations: string[] = [];
    for (const f of files) {
      const from = roomOf(f)!;
      for (const spec of importsOf(f)) {
        const target = resolveImport(f, spec);
        const to = roomOf(target);
        if (to === undefined || to === from) continue;
        if (!ALLOWED[from].includes(to)) violations.push(`${path.relative(ROOT, f)} (${from}) imports ${spec} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('the table itself has no circle', () => {
    // Depth-first search over the allowed arrows (entry excluded: it is the root).
    const rooms = (Object.keys(ALLOWED) as Room[]).filter((r) => r !== 'entry');
    const state = new Map<Room, 'visiting' | 'done'>();
    const cycle: Room[] = [];
    const visit = (r: Room, trail: Room[]): boolean => {
      if (state.get(r) === 'done') return false;
      if (state.get(r) === 'visiting') {
        cycle.push(...trail, r);
        return true;
      }
      state.set(r, 'visiting');
      for (const next of ALLOWED[r]) if (next !== 'entry' && visit(next, [...trail, r])) return true;
      state.set(r, 'done');
      return false;
    };
    for (const r of rooms) visit(r, []);
    expect(cycle).toEqual([]);
  });

  it('catches an upward import (the check itself can fail)', () => {
    const from: Room = 'devices';
    expect(ALLOWED[from].includes('acquisition')).toBe(false);
    expect(importsOf(path.join(SRC, 'main/acquisition/device-runner.ts'))).toContain('../devices/driver.js');
  });
});
