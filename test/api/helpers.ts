/**
 * Helpers for the /v2 tests: a real ServerBIT on 127.0.0.1 (port 0) streaming the simulator, and
 * a ws client that checks EVERY message it receives against its schema (plus what the schema
 * cannot say: each data column holds exactly `count` values).
 */
import { afterEach, expect } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import { createServerBit, type ServerBit, type ServerBitOptions } from '../../src/main/app.js';
import { createSimulator } from '../../src/main/devices/simulator.js';
import type { BitalinoEmulator } from '../../src/main/devices/emulator.js';
import { openedOver, type DeviceOpener } from '../../src/main/devices/open-device.js';
import { defaultConfig, type ServerBitConfig } from '../../src/shared/config.js';
import type { ValidationIssue } from '../../src/shared/schema.js';
import { validateServerMessage } from '../../src/shared/v2-schemas.js';
import type { DataMessage, GapMessage, MetaMessage, ReplyMessage, ServerMessage } from '../../src/shared/v2.js';

export const TOKEN = 't0k-0123456789abcdef';

export type Cleanup = () => unknown;

export function testConfig(over: Partial<ServerBitConfig> = {}): ServerBitConfig {
  return { ...defaultConfig(), port: 0, host: '127.0.0.1', token: TOKEN, device: 'simulator', ...over };
}

/**
 * Opens simulators like the default opener, and keeps each one's emulator so a test can look at
 * the device side (outputs, PWM, threshold) deterministically.
 */
export function emulatorOpener(): { openDevice: DeviceOpener; emulators: BitalinoEmulator[] } {
  const emulators: BitalinoEmulator[] = [];
  const openDevice: DeviceOpener = async (_address, options) => {
    const sim = createSimulator({ seed: 3 });
    emulators.push(sim.emulator);
    return openedOver(sim.transport, options, { simulated: true, dispose: () => sim.close() });
  };
  return { openDevice, emulators };
}

export interface Started {
  app: ServerBit;
  port: number;
  /** ws://127.0.0.1:<port>/v2 */
  v2: string;
  /** ws://127.0.0.1:<port>/ */
  compat: string;
}

export async function startServerBit(cleanups: Cleanup[], config: Partial<ServerBitConfig> = {}, options: Partial<ServerBitOptions> = {}): Promise<Started> {
  const app = createServerBit({ config: testConfig(config), ...options });
  cleanups.push(() => app.close());
  await app.start();
  const port = app.server.address!.port;
  return { app, port, v2: `ws://127.0.0.1:${port}/v2`, compat: `ws://127.0.0.1:${port}/` };
}

/** Every client made by V2Client.open; `cleanupAfterEach` checks `invalid` after each test. */
export const allClients: V2Client[] = [];

/**
 * Registers the test file's afterEach: closes every client V2Client.open made, failing the test
 * if one got a message that does not match its schema, then runs the returned list of clean-ups
 * (where startServerBit registers its app) newest first.
 */
