/**
 * The OSC output's cost at 1000 Hz × 6 channels (docs/osc.md "Cost"): the CPU of a process that
 * feeds a real Hub in 40-sample batches, without and with an OscOutput sending to liblo's oscdump,
 * in a private network namespace (netns-harness.ts `measure`). Each figure is the median of
 * `runs` runs (the machine is shared). Used by measure-main.ts (a table for the docs) and
 * bench/osc.mjs (`npm run bench`).
 */
import os from 'node:os';
import { defaultOscOutputSettings, type OscOutputSettings } from '../../../src/shared/outputs/osc-config.js';
import { startNetns } from './netns.js';

export interface MeasureRun {
  cpuPercent: number;
  wallMs: number;
  datagrams: number;
  bytes: number;
  samples: number;
  /** Messages oscdump printed. */
  lines: number;
}

export interface OscCost {
  name: string;
  /** CPU of the feeding process, % of one core. */
  cpuPercent: number;
  /** Over the feed alone; 0 for the feed itself. */
  addedCpuPercent: number;
  datagramsPerSecond: number;
  kibPerSecond: number;
  samples: number;
  /** Messages oscdump received (consolidated: one per sample; per-label: 11 per sample). */
  received: number;
}

export interface MeasureOscOptions {
  /** Seconds per run. Default 15. */
  seconds?: number;
  /** Runs per setting; the median is kept. Default 3. */
  runs?: number;
  /** Which settings, besides the feed alone. Default all five of docs/osc.md "Cost". */
  only?: string[];
  /** The harness file (absolute when this module is bundled elsewhere). Default netns-harness.ts beside netns.ts. */
  harness?: string;
}

export interface MeasureOscResult {
  rate: 1000;
  channels: 6;
  seconds: number;
  runs: number;
  loadAverage: number[];
  cores: number;
  node: string;
  results: OscCost[];
}

export async function measureOsc(options: MeasureOscOptions = {}): Promise<MeasureOscResult> {
  const seconds = options.seconds ?? 15;
  const runs = options.runs ?? 3;
  const loadAverage = os.loadavg();
  const ns = await startNetns(options.harness ? { harness: options.harness } : {});
  try {
    const settings = (over: Partial<OscOutputSettings>): OscOutputSettings => ({ ...defaultOscOutputSettings(), enabled: true, destinations: [{ host: '127.0.0.1', port: 9500 }], ...over });
    const all: [string, OscOutputSettings | null][] = [
      ['feed only (no OSC)', null],
      ['consolidated', settings({})],
      ['per-label', settings({ addresses: 'per-label' })],
      ['consolidated, converted', settings({ values: 'converted' })],
      ['consolidated, maxRate 100', settings({ maxRate: 100 })],
    ];
    const chosen = all.filter(([name, s]) => !s || !options.only || options.only.includes(name));
    const measure = (s: OscOutputSettings | null, secs: number) => ns.call<MeasureRun>('measure', { seconds: secs, settings: s, port: 9500 }, (secs + 30) * 1000);
    await measure(settings({}), 3); // warm-up (JIT), not reported
    const results: OscCost[] = [];
    let base = 0;
    for (const [name, s] of chosen) {
      const each: MeasureRun[] = [];
      for (let k = 0; k < runs; k++) each.push(await measure(s, seconds));
      each.sort((x, y) => x.cpuPercent - y.cpuPercent);
      const r = each[Math.floor(each.length / 2)];
      if (!s) base = r.cpuPercent;
      const perS = (n: number) => n / (r.wallMs / 1000);
      results.push({
        name,
        cpuPercent: round(r.cpuPercent),
        addedCpuPercent: s ? round(r.cpuPercent - base) : 0,
        datagramsPerSecond: Math.round(perS(r.datagrams)),
        kibPerSecond: Math.round(perS(r.bytes) / 1024),
        samples: r.samples,
        received: r.lines,
      });
    }
    return { rate: 1000, channels: 6, seconds, runs, loadAverage: loadAverage.map(round), cores: os.cpus().length, node: process.version, results };
  } finally {
    await ns.close();
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
