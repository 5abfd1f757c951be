#!/usr/bin/env node
/**
 * `npm run bench`: the figures that matter, each measured on the real rig (bench/rig.mjs), one
 * after the other so no figure's CPU disturbs another's. Writes bench/results/latest.md (the
 * table the README quotes) and bench/results/latest.json (every number behind it).
 *
 *   node bench/run.mjs [--quick] [--only=decoder,delivery,latency,cpu,fanout,plot,memory]
 *                      [--memory-minutes=N] [--out=DIR]
 *
 * --quick: short durations for a smoke run (the figures are then not the reported ones).
 * The memory soak (10 minutes by default) always runs last.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { runDecoderBench } from './decoder.mjs';
import { Proc, cpuSeconds, killAll, machineInfo, now, ptyPair, round, rssMB, sleep, slope, summarize, usageOver } from './lib.mjs';
import { mergeResults, startRig } from './rig.mjs';
import { runPlotBench } from './plot.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------------
// Options

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const value = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const ALL = ['decoder', 'delivery', 'latency', 'cpu', 'fanout', 'plot', 'memory'];
const quick = flag('quick');
const only = value('only')?.split(',').map((s) => s.trim()) ?? ALL;
for (const o of only) if (!ALL.includes(o)) fail(`unknown figure "${o}": use ${ALL.join(', ')}`);
const outDir = path.resolve(value('out') ?? path.join(here, 'results'));

/** Durations, seconds (memory in minutes). */
const D = quick
  ? { delivery: 10, latency: 5, cpu: 5, fanout: 8, fanoutLevels: [100, 500], plot: 5, memoryMin: 1, memoryEvery: 5 }
  : { delivery: 60, latency: 20, cpu: 20, fanout: 20, fanoutLevels: [250, 500, 1000, 1500, 2000], plot: 15, memoryMin: 10, memoryEvery: 10 };
if (value('memory-minutes')) D.memoryMin = Number(value('memory-minutes'));
if (!(D.memoryMin > 0)) fail('--memory-minutes must be a positive number');

function fail(msg) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
}
const say = (msg) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// Figures. Each returns a row: { id, figure, how, target, measured, pass (true/false/null), note?, details }.

const BATCH_DEFAULT_MS = 40;

