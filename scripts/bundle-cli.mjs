// Bundles the headless service's entry (dist/main/cli.js, as tsc built it) into one file plus the
// chunks its lazy imports need, written over dist/main/cli.js, so `serverbit`, `npm run serve` and
// every test that runs the CLI run the bundle. Why: Node loads ~400 small ES modules otherwise
// (TypeBox alone is ~250 files), and resolving and compiling them was most of the launch time
// (docs/performance.md "Launch"). The Electron main process keeps the per-module build.
//
// Kept outside the bundle: native and WebAssembly packages, which find their binaries next to
// their own files (serialport's bindings, h5wasm's .wasm), ws's optional native helpers, koffi
// (tests only) and electron. Paths to ServerBIT's own files go through src/main/package-root.ts,
// which does not depend on where a module ends up.
import { build } from 'esbuild';
import { existsSync, rmSync } from 'node:fs';

const entry = 'dist/main/cli.js';
const chunks = 'dist/main/cli-chunks';
if (!existsSync(entry)) {
  console.error(`bundle-cli: ${entry} is missing; run tsc -p tsconfig.json first (npm run build does both).`);
  process.exit(1);
}
rmSync(chunks, { recursive: true, force: true });
await build({
  entryPoints: { cli: entry },
  outdir: 'dist/main',
  chunkNames: 'cli-chunks/[name]-[hash]',
  allowOverwrite: true,
  bundle: true,
  splitting: true, // the outputs' lazy imports stay lazy (one chunk each)
  format: 'esm',
  platform: 'node',
  target: 'node20',
  keepNames: true, // error classes name themselves with new.target.name
  external: ['serialport', '@serialport/*', 'h5wasm', 'h5wasm/*', 'bufferutil', 'utf-8-validate', 'koffi', 'electron'],
  // CommonJS packages in the bundle (ws, debug, mqtt) call require() for Node built-ins.
  banner: { js: "import { createRequire as __serverbitRequire } from 'node:module'; const require = __serverbitRequire(import.meta.url);" },
  logLevel: 'warning',
});
