/**
 * What the MQTT tests share: a real Debian mosquitto with a config file of the test's own
 * (`listener <free port> 127.0.0.1`, `persistence false` unless asked, anonymous or a password
 * file, TLS with an openssl self-signed certificate), started and stopped by the test; the
 * `serverbit` CLI as a child process with a config file in a temp dir; subscribers in other
 * processes (mosquitto_sub) and collectors for /v2 and compat WebSocket clients.
 *
 * Every resource returned has an idempotent stop/close; `cleanup()` in afterEach stops whatever a
 * test left running.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
export const CLI = path.join(ROOT, 'dist/main/cli.js');
export const TOKEN = 'mqtt-test-token-0123456789';

const toStop: (() => Promise<void>)[] = [];
/** Stops everything started since the last call (children SIGKILLed, temp dirs removed). */
export async function cleanup(): Promise<void> {
  for (const f of toStop.splice(0).reverse()) await f().catch(() => undefined);
}

export async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'serverbit-mqtt-'));
  toStop.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(fn: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface BrokerOptions {
  /** Lines added to the config (password_file, TLS…). */
  extra?: string[];
  /** Default true: anonymous clients allowed. */
  anonymous?: boolean;
  /** Keep sessions and retained messages across a restart (a persistence file in the broker's dir). Default false. */
  persistence?: boolean;
  /** TLS on this listener: paths of the certificate and key. */
  tls?: { cert: string; key: string };
}

export interface Broker {
  port: number;
  url: string;
  dir: string;
  log: () => string;
  /** Stops the broker (SIGTERM, then SIGKILL after 3 s); idempotent. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same config. */
  restart(): Promise<void>;
}

/** A real mosquitto on 127.0.0.1 and a free port, with a config of this test's own. */
export async function startBroker(o: BrokerOptions = {}): Promise<Broker> {
  const dir = await tempDir();
  const port = await freePort();
  const lines = [`listener ${port} 127.0.0.1`, `allow_anonymous ${o.anonymous === false ? 'false' : 'true'}`];
  // Run as root (CI), mosquitto would switch to the "mosquitto" user, which cannot read the test's private temp dirs.
  if (process.getuid?.() === 0) lines.push('user root');
  if (o.persistence) lines.push('persistence true', `persistence_location ${dir}/`, 'queue_qos0_messages true', 'max_queued_messages 1000000', 'max_inflight_messages 0');
  else lines.push('persistence false');
  if (o.tls) lines.push(`certfile ${o.tls.cert}`, `keyfile ${o.tls.key}`);
  lines.push(...(o.extra ?? []));
  const conf = path.join(dir, 'mosquitto.conf');
  await writeFile(conf, lines.join('\n') + '\n');
  let child: ChildProcess | undefined;
  let out = '';
  const start = async () => {
    const c = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout!.on('data', (d) => (out += String(d)));
    c.stderr!.on('data', (d) => (out += String(d)));
    const until = Date.now() + 10_000;
    while (!(await portOpen(port))) {
      if (c.exitCode !== null) throw new Error(`mosquitto exited with ${c.exitCode}: ${out}`);
      if (Date.now() > until) throw new Error(`mosquitto did not listen on ${port} in 10 s: ${out}`);
      await sleep(20);
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  };
  await start();
  toStop.push(stop);
  return { port, url: `${o.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`, dir, log: () => out, stop, restart: start };
}

/** A self-signed certificate for 127.0.0.1 (openssl), in `dir`. */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'broker.crt');
  const key = path.join(dir, 'broker.key');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { cert, key };
}