/** Does the service answer on /v2 (a hello)? */
async function hasV2(url) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url}v2`, { perMessageDeflate: false });
    const done = (v) => {
      clearTimeout(t);
      ws.terminate();
      resolve(v);
    };
    const t = setTimeout(() => done(false), 3000);
    ws.on('message', (d) => done(JSON.parse(String(d)).type === 'hello'));
    ws.on('error', () => done(false));
    ws.on('unexpected-response', () => done(false));
  });
}

/** How contended the machine was during a figure's main window (see lib.mjs usageOver). */
function conditionsOf(usage) {
  if (!usage) return undefined;
  return { machineBusyPct: usage.machineBusyPct, serviceRunqWaitPct: usage.runqWait.service, machineStealPct: usage.machineStealPct };
}

/** Clients finished cleanly: all OK and none left behind the device at the end. */
function deliveryVerdict(merged, mark, batch) {
  const behind = mark.tick - merged.lastMin;
  const ok = merged.notOk === 0 && merged.failedToConnect === 0 && behind <= batch;
  const expected = merged.samplesTotal + merged.missing;
  return { ok, behind, deliveredPct: expected ? (100 * merged.samplesTotal) / expected : 0 };
}

/**
 * Lag at the start and at the end of a run: the median of the per-second mean lags over the
 * first and the last `w` seconds (skipping the first `skip`, while clients connect). Medians, so
 * one slow second at either end is not read as a trend; a client falling behind raises every
 * second after it.
 */
function lagTrend(lag, skip = 2, w = 5) {
  const b = lag.filter((x) => x.t >= skip);
  w = Math.min(w, Math.floor(b.length / 3));
  if (w < 1) return { start: NaN, end: NaN, growth: NaN };
  const median = (xs) => {
    const s = xs.map((x) => x.mean).sort((p, q) => p - q);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const start = median(b.slice(0, w));
  const end = median(b.slice(-w));
  return { start: round(start, 1), end: round(end, 1), growth: round(end - start, 1), maxEnd: round(Math.max(...b.slice(-w).map((x) => x.max)), 1), perSecond: b.map((x) => round(x.mean, 1)) };
}

async function figDecoder() {
  const opts = quick ? { frames: 500_000, passes: 3 } : { frames: 2_000_000, passes: 7 };
  say(`decoder: FrameDecoder.push over ${opts.frames / 1e6} M pre-encoded frames in 4 KiB chunks, 1..6 channels`);
  const r = runDecoderBench(opts);
  const per = r.perChannels.map((p) => `${p.channels} ch ${round(p.framesPerSecond / 1e6, 1)}`).join(', ');
  return {
    id: 'decoder',
    figure: 'decoder',
    how: `FrameDecoder.push, in process, 4 KiB chunks, best of ${r.passes} passes per channel count, per CPU-second`,
    target: '≥ 10 million frames/s, all channel counts',
    measured: `≥ ${round(r.min / 1e6, 1)} M frames/s (${per} M/s)`,
    pass: r.min >= 10e6,
    details: r,
  };
}

async function figDelivery() {
  const rig = await startRig({ batchMs: BATCH_DEFAULT_MS });
  try {
    const v2 = await hasV2(rig.url);
    const procs = v2 ? [await rig.clients(5), await rig.clients(5, { endpoint: 'v2' })] : [await rig.clients(10)];
    say(`delivery: ${D.delivery} s at 1000 Hz × 6 channels, ${v2 ? '5 compat + 5 /v2' : '10 compat'} clients checking every index`);
    const usage = await usageOver({ service: rig.service.pid, ...Object.fromEntries(procs.map((p, i) => [`clients${i + 1}`, p.pid])) }, D.delivery * 1000);
    const { mark, results } = await rig.stopClients(procs);
    const merged = mergeResults(results);
    const v = deliveryVerdict(merged, mark, 40);
    const per = Math.round(merged.samplesTotal / merged.n);
    return {
      id: 'delivery',
      figure: 'samples delivered',
      how: `1000 Hz × 6 ch over a pty, ${D.delivery} s, ${merged.n} clients (${v2 ? '5 compat: index in A1..A3; 5 /v2: `index`' : 'compat: index carried in A1..A3'}) checking every sample`,
      target: '100 %, none repeated',
      measured: `${round(v.deliveredPct, 3)} % of ${per.toLocaleString('en')} samples at each of ${merged.n} clients; ${merged.repeats} repeated, ${merged.gaps} gaps, ${merged.bad} wrong values`,
      pass: v.ok && merged.repeats === 0 && merged.missing === 0,
      conditions: conditionsOf(usage),
      details: { ...merged, lag: undefined, behindAtEnd: v.behind, endpoints: v2 ? ['compat', 'v2'] : ['compat'], mark, usage },
    };
  } finally {
    await rig.close();
  }
}

/** Per-sample latency: receive time − the emulator's write time of that sample. */
function joinLatency(writes, recv, skipMs = 1000) {
  const writeAt = new Map();
  for (let i = 0; i < writes.length; i += 4) for (let k = 0; k < writes[i + 1]; k++) writeAt.set(writes[i] + k, writes[i + 2]);
  const t0 = recv[2];
  const all = [];
  const lastOfMessage = [];
  for (let i = 0; i < recv.length; i += 3) {
    if (recv[i + 2] - t0 < skipMs) continue;
    const [first, n, t] = [recv[i], recv[i + 1], recv[i + 2]];
    for (let k = 0; k < n; k++) {
      const w = writeAt.get(first + k);
      if (w === undefined) continue;
      all.push(t - w);
      if (k === n - 1) lastOfMessage.push(t - w);
    }
  }
  const r = (s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, round(v, 3)]));
  return { all: r(summarize(all)), lastOfMessage: r(summarize(lastOfMessage)) };
}

/** The pty alone: emulator → socat → a reader (SerialTransport, or tty.ReadStream with via 'tty'), no service. */
async function linkOnly(seconds, via = 'serialport') {
  const pty = await ptyPair();
  const dir = path.dirname(pty.a);
  try {
    const emulator = new Proc('emulator', process.execPath, [path.join(here, 'emulator-proc.mjs'), '--device', pty.b, '--record']);
    await emulator.waitFor('ready');
    const recFile = path.join(dir, 'reader.json');
    const reader = new Proc('pty-reader', process.execPath, [path.join(here, 'pty-reader.mjs'), '--device', pty.a, '--record', recFile, '--via', via]);
    await reader.waitFor('streaming', 10_000, 'frames at the reader');
    await sleep(1000);
    const usage = await usageOver({ reader: reader.pid, emulator: emulator.pid, socat: pty.socat.pid }, seconds * 1000);
    reader.send({ cmd: 'stop' });
    const res = await reader.waitFor('result', 10_000);
    const wFile = path.join(dir, 'writes.json');
    emulator.send({ cmd: 'dump', file: wFile });
    await emulator.waitFor('dumped');
    const lat = joinLatency(JSON.parse(readFileSync(wFile, 'utf8')), JSON.parse(readFileSync(recFile, 'utf8')));
    await Promise.all([reader.stop(), emulator.stop()]);
    return { via, latency: lat, cpu: usage.cpu, usage, reader: res };
  } finally {
    await pty.close();
  }
}

async function serviceLatency(batchMs, seconds, inProcess = false) {
  const rig = await startRig({ batchMs, record: true, inProcess });
  try {
    const recFile = path.join(rig.dir, 'client.json');
    const procs = [await rig.clients(1, { record: recFile })];
    await sleep(1000);
    const usage = await usageOver({ service: rig.service.pid, clients: procs[0].pid }, seconds * 1000);
    const { mark, results } = await rig.stopClients(procs);
    const merged = mergeResults(results);
    const v = deliveryVerdict(merged, mark, Math.max(1, batchMs));
    const wFile = path.join(rig.dir, 'writes.json');
    rig.emulator.send({ cmd: 'dump', file: wFile });
    await rig.emulator.waitFor('dumped');
    const lat = joinLatency(JSON.parse(readFileSync(wFile, 'utf8')), JSON.parse(readFileSync(recFile, 'utf8')));
    return { batchMs, batchSamples: Math.max(1, Math.floor(batchMs)), inProcess, latency: lat, delivered: v.ok, usage };
  } finally {
    await rig.close();
  }
}

async function figLatency() {
  say(`latency: the pty alone; the service over the pty and with the emulator in process, each with a batch of 1 and the default batch (${BATCH_DEFAULT_MS} ms); ${D.latency} s each, 1 client`);
  const link = await linkOnly(D.latency);
  const one = await serviceLatency(1, D.latency);
  const dflt = await serviceLatency(BATCH_DEFAULT_MS, D.latency);
  const oneIn = await serviceLatency(1, D.latency, true);
  const dfltIn = await serviceLatency(BATCH_DEFAULT_MS, D.latency, true);
  const beyond1 = one.latency.all.p99 - 1;
  const beyondD = dflt.latency.all.p99 - BATCH_DEFAULT_MS;
  const pass = beyond1 <= 1 && beyondD <= 1 && one.delivered && dflt.delivered;
  const p = (x) => `p50 ${round(x.latency.all.p50, 2)} / p99 ${round(x.latency.all.p99, 2)} ms`;
  return {
    id: 'latency',
    figure: 'added latency',
    how: `emulator's write of a frame → the sample's arrival at a client (separate processes, one monotonic clock), ${D.latency} s per case, 1 client; pass/miss on the pty rig`,
    target: 'p99 ≤ 1 ms beyond the batch period',
    measured: `batch of 1: ${p(one)}; default batch: ${p(dflt)}. For reference, the pty alone: ${p(link)}; the emulator in the service's process (no pty), batch of 1: ${p(oneIn)}`,
    pass,
    conditions: conditionsOf(one.usage),
    details: { link, batchOfOne: one, defaultBatch: dflt, inProcess: { batchOfOne: oneIn, defaultBatch: dfltIn } },
  };
}