export function cleanupAfterEach(): Cleanup[] {
  const cleanups: Cleanup[] = [];
  afterEach(async () => {
    for (const c of allClients.splice(0)) {
      c.close();
      expect(c.invalid, 'every server message matches its schema').toEqual([]);
    }
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return cleanups;
}

export class V2Client {
  readonly messages: ServerMessage[] = [];
  /** Messages that failed their schema (must stay empty). */
  readonly invalid: { message: unknown; issues: ValidationIssue[] }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private nextId = 1;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', (data, isBinary) => {
      const text = data.toString();
      let m: unknown;
      try {
        m = JSON.parse(text);
      } catch {
        this.invalid.push({ message: text, issues: [{ path: '', message: isBinary ? 'binary frame' : 'not JSON' }] });
        return;
      }
      const issues = validateServerMessage(m);
      if (issues.length === 0 && (m as ServerMessage).type === 'data') issues.push(...columnIssues(m as DataMessage));
      if (issues.length > 0) this.invalid.push({ message: m, issues });
      this.messages.push(m as ServerMessage);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static open(url: string, options: ClientOptions = {}): Promise<V2Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const c = new V2Client(ws);
      ws.once('error', reject);
      ws.once('open', () => {
        allClients.push(c);
        resolve(c);
      });
    });
  }

  of<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.messages.filter((m) => m.type === type) as Extract<ServerMessage, { type: T }>[];
  }
  get data(): DataMessage[] {
    return this.of('data');
  }
  get gaps(): GapMessage[] {
    return this.of('gap');
  }
  get metas(): MetaMessage[] {
    return this.of('meta');
  }

  /** Resolves with the first message (from `from` on) that satisfies `pred`. */
  async next<T extends ServerMessage = ServerMessage>(pred: (m: ServerMessage) => boolean, timeoutMs = 5000, from = 0, what = 'a message'): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(pred);
      if (found) return found as T;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; got ${this.messages.length} messages: ${summarise(this.messages.slice(-5))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Waits until `pred()` holds (re-checked on every message). */
  async until(pred: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last messages: ${summarise(this.messages.slice(-3))}`);
      await sleep(20);
    }
  }

  send(raw: string | Buffer | object): void {
    this.ws.send(typeof raw === 'string' || Buffer.isBuffer(raw) ? raw : JSON.stringify(raw));
  }

  /** Sends a command and resolves with its reply (matched by id). */
  async command(command: string, args?: unknown, extra: Record<string, unknown> = {}, timeoutMs = 8000): Promise<ReplyMessage> {
    const id = `c${this.nextId++}`;
    const from = this.messages.length;
    this.send({ type: 'command', id, command, ...(args !== undefined ? { args } : {}), ...extra });
    return this.next<ReplyMessage>((m) => m.type === 'reply' && m.id === id, timeoutMs, from, `the reply to ${command}`);
  }

  close(): void {
    this.ws.terminate();
  }
}

function columnIssues(m: DataMessage): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const [part, cols] of [['raw', m.raw], ['converted', m.converted]] as const) {
    for (const [k, v] of Object.entries(cols ?? {})) if (v.length !== m.count) issues.push({ path: `${part}.${k}`, message: `${v.length} values for count ${m.count}` });
  }
  return issues;
}

function summarise(ms: ServerMessage[]): string {
  return ms.map((m) => JSON.stringify(m).slice(0, 160)).join(' | ');
}

/** The HTTP status a handshake is refused with (rejects if accepted). */
export { refusedStatus } from '../server/helpers.js';

/**
 * Checks that data and gap messages of one device tile the index line without holes or overlaps
 * from the first data message on; returns the number of samples seen.
 */
export function checkContiguous(messages: ServerMessage[], device?: string): { samples: number; lost: number; first: number; next: number } {
  let next: number | undefined;
  let first = -1;
  let samples = 0;
  let lost = 0;
  for (const m of messages) {
    if ((m.type !== 'data' && m.type !== 'gap') || (device && m.device !== device)) continue;
    const [from, to] = m.type === 'data' ? [m.index, m.index + m.count] : [m.from, m.to];
    if (next === undefined) {
      if (m.type === 'gap') continue; // a gap before the first data is none of this client's business
      first = from;
    } else if (from !== next) throw new Error(`${m.type} starts at ${from}, expected ${next}`);
    next = to;
    if (m.type === 'data') samples += m.count;
    else lost += to - from;
  }
  return { samples, lost, first, next: next ?? -1 };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * checkContiguous, and any gap must be one the device side reported: on a stalled machine
 * (tests run in parallel on two cores) the real-time emulator skips frames it could not send in
 * time, as the firmware does (docs/bitalino-protocol.md §6.4), and that is reported as device_overflow.
 * Anything else (client_too_slow, paused…) fails.
 */
export function expectContiguous(messages: ServerMessage[], allowed: readonly string[] = ['device_overflow']): ReturnType<typeof checkContiguous> {
  const seen = checkContiguous(messages);
  let started = false;
  for (const m of messages) {
    if (m.type === 'data') started = true;
    if (started && m.type === 'gap' && !allowed.includes(m.reason)) throw new Error(`unexpected gap ${m.from}..${m.to}: ${m.reason}`);
  }
  return seen;
}
