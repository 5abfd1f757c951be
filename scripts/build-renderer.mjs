// Bundles the renderer (src/renderer) for both hosts: the Electron window and the page the
// headless service serves at http://127.0.0.1:<port>/. No CDN: chart.js is bundled.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync } from 'node:fs';

const out = 'dist/renderer';
mkdirSync(out, { recursive: true });
if (existsSync('src/renderer/main.ts')) {
  await build({
    entryPoints: ['src/renderer/main.ts'],
    bundle: true,
    format: 'esm',
    target: 'chrome120',
    outfile: `${out}/app.js`,
    sourcemap: true,
    minify: false,
    logLevel: 'warning',
  });
  for (const f of ['index.html', 'style.css']) if (existsSync(`src/renderer/${f}`)) cpSync(`src/renderer/${f}`, `${out}/${f}`);
}