const fmtSigned = (x) => (x >= 0 ? `+${round(x, 2)}` : `${round(x, 2)}`);

async function figCpu() {
  say(`cpu: the pty alone, then the service with 1 client and with 100 clients, ${D.cpu} s each`);
  const link = await linkOnly(Math.min(D.cpu, 10));
  const linkTty = await linkOnly(Math.min(D.cpu, 10), 'tty');
  // The cost of merely waking up for each chunk the emulator writes (every 4 ms), doing nothing.
  const idle = new Proc('wake-4ms', process.execPath, ['-e', 'setInterval(() => {}, 4)']);
  await sleep(500);
  const floor = await usageOver({ wake4ms: idle.pid }, Math.min(D.cpu, 10) * 1000);
  await idle.stop();
  const rig = await startRig({ batchMs: BATCH_DEFAULT_MS });
  try {
    const p1 = await rig.clients(1);
    await sleep(2000);
    const one = await usageOver({ service: rig.service.pid, clients: p1.pid, emulator: rig.emulator.pid, socat: rig.pty.socat.pid }, D.cpu * 1000);
    const p99 = await rig.clients(99);
    await sleep(2000);
    const hundred = await usageOver({ service: rig.service.pid, clients1: p1.pid, clients99: p99.pid, emulator: rig.emulator.pid, socat: rig.pty.socat.pid }, D.cpu * 1000);
    const { mark, results } = await rig.stopClients([p1, p99]);
    const merged = mergeResults(results);
    const v = deliveryVerdict(merged, mark, 40);
    const s1 = one.cpu.service;
    const s100 = hundred.cpu.service;
    return {
      id: 'cpu',
      figure: 'CPU',
      how: `service process utime+stime (/proc) over ${D.cpu} s, 1000 Hz × 6 ch, default batch, clients in other processes`,
      target: '≤ 3 % (1 client), ≤ 15 % (100 clients) of one core',
      measured: `${round(s1, 1)} % (1 client), ${round(s100, 1)} % (100 clients). No service, reading the pty + decoding: ${round(link.cpu.reader, 1)} % (serialport), ${round(linkTty.cpu.reader, 1)} % (tty.ReadStream); waking every 4 ms: ${round(floor.cpu.wake4ms, 1)} %`,
      pass: s1 <= 3 && s100 <= 15 && v.ok,
      conditions: conditionsOf(one),
      details: { oneClient: one, hundredClients: hundred, linkOnly: link.usage, linkOnlyTty: linkTty.usage, wakeFloor: floor, delivered: v.ok },
    };
  } finally {
    await rig.close();
  }
}

