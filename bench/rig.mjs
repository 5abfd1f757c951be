/**
 * The rig: emulator (own process) ⇄ socat pty pair ⇄ the real `serverbit` CLI (own process) ⇄
 * WebSocket clients (own processes), all on 127.0.0.1.
 *
 *   const rig = await startRig({ batchMs: 40 });
 *   const clients = await rig.clients(100);
 *   …
 *   await rig.close();
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { Proc, freePort, ptyPair, rssMB, sleep, trackTempDir } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
let positionSeq = 0;
const root = path.resolve(here, '..');
const CLI = path.join(root, 'dist/main/cli.js');
/**
 * The Node flags the README's command starts the service with (package.json's `serve` script:
 * `node <flags> scripts/check-built.mjs --run dist/main/cli.js`), so the figures are those of the
 * service as users run it (docs/performance.md "Memory").
 */
export const SERVE_NODE_FLAGS = (() => {
  const serve = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).scripts.serve;
  const m = /^node((?: --[\w-]+(?:=\S+)?)*) /.exec(serve);
  if (!m) throw new Error(`package.json "serve" is not "node [--flags] …": ${serve}`);
  return m[1].trim().split(' ').filter(Boolean);
})();

/**
 * How the service is told its devices. The CLI takes one `--device` today; when it takes the flag
 * repeated (many devices), this is the one line to change:
 *   (ptys) => ptys.flatMap((p) => ['--device', p.a])
 */
const serviceDeviceArgs = (ptys) => ptys.flatMap((p) => ['--device', p.a]);

/**
 * @param {{ batchMs?: number, channels?: number[], rate?: number, record?: boolean, nodeArgs?: string[], inProcess?: boolean, env?: Record<string, string>, inspect?: boolean, writes?: 'frame' | 'chunked', devices?: number }} o
 *   writes: how the emulator writes its frames (emulator-proc.mjs): 'frame' (default), one frame
 *     per write, 1000 writes/s at 1000 Hz; 'chunked', every 4 ms what is due.
 *   devices: emulators to start, each on its own pty pair (default 1); see serviceDeviceArgs.
 *   inProcess: the emulator runs inside the service process (inproc-host.mjs) instead of on a pty.
 *   env: extra environment for the service (e.g. DEBUG=serverbit:ws).
 *   inspect: start the service with the inspector on 127.0.0.1 (for rig.heapAfterGc()).
 */
