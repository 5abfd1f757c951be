/**
 * Helpers for the streaming tests: batches whose values encode their sample index (so order and
 * completeness are checkable from a compat message alone), real ws clients, and waiting.
 */
import { WebSocket, type ClientOptions } from 'ws';
import type { SampleBatch, StreamMeta } from '../../src/shared/acquisition.js';
import { DEFAULT_LABELS } from '../../src/shared/config.js';
import { buildStreamMeta } from '../../src/main/acquisition/stream-meta.js';

export const RATE = 1000;
export const T0 = 1_700_000_000_000;

/**
 * Sample i: nSeq = i & 15, digital = (i >> 4) & 15, first channel = i & 1023, second = (i >> 10)
 * & 1023, others = (7i + k) & 1023. Arrays are padded past `count` with junk (only `count` are valid).
 */
export function makeBatch(index: number, count: number, channels: number[] = [1, 2, 6], pad = 3, device = 'sim'): SampleBatch {
  const len = count + pad;
  const seq = new Uint8Array(len).fill(0xee);
  const digital = new Uint8Array(len).fill(0xee);
  const analog = channels.map(() => new Uint16Array(len).fill(0xeeee));
  for (let j = 0; j < count; j++) {
    const i = index + j;
    seq[j] = i & 15;
    digital[j] = (i >> 4) & 15;
    analog.forEach((a, k) => (a[j] = k === 0 ? i & 1023 : k === 1 ? (i >> 10) & 1023 : (7 * i + k) & 1023));
  }
  return { device, index, time: T0 + (index * 1000) / RATE, rate: RATE, count, seq, digital, analog, channels };
}

/** Checks one decoded compat message against the encoding above; returns its sample indices. */
export function indicesOf(msg: Record<string, number[]>, keys = ['nSeq', 'I1', 'I2', 'O1', 'O2', 'A1', 'A2', 'A6']): number[] {
  const [nSeq, i1, i2, o1, o2, a, b, ...rest] = keys.map((k) => msg[k]);
  return a.map((lo, j) => {
    const i = lo + 1024 * b[j];
    const bits = [(i >> 7) & 1, (i >> 6) & 1, (i >> 5) & 1, (i >> 4) & 1];
    if (nSeq[j] !== (i & 15) || i1[j] !== bits[0] || i2[j] !== bits[1] || o1[j] !== bits[2] || o2[j] !== bits[3]) {
      throw new Error(`sample ${i}: fixed columns do not match`);
    }
    rest.forEach((col, k) => {
      if (col[j] !== ((7 * i + k + 2) & 1023)) throw new Error(`sample ${i}: column ${keys[7 + k]} does not match`);
    });
    return i;
  });
}

/** Deterministic pseudo-random integers (a test must be reproducible). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

export interface TestClient {
  ws: WebSocket;
  /** Text messages, as received. */
  texts: string[];
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a ws client and records what it receives; rejects if the handshake fails. */
export function connect(url: string, options: ClientOptions = {}): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const texts: string[] = [];
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', (data, isBinary) => {
      if (!isBinary) texts.push(data.toString());
    });
    ws.on('error', reject);
    ws.once('open', () => resolve({ ws, texts, closed }));
  });
}

/** The HTTP status a handshake was refused with (rejects if it was accepted). */
export function refusedStatus(url: string, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin === undefined ? {} : { origin });
    ws.on('unexpected-response', (req, res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    ws.on('error', () => undefined);
    ws.on('open', () => {
      ws.terminate();
      reject(new Error(`handshake with origin ${origin} was accepted`));
    });
  });
}

/** The example of docs/original-serverbit.md §2: channels [1,2,6], 3 samples, I2 high. */
export const ORIGINAL_EXAMPLE =
  '{"nSeq":[4,5,6],"I1":[0,0,0],"I2":[1,1,1],"O1":[0,0,0],"O2":[0,0,0],"A1":[20,21,22],"A2":[562,565,567],"A6":[600,600,600]}';

export function originalExampleBatch(): SampleBatch {
  return {
    device: 'sim',
    index: 4,
    time: 0,
    rate: 1000,
    count: 3,
    seq: Uint8Array.of(4, 5, 6, 99),
    digital: Uint8Array.of(0b0100, 0b0100, 0b0100, 15),
    analog: [Uint16Array.of(20, 21, 22, 1), Uint16Array.of(562, 565, 567, 1), Uint16Array.of(600, 600, 600, 1)],
    channels: [1, 2, 6],
  };
}

/** The meta a runner would publish for a BITalino stream with these labels and channels. */
export function streamMeta(o: { device?: string; labels?: readonly string[]; channels?: number[]; board?: 'revolution' | 'legacy'; rate?: number; segmentStart?: number } = {}): StreamMeta {
  const device = o.device ?? 'sim';
  return buildStreamMeta({
    device,
    name: device,
    kind: 'bitalino',
    address: device,
    connection: device,
    board: o.board ?? 'revolution',
    firmware: 'BITalino_v5.2',
    version: 5.2,
    simulated: true,
    rate: o.rate ?? RATE,
    irregular: false,
    channels: o.channels ?? [1, 2, 6],
    t0: T0,
    segmentStart: o.segmentStart ?? 0,
    labels: o.labels ?? DEFAULT_LABELS,
    sensors: undefined,
    source: undefined,
  });
}

/** Status and body of a refused handshake. */
export function refusedResponse(url: string, origin?: string): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin === undefined ? {} : { origin });
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    ws.on('error', () => undefined);
    ws.on('open', () => {
      ws.terminate();
      reject(new Error(`handshake to ${url} was accepted`));
    });
  });
}