async function figFanout() {
  const rig = await startRig({ batchMs: BATCH_DEFAULT_MS });
  const levels = [];
  try {
    for (const n of D.fanoutLevels) {
      say(`fan-out: ${n} clients for ${D.fanout} s`);
      // Two client processes from 200 clients on: one process would be the bottleneck, not the service.
      const split = n >= 200 ? [Math.ceil(n / 2), Math.floor(n / 2)] : [n];
      const procs = [];
      let level;
      try {
        for (const k of split) procs.push(await rig.clients(k));
        await sleep(1000);
        const usage = await usageOver({ service: rig.service.pid, ...Object.fromEntries(procs.map((p, i) => [`clients${i + 1}`, p.pid])) }, D.fanout * 1000);
        const cpu = usage.cpu;
        const { mark, results } = await rig.stopClients(procs, 1000);
        const merged = mergeResults(results);
        const v = deliveryVerdict(merged, mark, 40);
        const lag = lagTrend(merged.lag);
        const pass = v.ok && merged.missing === 0 && merged.repeats === 0 && lag.growth <= 20;
        level = { clients: n, pass, delivered: v.ok, deliveredPct: round(v.deliveredPct, 3), behindAtEnd: v.behind, notOk: merged.notOk, closedEarly: merged.closedEarly, lag, cpu, usage, problems: merged.problems };
      } catch (e) {
        level = { clients: n, pass: false, error: String(e.message ?? e) };
      }
      await Promise.all(procs.map((p) => p.stop('SIGKILL')));
      levels.push(level);
      say(`fan-out: ${n} clients → ${level.pass ? 'pass' : 'miss'}${level.error ? `: ${level.error}` : ` (lag ${level.lag.start} → ${level.lag.end} ms, service CPU ${round(level.cpu.service, 1)} %)`}`);
      if (!level.pass) break;
      await sleep(2000);
    }
  } finally {
    await rig.close();
  }
  const best = levels.filter((l) => l.pass).map((l) => l.clients).pop() ?? 0;
  const top = levels.find((l) => l.clients === best);
  const failed = levels.find((l) => !l.pass);
  return {
    id: 'fanout',
    figure: 'fan-out',
    how: `1000 Hz × 6 ch, default batch; ${D.fanoutLevels.join(', ')} compat clients in 2 processes, ${D.fanout} s per level; a level passes with every sample at every client and the median lag of the last 5 s within 20 ms of the first 5 s`,
    target: '≥ 1000 clients on 2 cores',
    measured: `${best} clients${top ? ` (service ${round(top.cpu.service, 1)} % CPU, lag ${top.lag.start} → ${top.lag.end} ms)` : ''}${failed ? `; ${failed.clients} missed` : `; ${D.fanoutLevels.at(-1)} was the largest level tried`}`,
    pass: best >= 1000,
    conditions: conditionsOf((failed ?? top)?.usage),
    details: { levels },
  };
}

