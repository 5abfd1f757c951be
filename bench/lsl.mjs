/**
 * What the LSL output costs (docs/lsl.md §14, docs/performance.md): at 1000 Hz × 6 channels, in
 * batches of 40 samples (the hub's default batch), with one real liblsl inlet in another process.
 *
 * - Added CPU: a host process runs a real Hub fed by a paced publisher, first without the LSL
 *   output, then with it (converted float32, the default) and one inlet connected, then without
 *   again; the figure is the host's CPU with LSL minus the mean of the two runs without
 *   (process.cpuUsage, % of one core). Only ServerBIT's side: the inlet's own CPU is reported
 *   apart.
 * - Latency: from the host publishing a batch (hub.publishBatch) to lsl_pull_sample returning the
 *   batch's newest sample in the inlet process, both read on CLOCK_MONOTONIC (process.hrtime,
 *   which is liblsl's clock too). The sample is known by its values: A1..A3 carry its index
 *   (sensor RAW, sent as the number itself); A4..A6 are converted like a real stream.
 *
 * Needs the real liblsl (LIBLSL=/path/to/liblsl.so, built by the project's liblsl build script,
 * docs/lsl.md §14). Without it, it says so and measures nothing.
 *
 *   LIBLSL=/tmp/liblsl/liblsl.so node bench/lsl.mjs     # prints one JSON line
 *   import { runLslBench } from './lsl.mjs'; await runLslBench({ seconds: 20 })
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(import.meta.url);
const RATE = 1000;
const BATCH = 40;
const CHANNELS = 6;
const NAME = 'ServerBIT LSL bench';

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const send = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const round = (x, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Measures; resolves `{ skipped: reason }` when liblsl is not available (no numbers at all).
 * @param {{ seconds?: number, baselineSeconds?: number, liblsl?: string }} options seconds of the
 *   measured run with LSL (default 20) and of each run without (default 10); the library's path
 *   (default $LIBLSL)
 */
