/**
 * Shared pieces of the benchmark rig (bench/run.mjs and the processes it spawns): one clock for
 * every process, the deterministic emulator inputs that carry each sample's index, child-process
 * bookkeeping (every process we spawn is killed when the orchestrator ends, however it ends),
 * pty pairs, /proc readings and statistics.
 */
import { createInterface } from 'node:readline';
import { spawn, execFileSync } from 'node:child_process';
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

// ---------------------------------------------------------------------------------------------
// Time

/**
 * Milliseconds on CLOCK_MONOTONIC, which every process on this machine shares. Used instead of
 * `performance.timeOrigin + performance.now()`: timeOrigin is read from the wall clock once per
 * process, and two processes started a moment apart disagreed by up to 1.6 ms here — more than
 * the latency being measured.
 */
export const now = () => Number(process.hrtime.bigint()) / 1e6;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A rig process reports to the orchestrator as JSON lines on stdout. */
export const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

/** …and takes its commands as JSON lines on stdin (lines that are not JSON are ignored). */
export function onCommand(handler) {
  createInterface({ input: process.stdin }).on('line', (line) => {
    let cmd;
    try {
      cmd = JSON.parse(line);
    } catch {
      return;
    }
    handler(cmd);
  });
}

/** The device end's commands: `mark` (frames written so far, and when) and `dump` (the write log to a file). */
export function answerDeviceCommands(written, log) {
  onCommand((cmd) => {
    if (cmd.cmd === 'mark') out({ type: 'mark', tick: written(), t: now() });
    else if (cmd.cmd === 'dump') {
      writeFileSync(cmd.file, JSON.stringify(log));
      out({ type: 'dumped', writes: log.length / 4 });
    }
  });
}

/**
 * The emulator's frame-per-write clock (emulator-proc.mjs and inproc-host.mjs `--writes frame`):
 * frame k is due at t0 + (k + 1) / rate (the first frame one period after the start command, as
 * in the emulator's own scheduler), and every due frame is emitted alone (`tick(1)`), so each
 * becomes one write. A 1 ms timer is the finest Node offers; when it fires late, the frames due
 * meanwhile still go out one write each.
 */
