/**
 * MQTT benchmark (docs/mqtt.md "Performance"): past one machine, measured on one.
 *
 *   node bench/mqtt.mjs [--seconds 15]      prints one JSON line (needs `npm run build`, mosquitto)
 *   import { benchMqtt } from './mqtt.mjs'  the same, as an async function returning the object
 *
 * Everything is real and on 127.0.0.1: Debian's mosquitto with a config of its own, the
 * `serverbit` CLI streaming its simulator (1000 Hz × 6 channels) with `--mqtt`, relays
 * (`serverbit --relay`), and clients in other processes (this file run with `--worker`).
 *
 * Figures:
 * - fanout: one device → broker → 1000 MQTT subscribers (MQTT.js, 4 processes × 250), each
 *   checking that it got every sample from the first one published once all were subscribed to
 *   the newest one published when the window of `seconds` ends (waiting for late ones: `drainMs`
 *   is how long the slowest took), none repeated. `lateStarts`: clients whose first sample came
 *   after that start (they lost the beginning silently); `missing`: samples skipped silently.
 *   Passes when all 1000 are complete.
 * - relays: two relays × 500 /v2 WebSocket clients each (2 processes × 250 per relay), each client
 *   checking the same; `announced`: samples a relay announced lost (gap messages) — not silent,
 *   but not "every sample" either. Passes when all 1000 are complete.
 * - publisherCpu: the service's CPU (utime + stime from /proc, % of one core) with and without
 *   `--mqtt` (no subscriber, no WebSocket client): the difference is what publishing costs.
 * - brokerLatency: per sample, arrival over MQTT − arrival over /v2 of the same sample at the
 *   same moment, in one process (one clock), both with one sample per message (mqtt batch_ms 1,
 *   /v2 batch=1): what the broker hop adds. p50 / p99 in ms.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import mqtt from 'mqtt';
import WebSocket from 'ws';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist/main/cli.js');
const SELF = fileURLToPath(import.meta.url);
const TOKEN = 'bench-mqtt-token-0123456789';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const round = (x, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);
const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function ticks() {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(r.stdout.trim()) || 100;
}
const CLK = ticks();
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK;
}
async function cpuOver(pids, ms) {
  const t0 = now();
  const c0 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuSeconds(p)]));
  await sleep(ms);
  const dt = (now() - t0) / 1000;
  return Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, round(((cpuSeconds(p) - c0[k]) / dt) * 100, 1)]));
}

// --- processes --------------------------------------------------------------------------------

const procs = new Set();
function track(child) {
  procs.add(child);
  child.once('exit', () => procs.delete(child));
  return child;
}
async function stopAll() {
  for (const c of procs) if (c.exitCode === null) c.kill('SIGKILL');
  await sleep(100);
}

async function startBroker(dir) {
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  const lines = [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_queued_messages 100000', 'set_tcp_nodelay true'];
  if (process.getuid?.() === 0) lines.push('user root');
  writeFileSync(conf, lines.join('\n') + '\n');
  const child = track(spawn('mosquitto', ['-c', conf], { stdio: 'ignore' }));
  for (let i = 0; i < 200; i++) {
    if (await new Promise((r) => { const s = createServer(); s.once('error', () => r(true)); s.listen(port, '127.0.0.1', () => s.close(() => r(false))); })) break;
    await sleep(25);
  }
  return { port, url: `mqtt://127.0.0.1:${port}`, pid: child.pid };
}

async function startCli(dir, name, args, config = {}) {
  const port = await freePort();
  const configPath = path.join(dir, `${name}.json`);
  writeFileSync(configPath, JSON.stringify({ device: 'simulator', port, token: TOKEN, ...config }), { mode: 0o600 });
  const child = track(spawn(process.execPath, [CLI, '--config', configPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  await new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`${name}: no LISTENING in 20 s: ${err}`)), 20_000);
    child.stdout.on('data', (d) => {
      buf += d;
      if (/LISTENING/.test(buf)) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  return { port, pid: child.pid, child, stderr: () => err };
}

/** A worker process of this file: N clients; resolves once they are all connected. */
async function startWorker(kind, url, n) {
  const child = track(spawn(process.execPath, [SELF, '--worker', kind, '--url', url, '--n', String(n)], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const lines = createInterface({ input: child.stdout });
  const results = [];
  let ready;
  const readyP = new Promise((r) => (ready = r));
  lines.on('line', (l) => {
    try {
      const m = JSON.parse(l);
      if (m.type === 'ready') ready();
      else if (m.type === 'result') results.push(m);
    } catch {
      /* not ours */
    }
  });
  await readyP;
  return {
    pid: child.pid,
    /** Ends the run: every client must have samples first..last; the worker reports once they all do (or after 60 s). */
    async stop(first, last) {
      child.stdin.write(`stop ${first} ${last}\n`);
      for (let i = 0; i < 2600 && results.length === 0; i++) await sleep(25);
      return results[0];
    },
  };
}

// --- worker: N clients checking every sample ----------------------------------------------------

/** index and count of a /v2 data message, read without parsing all of it (it starts with them). */
function head(text) {
  const i = text.indexOf('"index":');
  if (i < 0 || !text.startsWith('{"type":"data"')) return undefined;
  const j = text.indexOf('"count":', i);
  return { index: Number(text.slice(i + 8, text.indexOf(',', i))), count: Number(text.slice(j + 8, text.indexOf(',', j))) };
}

function checker() {
  return { first: undefined, next: undefined, samples: 0, missing: 0, repeated: 0, announced: 0, messages: 0 };
}
/** A /v2 gap message: the samples are announced lost (not silently missing). */
function gapOf(text) {
  if (!text.startsWith('{"type":"gap"')) return undefined;
  const g = JSON.parse(text);
  return { from: g.from, to: g.to };
}
function check(c, h) {
  c.messages++;
  if (c.first === undefined) c.first = h.index;
  else if (h.index > c.next) c.missing += h.index - c.next;
  else if (h.index < c.next) c.repeated += c.next - h.index;
  c.samples += h.count;
  c.next = h.index + h.count;
}

async function worker(kind, url, n) {
  const checks = [];
  const clients = [];
  let open = 0;
  for (let i = 0; i < n; i++) {
    const c = checker();
    checks.push(c);
    if (kind === 'mqtt') {
      const client = mqtt.connect(url, { clientId: `bench-${process.pid}-${i}`, reconnectPeriod: 0, keepalive: 60 });
      client.on('connect', () => client.subscribe(new URL(url).searchParams.get('topic') ?? '#', { qos: 0 }, () => open++));
      client.on('message', (_t, payload) => {
        const h = head(payload.toString('latin1'));
        if (h) check(c, h);
      });
      clients.push(() => client.end(true));
    } else {
      const ws = new WebSocket(url);
      ws.on('open', () => open++);
      ws.on('message', (d) => {
        const text = String(d);
        const h = head(text);
        if (h) return check(c, h);
        const g = gapOf(text);
        if (g && c.next !== undefined && g.to > c.next) {
          c.announced += g.to - Math.max(g.from, c.next);
          c.next = g.to;
        }
      });
      clients.push(() => ws.terminate());
    }
    if (i % 50 === 49) await sleep(20); // do not storm the listener
  }
  while (open < n) await sleep(20);
  process.stdout.write(JSON.stringify({ type: 'ready' }) + '\n');
  createInterface({ input: process.stdin }).on('line', async (l) => {
    const m = /^stop (\d+) (\d+)$/.exec(l.trim());
    if (!m) return;
    // Every client must get every sample from `first` (published when all were subscribed) to `last`, however late: lag is not loss.
    const first = Number(m[1]);
    const last = Number(m[2]);
    const t0 = now();
    while (checks.some((c) => (c.next ?? 0) <= last) && now() - t0 < 60_000) await sleep(20);
    const drainMs = Math.round(now() - t0);
    for (const end of clients) end();
    const complete = checks.filter((c) => c.first !== undefined && c.first <= first && c.missing === 0 && c.repeated === 0 && c.announced === 0 && c.next > last).length;
    const lateStarts = checks.filter((c) => c.first === undefined || c.first > first).length;
    const sum = (k) => checks.reduce((s, c) => s + c[k], 0);
    process.stdout.write(JSON.stringify({ type: 'result', clients: n, complete, samplesEach: last - first + 1, lateStarts, missing: sum('missing'), announced: sum('announced'), repeated: sum('repeated'), drainMs }) + '\n');
    setTimeout(() => process.exit(0), 50);
  });
}

// --- the figures ------------------------------------------------------------------------------

function merge(results) {
  return results.reduce(
    (a, r) => ({
      clients: a.clients + r.clients,
      complete: a.complete + r.complete,
      samplesEach: r.samplesEach,
      lateStarts: a.lateStarts + r.lateStarts,
      missing: a.missing + r.missing,
      announced: a.announced + r.announced,
      repeated: a.repeated + r.repeated,
      drainMs: Math.max(a.drainMs, r.drainMs),
    }),
    { clients: 0, complete: 0, samplesEach: 0, lateStarts: 0, missing: 0, announced: 0, repeated: 0, drainMs: 0 },
  );
}

/** The newest sample index published, as a subscriber of the broker sees it. */
async function latestIndex(url, topic) {
  const c = mqtt.connect(url, { reconnectPeriod: 0 });
  let last = -1;
  await new Promise((r) => c.on('connect', r));
  c.on('message', (_t, p) => {
    const h = head(p.toString('latin1'));
    if (h) last = Math.max(last, h.index + h.count - 1);
  });
  await new Promise((r) => c.subscribe(topic, { qos: 0 }, r));
  return { get: () => last, end: () => c.end(true) };
}

async function brokerLatency(dir, broker, seconds) {
  const svc = await startCli(dir, 'latency', [], { mqtt: { enabled: true, url: broker.url, prefix: 'bench/latency', batch_ms: 1 } });
  const atMqtt = new Map();
  const atV2 = new Map();
  const sub = mqtt.connect(broker.url, { reconnectPeriod: 0 });
  await new Promise((r) => sub.on('connect', r));
  await new Promise((r) => sub.subscribe('bench/latency/0/data', { qos: 0 }, r));
  sub.on('message', (_t, p) => {
    const t = now();
    const h = head(p.toString('latin1'));
    if (h) atMqtt.set(h.index + h.count - 1, t);
  });
  const ws = new WebSocket(`ws://127.0.0.1:${svc.port}/v2?batch=1&format=raw`);
  ws.on('open', () => ws._socket?.setNoDelay?.(true));
  ws.on('message', (d) => {
    const t = now();
    const h = head(String(d));
    if (h) atV2.set(h.index + h.count - 1, t);
  });
  await new Promise((r) => ws.on('open', r));
  await sleep(1000);
  atMqtt.clear();
  atV2.clear();
  await sleep(seconds * 1000);
  ws.terminate();
  sub.end(true);
  svc.child.kill('SIGTERM');
  const added = [];
  for (const [i, t] of atMqtt) if (atV2.has(i)) added.push(t - atV2.get(i));
  added.sort((a, b) => a - b);
  return { samples: added.length, p50Ms: round(pct(added, 50)), p99Ms: round(pct(added, 99)), maxMs: round(added.at(-1)) };
}

/** Runs every figure; returns one object (also what the CLI prints as a JSON line). */
export async function benchMqtt(options = {}) {
  const seconds = options.seconds ?? 15;
  const dir = mkdtempSync(path.join(tmpdir(), 'serverbit-bench-mqtt-'));
  const started = Date.now();
  const loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  try {
    const broker = await startBroker(dir);

    // The publisher's added CPU: the same service without and with --mqtt, nobody connected.
    const plain = await startCli(dir, 'plain', []);
    await sleep(2000);
    const cpuPlain = (await cpuOver({ s: plain.pid }, seconds * 1000)).s;
    plain.child.kill('SIGTERM');
    const svc = await startCli(dir, 'publisher', ['--mqtt', broker.url, '--prefix', 'bench/pub']);
    await sleep(2000);
    const cpuMqtt = (await cpuOver({ s: svc.pid }, seconds * 1000)).s;

    // One device → broker → 1000 subscribers in 4 processes.
    const topic = encodeURIComponent('bench/pub/0/data');
    const ref = await latestIndex(broker.url, 'bench/pub/0/data');
    const subs = [];
    for (let i = 0; i < 4; i++) subs.push(await startWorker('mqtt', `${broker.url}?topic=${topic}`, 250));
    await sleep(1000);
    const fanFirst = ref.get() + 1;
    const fanCpu = await cpuOver({ service: svc.pid, broker: broker.pid }, seconds * 1000);
    const fanLast = ref.get();
    const fan = merge(await Promise.all(subs.map((w) => w.stop(fanFirst, fanLast))));

    // Two relays × 500 /v2 clients.
    const relays = [await startCli(dir, 'relay1', ['--relay', broker.url, '--prefix', 'bench/pub']), await startCli(dir, 'relay2', ['--relay', broker.url, '--prefix', 'bench/pub'])];
    await sleep(2000);
    const workers = [];
    for (const r of relays) for (let i = 0; i < 2; i++) workers.push(await startWorker('v2', `ws://127.0.0.1:${r.port}/v2`, 250));
    await sleep(1000);
    const relFirst = ref.get() + 1;
    const relayCpu = await cpuOver({ relay1: relays[0].pid, relay2: relays[1].pid, broker: broker.pid }, seconds * 1000);
    const relLast = ref.get();
    const relParts = await Promise.all(workers.map((w) => w.stop(relFirst, relLast)));
    const rel = { ...merge(relParts), perRelay: [merge(relParts.slice(0, 2)).complete, merge(relParts.slice(2)).complete] };
    ref.end();
    for (const r of relays) r.child.kill('SIGTERM');
    svc.child.kill('SIGTERM');
    await sleep(500);

    const latency = await brokerLatency(dir, broker, seconds);
    const minExpected = Math.floor(seconds * 1000 * 0.9);
    return {
      type: 'mqtt',
      seconds,
      loadAverageAtStart: loadAtStart,
      fanout: { ...fan, pass: fan.complete === fan.clients && fan.samplesEach >= minExpected, cpu: fanCpu },
      relays: { ...rel, pass: rel.complete === rel.clients && rel.samplesEach >= minExpected, cpu: relayCpu },
      publisherCpu: { withoutMqtt: cpuPlain, withMqtt: cpuMqtt, added: round(cpuMqtt - cpuPlain, 1) },
      brokerLatency: latency,
      wallSeconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (opt('--worker')) await worker(opt('--worker'), opt('--url'), Number(opt('--n')));
  else {
    const r = await benchMqtt({ seconds: Number(opt('--seconds') ?? 15) });
    process.stdout.write(JSON.stringify(r) + '\n');
    process.exit(0);
  }
}
