#!/usr/bin/env node
/**
 * `npm run bench`: the figures that matter, each measured on the real rig (bench/rig.mjs), one
 * after the other so no figure's CPU disturbs another's. Writes bench/results/latest.md (the
 * table the README quotes) and bench/results/latest.json (every number behind it).
 *
 *   node bench/run.mjs [--quick] [--only=decoder,launch,delivery,latency,cpu,devices,fanout,plot,hostile,recording,osc,lsl,mqtt,memory]
 *                      [--memory-minutes=N] [--out=DIR] [--merge]
 *
 * --quick: short durations for a smoke run (the figures are then not the reported ones).
 * --memory-minutes=N: length of the memory soak (default 10; 60 for the long soak).
 * --merge: keep the other figures of the run already in --out's latest.json and replace only the
 *   ones measured now (each row keeps its own time: `measuredAt`); for rerunning a figure.
 * The memory soak always runs last.
 *
 * The emulator writes each frame in its own write (1000 writes/s at 1000 Hz) unless a figure
 * says otherwise; CPU, latency and memory are also measured with the chunked writer (a write
 * every 4 ms) beside it, and next to the floor measured in the same run: a process that only
 * reads the pty and decodes, through serialport and through the service's read path. The pass
 * rules are fixed here, before the run (RULES), and documented in docs/performance.md.
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
const ALL = ['decoder', 'launch', 'delivery', 'latency', 'cpu', 'devices', 'fanout', 'plot', 'hostile', 'recording', 'osc', 'lsl', 'mqtt', 'memory'];
const quick = flag('quick');
const only = value('only')?.split(',').map((s) => s.trim()) ?? ALL;
for (const o of only) if (!ALL.includes(o)) fail(`unknown figure "${o}": use ${ALL.join(', ')}`);
const outDir = path.resolve(value('out') ?? path.join(here, 'results'));

/** Durations, seconds (memory in minutes). */
const D = quick
  ? { delivery: 10, latency: 5, cpu: 5, floor: 5, devices: 5, deviceCounts: [1, 4], fanout: 8, fanoutLevels: [100, 500], plot: 5, outputs: 5, outputRounds: 1, memoryMin: 1, memoryChunkedMin: 0.5, memoryEvery: 5 }
  : { delivery: 60, latency: 20, cpu: 20, floor: 10, devices: 20, deviceCounts: [1, 4, 8], fanout: 20, fanoutLevels: [250, 500, 1000, 1500, 2000], plot: 15, outputs: 10, outputRounds: 3, memoryMin: 10, memoryChunkedMin: 3, memoryEvery: 10 };
if (value('memory-minutes')) {
  D.memoryMin = Number(value('memory-minutes'));
  D.memoryChunkedMin = Math.min(D.memoryChunkedMin, D.memoryMin);
}
if (!(D.memoryMin > 0)) fail('--memory-minutes must be a positive number');

/**
 * The pass rules, fixed before the run (docs/performance.md "How each figure is measured").
 * Changing one is a change of method: say so in docs/performance.md.
 */
const RULES = {
  /** Default batch period, ms (batch_ms): 40 samples at 1000 Hz. */
  batchMs: 40,
  /** End of a run: no client more than one batch plus this many ms of samples behind the device. */
  behindMs: 50,
  /** Latency: the newest sample's p99 may exceed the link's own p99 (the floor, same run) by this much, ms. */
  latencyBeyondLinkMs: 1,
  /**
   * …judged only when the link alone had a p99 ≤ this, ms: a floor inflated by a busy machine
   * would let any service pass (the figure is then reported as not judged).
   */
  latencyFloorMaxP99Ms: 10,
  /** CPU of the service, % of one core, frame-per-write link: 1 client; 50 clients (25 compat + 25 /v2). */
  cpuOneClientPct: 3,
  cpuFiftyClientsPct: 8,
  /** Many devices: 8 devices at 1000 Hz × 6 ch, 10 clients each (5 compat + 5 /v2), % of one core. */
  cpuEightDevicesPct: 15,
  clientsPerDevice: 10,
  /** Fan-out: in every second of a level, the p99 of the clients' lag (receive − device time of the newest sample), ms. */
  fanoutLagP99Ms: 50,
  /** Memory, 1 client: RSS after a forced full GC at the end, MB; growth between the forced GCs at start and end. */
  memoryRssMB: 60,
  memoryHeapGrowthMB: 1,
  memoryRssGrowthMB: 2,
  /** The soak's "start" reading is taken after this warm-up (or a fifth of a shorter soak), minutes. */
  memoryWarmupMin: 2,
  /** Live plot: rAF rate, long tasks, CPU of the whole renderer process for A1. */
  plotFps: 55,
  plotProcessCpuPct: 25,
  /** Launch: median of the runs, the README's command (npm run serve) to the LISTENING line, ms. */
  launchMs: 500,
};

function fail(msg) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
}
const say = (msg) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// Figures. Each returns a row: { id, figure, rig, how, target, measured, pass (true/false/null), note?, details }.

const batchSamples = (batchMs, rate = 1000) => Math.max(1, Math.floor((rate * batchMs) / 1000));
const r1 = (x) => round(x, 1);
const r2 = (x) => round(x, 2);

