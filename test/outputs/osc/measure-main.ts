/**
 * Prints docs/osc.md's "Cost" table (measure-osc.ts). Run: `node test/outputs/osc/measure.mjs [seconds]`.
 */
import { measureOsc } from './measure-osc.js';

const r = await measureOsc({ seconds: Number(process.argv[2] ?? 15) });
console.log(`1000 Hz × 6 channels, median of ${r.runs} runs of ${r.seconds} s, 40-sample batches, one destination (oscdump); load average at start ${r.loadAverage.join(' / ')}; ${r.cores} cores, Node ${r.node}\n`);
console.log('| run | process CPU | added by OSC | datagrams/s | KiB/s | received by oscdump |');
console.log('|---|---|---|---|---|---|');
for (const c of r.results) {
  const osc = c.name !== 'feed only (no OSC)';
  console.log(`| ${c.name} | ${c.cpuPercent.toFixed(1)} % | ${osc ? `${c.addedCpuPercent.toFixed(1)} %` : '—'} | ${osc ? c.datagramsPerSecond : '—'} | ${osc ? c.kibPerSecond : '—'} | ${osc ? `${c.received} messages for ${c.samples} samples` : '—'} |`);
}