export async function startRig(o = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'serverbit-bench-'));
  const untrack = trackTempDir(dir);
  const parts = [];
  let closed;
  const close = () => (closed ??= (async () => {
    for (const p of parts.reverse()) await p.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    untrack();
  })());
  const writes = o.writes ?? 'frame';
  const nDevices = o.devices ?? 1;
  try {
    const ptys = [];
    const emulators = [];
    let service;
    let config;
    const port = await freePort();
    if (o.inProcess) {
      // One process: the service with the emulator behind an in-memory link (inproc-host.mjs).
      config = { device: 'bench-emulator (in process)', batch_ms: o.batchMs ?? 40 };
      service = new Proc('service+emulator', process.execPath, [...SERVE_NODE_FLAGS, ...(o.nodeArgs ?? []), path.join(here, 'inproc-host.mjs'), '--port', String(port), '--batch-ms', String(config.batch_ms), '--writes', writes, ...(o.record ? ['--record'] : [])]);
      emulators.push(service);
      parts.push({ close: () => service.stop('SIGTERM', 5000) });
    } else {
      for (let i = 0; i < nDevices; i++) {
        const pty = await ptyPair();
        parts.push(pty);
        ptys.push(pty);
        const emuArgs = [path.join(here, 'emulator-proc.mjs'), '--device', pty.b, '--writes', writes, ...(o.record ? ['--record'] : [])];
        const emulator = new Proc(nDevices > 1 ? `emulator${i}` : 'emulator', process.execPath, emuArgs);
        parts.push({ close: () => emulator.stop() });
        emulators.push(emulator);
      }
      await Promise.all(emulators.map((e) => e.waitFor('ready', 10_000, 'emulator ready')));

      const configPath = path.join(dir, 'config.json');
      config = {
        device: ptys[0].a,
        channels: o.channels ?? [1, 2, 3, 4, 5, 6],
        sampling_rate: o.rate ?? 1000,
        port,
        labels: ['nSeq', 'I1', 'I2', 'O1', 'O2', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6'],
        host: '127.0.0.1',
        batch_ms: o.batchMs ?? 40,
        token: 'bench-token-0123456789abcdef0123456789',
      };
      await writeFile(configPath, JSON.stringify(config, null, 2));
      const inspect = o.inspect ? ['--inspect=127.0.0.1:0'] : [];
      service = new Proc('service', process.execPath, [...inspect, ...SERVE_NODE_FLAGS, ...(o.nodeArgs ?? []), CLI, '--config', configPath, '--port', String(port), ...serviceDeviceArgs(ptys)], { cwd: dir, env: { ...process.env, ...o.env } });
      parts.push({ close: () => service.stop('SIGTERM', 5000) });
    }
    const emulator = emulators[0];
    const pty = ptys[0];
    await service.waitFor((m) => m.type === 'text' && m.line.startsWith('ServerBIT LISTENING'), 20_000, 'LISTENING line');
    // Every device starts acquiring (ids "0", "1", … by position: one --device each).
    const starts = await Promise.all(emulators.map((e) => e.waitFor('start', 10_000, 'acquisition start')));
    const start = starts[0];
    const inspector = /Debugger listening on (ws:\/\/\S+)/.exec(service.stderr)?.[1];

    const url = `ws://127.0.0.1:${port}/`;
    const rig = {
      dir,
      port,
      url,
      httpUrl: `http://127.0.0.1:${port}/`,
      config,
      t0: start.t0,
      rate: start.rate,
      emulator,
      emulators,
      service,
      pty,
      ptys,
      /** The rig as every figure records it: how the device writes, batch, processes. */
      describe(clients = 0, clientProcesses = 0) {
        const samples = Math.max(1, Math.floor(((o.rate ?? 1000) * (o.batchMs ?? 40)) / 1000));
        return {
          writes,
          writesPerSecond: writes === 'frame' ? (o.rate ?? 1000) : Math.round((o.rate ?? 1000) / Math.max(1, Math.ceil((o.rate ?? 1000) * 0.004))),
          framesPerWrite: writes === 'frame' ? 1 : Math.max(1, Math.ceil((o.rate ?? 1000) * 0.004)),
          rate: o.rate ?? 1000,
          channels: (o.channels ?? [1, 2, 3, 4, 5, 6]).length,
          batchSamples: samples,
          devices: o.inProcess ? 1 : nDevices,
          clients,
          processes: { service: 1, emulators: o.inProcess ? 0 : emulators.length, socat: ptys.length, clientProcesses },
          link: o.inProcess ? 'in-memory (emulator in the service process)' : 'socat pty pair',
        };
      },
      /** Starts `n` clients in one process and waits until all are connected. */
      async clients(n, { endpoint = 'compat', record, device } = {}) {
        // One device's stream when `device` (its position) is given: /devices/<i>, or /v2?devices=<i>.
        const where = device === undefined ? { compat: url, v2: `${url}v2` } : { compat: `${url}devices/${device}`, v2: `${url}v2?devices=${device}` };
        const s0 = starts[device ?? 0];
        const args = [path.join(here, 'clients.mjs'), '--url', where[endpoint], '--n', String(n), '--endpoint', endpoint, '--t0', String(s0.t0), '--rate', String(s0.rate)];
        if (record) args.push('--record', record);
        const p = new Proc(`clients×${n}`, process.execPath, args);
        parts.push({ close: () => p.stop('SIGKILL') });
        const c = await p.waitFor('connected', 60_000, `${n} clients connected`);
        if (c.failed > 0) throw new Error(`${c.failed} of ${n} clients could not connect`);
        return p;
      },
      /** The index of the last frame the emulator has written, and when. */
      async mark() {
        const before = emulator.messages.length;
        emulator.send({ cmd: 'mark' });
        return emulator.waitFor((m) => m.type === 'mark' && emulator.messages.indexOf(m) >= before, 5000, 'mark');
      },
      /**
       * Stops client processes and returns their results, and how far behind the device the
       * slowest client was. That is read at one moment: the emulator's last written frame and
       * every process's lowest last index are asked for together (`mark` and `position`), before
       * the clients are given `settleMs` to drain and are stopped — so a client that lags shows
       * as behind (a reading taken after the wait would let it catch up first).
       */
      async stopClients(procs, settleMs = 500, device = 0) {
        const emulator = emulators[device];
        const id = ++positionSeq;
        const before = emulator.messages.length;
        emulator.send({ cmd: 'mark' });
        for (const p of procs) p.send({ cmd: 'position', id });
        const [mark, ...positions] = await Promise.all([
          emulator.waitFor((m) => m.type === 'mark' && emulator.messages.indexOf(m) >= before, 5000, 'mark'),
          ...procs.map((p) => p.waitFor((m) => m.type === 'position' && m.id === id, 5000, 'client positions')),
        ]);
        const reporting = positions.filter((x) => x.clients > 0);
        const lastAtMark = reporting.length ? Math.min(...reporting.map((x) => x.last)) : -1;
        await sleep(settleMs);
        for (const p of procs) p.send({ cmd: 'stop' });
        const results = await Promise.all(procs.map((p) => p.waitFor('result', 30_000, 'client results')));
        await Promise.all(procs.map((p) => p.stop('SIGKILL', 1000)));
        return { mark, lastAtMark, behindAtMark: mark.tick - lastAtMark, results };
      },
      /**
       * Forces a full garbage collection in the service (inspector: HeapProfiler.collectGarbage)
       * and returns its live JS heap and RSS afterwards, MB. Needs `inspect: true`.
       */
      async heapAfterGc() {
        if (!inspector) throw new Error('the service has no inspector (start the rig with inspect: true)');
        const ws = new WebSocket(inspector, { perMessageDeflate: false });
        await new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        let id = 0;
        const call = (method) =>
          new Promise((resolve, reject) => {
            const my = ++id;
            const t = setTimeout(() => reject(new Error(`inspector: no answer to ${method}`)), 10_000);
            ws.on('message', (d) => {
              const msg = JSON.parse(String(d));
              if (msg.id !== my) return;
              clearTimeout(t);
              if (msg.error) reject(new Error(`inspector: ${method}: ${msg.error.message}`));
              else resolve(msg.result);
            });
            ws.send(JSON.stringify({ id: my, method }));
          });
        try {
          await call('HeapProfiler.collectGarbage');
          await sleep(500);
          const heap = await call('Runtime.getHeapUsage');
          return { heapUsedMB: heap.usedSize / 2 ** 20, heapTotalMB: heap.totalSize / 2 ** 20, rssMB: rssMB(service.pid) };
        } finally {
          ws.terminate();
        }
      },
      close,
    };
    return rig;
  } catch (e) {
    await close();
    throw e;
  }
}

