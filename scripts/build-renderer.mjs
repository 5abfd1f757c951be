// Bundles the renderer (src/renderer) for both hosts: the Electron window and the page the
// headless service serves at http://127.0.0.1:<port>/. No CDN: chart.js is bundled.
//   src/renderer/main.ts → dist/renderer/app.js (+ .map), plus the static files below.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync } from 'node:fs';

const out = 'dist/renderer';
mkdirSync(out, { recursive: true });
if (existsSync('src/renderer/main.ts')) {
  await build({
    entryPoints: ['src/renderer/main.ts'],
    bundle: true,
    format: 'esm',
    // Browser platform: a Node built-in imported by mistake fails the build instead of being bundled.
    platform: 'browser',
    target: 'chrome120',
    outfile: `${out}/app.js`,
    sourcemap: true,
    minify: true,
    logLevel: 'warning',
  });
  /** Static files: [source, name in dist/renderer]. */
  const files = [
    ['src/renderer/index.html', 'index.html'],
    ['src/renderer/style.css', 'style.css'],
    ['assets/icons/256x256.png', 'icon.png'],
    // The example client, served at /ClientBIT.html and copied next to config.json (config-store.ts).
    ['examples/ClientBIT.html', 'ClientBIT.html'],
  ];
  for (const [from, to] of files) if (existsSync(from)) cpSync(from, `${out}/${to}`);
}
