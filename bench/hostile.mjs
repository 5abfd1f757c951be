#!/usr/bin/env node
/**
 * How fast the service answers hostile /v2 messages (issue 9's attacks), while it streams:
 * the message nested 5000 deep, the 32 KiB `subscribe` whose `columns` holds ~4800 distinct
 * one-element arrays (the quadratic `uniqueItems` case), and random JSON up to 64 KiB. Each is
 * sent without the token, as a foreign page would, and timed from send to its error reply.
 * The tests (test/security/) check the service survives and the bystanders lose nothing; this
 * reports the reply times as numbers — never as assertions.
 *
 *   node bench/hostile.mjs [--n 200]     prints one JSON line
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(here, '..', 'dist/main/cli.js');

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const deepArray = (d) => '['.repeat(d) + ']'.repeat(d);

/** ~4800 distinct one-element arrays in 32 KiB: pairwise uniqueness would be ~11 M comparisons. */
function quadratic() {
  const cols = [];
  for (let i = 0; cols.join(',').length < 31_000; i++) cols.push(`[${i}]`);
  return `{"type":"subscribe","columns":[${cols.join(',')}]}`;
}

/** Deterministic random JSON of about `bytes` (a seeded generator: every run sends the same). */
function randomJson(seed, bytes) {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  let budget = bytes;
  const value = (depth) => {
    const r = rnd();
    if (budget <= 0 || depth > 40 || r < 0.3) {
      budget -= 8;
      return r < 0.1 ? null : r < 0.2 ? Math.floor(rnd() * 1e9) : `s${Math.floor(rnd() * 1e6)}`;
    }
    if (r < 0.65) {
      const n = Math.floor(rnd() * 50);
      const a = [];
      for (let i = 0; i < n && budget > 0; i++) a.push(value(depth + 1));
      return a;
    }
    const o = {};
    const n = Math.floor(rnd() * 20);
    for (let i = 0; i < n && budget > 0; i++) o[`k${i}`] = value(depth + 1);
    return o;
  };
  return JSON.stringify({ type: rnd() < 0.5 ? 'command' : 'subscribe', id: Math.floor(rnd() * 1e6), command: 'set_config', args: { config: value(0) } });
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

export async function runHostileBench({ n = 200 } = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'serverbit-hostile-'));
  const port = await freePort();
  const config = path.join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ device: 'simulator', port, token: 'hostile-bench-token-0123456789' }));
  const child = spawn(process.execPath, [CLI, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no LISTENING line')), 20_000);
      child.stdout.on('data', (d) => String(d).includes('LISTENING') && (clearTimeout(t), resolve()));
      child.once('exit', (c) => reject(new Error(`serverbit exited with ${c}`)));
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v2`, { perMessageDeflate: false });
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    const replies = [];
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      if (m.type === 'reply') replies.push(performance.now());
    });
    /** Sends one message and resolves with the ms until the next reply. */
    const ask = async (text) => {
      const before = replies.length;
      const t = performance.now();
      ws.send(text);
      const end = t + 10_000;
      while (replies.length === before && performance.now() < end) await new Promise((r) => setImmediate(r));
      return replies.length > before ? replies[before] - t : Infinity;
    };
    const deep = [];
    const quad = [];
    for (let i = 0; i < 5; i++) {
      deep.push(await ask(`{"type": ${deepArray(5000)}}`));
      quad.push(await ask(quadratic()));
    }
    const fuzz = [];
    for (let i = 0; i < n; i++) {
      // Up to 60 KB: below the socket's 64 KiB frame limit (past it ws closes the connection, 1009).
      let text = randomJson(i + 1, 1000 + ((i * 7919) % 50_000));
      for (let b = 25_000; text.length > 60_000; b /= 2) text = randomJson(i + 1, b);
      fuzz.push(await ask(text));
      await new Promise((r) => setTimeout(r, 6)); // under the 200 messages/s rate limit
    }
    ws.close();
    const sorted = (a) => [...a].sort((x, y) => x - y);
    const f = sorted(fuzz);
    const round = (x) => Math.round(x * 100) / 100;
    return {
      deep5000Ms: { median: round(percentile(sorted(deep), 50)), max: round(Math.max(...deep)) },
      quadraticSubscribeMs: { median: round(percentile(sorted(quad), 50)), max: round(Math.max(...quad)) },
      fuzz: { messages: fuzz.length, p50Ms: round(percentile(f, 50)), p99Ms: round(percentile(f, 99)), maxMs: round(f.at(-1)), unanswered: fuzz.filter((x) => !Number.isFinite(x)).length },
      alive: child.exitCode === null,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--n');
  runHostileBench({ n: i > 0 ? Number(process.argv[i + 1]) : 200 }).then(
    (r) => process.stdout.write(`${JSON.stringify({ hostile: r })}\n`),
    (e) => {
      process.stderr.write(`${e?.stack ?? e}\n`);
      process.exit(1);
    },
  );
}