/** The rig of a figure, in one line (the table's "rig" column). */
function rigLine(rig) {
  if (!rig) return '';
  if (rig.note) return rig.note;
  const w = rig.writes === 'frame' ? `${rig.writesPerSecond} writes/s × 1 frame` : `${rig.writesPerSecond} writes/s × ${rig.framesPerWrite} frames`;
  const p = rig.processes;
  const procs = p ? p.service + p.emulators + p.socat + p.clientProcesses + (p.readers ?? 0) : undefined;
  return `${w}; ${rig.rate} Hz × ${rig.channels} ch; ${rig.batchSamples !== undefined ? `batch ${rig.batchSamples}; ` : ''}${rig.clients !== undefined ? `${rig.clients} client${rig.clients === 1 ? '' : 's'}; ` : ''}${procs !== undefined ? `${procs} processes` : ''}${rig.devices > 1 ? `; ${rig.devices} devices` : ''}`;
}

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

/**
 * Clients finished cleanly: all OK, and at the moment the run ended none was more than one batch
 * plus RULES.behindMs behind the device (rig.stopClients reads that before letting them drain).
 */
function deliveryVerdict(merged, stop, batch, rate = 1000) {
  const allowed = batch + Math.ceil((rate * RULES.behindMs) / 1000);
  const behind = stop.behindAtMark;
  const ok = merged.notOk === 0 && merged.failedToConnect === 0 && behind <= allowed;
  const expected = merged.samplesTotal + merged.missing;
  return { ok, behind, allowed, deliveredPct: expected ? (100 * merged.samplesTotal) / expected : 0 };
}

/** The per-second lag of a window [fromMs, toMs] of the shared clock: worst p99, its second, and every second. */
function lagPerSecond(lag, fromMs, toMs) {
  const w = lag.filter((b) => b.t * 1000 >= fromMs && (b.t + 1) * 1000 <= toMs);
  if (w.length === 0) return { seconds: 0, worstP99: NaN, worstMax: NaN, medianP99: NaN, perSecondP99: [] };
  const p99s = w.map((b) => b.p99);
  const sorted = [...p99s].sort((a, b) => a - b);
  return {
    seconds: w.length,
    worstP99: r1(Math.max(...p99s)),
    worstMax: r1(Math.max(...w.map((b) => b.max))),
    medianP99: r1(sorted[Math.floor(sorted.length / 2)]),
    meanLag: r1(w.reduce((a, b) => a + b.mean * b.n, 0) / w.reduce((a, b) => a + b.n, 0)),
    perSecondP99: p99s.map(r1),
  };
}

async function figDecoder() {
  const opts = quick ? { frames: 500_000, passes: 3 } : { frames: 2_000_000, passes: 7 };
  say(`decoder: FrameDecoder.push over ${opts.frames / 1e6} M pre-encoded frames in 4 KiB chunks, 1..6 channels`);
  const r = runDecoderBench(opts);
  const per = r.perChannels.map((p) => `${p.channels} ch ${r1(p.framesPerSecond / 1e6)}`).join(', ');
  return {
    id: 'decoder',
    figure: 'decoder',
    rig: { inProcess: true, chunkBytes: r.chunkBytes },
    how: `FrameDecoder.push, in process, 4 KiB chunks, best of ${r.passes} passes per channel count, per CPU-second`,
    target: '≥ 10 million frames/s, all channel counts',
    measured: `≥ ${r1(r.min / 1e6)} M frames/s (${per} M/s)`,
    pass: r.min >= 10e6,
    details: r,
  };
}