export function framePerWrite(emu) {
  let timer;
  return {
    start(t0, rate) {
      clearTimeout(timer);
      let emitted = 0;
      const step = () => {
        if (emu.state === 'idle') return;
        const due = Math.floor(((now() - t0) * rate) / 1000);
        for (; emitted < due && emu.state !== 'idle'; emitted++) emu.tick(1);
        timer = setTimeout(step, Math.max(1, Math.floor(t0 + ((emitted + 1) * 1000) / rate - now())));
      };
      timer = setTimeout(step, Math.max(1, Math.floor(1000 / rate)));
    },
    stop() {
      clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Deterministic inputs: every frame carries its own sample index, so any client — compat or
// /v2 — can tell which sample it holds, whether one is missing or repeated, and when it was
// written. A1..A3 hold the index (30 bits), A4..A6 check values derived from it.

const CHECK4 = (k) => (k * 37 + 11) & 1023;
const CHECK5 = (k) => (k * 5 + 1) & 63;
const CHECK6 = (k) => ((k >>> 4) * 3 + 7) & 63;

/** The emulator's live input for channel 1..6 at sample k (10-bit; A5/A6 slots keep the top 6 bits). */
export function benchInput(channel, k) {
  switch (channel) {
    case 1:
      return k & 1023;
    case 2:
      return (k >>> 10) & 1023;
    case 3:
      return (k >>> 20) & 1023;
    case 4:
      return CHECK4(k);
    case 5:
      return CHECK5(k) << 4;
    default:
      return CHECK6(k) << 4;
  }
}

/** The sample index carried by A1..A3. */
export const indexOf = (a1, a2, a3) => a1 | (a2 << 10) | (a3 << 20);

/** True when the other columns agree with the index (nSeq, A4..A6 when present). */
export function checkSample(k, seq, a4, a5, a6) {
  if (seq !== undefined && seq !== (k & 15)) return false;
  if (a4 !== undefined && a4 !== CHECK4(k)) return false;
  if (a5 !== undefined && a5 !== CHECK5(k)) return false;
  if (a6 !== undefined && a6 !== CHECK6(k)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Child processes

const live = new Set();

/**
 * A spawned process speaking JSON lines on stdout (non-JSON lines are kept as text). Every one
 * is tracked and killed by killAll() / on exit.
 */
export class Proc {
  constructor(name, cmd, args, options = {}) {
    this.name = name;
    this.messages = [];
    this.text = [];
    this.stderr = '';
    this.waiters = [];
    this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    this.pid = this.child.pid;
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        live.delete(this);
        this.exitCode = code;
        this.exitSignal = signal;
        for (const w of this.waiters.splice(0)) w.reject(new Error(`${this.name} exited (${signal ?? code}) while waiting; stderr: ${this.stderr.slice(-2000)}`));
        resolve();
      });
      this.child.once('error', (err) => {
        live.delete(this);
        this.spawnError = err;
        for (const w of this.waiters.splice(0)) w.reject(err);
        resolve();
      });
    });
    this.child.stdin.on('error', () => undefined);
    this.child.stderr.setEncoding('utf8').on('data', (s) => {
      this.stderr = (this.stderr + s).slice(-20_000);
    });
    let buf = '';
    this.child.stdout.setEncoding('utf8').on('data', (s) => {
      buf += s;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.onLine(line);
      }
    });
  }

  get running() {
    return this.exitCode === undefined && this.exitSignal === undefined && !this.spawnError;
  }

  onLine(line) {
    let msg;
    try {
      msg = line.startsWith('{') ? JSON.parse(line) : undefined;
    } catch {
      msg = undefined;
    }
    if (msg === undefined) {
      this.text.push(line);
      msg = { type: 'text', line };
    } else this.messages.push(msg);
    for (const w of [...this.waiters]) {
      if (w.match(msg)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(msg);
      }
    }
  }

  /** Resolves with the first message (already received or future) that matches. */
  waitFor(match, timeoutMs = 10_000, what = 'a message') {
    const pred = typeof match === 'string' ? (m) => m.type === match : match;
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen);
    if (!this.running) return Promise.reject(new Error(`${this.name} is not running (waiting for ${what}); stderr: ${this.stderr.slice(-2000)}`));
    return new Promise((resolve, reject) => {
      const w = {
        match: pred,
        resolve: (m) => {
          clearTimeout(t);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Sends one JSON command line on stdin. */
  send(obj) {
    if (this.running) this.child.stdin.write(JSON.stringify(obj) + '\n');
  }

  /** Signals the process and waits for it to exit, escalating to SIGKILL. Idempotent. */
  async stop(signal = 'SIGTERM', graceMs = 3000) {
    if (!this.running) return this.exited;
    this.child.kill(signal);
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

/** Temp dirs to remove when the orchestrator ends (rig and pty dirs), even when interrupted. */
const tempDirs = new Set();
export function trackTempDir(dir) {
  tempDirs.add(dir);
  return () => tempDirs.delete(dir);
}

/** Stops every process still running (SIGTERM, then SIGKILL) and removes tracked temp dirs. */
export async function killAll() {
  await Promise.all([...live].map((p) => p.stop('SIGTERM', 2000)));
  await Promise.all([...tempDirs].map((d) => rm(d, { recursive: true, force: true })));
  tempDirs.clear();
}

process.once('exit', () => {
  for (const p of live) {
    try {
      p.child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Rig pieces

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A socat pty pair (`socat pty,raw,echo=0,link=… pty,raw,echo=0,link=…`): `a` for the service, `b` for the emulator. */
export async function ptyPair() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'serverbit-bench-pty-'));
  const untrack = trackTempDir(dir);
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  const socat = new Proc('socat', 'socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`]);
  const exists = (p) => lstat(p).then(() => true, () => false);
  const deadline = Date.now() + 5000;
  while (!((await exists(a)) && (await exists(b)))) {
    if (!socat.running || Date.now() > deadline) {
      await socat.stop('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      untrack();
      throw new Error(`socat did not create the pty pair: ${socat.stderr}`);
    }
    await sleep(10);
  }
  return {
    a,
    b,
    socat,
    async close() {
      await socat.stop('SIGTERM', 1000);
      await rm(dir, { recursive: true, force: true });
      untrack();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// /proc

let clkTck;
function ticksPerSecond() {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces), 1-based from field 3.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / ticksPerSecond();
}

/** Resident set size in MB (VmRSS). */
export function rssMB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Nanoseconds a process's threads have run, and waited runnable for a CPU (/proc/<pid>/schedstat). */
function schedstat(pid) {
  const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').map(Number);
  return { run, wait };
}

/** Jiffies of the whole machine: busy (all but idle and iowait), steal, total. */
function machineTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], steal: f[7] ?? 0, total };
}

/**
 * Measures several processes over `ms`. Returns, per name, CPU as % of one core; and, to tell a
 * quiet machine from a busy one, how long each process waited runnable for a CPU (% of the
 * window, main thread and workers summed) and how busy the whole machine was (% of all cores).
 */
export async function usageOver(pids, ms) {
  const t0 = now();
  const entries = Object.entries(pids);
  const cpu0 = entries.map(([, pid]) => cpuSeconds(pid));
  const sch0 = entries.map(([, pid]) => schedstat(pid));
  const m0 = machineTicks();
  await sleep(ms);
  const dt = now() - t0;
  const m1 = machineTicks();
  const cpu = {};
  const runqWait = {};
  entries.forEach(([k, pid], i) => {
    cpu[k] = round(((cpuSeconds(pid) - cpu0[i]) / (dt / 1000)) * 100, 2);
    runqWait[k] = round(((schedstat(pid).wait - sch0[i].wait) / 1e6 / dt) * 100, 1);
  });
  const dTotal = m1.total - m0.total || 1;
  return { cpu, runqWait, machineBusyPct: round(((m1.busy - m0.busy) / dTotal) * 100, 1), machineStealPct: round(((m1.steal - m0.steal) / dTotal) * 100, 1), seconds: round(dt / 1000, 1) };
}

/** CPU of several processes over `ms`, % of one core per name. */
export async function cpuOver(pids, ms) {
  return (await usageOver(pids, ms)).cpu;
}

/** What the table quotes as "the machine". */
export function machineInfo() {
  let model = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1].trim();
  } catch {
    /* not Linux */
  }
  let distro = `${os.type()} ${os.release()}`;
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) distro = `${m[1]} (${os.release()})`;
  } catch {
    /* ignore */
  }
  return {
    cpu: model,
    cores: os.availableParallelism?.() ?? os.cpus().length,
    ramGB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: distro,
    node: process.version,
    date: new Date().toISOString(),
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

// ---------------------------------------------------------------------------------------------
// Statistics

/** The p-th percentile (0..100) of an array of numbers (sorted in place). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(values) {
  const s = Float64Array.from(values).sort();
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { n: s.length, min: s[0], p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), p999: percentile(s, 99.9), max: s[s.length - 1], mean };
}

/** Least-squares slope of y over x. */
export function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export const round = (x, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);
