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
    // Bundled: ServerBIT's modules are inside, not imported one by one.
    expect(cli).not.toMatch(/from ?["']\.\/app\.js["']/);
  });

  it('the CLI loads at start neither MQTT.js, nor serialport, nor what conf needs only for options ServerBIT does not use', () => {
    // dist/main/cli-bundle.json: what scripts/bundle-cli.mjs put in each file and what each imports.
    type Summary = Record<string, { from: string[]; imports: { path: string; kind: string; external: boolean }[] }>;
    const summary = JSON.parse(readFileSync(path.join(REPO, 'dist/main/cli-bundle.json'), 'utf8')) as Summary;
    // Every file reached from the entry through static imports, and every package they hold or import.
    const atStart = new Set<string>();
    const packages = new Set<string>();
    const external = new Set<string>();
    const walk = (file: string): void => {
      if (atStart.has(file)) return;
      const entry = summary[file];
      expect(entry, `${file} in cli-bundle.json`).toBeDefined();
      atStart.add(file);
      for (const p of entry!.from) packages.add(p);
      for (const i of entry!.imports) {
        if (i.kind !== 'import-statement') continue;
        if (i.external) external.add(i.path);
        else walk(i.path);
      }
    };
    walk('cli.js');
    // The walk found the entry's chunks (TypeBox, ws and ServerBIT's own code among them)…
    expect(atStart.size).toBeGreaterThan(3);
    expect(packages).toContain('ws');
    expect(packages).toContain('@sinclair/typebox');
    // …but not these: MQTT.js is reached only by a dynamic import (an MQTT output or device)…
    for (const p of ['mqtt', 'mqtt-packet', 'ajv', 'ajv-formats', 'semver', 'fast-uri']) expect(packages, p).not.toContain(p);
    // …conf's schema and migration packages are left out (scripts/bundle-stubs/conf-unused.mjs)…
    expect(packages).toContain('conf');
    expect(packages).toContain('scripts/bundle-stubs');
    // …and serialport is imported when a port is first opened or listed, not at start.
    for (const e of external) expect(e, `static import of ${e}`).not.toMatch(/serialport/);
    const dynamic = Object.values(summary).flatMap((o) => o.imports.filter((i) => i.external && i.kind === 'dynamic-import').map((i) => i.path));
    expect(dynamic).toEqual(expect.arrayContaining(['@serialport/stream', '@serialport/bindings-cpp']));
  });
});
