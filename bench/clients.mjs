/**
 * The client end of the rig: N real WebSocket clients in this process, each checking that it
 * gets every sample exactly once and in order, and how late.
 *
 *   node bench/clients.mjs --url ws://127.0.0.1:PORT/ --n 100 [--endpoint compat|v2]
 *        [--t0 MS --rate HZ] [--record FILE]
 *
 * Every sample carries its index (lib.mjs benchInput): compat clients read it from A1..A3 (and
 * check nSeq and A4..A6 against it); /v2 clients check the message's `index` against it too.
 * A client passes when, from its first sample to its last, no index is missing, repeated or
 * out of order, and no value disagrees with its index.
 *
 * Lag = receive time − device time of the message's last sample (t0 + (index + 1) / rate, on the
 * shared clock). Per 1 s bucket over all clients: mean, max and a histogram (LAG_BIN_MS bins), so
 * the orchestrator can take each second's p99 across processes.
 *
 * stdout, JSON lines: {"type":"connected"} once all are open; {"type":"position","last":…} after
 * {"cmd":"position"} (the lowest last index over the clients that have data, at that moment);
 * {"type":"result",…} after {"cmd":"stop"} on stdin (then exits). With --record FILE, every
 * message's [first index, count, receive time] of the first client is written to FILE at stop
 * (for latency).
 */
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import { checkSample, indexOf, now, onCommand, out } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const url = opt('--url');
const N = Number(opt('--n', '1'));
const endpoint = opt('--endpoint', url?.includes('/v2') ? 'v2' : 'compat');
const t0 = Number(opt('--t0', 'NaN'));
const rate = Number(opt('--rate', '1000'));
const recordFile = opt('--record');
const period = 1000 / rate;

const startedAt = now();
/** Lag histogram bin width, ms, and bins (the last one takes everything above). Also in rig.mjs. */
const LAG_BIN_MS = 0.5;
const LAG_BINS = 2001;

/**
 * Lag per 1 s bucket: sum, count, max, histogram. Buckets are whole seconds of the shared clock
 * (lib.mjs now()), so those of several client processes line up.
 */
const lagBuckets = new Map();
const record = [];

function noteLag(t, lastIndex) {
  if (!Number.isFinite(t0)) return;
  const lag = t - (t0 + (lastIndex + 1) * period);
  const s = Math.floor(t / 1000);
  let b = lagBuckets.get(s);
  if (!b) lagBuckets.set(s, (b = { sum: 0, n: 0, max: -Infinity, hist: new Uint32Array(LAG_BINS) }));
  b.sum += lag;
  b.n++;
  if (lag > b.max) b.max = lag;
  b.hist[Math.min(LAG_BINS - 1, Math.max(0, Math.floor(lag / LAG_BIN_MS)))]++;
}

/** Sparse [bin, count, bin, count, …] of a histogram. */
function sparse(h) {
  const out = [];
  for (let i = 0; i < h.length; i++) if (h[i]) out.push(i, h[i]);
  return out;
}

class Client {
  constructor(id) {
    this.id = id;
    this.first = -1;
    this.next = -1;
    this.samples = 0;
    this.messages = 0;
    this.gaps = 0;
    this.missing = 0;
    this.repeats = 0;
    this.bad = 0;
    this.gapEvents = 0;
    this.closed = undefined;
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
    this.ws.on('error', (err) => {
      if (!stopping) this.error ??= err.message;
    });
    this.ws.on('close', (code, reason) => {
      if (stopping) return;
      this.closed = code;
      this.closedAt = Math.round(now() - startedAt);
      this.closeReason = String(reason);
    });
    this.ws.on('message', (data) => this.onMessage(data));
  }

  /** Counts sample k: the next one, a jump (gap), or one at or before the last (repeat or out of order). */
  take(k) {
    if (this.first < 0) {
      this.first = k;
      this.next = k;
    }
    if (k === this.next) {
      this.next++;
      this.samples++;
    } else if (k > this.next) {
      this.gaps++;
      this.missing += k - this.next;
      this.next = k + 1;
      this.samples++;
    } else this.repeats++;
  }

