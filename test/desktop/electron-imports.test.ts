/**
 * The rule (README "Development"): nothing outside src/main/electron/ imports electron. ESLint
 * enforces it for the files it lints; this scans every source file under src/ whatever its extension, including
 * type-only imports, dynamic imports and require(), and electron-store (which imports electron).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = path.join(ROOT, 'src');
const ELECTRON_ROOM = path.join(SRC, 'main', 'electron') + path.sep;

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)(['"`])(electron(?:-store)?)(?:\/[^'"`]*)?\1/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(?:[cm]?ts|[cm]?js|tsx|jsx)$/.test(e.name) ? [p] : [];
  });
}

function electronImports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => m[2]);
}

describe('electron stays in src/main/electron', () => {
  it('the pattern sees every form of import', () => {
    const forms = [
      "import { app } from 'electron';",
      'import type { BrowserWindow } from "electron";',
      "import electron = require('electron');",
      "const { ipcRenderer } = require('electron');",
      "const e = await import('electron');",
      "import 'electron';",
      "import { app } from 'electron/main';",
      "import Store from 'electron-store';",
    ];
    for (const f of forms) expect([...f.matchAll(IMPORT)], f).toHaveLength(1);
    for (const f of ["import x from 'electron-builder';", "// electron-store wraps conf", "const s = 'electron';"]) expect([...f.matchAll(IMPORT)], f).toHaveLength(0);
  });

  it('no file outside src/main/electron imports electron or electron-store', () => {
    const offenders = sourceFiles(SRC)
      .filter((f) => !f.startsWith(ELECTRON_ROOM))
      .flatMap((f) => electronImports(f).map((what) => `${path.relative(ROOT, f)} imports ${what}`));
    expect(offenders).toEqual([]);
  });

  it('the Electron glue does import it (the scan is not blind)', () => {
    const glue = sourceFiles(ELECTRON_ROOM);
    expect(glue.map((f) => path.basename(f)).sort()).toEqual(['ipc.ts', 'main.ts', 'preload.cts', 'store.ts', 'tray.ts', 'window.ts']);
    for (const f of glue) expect(electronImports(f).length, path.basename(f)).toBeGreaterThan(0);
  });

  it('the preload requires nothing but electron (a sandboxed preload cannot load our modules)', () => {
    const text = readFileSync(path.join(ELECTRON_ROOM, 'preload.cts'), 'utf8');
    const specifiers = [...text.matchAll(/(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);
    expect(specifiers).toEqual(['electron']);
  });
});
