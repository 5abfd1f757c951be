/**
 * packageRoot() (src/main/package-root.ts) finds ServerBIT's own folder from wherever its module
 * sits: here from the sources, in the CLI bundle from a chunk in dist/main/cli-chunks/ (the CLI's
 * e2e tests serve the renderer and ClientBIT.html through it).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/main/package-root.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('packageRoot', () => {
  it("is the folder of ServerBIT's package.json", () => {
    expect(packageRoot()).toBe(REPO);
    expect(JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).name).toBe('serverbit');
  });

  it('the CLI bundle keeps its lazily loaded outputs in chunks of their own, beside it', () => {
    const cli = readFileSync(path.join(REPO, 'dist/main/cli.js'), 'utf8');
    // Bundled: ServerBIT's modules are inside, not imported one by one…
    expect(cli).not.toMatch(/from ["']\.\/app\.js["']/);
    // …and MQTT.js is not loaded at start: only a dynamic import reaches its chunk.
    const staticChunks = [...cli.matchAll(/from "(\.\/cli-chunks\/[^"]+)"/g)].map((m) => m[1]!);
    for (const c of staticChunks) expect(readFileSync(path.join(REPO, 'dist/main', c), 'utf8'), c).not.toContain('node_modules/mqtt/');
  });
});