async function figDelivery() {
  const rig = await startRig({ batchMs: RULES.batchMs });
  try {
    const v2 = await hasV2(rig.url);
    const procs = v2 ? [await rig.clients(5), await rig.clients(5, { endpoint: 'v2' })] : [await rig.clients(10)];
    say(`delivery: ${D.delivery} s at 1000 Hz × 6 channels, frame-per-write link, ${v2 ? '5 compat + 5 /v2' : '10 compat'} clients checking every index`);
    const usage = await usageOver({ service: rig.service.pid, ...Object.fromEntries(procs.map((p, i) => [`clients${i + 1}`, p.pid])) }, D.delivery * 1000);
    const stop = await rig.stopClients(procs);
    const merged = mergeResults(stop.results);
    const v = deliveryVerdict(merged, stop, batchSamples(RULES.batchMs));
    const per = Math.round(merged.samplesTotal / merged.n);
    return {
      id: 'delivery',
      figure: 'samples delivered',
      rig: rig.describe(merged.n, procs.length),
      how: `${D.delivery} s, ${merged.n} clients (${v2 ? '5 compat: index in A1..A3; 5 /v2: `index`' : 'compat: index carried in A1..A3'}) checking every sample; at the end none more than a batch + ${RULES.behindMs} ms behind the device`,
      target: '100 %, none repeated',
      measured: `${round(v.deliveredPct, 3)} % of ${per.toLocaleString('en')} samples at each of ${merged.n} clients; ${merged.repeats} repeated, ${merged.gaps} gaps, ${merged.bad} wrong values; slowest client ${v.behind} samples behind at the end (allowed ${v.allowed})`,
      pass: v.ok && merged.repeats === 0 && merged.missing === 0,
      conditions: conditionsOf(usage),
      details: { ...merged, lag: undefined, behindAtEnd: v.behind, behindAllowed: v.allowed, endpoints: v2 ? ['compat', 'v2'] : ['compat'], mark: stop.mark, usage },
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

/**
 * The floor: emulator → socat → a process that only reads the pty and decodes (pty-reader.mjs),
 * no service. `via` 'tty' is the service's read path, 'serialport' serialport's own read loop;
 * `readBatch` paces the reads as the driver does for batches of that many samples.
 */
async function linkOnly(seconds, { via = 'tty', writes = 'frame', readBatch = 1 } = {}) {
  const pty = await ptyPair();
  const dir = path.dirname(pty.a);
  try {
    const emulator = new Proc('emulator', process.execPath, [path.join(here, 'emulator-proc.mjs'), '--device', pty.b, '--writes', writes, '--record']);
    await emulator.waitFor('ready');
    const recFile = path.join(dir, 'reader.json');
    const reader = new Proc('pty-reader', process.execPath, [path.join(here, 'pty-reader.mjs'), '--device', pty.a, '--record', recFile, '--via', via, '--read-batch', String(readBatch)]);
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
    const framesPerWrite = writes === 'frame' ? 1 : 4;
    const rig = { writes, writesPerSecond: 1000 / framesPerWrite, framesPerWrite, rate: 1000, channels: 6, readBatch, via, processes: { service: 0, emulators: 1, socat: 1, clientProcesses: 0, readers: 1 } };
    return { via, writes, readBatch, rig, latency: lat, cpu: usage.cpu, usage, reader: res, chunksPerSecond: r1(res.chunks / (seconds + 1)) };
  } finally {
    await pty.close();
  }
}

async function serviceLatency(batchMs, seconds, { inProcess = false, writes = 'frame' } = {}) {
  const rig = await startRig({ batchMs, record: true, inProcess, writes });
  try {
    const recFile = path.join(rig.dir, 'client.json');
    const procs = [await rig.clients(1, { record: recFile })];
    await sleep(1000);
    const usage = await usageOver({ service: rig.service.pid, clients: procs[0].pid }, seconds * 1000);
    const stop = await rig.stopClients(procs);
    const merged = mergeResults(stop.results);
    const v = deliveryVerdict(merged, stop, batchSamples(batchMs));
    const wFile = path.join(rig.dir, 'writes.json');
    rig.emulator.send({ cmd: 'dump', file: wFile });
    await rig.emulator.waitFor('dumped');
    const lat = joinLatency(JSON.parse(readFileSync(wFile, 'utf8')), JSON.parse(readFileSync(recFile, 'utf8')));
    return { batchMs, batchSamples: batchSamples(batchMs), inProcess, writes, rig: rig.describe(1, 1), latency: lat, delivered: v.ok, usage };
  } finally {
    await rig.close();
  }
}

async function figLatency() {
  const T = D.latency;
  say(`latency: frame-per-write link — the floor (through the service's read path and through serialport), the service with a batch of 1 and the default batch, the same in process; then the chunked link beside it; ${T} s each, 1 client`);
  const frame = {
    link: await linkOnly(T, { via: 'tty' }),
    linkSerialport: await linkOnly(T, { via: 'serialport' }),
    one: await serviceLatency(1, T),
    dflt: await serviceLatency(RULES.batchMs, T),
    oneIn: await serviceLatency(1, T, { inProcess: true }),
    dfltIn: await serviceLatency(RULES.batchMs, T, { inProcess: true }),
  };
  const chunked = {
    link: await linkOnly(T, { via: 'tty', writes: 'chunked' }),
    one: await serviceLatency(1, T, { writes: 'chunked' }),
    dflt: await serviceLatency(RULES.batchMs, T, { writes: 'chunked' }),
  };
  // The newest sample of a message: every sample with a batch of 1, the last of each message otherwise.
  const beyond = (m) => ({ one: r2(m.one.latency.all.p99 - m.link.latency.all.p99), dflt: r2(m.dflt.latency.lastOfMessage.p99 - m.link.latency.all.p99) });
  const bf = beyond(frame);
  const bc = beyond(chunked);
  const judged = frame.link.latency.all.p99 <= RULES.latencyFloorMaxP99Ms;
  const pass = !judged ? null : bf.one <= RULES.latencyBeyondLinkMs && bf.dflt <= RULES.latencyBeyondLinkMs && frame.one.delivered && frame.dflt.delivered;
  const p = (x) => `p50 ${r2(x.p50)} / p99 ${r2(x.p99)}`;
  const fmt = (m, b) =>
    `link alone ${p(m.link.latency.all)} ms; batch of 1 ${p(m.one.latency.all)} ms (${b.one >= 0 ? '+' : ''}${b.one} beyond the link); default batch, newest sample of each message ${p(m.dflt.latency.lastOfMessage)} ms (${b.dflt >= 0 ? '+' : ''}${b.dflt})`;
  return {
    id: 'latency',
    figure: 'added latency',
    rig: frame.one.rig,
    how: `emulator's write of a frame → the sample's arrival at a client (separate processes, one monotonic clock), ${T} s per case, 1 client; the newest sample of each message against the link's own p99 (a reader of the pty through the service's read path, same run)`,
    target: `newest sample p99 ≤ ${RULES.latencyBeyondLinkMs} ms beyond the link's own (frame-per-write link)`,
    measured: `${judged ? '' : `NOT JUDGED: the link alone had a p99 of ${r1(frame.link.latency.all.p99)} ms (> ${RULES.latencyFloorMaxP99Ms}), the machine was too busy. `}frame-per-write: ${fmt(frame, bf)}. Chunked: ${fmt(chunked, bc)}. For reference, frame-per-write through serialport: link alone ${p(frame.linkSerialport.latency.all)} ms; the emulator in the service's process (no pty), batch of 1: ${p(frame.oneIn.latency.all)} ms`,
    pass,
    conditions: conditionsOf(frame.one.usage),
    details: { rules: { latencyBeyondLinkMs: RULES.latencyBeyondLinkMs, latencyFloorMaxP99Ms: RULES.latencyFloorMaxP99Ms }, judged, beyondLink: { frame: bf, chunked: bc }, frame, chunked },
  };
}

/** Service CPU with 1 client, then with 50 (25 compat + 25 /v2), on one rig. */
async function serviceCpu(writes) {
  const rig = await startRig({ batchMs: RULES.batchMs, writes });
  try {
    const p1 = await rig.clients(1);
    await sleep(2000);
    const one = await usageOver({ service: rig.service.pid, clients: p1.pid, emulator: rig.emulator.pid, socat: rig.pty.socat.pid }, D.cpu * 1000);
    const v2 = await hasV2(rig.url);
    const more = v2 ? [await rig.clients(24), await rig.clients(25, { endpoint: 'v2' })] : [await rig.clients(49)];
    await sleep(2000);
    const fifty = await usageOver({ service: rig.service.pid, clients1: p1.pid, ...Object.fromEntries(more.map((p, i) => [`clients${i + 2}`, p.pid])), emulator: rig.emulator.pid, socat: rig.pty.socat.pid }, D.cpu * 1000);
    const stop = await rig.stopClients([p1, ...more]);
    const merged = mergeResults(stop.results);
    const v = deliveryVerdict(merged, stop, batchSamples(RULES.batchMs));
    return { writes, rig1: rig.describe(1, 1), rig50: rig.describe(50, 1 + more.length), endpoints50: v2 ? '25 compat + 25 /v2' : '50 compat', one, fifty, delivered: v.ok, behind: v.behind };
  } finally {
    await rig.close();
  }
}

async function figCpu() {
  const F = D.floor;
  say(`cpu: per link (frame-per-write, then chunked): the floor (reading + decoding only: serialport, the service's read path, and that path paced for a batch of 40) for ${F} s each, then the service with 1 and 50 clients, ${D.cpu} s each`);
  const modes = {};
  for (const writes of ['frame', 'chunked']) {
    const floor = {
      serialport: await linkOnly(F, { via: 'serialport', writes }),
      tty: await linkOnly(F, { via: 'tty', writes }),
      paced: await linkOnly(F, { via: 'tty', writes, readBatch: batchSamples(RULES.batchMs) }),
    };
    const service = await serviceCpu(writes);
    modes[writes] = { floor, service };
  }
  const f = modes.frame;
  const c = modes.chunked;
  const s1 = f.service.one.cpu.service;
  const s50 = f.service.fifty.cpu.service;
  const floorLine = (m) => `reading + decoding alone ${r1(m.floor.serialport.cpu.reader)} % (serialport), ${r1(m.floor.tty.cpu.reader)} % (the service's read path), ${r1(m.floor.paced.cpu.reader)} % (paced for a batch of ${batchSamples(RULES.batchMs)})`;
  return {
    id: 'cpu',
    figure: 'CPU',
    rig: f.service.rig1,
    how: `service process utime+stime (/proc, every thread) over ${D.cpu} s, default batch, clients in other processes; 50 clients = ${f.service.endpoints50}; the floor, same run, ${F} s`,
    target: `≤ ${RULES.cpuOneClientPct} % (1 client), ≤ ${RULES.cpuFiftyClientsPct} % (50 clients) of one core, frame-per-write link`,
    measured: `frame-per-write: ${r1(s1)} % (1 client), ${r1(s50)} % (50 clients); ${floorLine(f)}. Chunked: ${r1(c.service.one.cpu.service)} % (1 client), ${r1(c.service.fifty.cpu.service)} % (50 clients); ${floorLine(c)}`,
    pass: s1 <= RULES.cpuOneClientPct && s50 <= RULES.cpuFiftyClientsPct && f.service.delivered,
    conditions: conditionsOf(f.service.one),
    details: modes,
  };
}

/** Service CPU and delivery with N devices at once (each its own emulator on its own pty), 10 clients per device. */
async function figDevices() {
  const per = RULES.clientsPerDevice;
  say(`devices: ${D.deviceCounts.join(', ')} devices at 1000 Hz × 6 ch, ${per} clients each (half compat at /devices/<id>, half /v2?devices=<id>), ${D.devices} s each`);
  const levels = [];
  for (const n of D.deviceCounts) {
    const rig = await startRig({ batchMs: RULES.batchMs, devices: n });
    try {
      const procs = [];
      for (let d = 0; d < n; d++) {
        procs.push({ d, p: await rig.clients(per / 2, { device: d }) });
        procs.push({ d, p: await rig.clients(per / 2, { device: d, endpoint: 'v2' }) });
      }
      await sleep(2000);
      const pids = { service: rig.service.pid, ...Object.fromEntries(procs.map((x, i) => [`clients${i}`, x.p.pid])) };
      const usage = await usageOver(pids, D.devices * 1000);
      const verdicts = [];
      for (let d = 0; d < n; d++) {
        const mine = procs.filter((x) => x.d === d).map((x) => x.p);
        const stop = await rig.stopClients(mine, 500, d);
        verdicts.push(deliveryVerdict(mergeResults(stop.results), stop, batchSamples(RULES.batchMs)));
      }
      levels.push({ devices: n, clients: n * per, cpu: usage.cpu.service, delivered: verdicts.every((v) => v.ok), deliveredPct: Math.min(...verdicts.map((v) => v.deliveredPct)), rig: rig.describe(n * per, procs.length), usage: conditionsOf(usage) });
    } finally {
      await rig.close();
      await killAll();
    }
  }
  const eight = levels.find((l) => l.devices === 8);
  return {
    id: 'devices',
    figure: 'many devices',
    rig: levels.at(-1)?.rig,
    how: `N emulators on N ptys (frame-per-write), one serverbit with a --device each, ${per} clients per device in other processes checking every sample, service CPU over ${D.devices} s`,
    target: `every sample at every client; ≤ ${RULES.cpuEightDevicesPct} % of one core for 8 devices × ${per} clients`,
    measured: levels.map((l) => `${l.devices} device${l.devices === 1 ? '' : 's'} (${l.clients} clients): ${r1(l.cpu)} % CPU, ${l.delivered ? 'every sample delivered' : `${r2(l.deliveredPct)} % delivered`}`).join('; '),
    pass: levels.every((l) => l.delivered) && (eight ? eight.cpu <= RULES.cpuEightDevicesPct : null),
    conditions: levels.at(-1)?.usage,
    details: { levels },
  };
}

/** Launch to LISTENING (bench/launch.mjs): the README's command and Node alone. */
async function figLaunch() {
  const { runLaunchBench } = await import('./launch.mjs');
  const r = await runLaunchBench({ runs: quick ? 3 : 7 });
  const ms = (x) => Math.round(x);
  return {
    id: 'launch',
    figure: 'launch',
    rig: { note: 'fresh HOME, the simulator, a free port; one uncounted run first' },
    how: `\`npm run serve\` (${r.serveScript}) and Node alone with the same flags, spawn → the LISTENING line, ${r.runs} runs each, alternating`,
    target: `median ≤ ${RULES.launchMs} ms with the README's command`,
    measured: `npm run serve: median ${ms(r.npmRunServe.p50)} ms (min ${ms(r.npmRunServe.min)}, max ${ms(r.npmRunServe.max)}); node dist/main/cli.js: median ${ms(r.node.p50)} ms (min ${ms(r.node.min)}, max ${ms(r.node.max)})`,
    pass: r.npmRunServe.p50 <= RULES.launchMs,
    details: { rules: { launchMs: RULES.launchMs }, ...r },
  };
}

/** Reply times to hostile /v2 messages (bench/hostile.mjs): the bound the security tests refer to. */
async function figHostile() {
  const { runHostileBench } = await import('./hostile.mjs');
  const r = await runHostileBench({ n: quick ? 50 : 300 });
  return {
    id: 'hostile',
    figure: 'hostile messages',
    rig: { note: 'serverbit with the simulator, one /v2 client without the token' },
    how: 'from send to the error reply, while streaming: the message nested 5000 deep, the 32 KiB subscribe with ~4800 distinct one-element arrays (quadratic uniqueItems before the fix), and seeded random JSON up to 60 KB',
    target: 'every message answered, the service alive; the times are the bound reported for the fuzz of test/security',
    measured: `5000 deep: median ${r.deep5000Ms.median} ms (max ${r.deep5000Ms.max}); quadratic subscribe: median ${r.quadraticSubscribeMs.median} ms (max ${r.quadraticSubscribeMs.max}); fuzz of ${r.fuzz.messages}: p50 ${r.fuzz.p50Ms} / p99 ${r.fuzz.p99Ms} / max ${r.fuzz.maxMs} ms, ${r.fuzz.unanswered} unanswered`,
    pass: r.alive && r.fuzz.unanswered === 0,
    details: r,
  };
}

/** An output's own benchmark module (bench/<name>.mjs), run as it is and reported as it says. */
async function figOutput(id) {
  const mod = await import(`./${id}.mjs`);
  const run = mod[`run${id[0].toUpperCase()}${id.slice(1)}Bench`] ?? mod.benchMqtt;
  if (typeof run !== 'function') throw new Error(`bench/${id}.mjs exports no run function`);
  const result = await run({ seconds: D.outputs, rounds: D.outputRounds, runs: D.outputRounds, quick });
  return outputRow(id, result);
}

function outputRow(id, r) {
  const base = { id, details: r };
  if (r?.skipped) return { ...base, figure: id, how: '', target: '', measured: `not measured: ${r.skipped}`, pass: null };
  switch (id) {
    case 'recording':
      return {
        ...base,
        figure: 'recording',
        how: "recorder's added CPU at 1000 Hz × 6 ch, per format, against the same service without it",
        target: 'reported',
        measured: (r.formats ?? []).map((f) => `${Array.isArray(f.formats) ? f.formats.join('+') : (f.formats ?? f.format)}: +${r2(f.addedPct)} %`).join(', '),
        pass: null,
      };
    case 'osc':
      return {
        ...base,
        figure: 'OSC',
        how: 'OscOutput at 1000 Hz × 6 ch to a liblo receiver (oscdump), every sample checked',
        target: 'every sample; datagrams/s and added CPU reported',
        measured: `consolidated ${r1(r.datagramsPerSecond)} datagrams/s, +${r2(r.addedCpuPercent)} % CPU; per label ${r1(r.perLabel?.datagramsPerSecond)} datagrams/s, +${r2(r.perLabel?.addedCpuPercent)} %${r.delivered === false ? '; NOT every sample delivered' : ''}`,
        pass: r.delivered === false ? false : null,
      };
    case 'lsl':
      return {
        ...base,
        figure: 'LSL',
        how: 'LSL output at 1000 Hz × 6 ch with one liblsl inlet in another process',
        target: 'added CPU and latency reported',
        measured: `+${r2(r.cpuPct?.added)} % CPU; batch published → newest sample at the inlet p50 ${r2(r.latencyMs?.p50)} / p99 ${r2(r.latencyMs?.p99)} ms`,
        pass: null,
      };
    case 'mqtt':
      return {
        ...base,
        figure: 'MQTT',
        how: 'one device → mosquitto → subscribers in other processes; two relays × WebSocket clients; publisher CPU; broker-added latency',
        target: 'every sample at every subscriber and relay client',
        measured: `${r.fanout?.clients ?? "?"} subscribers: ${r.fanout?.pass ? 'every sample' : 'NOT every sample'}; relays: ${r.relays?.pass ? 'every sample' : 'NOT every sample'}; publisher +${r2(r.publisherCpu?.added)} % CPU; broker latency p50 ${r2(r.brokerLatency?.p50Ms)} / p99 ${r2(r.brokerLatency?.p99Ms)} ms`,
        pass: r.fanout?.pass === true && r.relays?.pass === true,
      };
    default:
      return { ...base, figure: id, how: '', target: '', measured: JSON.stringify(r).slice(0, 300), pass: null };
  }
}

async function figFanout() {
  const rig = await startRig({ batchMs: RULES.batchMs });
  const levels = [];
  const batch = batchSamples(RULES.batchMs);
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
        const from = now();
        const usage = await usageOver({ service: rig.service.pid, ...Object.fromEntries(procs.map((p, i) => [`clients${i + 1}`, p.pid])) }, D.fanout * 1000);
        const to = now();
        const cpu = usage.cpu;
        const stop = await rig.stopClients(procs, 1000);
        const merged = mergeResults(stop.results);
        const v = deliveryVerdict(merged, stop, batch);
        const lag = lagPerSecond(merged.lag, from, to);
        const pass = v.ok && merged.missing === 0 && merged.repeats === 0 && merged.closedEarly === 0 && lag.worstP99 <= RULES.fanoutLagP99Ms;
        level = { clients: n, pass, delivered: v.ok, deliveredPct: round(v.deliveredPct, 3), behindAtEnd: v.behind, behindAllowed: v.allowed, notOk: merged.notOk, closedEarly: merged.closedEarly, lag, cpu, usage, rig: rig.describe(n, procs.length), problems: merged.problems };
      } catch (e) {
        level = { clients: n, pass: false, error: String(e.message ?? e) };
      }
      await Promise.all(procs.map((p) => p.stop('SIGKILL')));
      levels.push(level);
      say(`fan-out: ${n} clients → ${level.pass ? 'pass' : 'miss'}${level.error ? `: ${level.error}` : ` (lag p99 per second: median ${level.lag.medianP99}, worst ${level.lag.worstP99} ms; ${level.behindAtEnd} samples behind at the end; service CPU ${r1(level.cpu.service)} %)`}`);
      if (!level.pass) break;
      await sleep(2000);
    }
  } finally {
    await rig.close();
  }
  const best = levels.filter((l) => l.pass).map((l) => l.clients).pop() ?? 0;
  const top = levels.find((l) => l.clients === best);
  const failed = levels.find((l) => !l.pass);
  const why = (l) => (l.error ? `: ${l.error}` : l.lag.worstP99 > RULES.fanoutLagP99Ms ? ` (worst second's lag p99 ${l.lag.worstP99} ms)` : !l.delivered ? ` (${l.notOk} clients missed samples or ended ${l.behindAtEnd} samples behind)` : '');
  return {
    id: 'fanout',
    figure: 'fan-out',
    rig: top?.rig ?? failed?.rig,
    how: `default batch; ${D.fanoutLevels.join(', ')} compat clients in 2 processes, ${D.fanout} s per level; a level passes with every sample at every client, none closed, none more than a batch + ${RULES.behindMs} ms behind at the end, and in every second the p99 of the clients' lag ≤ ${RULES.fanoutLagP99Ms} ms`,
    target: '≥ 1000 clients on 2 cores',
    measured: `${best} clients${top ? ` (service ${r1(top.cpu.service)} % CPU; lag p99 per second: median ${top.lag.medianP99}, worst ${top.lag.worstP99} ms)` : ''}${failed ? `; ${failed.clients} missed${why(failed)}` : `; ${D.fanoutLevels.at(-1)} was the largest level tried`}`,
    pass: best >= 1000,
    conditions: conditionsOf((failed ?? top)?.usage),
    details: { rules: { fanoutLagP99Ms: RULES.fanoutLagP99Ms, behindMs: RULES.behindMs }, levels },
  };
}

