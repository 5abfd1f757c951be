/**
 * Shared rig for the reliability suite: real faults on real resources.
 *
 * - `EmulatedBitalino`: the byte-exact emulator behind a socat pty pair whose two ends are
 *   symlinks at FIXED paths. `unplug()` kills socat (the link drops, as when a BITalino goes out
 *   of range or a USB adapter is pulled); `plug()` starts a new socat at the same paths, so the
 *   service finds "the same port" again, as /dev/rfcomm0 or COM5 reappear.
 * - Deterministic signals: every value the emulator sends is a function of its tick index, so a
 *   test can check any received value against what the device sent for that index.
 * - WebSocket clients that record everything (compat "/" and "/v2").
 *
 * Everything started here is registered with a `Cleanup` and closed by the test's afterEach.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocket, type ClientOptions } from 'ws';
import { BitalinoEmulator, type BitalinoEmulatorOptions, type EmulatorClock } from '../../src/main/devices/emulator.js';
import { SerialTransport } from '../../src/main/devices/serial-transport.js';
import type { Transport } from '../../src/main/devices/transport.js';
import type { Acquisition } from '../../src/main/acquisition/acquisition.js';
import type { DeviceStatus, GapEvent, SampleBatch, ServiceState } from '../../src/shared/acquisition.js';
import { defaultConfig, type ServerBitConfig } from '../../src/shared/config.js';


export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every few ms; throws naming `what` after `timeoutMs` (generous: 2 loaded cores). */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition', everyMs = 5): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** LIFO clean-up list: every test registers what it starts, afterEach runs it all. */
export class Cleanup {
  private readonly fns: (() => unknown)[] = [];
  add(fn: () => unknown): void {
    this.fns.push(fn);
  }
  async run(): Promise<void> {
    while (this.fns.length) {
      try {
        await this.fns.pop()!();
      } catch {
        /* keep cleaning */
      }
    }
  }
}

