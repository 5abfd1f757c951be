/**
 * The live plot's cost in Chromium, measured with test/e2e/plot-perf.ts (the function the e2e
 * test uses, so the benchmark and the test agree on what "fps" and "CPU" mean). It is
 * TypeScript and bench/ runs under plain node: it is bundled once with esbuild into
 * bench/.cache/ (its npm imports stay external and resolve from the project's node_modules).
 *
 * The page is the one the `serverbit` CLI under test serves at http://127.0.0.1:<port>/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const SOURCE = path.join(root, 'test/e2e/plot-perf.ts');

async function loadPlotPerf() {
  if (!existsSync(SOURCE)) throw new Error('test/e2e/plot-perf.ts is missing');
  const { build } = await import('esbuild');
  const outDir = path.join(here, '.cache');
  mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, 'plot-perf.mjs');
  await build({ entryPoints: [SOURCE], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile, logLevel: 'error' });
  return import(`${pathToFileURL(outfile).href}?t=${Date.now()}`);
}

async function servesPage(url) {
  try {
    const res = await fetch(url);
    const text = await res.text();
    return res.ok && /<html/i.test(text);
  } catch {
    return false;
  }
}

/** @param {{ url: string, seconds: number }} o  url: the CLI's http://127.0.0.1:<port>/ */
export async function runPlotBench(o) {
  const perf = await loadPlotPerf();
  const url = o.url;
  if (!(await servesPage(url))) throw new Error(`${url} does not serve the UI page`);
  const results = await perf.benchmarkPlot({ views: ['A1', 'all'], seconds: o.seconds, url });
  const pick = (view) => {
    const r = results.find((x) => x.view === view);
    return {
      fps: Math.round(r.fps * 10) / 10,
      frameP99Ms: Math.round(r.frameP99Ms * 10) / 10,
      longTasksOver50: r.longTasks.count,
      longestTaskMs: Math.round(r.longTasks.maxMs),
      cpu: Math.round(r.cpu * 1000) / 10,
      processCpu: Math.round(r.processCpu * 1000) / 10,
      scriptCpu: Math.round(r.scriptCpu * 1000) / 10,
      drawsPerSecond: Math.round(r.drawsPerSecond * 10) / 10,
      drawMeanMs: Math.round(r.drawMeanMs * 100) / 100,
      samplesPerSecond: Math.round(r.samplesPerSecond),
      line: perf.formatPlotPerf?.(r),
      raw: r,
    };
  };
  return { method: 'test/e2e/plot-perf.ts', a1: pick('A1'), all: pick('all') };
}