async function figPlot() {
  say(`live plot: Chromium on the service's page, A1 then all six channels, ${D.plot} s each`);
  const rig = await startRig({ batchMs: RULES.batchMs });
  try {
    const r = await runPlotBench({ url: rig.httpUrl, seconds: D.plot });
    const a1 = r.a1;
    const all = r.all;
    const pass = a1.fps >= RULES.plotFps && all.fps >= RULES.plotFps && a1.longTasksOver50 === 0 && all.longTasksOver50 === 0 && a1.processCpu <= RULES.plotProcessCpuPct;
    const view = (v) => `${v.fps} frames/s (requestAnimationFrame), ${v.drawsPerSecond} redraws/s, ${v.longTasksOver50} tasks > 50 ms, renderer process ${v.processCpu} % CPU (main thread ${v.cpu} %)`;
    return {
      id: 'plot',
      figure: 'live plot',
      rig: { ...rig.describe(1, 0), browser: 'headless Chromium, 1 page' },
      how: `renderer page served by the service, headless Chromium, ${D.plot} s per view (${r.method}); the plot redraws only when data arrives (25 messages/s at the default batch), at most 30 times a second, while the browser paints at the rAF rate; CPU of the whole renderer process (CDP ProcessTime)`,
      target: `≥ ${RULES.plotFps} frames/s, no task > 50 ms, renderer process ≤ ${RULES.plotProcessCpuPct} % CPU for A1`,
      measured: `A1: ${view(a1)}; all six: ${view(all)}`,
      pass,
      details: r,
    };
  } finally {
    await rig.close();
  }
}

