/**
 * A fresh clone with nothing beside it must build, test and make sense: no source, test, bench
 * or doc file may read a folder outside the repository (the protocol vectors live in
 * test/fixtures/bitalino/) or cite notes that are not in it (the facts the code relies on are in
 * docs/bitalino-protocol.md and docs/original-serverbit.md).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VECTORS_DIR, loadVectors } from './helpers/vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROOTS = ['src', 'test', 'bench', 'docs', 'README.md'];
const TEXT = /\.(ts|cts|mts|js|mjs|cjs|json|md|html|css|yml|yaml|py|sh)$/;
/** Paths outside the repository, and the names of notes that are not part of it. */
const OUTSIDE = /shared\/vectors|\b(PROTOCOL|ARCHITECTURE|STACK|STYLE|ORIGINAL|DEVELOPERS)\.md/;
/** Relative paths to a "shared" folder: fine when they land inside the repository (src/shared), not beside it. */
const RELATIVE_SHARED = /((?:\.\.\/)+)shared\b/g;

function leavesRepository(rel: string, line: string): boolean {
  for (const m of line.matchAll(RELATIVE_SHARED)) {
    const target = path.resolve(ROOT, path.dirname(rel), m[1], 'shared');
    if (path.relative(ROOT, target).startsWith('..')) return true;
  }
  return false;
}

/**
 * Files being rewritten elsewhere that still carry such a citation. Each entry must still carry
 * one (the test fails otherwise): when a file is fixed, delete its line here.
 */
const NOT_YET = new Set<string>([]);

function* files(rel: string): Generator<string> {
  const abs = path.join(ROOT, rel);
  if (statSync(abs).isDirectory()) {
    for (const name of readdirSync(abs).sort()) {
      if (rel === 'bench' && name === 'results') continue; // generated
      yield* files(path.posix.join(rel, name));
    }
  } else if (TEXT.test(rel) || rel === 'README.md') {
    yield rel;
  }
}

describe('the repository is self-contained', () => {
  it('no file under src/, test/, bench/, docs/ or README.md cites a folder or notes outside it', () => {
    const offenders: string[] = [];
    const stillCiting = new Set<string>();
    let scanned = 0;
    for (const root of ROOTS) {
      for (const rel of files(root)) {
        if (rel === 'test/self-contained.test.ts') continue; // this file names the patterns
        scanned++;
        const lines = readFileSync(path.join(ROOT, rel), 'utf8').split('\n');
        lines.forEach((line, i) => {
          if (!OUTSIDE.test(line) && !leavesRepository(rel, line)) return;
          if (NOT_YET.has(rel)) stillCiting.add(rel);
          else offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
      }
    }
    expect(scanned).toBeGreaterThan(100);
    expect(offenders).toEqual([]);
    // Entries of NOT_YET that no longer cite anything must leave the list.
    expect([...NOT_YET].filter((f) => !stillCiting.has(f))).toEqual([]);
  });

  it('tells an import of src/shared from a path that leaves the repository', () => {
    // Built from parts, so this file does not itself hold the pattern it is about.
    const up3 = ['..', '..', '..', 'shared'].join('/');
    expect(leavesRepository('src/main/outputs/lsl/x.ts', `import { a } from '${up3}/errors.js';`)).toBe(false);
    expect(leavesRepository('test/helpers/vectors.ts', `const dir = '${up3}/vectors';`)).toBe(true);
    expect(leavesRepository('src/main/app.ts', `'${up3}/tools'`)).toBe(true);
  });

  it('the protocol vectors are read from inside the repository', () => {
    const rel = path.relative(ROOT, VECTORS_DIR);
    expect(rel).toBe(path.join('test', 'fixtures', 'bitalino'));
    expect(loadVectors('vectors.json').commands.length).toBeGreaterThan(40);
    expect(Object.keys(loadVectors('firmware-simulated-mode.json'))).toContain('live_1000Hz_A1_incl_stale');
    expect(readFileSync(path.join(VECTORS_DIR, 'README.md'), 'utf8')).toMatch(/how it was obtained/);
  });
});