export async function runLslBench({ seconds = 20, baselineSeconds = 10, liblsl = process.env.LIBLSL } = {}) {
  if (!liblsl) return { skipped: 'LIBLSL is not set: the LSL benchmark needs the real liblsl (docs/lsl.md §14); nothing was measured' };
  if (!existsSync(liblsl)) return { skipped: `LIBLSL=${liblsl} does not exist: build liblsl first (docs/lsl.md §14); nothing was measured` };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serverbit-lsl-bench-'));
  // Same-host discovery by unicast to the service ports (docs/lsl.md §12), and a quiet liblsl.
  const cfg = path.join(dir, 'lsl_api.cfg');
  writeFileSync(cfg, '[lab]\nKnownPeers = {127.0.0.1}\n\n[log]\nlevel = -2\n');
  const children = [];
  try {
    const host = role('host', [], {}, children);
    await host.next('ready');
    const cpuOf = async (ms) => {
      const a = await host.ask({ cmd: 'cpu' }, 'cpu');
      await sleep(ms);
      const b = await host.ask({ cmd: 'cpu' }, 'cpu');
      return ((b.us - a.us) / 1000 / (b.t - a.t)) * 100;
    };
    const off1 = await cpuOf(baselineSeconds * 1000);
    await host.ask({ cmd: 'lsl', on: true }, 'lsl');
    const inlet = role('inlet', [String(seconds)], { LIBLSL: liblsl, LSLAPICFG: cfg }, children);
    await inlet.next('ready', 60_000);
    await host.ask({ cmd: 'record', on: true }, 'record');
    const on = await cpuOf(seconds * 1000);
    const received = await inlet.next('done', 60_000);
    await inlet.gone; // before its stream goes away (liblsl would log the broken feed)
    const published = await host.ask({ cmd: 'record', on: false }, 'record');
    await host.ask({ cmd: 'lsl', on: false }, 'lsl');
    const off2 = await cpuOf(baselineSeconds * 1000);
    host.child.stdin.end();

    const pubAt = new Map(published.batches);
    const lat = [];
    for (const [index, t] of received.arrivals) {
      const p = pubAt.get(index);
      if (p !== undefined) lat.push(t - p);
    }
    lat.sort((a, b) => a - b);
    const off = (off1 + off2) / 2;
    return {
      rateHz: RATE,
      channels: CHANNELS,
      batch: BATCH,
      inlets: 1,
      format: 'float32 (converted)',
      liblsl: received.version,
      seconds,
      cpuPct: { withoutLsl: round(off), withLsl: round(on), added: round(on - off), inletProcess: round(received.cpuPct) },
      latencyMs: { batches: lat.length, p50: round(percentile(lat, 50), 3), p99: round(percentile(lat, 99), 3), max: round(lat.at(-1), 3) },
      samples: { received: received.samples, outOfOrderOrMissing: received.missing },
      loadAverage: os.loadavg().map((x) => round(x)),
    };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A child process of this file in a role, spoken to in JSON lines. */
function role(name, args, env, children) {
  const child = spawn(process.execPath, [HERE, `--role=${name}`, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const queue = [];
  const waiters = [];
  let exited;
  const gone = new Promise((resolve) =>
    child.once('exit', (code) => {
      exited = code;
      for (const w of waiters.splice(0)) w.reject(new Error(`the ${name} process exited (${code})`));
      resolve(code);
    }),
  );
  createInterface({ input: child.stdout }).on('line', (line) => {
    let m;
    try {
      m = JSON.parse(line);
    } catch {
      return;
    }
    const w = waiters.findIndex((x) => x.type === m.type);
    if (w >= 0) waiters.splice(w, 1)[0].resolve(m);
    else queue.push(m);
  });
  const next = (type, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      const i = queue.findIndex((m) => m.type === type);
      if (i >= 0) return resolve(queue.splice(i, 1)[0]);
      if (exited !== undefined) return reject(new Error(`the ${name} process exited (${exited})`));
      const t = setTimeout(() => reject(new Error(`the ${name} process sent no "${type}" in ${timeoutMs} ms`)), timeoutMs);
      waiters.push({ type, resolve: (m) => (clearTimeout(t), resolve(m)), reject: (e) => (clearTimeout(t), reject(e)) });
    });
  return {
    child,
    gone,
    next,
    ask: (cmd, type) => {
      child.stdin.write(JSON.stringify(cmd) + '\n');
      return next(type);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The host: a Hub, a paced publisher and, on request, ServerBIT's LSL output.

async function host() {
  const { Hub } = await import('../dist/main/acquisition/hub.js');
  const { LslOutput } = await import('../dist/main/outputs/lsl/lsl-output.js');
  const { SENSOR_UNITS, slotResolution } = await import('../dist/shared/sensors.js');
  const hub = new Hub();
  const sensors = ['RAW', 'RAW', 'RAW', 'ECG', 'EEG', 'LUX'];
  const meta = {
    device: '0',
    name: NAME,
    kind: 'bitalino',
    address: 'lsl-bench',
    connection: 'lsl-bench',
    board: 'revolution',
    firmware: 'BITalino_v5.2',
    version: 5.2,
    simulated: true,
    rate: RATE,
    irregular: false,
    channels: [1, 2, 3, 4, 5, 6],
    columns: [
      { name: 'nSeq', label: 'nSeq', kind: 'sequence', resolution: 4 },
      ...['I1', 'I2', 'O1', 'O2'].map((n) => ({ name: n, label: n, kind: 'digital', resolution: 1 })),
      ...sensors.map((sensor, i) => ({ name: `A${i + 1}`, label: `A${i + 1}`, kind: 'analog', channel: i + 1, sensor, resolution: slotResolution(i + 1), ...(SENSOR_UNITS[sensor] ? { unit: SENSOR_UNITS[sensor] } : {}) })),
    ],
    t0: Date.now(),
    segmentStart: 0,
  };
  hub.publishMeta(meta);
  const batchAt = (index) => {
    const a = Array.from({ length: CHANNELS }, () => new Uint16Array(BATCH));
    for (let i = 0; i < BATCH; i++) {
      const k = index + i;
      a[0][i] = k & 1023;
      a[1][i] = (k >>> 10) & 1023;
      a[2][i] = (k >>> 20) & 1023;
      a[3][i] = (k * 37) & 1023;
      a[4][i] = (k * 5) & 63;
      a[5][i] = (k * 3) & 63;
    }
    return { device: '0', index, time: meta.t0 + index, rate: RATE, count: BATCH, seq: Uint8Array.from({ length: BATCH }, (_, i) => (index + i) & 15), digital: new Uint8Array(BATCH), analog: a, channels: [1, 2, 3, 4, 5, 6] };
  };
  let output;
  let record;
  let next = 0;
  const start = nowMs();
  const tick = () => {
    const due = Math.floor(((nowMs() - start) / 1000) * RATE);
    while (next + BATCH <= due) {
      const b = batchAt(next);
      const t = nowMs();
      hub.publishBatch(b);
      record?.push([next + BATCH - 1, t]);
      next += BATCH;
    }
    setTimeout(tick, 2);
  };
  tick();
  createInterface({ input: process.stdin })
    .on('line', async (line) => {
      const cmd = JSON.parse(line);
      if (cmd.cmd === 'cpu') {
        const u = process.cpuUsage();
        send({ type: 'cpu', us: u.user + u.system, t: nowMs() });
      } else if (cmd.cmd === 'lsl') {
        if (cmd.on) {
          output = new LslOutput(hub, { enabled: true });
          await output.start();
          await output.settled(10_000);
        } else await output?.close();
        send({ type: 'lsl' });
      } else if (cmd.cmd === 'record') {
        send({ type: 'record', batches: record ?? [] });
        record = cmd.on ? [] : undefined;
      }
    })
    .on('close', async () => {
      await output?.close();
      process.exit(0);
    });
  send({ type: 'ready' });
}

// ---------------------------------------------------------------------------------------------
// The inlet: real liblsl, blocking pulls (this process does nothing else), arrival of every
// batch's newest sample.

async function inlet(seconds) {
  const koffi = (await import('koffi')).default;
  const lib = koffi.load(process.env.LIBLSL);
  const resolve = lib.func('int lsl_resolve_byprop(void *buffer, uint32_t n, const char *prop, const char *value, int minimum, double timeout)');
  const createInlet = lib.func('void *lsl_create_inlet(void *info, int max_buflen, int max_chunklen, int recover)');
  const openStream = lib.func('void lsl_open_stream(void *inlet, double timeout, _Out_ int *ec)');
  const pull = lib.func('double lsl_pull_sample_f(void *inlet, _Out_ float *buffer, int buffer_elements, double timeout, _Out_ int *ec)');
  const version = lib.func('int lsl_library_version()')();
  const buf = Buffer.alloc(8 * koffi.sizeof('void *'));
  const n = resolve(buf, 8, 'name', NAME, 1, 30);
  if (n < 1) throw new Error(`liblsl did not find the stream "${NAME}"`);
  const handle = createInlet(koffi.decode(buf, 0, 'void *'), 360, 0, 1);
  const ec = [0];
  openStream(handle, 30, ec);
  if (ec[0] !== 0) throw new Error(`lsl_open_stream: error ${ec[0]}`);
  const values = new Float32Array(CHANNELS);
  // The first sample proves the feed runs; measure from then.
  for (const give = nowMs() + 30_000; pull(handle, values, CHANNELS, 1, ec) === 0; ) {
    if (ec[0] !== 0) throw new Error(`lsl_pull_sample_f: error ${ec[0]}`);
    if (nowMs() > give) throw new Error('no sample from the stream in 30 s');
  }
  send({ type: 'ready' });
  const arrivals = [];
  let samples = 0;
  let missing = 0;
  let last = -1;
  const cpu0 = process.cpuUsage();
  const t0 = nowMs();
  const end = t0 + seconds * 1000;
  while (nowMs() < end) {
    const ts = pull(handle, values, CHANNELS, 0.5, ec);
    if (ts === 0) continue;
    const t = nowMs();
    const k = values[0] + values[1] * 1024 + values[2] * 1048576;
    if (last >= 0 && k !== last + 1) missing++;
    last = k;
    samples++;
    if (k % BATCH === BATCH - 1) arrivals.push([k, t]);
  }
  const u = process.cpuUsage(cpu0);
  send({ type: 'done', version, arrivals, samples, missing, cpuPct: ((u.user + u.system) / 1000 / (nowMs() - t0)) * 100 });
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------

if (process.argv[1] === HERE) {
  const roleArg = process.argv.find((a) => a.startsWith('--role='))?.slice(7);
  if (roleArg === 'host') await host();
  else if (roleArg === 'inlet') await inlet(Number(process.argv[3]));
  else {
    const r = await runLslBench();
    if (r.skipped) process.stderr.write(`bench/lsl.mjs: ${r.skipped}\n`);
    process.stdout.write(JSON.stringify({ lsl: r }) + '\n');
    process.exit(0);
  }
}