/**
 * One memory soak: 1 client, RSS every D.memoryEvery s; a forced full GC (inspector) once warm —
 * after RULES.memoryWarmupMin, or a fifth of a shorter soak — and at the end; RSS and JS heap after
 * each. Rules fixed before the run (RULES): RSS after the last GC ≤ memoryRssMB, and between the
 * two GCs the heap grew ≤ memoryHeapGrowthMB and RSS ≤ memoryRssGrowthMB.
 */
async function memorySoak(minutes, writes) {
  const rig = await startRig({ batchMs: RULES.batchMs, inspect: true, writes });
  try {
    const procs = [await rig.clients(1)];
    const start = now();
    const end = start + minutes * 60_000;
    const warmAt = start + Math.min(RULES.memoryWarmupMin * 60_000, (minutes * 60_000) / 5);
    let warm;
    const series = [];
    let usage;
    for (;;) {
      const t = (now() - start) / 60_000;
      series.push({ min: r2(t), rssMB: r1(rssMB(rig.service.pid)), cpuS: r2(cpuSeconds(rig.service.pid)), ...(usage ? { cpuPct: usage.cpu.service, busyPct: usage.machineBusyPct } : {}) });
      if (now() >= end - 50) break;
      if (!warm && now() >= warmAt) warm = { min: r2(t), ...(await rig.heapAfterGc()) };
      if (series.length % Math.max(1, Math.round(60 / D.memoryEvery)) === 0) say(`memory (${writes}): ${r1(t)} min, RSS ${series.at(-1).rssMB} MB`);
      usage = await usageOver({ service: rig.service.pid }, Math.min(D.memoryEvery * 1000, Math.max(0, end - now())));
    }
    const last = { min: r2((now() - start) / 60_000), ...(await rig.heapAfterGc()) };
    const stop = await rig.stopClients(procs);
    const merged = mergeResults(stop.results);
    const v = deliveryVerdict(merged, stop, batchSamples(RULES.batchMs));
    const heapGrowth = last.heapUsedMB - warm.heapUsedMB;
    const rssGrowth = last.rssMB - warm.rssMB;
    const pass = last.rssMB <= RULES.memoryRssMB && heapGrowth <= RULES.memoryHeapGrowthMB && rssGrowth <= RULES.memoryRssGrowthMB && v.ok;
    return {
      writes,
      minutes,
      rig: rig.describe(1, 1),
      pass,
      warm,
      last,
      heapGrowthMB: r2(heapGrowth),
      rssGrowthMB: r2(rssGrowth),
      maxRssMB: Math.max(...series.map((s) => s.rssMB)),
      series,
      trendMBPerMin: round(slope(series.map((s) => s.min), series.map((s) => s.rssMB)), 3),
      delivered: v.ok,
      busyPct: r1(series.filter((x) => x.busyPct !== undefined).reduce((a, x, _, xs) => a + x.busyPct / xs.length, 0)),
    };
  } finally {
    await rig.close();
  }
}