export async function tempDir(prefix = 'serverbit-rel-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A config for tests: port 0 (the OS picks), the given device, everything else default. */
export function testConfig(over: Partial<ServerBitConfig> = {}): ServerBitConfig {
  return { ...defaultConfig(), port: 0, token: 'test-token-0123456789', ...over };
}

// ---------------------------------------------------------------------------------------------
// Deterministic device signals

/** A 32-bit integer hash (splitmix-like): looks random, so misaligned windows look like noise. */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** The ADC value (10-bit) the emulator reports on channel `ch` (1..6) at tick `k`. */
export function adcAt(ch: number, k: number): number {
  return mix32(k * 8 + ch) & 1023;
}

/** Digital inputs nibble (I1 = bit 3, I2 = bit 2) at tick `k`; O1/O2 stay 0. */
export function digitalAt(k: number): number {
  return (mix32(k ^ 0x5bd1e995) >>> 7) & 0b1100;
}

/** The raw value of acquisition slot `slot` for channel `ch`: slots 5 and 6 carry the top 6 bits (§6.2). */
export function slotValueAt(ch: number, slot: number, k: number): number {
  const v = adcAt(ch, k);
  return slot >= 4 ? v >> 4 : v;
}

/** Compares one sample of a batch with what the device sent at tick `k`; returns a description of the first mismatch. */
export function sampleMismatch(b: SampleBatch, i: number, k: number): string | undefined {
  if (b.seq[i] !== (k & 15)) return `seq ${b.seq[i]} != ${k & 15}`;
  if (b.digital[i] !== digitalAt(k)) return `digital ${b.digital[i]} != ${digitalAt(k)}`;
  for (let s = 0; s < b.channels.length; s++) {
    const want = slotValueAt(b.channels[s], s, k);
    if (b.analog[s][i] !== want) return `A${b.channels[s]} ${b.analog[s][i]} != ${want}`;
  }
  return undefined;
}

/**
 * The emulator's real-time clock, except that a reading never runs more than 100 ms ahead of the
 * previous one. The emulator sends every frame that is due, but after a stall of more than 1 s
 * (the test process starved on a loaded machine) it skips frames as a device with a full buffer
 * would; with this clock it catches up over a few writes instead, so every tick still goes out and
 * a test can check every index. The emulator and the service share the test's event loop, so the
 * device does not "run on" while that loop is stalled anyway.
 */
export function elasticClock(): EmulatorClock {
  let last = performance.now();
  return {
    now() {
      last = Math.min(performance.now(), last + 100);
      return last;
    },
    setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
}

// ---------------------------------------------------------------------------------------------
// The emulated BITalino on a pty at a fixed path

export interface EmulatedBitalinoOptions extends Partial<BitalinoEmulatorOptions> {
  /** Folder for the two links (default: a fresh temp folder, removed by close()). */
  dir?: string;
}

export class EmulatedBitalino {
  readonly emu: BitalinoEmulator;
  /** The path the service opens ("the BITalino's serial port"). */
  readonly path: string;
  /** The emulator's end of the link. */
  readonly devicePath: string;
  /** How many times the link was brought up. */
  plugs = 0;
  private socat: ChildProcess | undefined;
  private socatExited: Promise<void> = Promise.resolve();
  private end: SerialTransport | undefined;
  private detach: (() => void) | undefined;
  private ownDir: boolean;

  private constructor(
    readonly dir: string,
    ownDir: boolean,
    options: Partial<BitalinoEmulatorOptions>,
  ) {
    this.ownDir = ownDir;
    this.path = path.join(dir, 'bitalino');
    this.devicePath = path.join(dir, 'device');
    this.emu = new BitalinoEmulator({ firmware: 'BITalino_v5.2', inputs: adcAt, digitalInputs: digitalAt, clock: elasticClock(), ...options });
  }

  /** Creates the device; it is plugged in unless `plugged` is false (a device missing at start). */
  static async create(cleanup: Cleanup, options: EmulatedBitalinoOptions = {}, plugged = true): Promise<EmulatedBitalino> {
    const { dir, ...emuOptions } = options;
    const d = new EmulatedBitalino(dir ?? (await tempDir('serverbit-dev-')), dir === undefined, emuOptions);
    cleanup.add(() => d.close());
    if (plugged) await d.plug();
    return d;
  }

  get plugged(): boolean {
    return this.socat !== undefined;
  }

  /** Brings the link up at the same paths and puts the emulator (powered, idle) on it. */
  async plug(): Promise<void> {
    if (this.socat) return;
    await rm(this.path, { force: true });
    await rm(this.devicePath, { force: true });
    const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${this.path}`, `pty,raw,echo=0,link=${this.devicePath}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.socat = child;
    let log = '';
    let ready!: () => void;
    const started = new Promise<void>((r) => (ready = r));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      if (log.length < 20_000) log += s;
      if (log.includes('starting data transfer loop')) ready();
    });
    this.socatExited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    const failed = this.socatExited.then(() => {
      throw new Error(`socat exited before it was ready: ${log}`);
    });
    failed.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        started,
        failed,
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`socat not ready in 10 s: ${log}`)), 10_000))),
      ]);
    } catch (e) {
      this.socat = undefined;
      child.kill('SIGKILL');
      throw e;
    } finally {
      clearTimeout(timer);
    }
    for (const p of [this.path, this.devicePath]) await lstat(p);
    const end = new SerialTransport(this.devicePath, { livenessCheckMs: 100 });
    await end.open();
    this.end = end;
    this.detach = this.emu.attach(end);
    this.emu.run();
    this.plugs++;
  }

  /**
   * Drops the link: socat dies (SIGKILL by default: abrupt, like a pulled cable), the host side of
   * the pty hangs up, and the device, which loses its Bluetooth connection, stops acquiring
   * (BT-status mode; a CTS-mode (r)evolution keeps going, docs/bitalino-protocol.md §7.2). The links stay as
   * dangling symlinks, so opening the port fails as for a missing device.
   */
  async unplug(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.socat;
    if (!child) return;
    this.socat = undefined;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await this.socatExited;
    this.detach?.();
    this.detach = undefined;
    this.emu.halt();
    this.emu.linkLost();
    const end = this.end;
    this.end = undefined;
    await end?.close();
  }

  async close(): Promise<void> {
    await this.unplug('SIGTERM');
    if (this.ownDir) await rm(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Recording what the service publishes

export interface HubRecord {
  batches: SampleBatch[];
  gaps: GapEvent[];
  states: ServiceState[];
  statuses: DeviceStatus[];
  /** Number of samples received so far. */
  readonly samples: number;
  /** The last index published (+1), i.e. where the next sample should be. */
  readonly next: number;
  stop(): void;
}

/** Copies every batch the hub publishes (batches share buffers with the producer: copy what you keep). */
export function recordHub(hub: { subscribe(l: { batch?(b: SampleBatch): void; gap?(g: GapEvent): void; status?(s: DeviceStatus): void }, o?: { catchUp?: boolean }): () => void }): HubRecord {
  const rec = {
    batches: [] as SampleBatch[],
    gaps: [] as GapEvent[],
    states: [] as ServiceState[],
    statuses: [] as DeviceStatus[],
    samples: 0,
    next: 0,
    stop: () => undefined as void,
  };
  rec.stop = hub.subscribe({
    batch: (b) => {
      rec.batches.push({ ...b, seq: b.seq.slice(0, b.count), digital: b.digital.slice(0, b.count), analog: b.analog.map((a) => a.slice(0, b.count)), channels: [...b.channels] });
      rec.samples += b.count;
      rec.next = b.index + b.count;
    },
    gap: (g) => rec.gaps.push({ ...g }),
    status: (s) => {
      rec.statuses.push(s);
      if (rec.states[rec.states.length - 1] !== s.state) rec.states.push(s.state);
    },
  }, { catchUp: true }); // the state now, then every change
  return rec;
}

/** Flattens batches into [index, batch, offset] rows. */
export function* samplesOf(batches: readonly SampleBatch[]): Generator<{ index: number; batch: SampleBatch; i: number }> {
  for (const b of batches) for (let i = 0; i < b.count; i++) yield { index: b.index + i, batch: b, i };
}

// ---------------------------------------------------------------------------------------------
// WebSocket clients

export interface Client {
  ws: WebSocket;
  /** Parsed text messages, in order. */
  messages: Record<string, unknown>[];
  /** Set when the connection closed. */
  closedWith: { code: number; reason: string } | undefined;
  closed: Promise<{ code: number; reason: string }>;
  /** Bytes received. */
  bytes: number;
}

/** Opens a client and records every text message; rejects if the handshake fails. */
export function openClient(url: string, cleanup: Cleanup, options: ClientOptions = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    cleanup.add(() => ws.terminate());
    const c: Client = { ws, messages: [], closedWith: undefined, closed: undefined as never, bytes: 0 };
    c.closed = new Promise((r) =>
      ws.once('close', (code, reason) => {
        c.closedWith = { code, reason: reason.toString() };
        r(c.closedWith);
      }),
    );
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      c.bytes += buf.length;
      if (!isBinary) c.messages.push(JSON.parse(buf.toString('utf8')) as Record<string, unknown>);
    });
    ws.on('error', reject);
    ws.once('open', () => resolve(c));
  });
}