  onMessage(data) {
    const t = now();
    this.messages++;
    const m = JSON.parse(data);
    let a1;
    let a2;
    let a3;
    let a4;
    let a5;
    let a6;
    let seq;
    let first;
    if (endpoint === 'v2') {
      if (m.type === 'gap') this.gapEvents++;
      if (m.type !== 'data') return;
      const raw = m.raw ?? {};
      ({ A1: a1, A2: a2, A3: a3, A4: a4, A5: a5, A6: a6, nSeq: seq } = raw);
      first = m.index;
      if (!a1 || !a2 || !a3) {
        // Columns not sent: only the index can be checked.
        for (let i = 0; i < m.count; i++) this.take(m.index + i);
        if (this.id === 0 && recordFile) record.push(m.index, m.count, t);
        noteLag(t, m.index + m.count - 1);
        return;
      }
    } else {
      ({ A1: a1, A2: a2, A3: a3, A4: a4, A5: a5, A6: a6, nSeq: seq } = m);
    }
    const n = a1.length;
    let k = -1;
    for (let i = 0; i < n; i++) {
      k = indexOf(a1[i], a2[i], a3[i]);
      if (first !== undefined && k !== first + i) this.bad++;
      else if (!checkSample(k, seq?.[i], a4?.[i], a5?.[i], a6?.[i])) this.bad++;
      this.take(k);
    }
    if (n > 0) {
      const firstK = indexOf(a1[0], a2[0], a3[0]);
      if (this.id === 0 && recordFile) record.push(firstK, n, t);
      noteLag(t, k);
    }
  }

  get last() {
    return this.next - 1;
  }

  get ok() {
    return this.first >= 0 && this.gaps === 0 && this.repeats === 0 && this.bad === 0 && this.closed === undefined && this.gapEvents === 0;
  }
}

let stopping = false;
const clients = [];
// Connect in waves so 1000 handshakes do not arrive at once.
const WAVE = 50;
let failed = 0;
for (let i = 0; i < N; i += WAVE) {
  const wave = [];
  for (let j = i; j < Math.min(N, i + WAVE); j++) {
    const c = new Client(j);
    clients.push(c);
    // A handshake that neither opens nor fails within 20 s counts as failed (and is cut).
    let timer;
    const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), 20_000)));
    wave.push(
      Promise.race([c.opened, timeout])
        .catch(() => {
          failed++;
          c.ws.terminate();
        })
        .finally(() => clearTimeout(timer)),
    );
  }
  await Promise.all(wave);
}
out({ type: 'connected', n: N, failed, ms: Math.round(now() - startedAt) });

function result() {
  const bad = clients.filter((c) => !c.ok);
  const lag = [...lagBuckets].sort((a, b) => a[0] - b[0]).map(([t, b]) => ({ t, mean: b.sum / b.n, max: b.max, n: b.n, hist: sparse(b.hist) }));
  const samples = clients.map((c) => c.samples);
  return {
    type: 'result',
    endpoint,
    n: N,
    failedToConnect: failed,
    ok: clients.length - bad.length,
    notOk: bad.length,
    samplesMin: Math.min(...samples),
    samplesMax: Math.max(...samples),
    samplesTotal: samples.reduce((a, b) => a + b, 0),
    messagesTotal: clients.reduce((a, c) => a + c.messages, 0),
    gaps: clients.reduce((a, c) => a + c.gaps, 0),
    missing: clients.reduce((a, c) => a + c.missing, 0),
    repeats: clients.reduce((a, c) => a + c.repeats, 0),
    bad: clients.reduce((a, c) => a + c.bad, 0),
    closedEarly: clients.filter((c) => c.closed !== undefined).length,
    firstMin: Math.min(...clients.map((c) => c.first)),
    firstMax: Math.max(...clients.map((c) => c.first)),
    lastMin: Math.min(...clients.map((c) => c.last)),
    lastMax: Math.max(...clients.map((c) => c.last)),
    lag,
    problems: bad.slice(0, 5).map((c) => ({ id: c.id, first: c.first, last: c.last, gaps: c.gaps, missing: c.missing, repeats: c.repeats, bad: c.bad, closed: c.closed, closedAtMs: c.closedAt, closeReason: c.closeReason, error: c.error, gapEvents: c.gapEvents })),
  };
}

onCommand((cmd) => {
  if (cmd.cmd === 'position') {
    const withData = clients.filter((c) => c.first >= 0);
    out({ type: 'position', id: cmd.id, t: now(), last: withData.length ? Math.min(...withData.map((c) => c.last)) : -1, clients: withData.length });
    return;
  }
  if (cmd.cmd === 'stop') {
    stopping = true;
    const r = result();
    if (recordFile) writeFileSync(recordFile, JSON.stringify(record));
    out(r);
    for (const c of clients) c.ws.terminate();
    setTimeout(() => process.exit(0), 50);
  }
});
process.once('SIGTERM', () => process.exit(0));