async function figMemory() {
  say(`memory: ${D.memoryMin} min frame-per-write, then ${D.memoryChunkedMin} min chunked; 1 client; RSS every ${D.memoryEvery} s, forced GC once warm and at the end`);
  const frame = await memorySoak(D.memoryMin, 'frame');
  const chunked = await memorySoak(D.memoryChunkedMin, 'chunked');
  const line = (m) =>
    `after a forced GC at minute ${r1(m.warm.min)} → at minute ${r1(m.last.min)}: RSS ${r1(m.warm.rssMB)} → ${r1(m.last.rssMB)} MB, JS heap ${r1(m.warm.heapUsedMB)} → ${r1(m.last.heapUsedMB)} MB (RSS between readings at most ${m.maxRssMB} MB)`;
  return {
    id: 'memory',
    figure: 'memory',
    rig: frame.rig,
    how: `service RSS (/proc VmRSS) and JS heap (inspector) after a forced full GC once warm (minute ${r1(frame.warm.min)}) and at the end of a ${D.memoryMin}-minute soak, 1 client; chunked link beside it, ${D.memoryChunkedMin} min`,
    target: `RSS ≤ ${RULES.memoryRssMB} MB after the last GC; growth between the GCs ≤ ${RULES.memoryHeapGrowthMB} MB heap, ≤ ${RULES.memoryRssGrowthMB} MB RSS`,
    measured: `frame-per-write, ${D.memoryMin} min: ${line(frame)}. Chunked, ${D.memoryChunkedMin} min: ${line(chunked)}`,
    pass: frame.pass,
    conditions: { machineBusyPct: frame.busyPct },
    details: { rules: { rssMB: RULES.memoryRssMB, heapGrowthMB: RULES.memoryHeapGrowthMB, rssGrowthMB: RULES.memoryRssGrowthMB, warmupMin: RULES.memoryWarmupMin }, frame, chunked },
  };
}

