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
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * conf imports ajv, ajv-formats and semver at its top for its `schema` and `migrations` options,
 * which ServerBIT does not use (src/main/config/config-store.ts); in the bundle those imports,
 * from conf only, resolve to scripts/bundle-stubs/conf-unused.mjs, which throws if reached.
 */
const confUnused = {
  name: 'conf-unused',
  setup(b) {
    const stub = path.resolve('scripts/bundle-stubs/conf-unused.mjs');
    b.onResolve({ filter: /^(ajv\/dist\/2020\.js|ajv-formats|semver)$/ }, (args) =>
      /[\\/]node_modules[\\/]conf[\\/]/.test(args.importer) ? { path: stub } : undefined,
    );
  },
};

const entry = 'dist/main/cli.js';
const chunks = 'dist/main/cli-chunks';
if (!existsSync(entry)) {
  console.error(`bundle-cli: ${entry} is missing; run tsc -p tsconfig.json first (npm run build does both).`);
  process.exit(1);
}
rmSync(chunks, { recursive: true, force: true });
const result = await build({
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
  plugins: [confUnused],
  // Whitespace and syntax only: the source text stays in the JS heap for the life of the process
  // (~1 MB less RSS, and less to parse at start), while names stay as written, so stack traces
  // still read (keepNames above).
  minifyWhitespace: true,
  minifySyntax: true,
  metafile: true,
  logLevel: 'warning',
});

// What each output file holds (the packages and folders of its inputs) and imports, statically or
// not: test/package-root.test.ts reads it to check what the CLI loads at start.
const summary = {};
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  const from = new Set();
  for (const input of Object.keys(out.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    from.add(pkg ? pkg[1] : input.replace(/\/[^/]*$/, ''));
  }
  summary[path.relative('dist/main', file).split(path.sep).join('/')] = {
    from: [...from].sort(),
    imports: out.imports.map((i) => ({ path: i.external ? i.path : path.relative('dist/main', i.path).split(path.sep).join('/'), kind: i.kind, external: Boolean(i.external) })),
  };
}
writeFileSync('dist/main/cli-bundle.json', `${JSON.stringify(summary, undefined, 1)}\n`);