async function figPlot() {
  say(`live plot: Chromium on the service's page, A1 then all six channels, ${D.plot} s each`);
  const rig = await startRig({ batchMs: BATCH_DEFAULT_MS });
  try {
    const r = await runPlotBench({ url: rig.httpUrl, seconds: D.plot });
    const a1 = r.a1;
    const all = r.all;
    const pass = a1.fps >= 55 && all.fps >= 55 && a1.longTasksOver50 === 0 && all.longTasksOver50 === 0 && a1.cpu <= 25;
    return {
      id: 'plot',
      figure: 'live plot',
      how: `renderer page served by the service, headless Chromium, 1000 Hz stream, ${D.plot} s per view (${r.method})`,
      target: '≥ 55 fps, no task > 50 ms, ≤ 25 % CPU for A1',
      measured: `A1: ${a1.fps} fps, ${a1.longTasksOver50} tasks > 50 ms, ${a1.cpu} % CPU; all six: ${all.fps} fps, ${all.longTasksOver50} tasks > 50 ms, ${all.cpu} % CPU`,
      pass,
      details: r,
    };
  } finally {
    await rig.close();
  }
}

async function figMemory() {
  say(`memory: ${D.memoryMin} min at 1000 Hz × 6 ch with 10 clients, RSS every ${D.memoryEvery} s`);
  // The inspector (127.0.0.1, random port) lets the soak force a full GC at its start and end.
  const rig = await startRig({ batchMs: BATCH_DEFAULT_MS, inspect: true });
  try {
    const procs = [await rig.clients(10)];
    const start = now();
    const end = start + D.memoryMin * 60_000;
    // RSS is a sawtooth (V8 grows its heap until a full GC gives memory back; one cycle lasts
    // several minutes here), so "flat" takes two readings: the live JS heap after a forced full
    // GC once warm and at the end (what the program holds), and the RSS peaks of the first and
    // the last third of the soak after warm-up (a leak raises every peak). RSS after those forced
    // GCs is reported too; it also moves with allocator history, so it is not the criterion.
    const warmAt = start + Math.min(60_000, (D.memoryMin * 60_000) / 4);
    let warm;
    const series = [];
    let usage;
    for (;;) {
      const t = (now() - start) / 60_000;
      series.push({ min: round(t, 2), rssMB: round(rssMB(rig.service.pid), 1), cpuS: round(cpuSeconds(rig.service.pid), 2), ...(usage ? { cpuPct: usage.cpu.service, busyPct: usage.machineBusyPct } : {}) });
      if (now() >= end - 50) break;
      if (!warm && now() >= warmAt) warm = { min: round(t, 2), ...(await rig.heapAfterGc()) };
      if (series.length % Math.max(1, Math.round(60 / D.memoryEvery)) === 0) say(`memory: ${round(t, 1)} min, RSS ${series.at(-1).rssMB} MB`);
      usage = await usageOver({ service: rig.service.pid }, Math.min(D.memoryEvery * 1000, end - now()));
    }
    const last = { min: round((now() - start) / 60_000, 2), ...(await rig.heapAfterGc()) };
    const { mark, results } = await rig.stopClients(procs);
    const merged = mergeResults(results);
    const v = deliveryVerdict(merged, mark, 40);
    const final = series.at(-1).rssMB;
    const max = Math.max(...series.map((s) => s.rssMB));
    const heapGrowth = last.heapUsedMB - warm.heapUsedMB;
    const rssGrowth = last.rssMB - warm.rssMB;
    const after = series.filter((x) => x.min >= warm.min);
    const span = after.at(-1).min - after[0].min;
    const peak = (lo, hi) => Math.max(...after.filter((x) => x.min >= after[0].min + lo * span && x.min <= after[0].min + hi * span).map((x) => x.rssMB));
    const peakGrowth = peak(2 / 3, 1) - peak(0, 1 / 3);
    const flat = heapGrowth <= 1 && peakGrowth <= 2;
    const r1 = (x) => round(x, 1);
    return {
      id: 'memory',
      figure: 'memory',
      how: `service RSS (/proc VmRSS) every ${D.memoryEvery} s for ${D.memoryMin} min, 1000 Hz × 6 ch, 10 clients; flat: live JS heap after a forced full GC at minute ${r1(warm.min)} and at the end grew ≤ 1 MB, RSS peaks of the first and last third ≤ 2 MB`,
      target: '≤ 80 MB, flat',
      measured: `${final} MB at ${D.memoryMin} min (max ${max} MB); RSS peaks ${peak(0, 1 / 3)} → ${peak(2 / 3, 1)} MB; after a full GC at minute ${r1(warm.min)} → at the end: JS heap ${r1(warm.heapUsedMB)} → ${r1(last.heapUsedMB)} MB, RSS ${r1(warm.rssMB)} → ${r1(last.rssMB)} MB`,
      pass: max <= 80 && flat && v.ok,
      conditions: { machineBusyPct: round(series.filter((x) => x.busyPct !== undefined).reduce((a, x, _, xs) => a + x.busyPct / xs.length, 0), 1) },
      details: {
        series,
        finalMB: final,
        maxMB: max,
        afterGc: { warm, last, heapGrowthMB: round(heapGrowth, 2), rssGrowthMB: round(rssGrowth, 2) },
        rssPeakGrowthMB: round(peakGrowth, 2),
        trendMBPerMin: round(slope(series.map((s) => s.min), series.map((s) => s.rssMB)), 3),
        delivered: v.ok,
      },
    };
  } finally {
    await rig.close();
  }
}