const FIGS = {
  decoder: figDecoder,
  launch: figLaunch,
  delivery: figDelivery,
  latency: figLatency,
  cpu: figCpu,
  devices: figDevices,
  fanout: figFanout,
  plot: figPlot,
  hostile: figHostile,
  recording: () => figOutput('recording'),
  osc: () => figOutput('osc'),
  lsl: () => figOutput('lsl'),
  mqtt: () => figOutput('mqtt'),
  memory: figMemory,
};
const META = {
  decoder: ['decoder', 'frames decoded per second, all channel counts', '≥ 10 million/s'],
  launch: ['launch', "the README's command to the LISTENING line", `median ≤ ${RULES.launchMs} ms`],
  delivery: ['samples delivered', '1000 Hz × 6 channels, sample indices checked at every client', '100 %, none repeated'],
  latency: ['added latency', 'emulator writes a frame → client receives the sample', `newest sample p99 ≤ ${RULES.latencyBeyondLinkMs} ms beyond the link's own`],
  cpu: ['CPU', 'service process at 1000 Hz × 6 channels, 1 and 50 clients', `≤ ${RULES.cpuOneClientPct} % and ≤ ${RULES.cpuFiftyClientsPct} % of one core`],
  devices: ['many devices', '1, 4 and 8 devices at 1000 Hz × 6 channels, 10 clients each', `≤ ${RULES.cpuEightDevicesPct} % for 8 devices`],
  fanout: ['fan-out', 'clients at 1000 Hz × 6 ch with no loss, default batch', '≥ 1000 on 2 cores'],
  hostile: ['hostile messages', 'reply time to the attacks of issue 9, while streaming', 'every one answered; times reported'],
  recording: ['recording', "recorder's added CPU per format", 'reported'],
  osc: ['OSC', 'datagrams/s and added CPU', 'reported'],
  lsl: ['LSL', 'added CPU and latency with one inlet', 'reported'],
  mqtt: ['MQTT', 'broker fan-out, relays, publisher CPU, broker latency', 'every sample'],
  plot: ['live plot', 'renderer in Chromium at 1000 Hz, A1 and all six', `≥ ${RULES.plotFps} fps, no task > 50 ms, ≤ ${RULES.plotProcessCpuPct} % renderer CPU for A1`],
  memory: ['memory', `service RSS and heap after GC over ${D.memoryMin} min at 1000 Hz with 1 client`, `≤ ${RULES.memoryRssMB} MB, flat`],
};

