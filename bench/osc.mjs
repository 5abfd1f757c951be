/**
 * The OSC output at 1000 Hz × 6 channels: datagrams per second and the CPU it adds to the process
 * that feeds it, measured by test/outputs/osc/measure-osc.ts (the code docs/osc.md "Cost" comes
 * from): a real Hub fed 40-sample batches, an OscOutput sending to liblo's oscdump, in a private
 * network namespace (needs liblo-tools, unshare, ip). TypeScript, so it is bundled once with
 * esbuild into bench/.cache/ (npm imports stay external and resolve from node_modules).
 *
 *   node bench/osc.mjs [seconds]     # prints one JSON line
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const SOURCE = path.join(root, 'test/outputs/osc/measure-osc.ts');
const HARNESS = path.join(root, 'test/outputs/osc/netns-harness.ts');

async function load() {
  if (!existsSync(SOURCE)) throw new Error('test/outputs/osc/measure-osc.ts is missing');
  const { build } = await import('esbuild');
  const outDir = path.join(here, '.cache');
  mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, 'osc-measure.mjs');
  await build({ entryPoints: [SOURCE], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile, logLevel: 'error' });
  return import(`${pathToFileURL(outfile).href}?t=${Date.now()}`);
}

/**
 * @param {{ seconds?: number, runs?: number }} [o]  seconds per run (default 10), runs per setting (median kept; default 3)
 * @returns {Promise<{ datagramsPerSecond: number, addedCpuPercent: number, perLabel: { datagramsPerSecond: number, addedCpuPercent: number }, feedCpuPercent: number, delivered: boolean, seconds: number, runs: number, loadAverage: number[] }>}
 */
export async function runOscBench(o = {}) {
  const { measureOsc } = await load();
  const r = await measureOsc({ seconds: o.seconds ?? 10, runs: o.runs ?? 3, only: ['consolidated', 'per-label'], harness: HARNESS });
  const by = (name) => r.results.find((x) => x.name === name);
  const feed = by('feed only (no OSC)');
  const cons = by('consolidated');
  const label = by('per-label');
  return {
    rate: r.rate,
    channels: r.channels,
    // Consolidated (the default): one /0/bitalino message per sample, 18 per 1400-byte datagram.
    datagramsPerSecond: cons.datagramsPerSecond,
    addedCpuPercent: cons.addedCpuPercent,
    kibPerSecond: cons.kibPerSecond,
    perLabel: { datagramsPerSecond: label.datagramsPerSecond, addedCpuPercent: label.addedCpuPercent, kibPerSecond: label.kibPerSecond },
    feedCpuPercent: feed.cpuPercent,
    // Every sample reached oscdump (per-label: 11 messages per sample).
    delivered: cons.received === cons.samples && label.received === label.samples * 11,
    seconds: r.seconds,
    runs: r.runs,
    loadAverage: r.loadAverage,
    cores: r.cores,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seconds = process.argv[2] ? Number(process.argv[2]) : undefined;
  console.log(JSON.stringify(await runOscBench(seconds ? { seconds } : {})));
}