const FIGS = { decoder: figDecoder, delivery: figDelivery, latency: figLatency, cpu: figCpu, fanout: figFanout, plot: figPlot, memory: figMemory };
const META = {
  decoder: ['decoder', 'frames decoded per second, all channel counts', '≥ 10 million/s'],
  delivery: ['samples delivered', '1000 Hz × 6 channels, sample indices checked at every client', '100 %, none repeated'],
  latency: ['added latency', 'emulator writes a frame → client receives the sample', 'p99 ≤ 1 ms beyond the batch period'],
  cpu: ['CPU', 'service process at 1000 Hz × 6 channels, 1 and 100 clients', '≤ 3 % and ≤ 15 % of one core'],
  fanout: ['fan-out', 'clients at 1000 Hz × 6 ch with no loss and no growing lag, default batch', '≥ 1000 on 2 cores'],
  plot: ['live plot', 'renderer in Chromium at 1000 Hz, A1 and all six', '≥ 55 fps, no task > 50 ms, ≤ 25 % CPU for A1'],
  memory: ['memory', `service RSS after ${D.memoryMin} min at 1000 Hz with 10 clients, and its growth`, '≤ 80 MB, flat'],
};

// ---------------------------------------------------------------------------------------------
// Output

function markdown(report) {
  const m = report.machine;
  const lines = [];
  lines.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGB} GB RAM, ${m.os}, Node ${m.node}; ${m.date.slice(0, 16).replace('T', ' ')} UTC` + ` (load average at start ${m.loadavg.join(' / ')})${report.quick ? ' — QUICK RUN, durations shortened' : ''}`);
  lines.push('');
  lines.push('| figure | how | target | measured | result |');
  lines.push('|---|---|---|---|---|');
  for (const r of report.figures) {
    const result = r.pass === true ? 'pass' : r.pass === false ? '**miss**' : 'not measured';
    lines.push(`| ${r.figure} | ${r.how} | ${r.target} | ${(r.measured ?? r.error ?? '').replace(/\|/g, '\\|')} | ${result} |`);
  }
  const cond = report.figures.filter((r) => r.conditions?.machineBusyPct !== undefined);
  if (cond.length) {
    lines.push('');
    lines.push(
      'Machine busy during each figure’s window (both cores, the rig included' +
        (cond.some((r) => r.conditions.serviceRunqWaitPct !== undefined) ? '; in brackets, the share of the window the service spent runnable but waiting for a core' : '') +
        '): ' +
        cond.map((r) => `${r.figure} ${r.conditions.machineBusyPct} %${r.conditions.serviceRunqWaitPct !== undefined ? ` (${r.conditions.serviceRunqWaitPct} %)` : ''}`).join(', ') +
        '.',
    );
  }
  const notes = report.figures.filter((r) => r.pass !== true);
  if (notes.length) {
    lines.push('');
    for (const r of notes) lines.push(`- **${r.figure}**: ${r.error ? `could not be measured: ${r.error}` : 'target missed — see docs/performance.md for why and what would close it.'}`);
  }
  lines.push('');
  return lines.join('\n');
}

function write(report) {
  mkdirSync(outDir, { recursive: true });
  // Written after every figure, so an interrupted run keeps what it measured; renamed into place whole.
  for (const [name, text] of [['latest.json', JSON.stringify(report, null, 1) + '\n'], ['latest.md', markdown(report)]]) {
    const f = path.join(outDir, name);
    writeFileSync(`${f}.tmp`, text);
    renameSync(`${f}.tmp`, f);
  }
}

// ---------------------------------------------------------------------------------------------

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, async () => {
    interrupted = true;
    process.stderr.write(`\nbench: ${sig}: stopping every process it started…\n`);
    await killAll();
    process.exit(130);
  });
}

const report = { machine: machineInfo(), quick, options: { only, durations: D }, figures: [] };
const order = ALL.filter((f) => only.includes(f)); // memory last
say(`${order.join(', ')}${quick ? ' (quick)' : ''} on ${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}; load average ${report.machine.loadavg.join(' ')}`);
const started = now();
for (const id of order) {
  if (interrupted) break;
  const t = now();
  let row;
  try {
    row = await FIGS[id]();
  } catch (e) {
    const [figure, how, target] = META[id];
    row = { id, figure, how, target, pass: null, error: String(e?.message ?? e).split('\n')[0].slice(0, 300) };
    say(`${id}: could not be measured: ${e?.stack ?? e}`);
  } finally {
    await killAll();
  }
  row.seconds = round((now() - t) / 1000, 1);
  row.loadavgAfter = machineInfo().loadavg;
  report.figures.push(row);
  say(`${id}: ${row.measured ?? row.error} → ${row.pass === true ? 'pass' : row.pass === false ? 'MISS' : 'not measured'} (${row.seconds} s)`);
  write(report);
}
report.totalSeconds = round((now() - started) / 1000, 0);
write(report);
say(`done in ${report.totalSeconds} s: ${path.relative(process.cwd(), path.join(outDir, 'latest.md'))}, latest.json`);
process.stdout.write('\n' + markdown(report));
process.exit(0);
