/**
 * Measures the OSC output at 1000 Hz × 6 channels (docs/osc.md "Cost"): the CPU of the process
 * that feeds a real Hub, with and without an OscOutput sending to liblo's oscdump, in a private
 * network namespace. Run: `node test/outputs/osc/measure.mjs [seconds]`.
 */
import { defaultOscOutputSettings, type OscOutputSettings } from '../../../src/shared/outputs/osc-config.js';
import os from 'node:os';
import { startNetns } from './netns.js';

interface Result {
  cpuPercent: number;
  wallMs: number;
  datagrams: number;
  bytes: number;
  samples: number;
  lines: number;
}

const seconds = Number(process.argv[2] ?? 15);
const load = os.loadavg();
const ns = await startNetns();
try {
  const settings = (over: Partial<OscOutputSettings>): OscOutputSettings => ({ ...defaultOscOutputSettings(), enabled: true, destinations: [{ host: '127.0.0.1', port: 9500 }], ...over });
  const runs: [string, OscOutputSettings | null][] = [
    ['feed only (no OSC)', null],
    ['consolidated', settings({})],
    ['per-label', settings({ addresses: 'per-label' })],
    ['consolidated, converted', settings({ values: 'converted' })],
    ['consolidated, 100 Hz', settings({ maxRate: 100 })],
  ];
  const rows: string[] = [];
  let base = 0;
  const measure = (s: OscOutputSettings | null, secs: number) => ns.call<Result>('measure', { seconds: secs, settings: s, port: 9500 }, (secs + 30) * 1000);
  await measure(settings({}), 3); // warm-up (JIT), not reported
  for (const [name, s] of runs) {
    // The median of three runs: the machine is shared, so single runs are noisy.
    const three = [await measure(s, seconds), await measure(s, seconds), await measure(s, seconds)].sort((x, y) => x.cpuPercent - y.cpuPercent);
    const r = three[1];
    if (!s) base = r.cpuPercent;
    const perS = (n: number) => Math.round(n / (r.wallMs / 1000));
    rows.push(
      `| ${name} | ${r.cpuPercent.toFixed(1)} % | ${s ? `${(r.cpuPercent - base).toFixed(1)} %` : '—'} | ${s ? perS(r.datagrams) : '—'} | ${s ? Math.round(perS(r.bytes) / 1024) : '—'} | ${s ? `${r.lines} lines for ${r.samples} samples` : '—'} |`,
    );
  }
  console.log(`1000 Hz × 6 channels, median of 3 runs of ${seconds} s, 40-sample batches, one destination (oscdump); load average at start ${load.map((l) => l.toFixed(2)).join(' / ')}; ${os.cpus().length} cores, Node ${process.version}\n`);
  console.log('| run | process CPU | added by OSC | datagrams/s | KiB/s | received by oscdump |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
} finally {
  await ns.close();
}