/** The clients' lag histogram bins (clients.mjs LAG_BIN_MS). */
export const LAG_BIN_MS = 0.5;

/** The p-th percentile of a sparse histogram [bin, count, …] of `n` values, ms (bin upper edge). */
export function histPercentile(hist, n, p) {
  const want = Math.ceil((p / 100) * n);
  let seen = 0;
  for (let i = 0; i < hist.length; i += 2) {
    seen += hist[i + 1];
    if (seen >= want) return (hist[i] + 1) * LAG_BIN_MS;
  }
  return NaN;
}

/** Merges the results of several client processes into one. */
export function mergeResults(results) {
  const sum = (k) => results.reduce((a, r) => a + r[k], 0);
  const lagBuckets = new Map();
  for (const r of results) {
    for (const b of r.lag) {
      const x = lagBuckets.get(b.t) ?? { t: b.t, sum: 0, n: 0, max: -Infinity, hist: new Map() };
      x.sum += b.mean * b.n;
      x.n += b.n;
      x.max = Math.max(x.max, b.max);
      for (let i = 0; i < b.hist.length; i += 2) x.hist.set(b.hist[i], (x.hist.get(b.hist[i]) ?? 0) + b.hist[i + 1]);
      lagBuckets.set(b.t, x);
    }
  }
  // Per second of the shared clock: mean, max and p99 of the lag over every client.
  const lag = [...lagBuckets.values()]
    .sort((a, b) => a.t - b.t)
    .map((b) => {
      const hist = [...b.hist].sort((p, q) => p[0] - q[0]).flat();
      return { t: b.t, mean: b.sum / b.n, max: b.max, p99: histPercentile(hist, b.n, 99), n: b.n };
    });
  return {
    n: sum('n'),
    ok: sum('ok'),
    notOk: sum('notOk'),
    failedToConnect: sum('failedToConnect'),
    samplesTotal: sum('samplesTotal'),
    samplesMin: Math.min(...results.map((r) => r.samplesMin)),
    samplesMax: Math.max(...results.map((r) => r.samplesMax)),
    messagesTotal: sum('messagesTotal'),
    gaps: sum('gaps'),
    missing: sum('missing'),
    repeats: sum('repeats'),
    bad: sum('bad'),
    closedEarly: sum('closedEarly'),
    firstMin: Math.min(...results.map((r) => r.firstMin)),
    lastMin: Math.min(...results.map((r) => r.lastMin)),
    lastMax: Math.max(...results.map((r) => r.lastMax)),
    lag,
    problems: results.flatMap((r) => r.problems).slice(0, 5),
  };
}
