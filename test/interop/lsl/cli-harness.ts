/**
 * What the LSL tests of the real CLI share (docs/lsl.md §14): `serverbit` (dist/main/cli.js) as a
 * child process with a config of the test's own, a small /v2 client for its commands, a collector
 * that drains a liblsl inlet without blocking the event loop, and the values each device sent
 * (the oracles a test checks every received value against).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { createSignalSource } from '../../../src/main/devices/signals.js';
import { adcAt } from '../../reliability/helpers.js';
import type { Inlet } from './liblsl.js';

export const CLI = path.resolve('dist/main/cli.js');
export const TOKEN = 'lsl-interop-token-0123456789';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface Cli {
  child: ChildProcess;
  dir: string;
  configPath: string;
  port: number;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code (SIGKILL after 15 s). Idempotent. */
  stop(): Promise<number | null>;
}

/**
 * Starts `serverbit --config <dir>/config.json` with `config` (port and token filled in) and
 * resolves once it printed the lines `ready` wants on stdout (default: LISTENING and the LSL line).
 */
export async function startCli(config: Record<string, unknown>, ready: RegExp[] = [/^ServerBIT LISTENING /m, /^LSL on /m]): Promise<Cli> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does).`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serverbit-lsl-cli-'));
  const port = await freePort();
  const configPath = path.join(dir, 'config.json');
  fs.writeFileSync(configPath, JSON.stringify({ port, token: TOKEN, ...config }, null, 2));
  const child = spawn(process.execPath, [CLI, '--config', configPath], {
    env: { ...process.env, HOME: dir, USERPROFILE: dir, DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d.length + err.length > 1_000_000 ? '' : d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let stopped: Promise<number | null> | undefined;
  const cli: Cli = {
    child,
    dir,
    configPath,
    port,
    stdout: () => out,
    stderr: () => err,
    stop: () =>
      (stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        const code = await exited;
        clearTimeout(t);
        fs.rmSync(dir, { recursive: true, force: true });
        return code;
      })()),
  };
  try {
    const end = Date.now() + 30_000;
    while (!ready.every((r) => r.test(out))) {
      if (child.exitCode !== null) throw new Error(`serverbit exited with ${child.exitCode}; stdout: ${out}\nstderr: ${err}`);
      if (Date.now() > end) throw new Error(`serverbit did not print ${ready.join(', ')} in 30 s; stdout: ${out}\nstderr: ${err}`);
      await sleep(20);
    }
  } catch (e) {
    await cli.stop();
    throw e;
  }
  return cli;
}

/** A /v2 connection with the control token that sends commands and keeps the `server` messages. */
export class V2 {
  readonly servers: { outputs: { output: string; state: string; detail?: string; counters: Record<string, number> }[] }[] = [];
  private readonly replies = new Map<string, unknown>();
  private next = 1;
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { type: string; id?: string };
      if (m.type === 'server') this.servers.push(m as unknown as V2['servers'][number]);
      if (m.type === 'reply' && m.id !== undefined) this.replies.set(m.id, m);
    });
  }

  static async open(port: number): Promise<V2> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v2?token=${TOKEN}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    // Only what a command needs: no data for this connection (one device, one column, rare messages).
    ws.send(JSON.stringify({ type: 'subscribe', columns: ['nSeq'], batch: 1000, devices: ['sim'] }));
    return new V2(ws);
  }

  async command(command: string, args?: unknown): Promise<{ ok: boolean; result?: Record<string, unknown>; error?: { code: string; message: string } }> {
    const id = `c${this.next++}`;
    this.ws.send(JSON.stringify({ type: 'command', id, command, ...(args !== undefined ? { args } : {}) }));
    await until(() => this.replies.has(id), `the reply to ${command}`, 20_000);
    return this.replies.get(id) as never;
  }

  /** The LSL output's status in the newest `server` message. */
  lsl(): V2['servers'][number]['outputs'][number] | undefined {
    return this.servers.at(-1)?.outputs.find((o) => o.output === 'lsl');
  }

  close(): void {
    this.ws.terminate();
  }
}

/**
 * Drains an inlet every 20 ms (lsl_pull_chunk with timeout 0, which never blocks) into one
 * growing record of values and timestamps.
 */
export class Collector {
  values: number[] = [];
  stamps: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  constructor(
    readonly inlet: Inlet,
    readonly channels: number,
  ) {}

  get count(): number {
    return this.stamps.length;
  }

  start(): this {
    this.timer ??= setInterval(() => this.drain(), 20);
    return this;
  }

  drain(): void {
    for (;;) {
      const c = this.inlet.pullFloatNow(4000);
      if (c.timestamps.length === 0) return;
      for (const v of c.values) this.values.push(v);
      for (const t of c.timestamps) this.stamps.push(t);
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.drain();
  }

  sample(i: number): number[] {
    return this.values.slice(i * this.channels, (i + 1) * this.channels);
  }
}

// ---------------------------------------------------------------------------------------------
// What the devices sent

/** A device's raw ADC value of channel `ch` (1..6) at its tick `k`. */
export type RawSource = (ch: number, k: number) => number;

/** The emulator's inputs (test/reliability/helpers.ts `adcAt`, what EmulatedBitalino feeds it). */
export const emulatorSource: RawSource = adcAt;
/** The simulator's signals (seed 1, the service's default), at 1000 Hz. */
export const simulatorSource: RawSource = createSignalSource({ seed: 1, rate: 1000 });

/**
 * Transfer functions of the bipolar sensors, written from the BITalino datasheets (not taken from
 * ServerBIT's code): value = (ADC / 2ⁿ − ½) · VCC / G, VCC = 3.3 V, in mV (EMG G = 1009, ECG
 * G = 1100) or µV (EEG G = 41782).
 */
const BIPOLAR: Record<string, { gain: number; scale: number }> = {
  EMG: { gain: 1009, scale: 1e3 },
  ECG: { gain: 1100, scale: 1e3 },
  EEG: { gain: 41782, scale: 1e6 },
};

/**
 * The LSL value of acquisition slot `slot` (0-based; channels A1..A6 all acquired) at tick `k`:
 * slots 4 and 5 carry 6 bits, the ADC's top ones (docs/bitalino-protocol.md §6.2).
 */
export function expectedValue(source: RawSource, sensor: string, slot: number, k: number): number {
  const v = source(slot + 1, k);
  const bits = slot >= 4 ? 6 : 10;
  const raw = slot >= 4 ? v >> 4 : v;
  const { gain, scale } = BIPOLAR[sensor];
  return ((raw / 2 ** bits - 0.5) * 3.3 * scale) / gain;
}

/** float32 agrees with the exact value to float32 precision (2 units in the last place). */
export function sameFloat(got: number, want: number): boolean {
  return Math.abs(got - want) <= Math.abs(want) * 2 ** -22 + 1e-30;
}

/**
 * The device tick of a collector's sample `at`: the first k in [from, to) from which the next
 * `window` samples equal the device's ticks k, k + 1, … on every channel.
 */
export function findTick(c: Collector, source: RawSource, sensor: string, at: number, from = 0, to = 2_000_000, window = 50): number | undefined {
  const n = Math.min(window, c.count - at);
  const matches = (k: number, i: number): boolean => {
    for (let slot = 0; slot < c.channels; slot++) if (!sameFloat(c.values[i * c.channels + slot], expectedValue(source, sensor, slot, k))) return false;
    return true;
  };
  for (let k = from; k < to; k++) {
    if (!sameFloat(c.values[at * c.channels], expectedValue(source, sensor, 0, k))) continue;
    let ok = true;
    for (let d = 0; d < n && ok; d++) ok = matches(k + d, at + d);
    if (ok) return k;
  }
  return undefined;
}

/** Positions in [from, to) of a collector where sample i is not the device's tick k0 + (i − from), or its timestamp not t0 + (i − from) / rate. */
export function checkRun(c: Collector, source: RawSource, sensor: string, from: number, to: number, k0: number, rate = 1000): { badValue: number[]; badTime: number[] } {
  const badValue: number[] = [];
  const badTime: number[] = [];
  const t0 = c.stamps[from];
  for (let i = from; i < to; i++) {
    const k = k0 + (i - from);
    for (let slot = 0; slot < c.channels; slot++) {
      if (!sameFloat(c.values[i * c.channels + slot], expectedValue(source, sensor, slot, k))) {
        if (badValue.length < 20) badValue.push(i);
        break;
      }
    }
    // Device time on the LSL clock: regular to the last bit a double holds at this magnitude.
    if (Math.abs(c.stamps[i] - (t0 + (i - from) / rate)) > 1e-8 && badTime.length < 20) badTime.push(i);
  }
  return { badValue, badTime };
}