/** Concatenated compat columns: { nSeq: [...], A1: [...], ... } over all messages. */
export function compatColumns(c: Client): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const m of c.messages) for (const [k, v] of Object.entries(m)) (out[k] ??= []).push(...(v as number[]));
  return out;
}

export const compatSamples = (c: Client): number => c.messages.reduce((n, m) => n + ((m.nSeq as number[] | undefined)?.length ?? 0), 0);

/** /v2 messages of one type. */
export function v2Of<T = Record<string, unknown>>(c: Client, type: string): T[] {
  return c.messages.filter((m) => m.type === type) as T[];
}

export interface V2Data {
  type: 'data';
  device: string;
  index: number;
  time: number;
  count: number;
  raw: Record<string, number[]>;
}

// ---------------------------------------------------------------------------------------------
// The emulator behind a TCP server (a BITalino on a Wi-Fi/UART bridge at host:port)

/** The device's end of one accepted TCP connection, as a Transport the emulator can attach to. */
class SocketEnd implements Transport {
  readonly path: string;
  private closed = false;
  private dataListener: (chunk: Uint8Array) => void = () => {};
  private closeListener: (error?: Error) => void = () => {};
  constructor(readonly socket: Socket) {
    this.path = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.on('data', (c: Buffer) => this.dataListener(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.closeListener();
    });
  }
  get isOpen(): boolean {
    return !this.closed && !this.socket.destroyed;
  }
  async open(): Promise<void> {}
  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (e) => (e ? reject(e) : resolve())));
  }
  async close(): Promise<void> {
    this.socket.destroy();
  }
  onData(l: (chunk: Uint8Array) => void): void {
    this.dataListener = l;
  }
  onClose(l: (error?: Error) => void): void {
    this.closeListener = l;
  }
}

/** The emulator served on 127.0.0.1:<port>; `reset()` kills the connection with a TCP RST (ECONNRESET on the host). */
export class TcpBitalino {
  readonly emu: BitalinoEmulator;
  connections = 0;
  private readonly server: Server;
  private current: { end: SocketEnd; detach: () => void } | undefined;
  port = 0;

  constructor(options: Partial<BitalinoEmulatorOptions> = {}) {
    this.emu = new BitalinoEmulator({ firmware: 'BITalino_v5.2', inputs: adcAt, digitalInputs: digitalAt, clock: elasticClock(), ...options });
    this.server = createServer((socket) => {
      this.current?.end.socket.destroy();
      socket.setNoDelay(true);
      const end = new SocketEnd(socket);
      this.current = { end, detach: this.emu.attach(end) };
      this.connections++;
      this.emu.run();
    });
  }

  static async create(cleanup: Cleanup, options: Partial<BitalinoEmulatorOptions> = {}): Promise<TcpBitalino> {
    const d = new TcpBitalino(options);
    await new Promise<void>((r) => d.server.listen(0, '127.0.0.1', r));
    d.port = (d.server.address() as AddressInfo).port;
    cleanup.add(() => d.close());
    return d;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  reset(): void {
    const c = this.current;
    this.current = undefined;
    if (!c) return;
    c.detach();
    this.emu.halt();
    this.emu.linkLost();
    c.end.socket.resetAndDestroy();
  }

  async close(): Promise<void> {
    this.reset();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

// ---------------------------------------------------------------------------------------------
// The app's first device, as these tests drive it

export interface FirstDevice {
  readonly status: DeviceStatus;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Every status of this device from now on; returns the unsubscribe function. */
  onStatus(fn: (s: DeviceStatus) => void): () => void;
}

/** The first device of an app (these tests run one device), through the public API: Acquisition and its hub. */
export function firstDevice(app: { acquisition: Acquisition }): FirstDevice {
  const acq = app.acquisition;
  const id = (): string => acq.ids()[0];
  return {
    get status() {
      return acq.status(id());
    },
    start: () => acq.start(id()),
    stop: () => acq.stop(id()),
    onStatus: (fn) => acq.hub.subscribe({ status: (s) => s.device === id() && fn(s) }),
  };
}