/** A mosquitto password file with one user. */
export function passwordFile(dir: string, user: string, password: string): string {
  const file = path.join(dir, 'passwd');
  const r = spawnSync('mosquitto_passwd', ['-b', '-c', file, user, password], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr}`);
  return file;
}

export interface Cli {
  child: ChildProcess;
  port: number;
  line: string;
  stderr: () => string;
  /** Resolves once stderr contains `text`. */
  waitStderr(text: string | RegExp, timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `node dist/main/cli.js` with a config file of its own (the simulator unless `config` says otherwise). */
export async function startCli(args: string[], config: Record<string, unknown> = {}): Promise<Cli> {
  const dir = await tempDir();
  const port = await freePort();
  const configPath = path.join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify({ device: 'simulator', port, token: TOKEN, ...config }), { mode: 0o600 });
  const child = spawn(process.execPath, [CLI, '--config', configPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEBUG: '' } });
  let err = '';
  let out = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), 8000);
    await exited;
    clearTimeout(t);
  };
  toStop.push(() => stop('SIGKILL'));
  const line = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no LISTENING line in 20 s; stderr: ${err}`)), 20_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /^ServerBIT LISTENING .*$/m.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[0]);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before LISTENING; stderr: ${err}`)));
  });
  return {
    child,
    port,
    line,
    stderr: () => err,
    waitStderr: (text, timeoutMs = 20_000) => waitFor(() => (typeof text === 'string' ? err.includes(text) : text.test(err)), timeoutMs, `stderr to show ${String(text)}; it has: ${err}`).then(() => undefined),
    stop,
  };
}

export interface Received {
  topic: string;
  payload: string;
}

export interface Subscriber {
  messages: Received[];
  /** JSON payloads on topics ending in `/<kind>`. */
  of(kind: string): Record<string, unknown>[];
  stop(): Promise<void>;
}

/**
 * mosquitto_sub in another process, one line per message: `<topic> <payload>` (-v); waits until
 * it is subscribed (its -d log says SUBACK).
 */
export async function mosquittoSub(port: number, topics: string[], extra: string[] = []): Promise<Subscriber> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-v', '-d', '-q', '1', ...topics.flatMap((t) => ['-t', t]), ...extra];
  // Line-buffered (coreutils stdbuf): piped, mosquitto_sub would hold its lines in a 4 KiB buffer.
  const child = spawn('stdbuf', ['-oL', 'mosquitto_sub', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const messages: Received[] = [];
  let buf = '';
  let log = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      // With -d, the debug lines go to stdout too.
      if (/^Client .* (sending|received) /.test(line) || /^Subscribed \(mid: \d+\)/.test(line)) {
        log += line + '\n';
        continue;
      }
      const sp = line.indexOf(' ');
      messages.push(sp === -1 ? { topic: line, payload: '' } : { topic: line.slice(0, sp), payload: line.slice(sp + 1) });
    }
  });
  child.stderr!.on('data', (d) => (log += String(d)));
  await waitFor(() => log.includes('SUBACK') || child.exitCode !== null, 10_000, 'mosquitto_sub to subscribe');
  if (child.exitCode !== null) throw new Error(`mosquitto_sub exited: ${log}`);
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  toStop.push(stop);
  return {
    messages,
    of: (kind) => messages.filter((m) => m.topic.endsWith(`/${kind}`) && m.payload !== '').map((m) => JSON.parse(m.payload) as Record<string, unknown>),
    stop,
  };
}

export interface WsCollector {
  messages: Record<string, unknown>[];
  ws: WebSocket;
  close(): void;
}

/** A WebSocket client that keeps every message (JSON). */
export async function collectWs(url: string): Promise<WsCollector> {
  const ws = new WebSocket(url);
  const messages: Record<string, unknown>[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d)) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  toStop.push(async () => ws.terminate());
  return { messages, ws, close: () => ws.close() };
}

export type DataMsg = { type: 'data'; device: string; index: number; count: number; raw: Record<string, number[]> };

/** index → the sample's raw values (column → value), from /v2-shaped data messages; throws on a sample seen twice. */
export function samplesByIndex(msgs: readonly Record<string, unknown>[], device?: string, dedupe = false): Map<number, Record<string, number>> {
  const out = new Map<number, Record<string, number>>();
  for (const m of msgs as DataMsg[]) {
    if (m.type !== 'data' || (device !== undefined && m.device !== device)) continue;
    for (let i = 0; i < m.count; i++) {
      const idx = m.index + i;
      if (out.has(idx) && !dedupe) throw new Error(`sample ${idx} received twice`);
      const row: Record<string, number> = {};
      for (const [k, v] of Object.entries(m.raw)) row[k] = v[i];
      out.set(idx, row);
    }
  }
  return out;
}