// ---------------------------------------------------------------------------------------------
// Output

function markdown(report) {
  const m = report.machine;
  const lines = [];
  lines.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGB} GB RAM, ${m.os}, Node ${m.node}; ${m.date.slice(0, 16).replace('T', ' ')} UTC` + ` (load average at start ${m.loadavg.join(' / ')})${report.quick ? ' — QUICK RUN, durations shortened' : ''}`);
  lines.push('');
  lines.push('| figure | rig | how | target | measured | result |');
  lines.push('|---|---|---|---|---|---|');
  for (const r of report.figures) {
    const result = r.pass === true ? 'pass' : r.pass === false ? '**miss**' : r.error ? 'not measured' : 'not judged';
    const rig = r.rig?.inProcess ? 'in process' : rigLine(r.rig);
    lines.push(`| ${r.figure} | ${rig} | ${r.how} | ${r.target} | ${(r.measured ?? r.error ?? '').replace(/\|/g, '\\|')} | ${result} |`);
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
  if (report.mergedFrom) {
    const again = report.figures.filter((r) => r.measuredAt && r.measuredAt > report.mergedFrom);
    if (again.length) lines.push('', `Measured again after that run (\`--merge\`): ${again.map((r) => `${r.figure} at ${r.measuredAt.slice(0, 16).replace('T', ' ')} UTC`).join(', ')}.`);
  }
  const notes = report.figures.filter((r) => r.pass !== true);
  if (notes.length) {
    lines.push('');
    // The outputs' figures have no pass/fail target: they are reported (META's target says so).
    const reported = (r) => r.pass === null && !r.error && /^(reported|every sample; datagrams\/s and added CPU reported|added CPU and latency reported)$/.test(r.target ?? '');
    for (const r of notes) lines.push(`- **${r.figure}**: ${r.error ? `could not be measured: ${r.error}` : reported(r) ? 'reported, with no pass/fail target.' : r.pass === null ? 'not judged in this run (see its measured column); rerun on a quieter machine.' : 'target missed — see docs/performance.md for why and what would close it.'}`);
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

const report = { machine: machineInfo(), quick, options: { only, durations: D, rules: RULES }, figures: [] };
/** --merge: the rows of the earlier run that this one does not measure again, in the figures' order. */
const kept = [];
if (flag('merge')) {
  let earlier;
  try {
    earlier = JSON.parse(readFileSync(path.join(outDir, 'latest.json'), 'utf8'));
  } catch (e) {
    fail(`--merge: cannot read ${path.join(outDir, 'latest.json')}: ${e.message}`);
  }
  if (earlier.quick !== quick) fail('--merge: the earlier run and this one must both be --quick or both be full runs');
  report.machine = earlier.machine;
  report.mergedFrom = earlier.machine.date ?? null;
  for (const row of earlier.figures) if (!only.includes(row.id)) kept.push({ measuredAt: row.measuredAt ?? earlier.machine.date, ...row });
}
const byOrder = (rows) => rows.sort((a, b) => ALL.indexOf(a.id) - ALL.indexOf(b.id));
const measured = [];
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
  row.measuredAt = new Date().toISOString();
  measured.push(row);
  report.figures = byOrder([...kept, ...measured]);
  say(`${id}: ${row.measured ?? row.error} → ${row.pass === true ? 'pass' : row.pass === false ? 'MISS' : row.error ? 'not measured' : 'not judged'} (${row.seconds} s)`);
  write(report);
}
report.totalSeconds = round((now() - started) / 1000, 0);
write(report);
say(`done in ${report.totalSeconds} s: ${path.relative(process.cwd(), path.join(outDir, 'latest.md'))}, latest.json`);
process.stdout.write('\n' + markdown(report));
process.exit(0);
