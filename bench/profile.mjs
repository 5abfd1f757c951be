#!/usr/bin/env node
/**
 * Where the service's time goes: runs the `serverbit` CLI on the bench rig with `--cpu-prof`,
 * with 1 client and then 50 (25 compat + 25 /v2), and summarises the V8 CPU profile of the
 * steady-state window (samples before the window — start-up, connecting clients — are left out).
 *
 *   node bench/profile.mjs [--seconds=20] [--clients=1,50] [--writes=frame|chunked] [--label=NAME]
 *
 * Prints, per client count: the service's CPU over the window (/proc: every thread, the sampling
 * profiler's own thread included, so it reads higher than the CPU figure of `npm run bench`), how
 * much of the window the main thread spent running JavaScript and native code (the profile's
 * non-idle samples, one every millisecond),
 * self time by area (serialport, devices/, acquisition/, server/, api/, ws, Node internals, GC),
 * and the top functions by self time. Writes bench/results/profile-NAME.json and .md.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, killAll, machineInfo, now, round, sleep } from './lib.mjs';
import { startRig } from './rig.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const value = (name, dflt) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const seconds = Number(value('seconds', '20'));
const clientCounts = value('clients', '1,50').split(',').map(Number);
const writes = value('writes', 'frame');
const label = value('label', `${writes}-${new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '')}`);
const outDir = path.join(here, 'results');

/** The area a profile node's code belongs to, from its script URL. */
function areaOf(frame) {
  const url = frame.url ?? '';
  const fn = frame.functionName;
  if (fn === '(idle)') return 'idle';
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(program)') return 'native (program)';
  if (fn === '(root)') return 'root';
  if (/node_modules\/(@serialport|serialport)\//.test(url)) return 'serialport';
  if (/node_modules\/ws\//.test(url)) return 'ws';
  if (/node_modules\//.test(url)) return 'other dependencies';
  if (/dist\/main\/devices\/(tty-reader|serial-transport|link-transport|read-pacer)\.js$/.test(url)) return 'devices/ read path';
  const m = /dist\/main\/([a-z-]+)\//.exec(url);
  if (m) return `${m[1]}/`;
  if (/dist\/main\/[^/]+\.js$/.test(url)) return 'app, cli, log';
  if (/dist\/shared\//.test(url)) return 'shared/';
  if (url.startsWith('node:internal/streams') || url.startsWith('node:stream')) return 'node: streams';
  if (url.startsWith('node:internal/timers') || url.startsWith('node:timers')) return 'node: timers';
  if (url.startsWith('node:internal/fs') || url.startsWith('node:fs')) return 'node: fs';
  if (url.startsWith('node:net') || url.startsWith('node:internal/stream_base') || url.startsWith('node:internal/net')) return 'node: net';
  if (url.startsWith('node:')) return 'node: other';
  if (!url) return `native: ${fn || '(anonymous)'}`;
  return 'other';
}

/** Self time (µs) per node within [fromUs, toUs] of the profile's clock. */
function summarise(profile, fromUs, toUs) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < fromUs || t > toUs) continue;
    // The sample's weight is the time until the next sample.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
    total += dt;
  }
  const areas = new Map();
  const fns = new Map();
  const fnArea = new Map();
  for (const [id, us] of self) {
    const n = byId.get(id);
    const area = areaOf(n.callFrame);
    areas.set(area, (areas.get(area) ?? 0) + us);
    if (area === 'idle') continue;
    const key = `${n.callFrame.functionName || '(anonymous)'} ${(n.callFrame.url ?? '').replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^file:\/\//, '')}:${n.callFrame.lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    fnArea.set(key, area);
  }
  const busy = total - (areas.get('idle') ?? 0);
  const pct = (us) => round((100 * us) / total, 2);
  return {
    windowS: round(total / 1e6, 1),
    mainThreadBusyPct: pct(busy),
    areas: [...areas].filter(([a]) => a !== 'idle').sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, pct: pct(us), shareOfBusy: round((100 * us) / busy, 1) })),
    top: [...fns].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([fn, us]) => ({ fn, pct: pct(us), shareOfBusy: round((100 * us) / busy, 1) })),
    /** Every function with its self time, µs, and its area (for summaries across profiles). */
    functions: [...fns].sort((a, b) => b[1] - a[1]).map(([fn, us]) => ({ fn, us, area: fnArea.get(fn) })),
  };
}

async function profileAt(clients) {
  const dir = path.join(outDir, '.profiles', `${label}-${clients}`);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.endsWith('.cpuprofile')) writeFileSync(path.join(dir, f), '');
  const rig = await startRig({ writes, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  let window;
  let cpuPct;
  try {
    const procs = [];
    if (clients === 1) procs.push(await rig.clients(1));
    else {
      procs.push(await rig.clients(Math.ceil(clients / 2)));
      procs.push(await rig.clients(Math.floor(clients / 2), { endpoint: 'v2' }));
    }
    await sleep(2000);
    const c0 = cpuSeconds(rig.service.pid);
    const t0 = now();
    await sleep(seconds * 1000);
    const t1 = now();
    cpuPct = round(((cpuSeconds(rig.service.pid) - c0) / ((t1 - t0) / 1000)) * 100, 2);
    window = [t0 * 1000, t1 * 1000];
    await rig.stopClients(procs);
    // SIGTERM: the CLI stops cleanly, and V8 writes the profile on exit.
    await rig.service.stop('SIGTERM', 10_000);
  } finally {
    await rig.close();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile') && readFileSync(path.join(dir, f), 'utf8').length > 0);
  if (!file) throw new Error(`no profile written in ${dir}`);
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  return { clients, endpoints: clients === 1 ? 'compat' : `${Math.ceil(clients / 2)} compat + ${Math.floor(clients / 2)} /v2`, serviceCpuPct: cpuPct, rig: rig.describe(clients, clients === 1 ? 1 : 2), profileFile: path.relative(path.join(here, '..'), path.join(dir, file)), ...summarise(profile, window[0], window[1]) };
}

function markdown(r) {
  const lines = [`Profile "${r.label}" — ${r.machine.date.slice(0, 16).replace('T', ' ')} UTC, load average ${r.machine.loadavg.join(' / ')}; ${r.seconds} s window, emulator writes: ${r.writes}`, ''];
  for (const p of r.runs) {
    lines.push(`### ${p.clients} client${p.clients === 1 ? '' : 's'} (${p.endpoints})`, '');
    lines.push(`Service CPU under the profiler ${p.serviceCpuPct} % of a core (all threads, /proc, the profiler's included); main thread busy ${p.mainThreadBusyPct} % of the window (profile, ${p.windowS} s).`, '');
    lines.push('| area | % of wall time | share of busy |', '|---|---|---|');
    for (const a of p.areas.slice(0, 14)) lines.push(`| ${a.area} | ${a.pct} | ${a.shareOfBusy} % |`);
    lines.push('', '| top functions (self) | % of wall time | share of busy |', '|---|---|---|');
    for (const f of p.top.slice(0, 12)) lines.push(`| \`${f.fn.replace(/\|/g, '\\|')}\` | ${f.pct} | ${f.shareOfBusy} % |`);
    lines.push('');
  }
  return lines.join('\n');
}

process.once('SIGINT', async () => {
  await killAll();
  process.exit(130);
});
const report = { label, machine: machineInfo(), seconds, writes, runs: [] };
for (const n of clientCounts) {
  process.stdout.write(`[profile] ${n} client(s), ${seconds} s, writes ${writes}…\n`);
  report.runs.push(await profileAt(n));
  await killAll();
}
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, `profile-${label}.json`), JSON.stringify(report, null, 1) + '\n');
writeFileSync(path.join(outDir, `profile-${label}.md`), markdown(report));
process.stdout.write(markdown(report) + '\n');
process.exit(0);
