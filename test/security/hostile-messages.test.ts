/**
 * Issue 9, findings 1, 2 and 10: one /v2 message must not kill the service, a few must not stall
 * it, and no message, however built, may make it throw. Replayed against `serverbit` as a child
 * process (real sockets, no token: these attacks came before the token check), with two
 * bystanders that must keep every sample, and a fast-check fuzz of /v2 messages up to the
 * socket's 64 KiB limit.
 *
 * Timings are measured and written to test-results/security/ (never asserted: two shared cores).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parseIncoming } from '../../src/main/api/incoming.js';
import { MAX_PAYLOAD_BYTES } from '../../src/main/server/ws-server.js';
import { COMMAND_NAMES } from '../../src/shared/v2.js';
import { Cleanup, bystanders, get, openClient, recordFigure, sleep, startCli, type Client } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const deepArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const deepObject = (depth: number) => '{"a":'.repeat(depth) + '0' + '}'.repeat(depth);
/** The finding-2 message: a 32 KiB subscribe whose columns are ~4800 distinct one-element lists. */
const QUADRATIC = JSON.stringify({ type: 'subscribe', columns: Array.from({ length: 4800 }, (_, i) => [i]) });

type Reply = { type: 'reply'; id: unknown; ok: boolean; error?: { code: string; message: string; hint?: string } };

/** Sends `text` and resolves with the first reply after it, and how long it took, ms. */
async function ask(c: Client, text: string, isAnswer: (m: Record<string, unknown>) => boolean = (m) => m.type === 'reply'): Promise<{ reply: Reply; ms: number }> {
  const from = c.messages.length;
  const t = performance.now();
  c.ws.send(text);
  const reply = (await c.next(isAnswer, from, 20_000, `an answer to ${text.slice(0, 60)}`)) as Reply;
  return { reply, ms: performance.now() - t };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number) => Math.round(x * 100) / 100;

describe('hostile /v2 messages against the running service', () => {
  it('a message nested 5000 deep gets BAD_MESSAGE naming the depth; the service lives and the bystanders keep every sample', async () => {
    const cli = await startCli(cleanup);
    const watch = await bystanders(cleanup, cli.port);
    const attacker = await openClient(cleanup, `ws://127.0.0.1:${cli.port}/v2`);

    // The one from the issue: {"type": <an array nested 5000 deep>}.
    const r1 = await ask(attacker, `{"type": ${deepArray(5000)}}`);
    expect(r1.reply).toMatchObject({ id: null, ok: false, error: { code: 'BAD_MESSAGE', message: 'the message nests more than 32 levels deep; allowed: at most 32' } });
    // In a command (the id is kept for the reply), as an object chain, and as a bare value.
    const r2 = await ask(attacker, `{"type":"command","id":7,"command":"set_config","args":{"config":{"device":${deepObject(5000)}}}}`);
    expect(r2.reply).toMatchObject({ id: 7, ok: false, error: { code: 'BAD_MESSAGE', message: expect.stringMatching(/nests more than 32 levels/) } });
    const r3 = await ask(attacker, deepArray(16_000));
    expect(r3.reply).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE', message: expect.stringMatching(/nests more than 32 levels/) } });
    // Nesting within the bound (the object and 31 lists: 32 levels) is judged on its content as usual.
    const r4 = await ask(attacker, `{"type": ${deepArray(31)}}`);
    expect(r4.reply).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE', message: expect.stringMatching(/^type is \[/) } });

    // Still serving: the attacker's connection, a new client, and the bystanders.
    expect((await ask(attacker, '{"type":"command","id":8,"command":"state"}')).reply).toMatchObject({ id: 8, error: { code: 'UNAUTHORIZED' } });
    const fresh = await openClient(cleanup, `ws://127.0.0.1:${cli.port}/v2`);
    await fresh.next((m) => m.type === 'hello');
    await sleep(300);
    expect(cli.alive()).toBe(true);
    expect(cli.stderr()).not.toMatch(/RangeError|Maximum call stack/);
    expect(watch.problems()).toEqual([]);
    recordFigure('deep-message', { replyMs: { array5000: round(r1.ms), object5000InCommand: round(r2.ms), bareArray16000: round(r3.ms) } });
  });

  it('the quadratic-array subscribe is answered at once with BAD_ARGUMENTS; twenty of them stall nothing', async () => {
    // In process first: what validating the message costs, without the network.
    const inProcess: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      const r = parseIncoming(QUADRATIC);
      inProcess.push(performance.now() - t);
      expect(r).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENTS' } });
    }

    const cli = await startCli(cleanup);
    const watch = await bystanders(cleanup, cli.port);
    const attacker = await openClient(cleanup, `ws://127.0.0.1:${cli.port}/v2`);
    expect(Buffer.byteLength(QUADRATIC)).toBeGreaterThan(32_000);

    // One at a time: each reply names the problem (the first items that are not column names).
    const oneByOne: number[] = [];
    for (let i = 0; i < 20; i++) {
      const { reply, ms } = await ask(attacker, QUADRATIC);
      oneByOne.push(ms);
      expect(reply).toMatchObject({ id: null, ok: false, error: { code: 'BAD_ARGUMENTS', message: expect.stringMatching(/^columns has 4800 items; allowed: a list of 1 to 64 items.*; columns\[0\] is \[0\]; allowed: a non-empty string/) } });
    }
    // Twenty at once, as in the issue, while a plain HTTP request waits for its answer.
    const from = attacker.messages.length;
    const t = performance.now();
    for (let i = 0; i < 20; i++) attacker.ws.send(QUADRATIC);
    const http = get(cli.port, '/', { Host: `127.0.0.1:${cli.port}` }).then((r) => ({ status: r.status, ms: performance.now() - t }));
    await attacker.next(() => attacker.messages.slice(from).filter((m) => m.type === 'reply').length >= 20, from, 20_000, '20 replies');
    const burstMs = performance.now() - t;
    const page = await http;
    expect(page.status).toBe(200);

    await sleep(300);
    expect(cli.alive()).toBe(true);
    expect(watch.problems()).toEqual([]);
    recordFigure('quadratic-subscribe', {
      message: `${Buffer.byteLength(QUADRATIC)} bytes, ${4800} one-element lists`,
      parseInProcessMs: { median: round(median(inProcess)), max: round(Math.max(...inProcess)) },
      replyOverSocketMs: { median: round(median(oneByOne)), max: round(Math.max(...oneByOne)) },
      twentyAtOnceMs: round(burstMs),
      httpDuringBurstMs: round(page.ms),
      before: 'issue 9: 350-500 ms of CPU per message; twenty froze the event loop for 10 s',
    });
  });

  it('fast-check: random /v2 messages up to 64 KiB (deep nesting, huge arrays, long strings) always get an answer, never a crash', async () => {
    const cli = await startCli(cleanup);
    const watch = await bystanders(cleanup, cli.port);
    const fuzz = await openClient(cleanup, `ws://127.0.0.1:${cli.port}/v2`);
    await fuzz.next((m) => m.type === 'hello');

    const LIMIT = 60 * 1024; // values; the envelope stays under the socket's 64 KiB
    const deep = fc.tuple(fc.integer({ min: 1, max: 6000 }), fc.boolean()).map(([d, arr]) => (arr ? deepArray(d) : deepObject(Math.min(d, 5000))));
    const huge = fc
      .tuple(fc.integer({ min: 0, max: 30_000 }), fc.constantFrom('0', '"a"', '[]', '{}', '[0]', 'null', '{"x":1}', '"A1"', '1.5e300'), fc.boolean())
      .map(([n, item, distinct]) => {
        const count = Math.min(n, Math.floor(LIMIT / (item.length + 8)));
        return `[${Array.from({ length: count }, (_, i) => (distinct ? `[${i}]` : item)).join(',')}]`;
      });
    const long = fc.integer({ min: 0, max: LIMIT }).map((n) => JSON.stringify('é'.repeat(Math.floor(n / 2))));
    const json = fc.jsonValue({ maxDepth: 8 }).map((v) => JSON.stringify(v) ?? 'null');
    const value = fc.oneof(deep, huge, long, json);
    const message = fc.oneof(
      value,
      value.map((v) => `{"type":${v}}`),
      fc.tuple(fc.constantFrom('columns', 'batch', 'format', 'token'), value).map(([k, v]) => `{"type":"subscribe","${k}":${v}}`),
      fc.tuple(fc.constantFrom(...COMMAND_NAMES), value).map(([c, v]) => `{"type":"command","id":1,"command":"${c}","args":${v}}`),
      fc.tuple(fc.constantFrom('device', 'channels', 'labels', 'allowed_origins', 'allowed_hosts', 'token', 'max_clients'), value).map(([k, v]) => `{"type":"command","id":"x","command":"set_config","args":{"config":{"${k}":${v}}}}`),
      value.map((v) => `{"type":"command","id":${v},"command":"state"}`),
      fc.string({ maxLength: 300 }),
    );

    const latencies: number[] = [];
    let sizes = 0;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(message, async (text) => {
        const bytes = Buffer.byteLength(text);
        if (bytes > MAX_PAYLOAD_BYTES) return; // the socket closes those (1009): test/api/access.test.ts
        sizes = Math.max(sizes, bytes);
        const id = `sentinel-${n++}`;
        const from = fuzz.messages.length;
        const t = performance.now();
        fuzz.ws.send(text);
        // Paced under the 200 messages/s limit, so every message is parsed, not just counted.
        const answer = await fuzz.next((m) => m.type === 'reply' || m.type === 'hello', from, 20_000, `an answer to ${text.slice(0, 80)}`);
        latencies.push(performance.now() - t);
        expect(['reply', 'hello']).toContain(answer.type);
        fuzz.ws.send(JSON.stringify({ type: 'command', id, command: 'list_ports' }));
        await fuzz.next((m) => m.type === 'reply' && m.id === id, from, 20_000, id);
        await sleep(10);
      }),
      { numRuns: 200, seed: 9 },
    );

    expect(fuzz.ws.readyState).toBe(fuzz.ws.OPEN);
    expect(cli.alive()).toBe(true);
    expect(cli.stderr()).not.toMatch(/RangeError|throw|threw/);
    expect(watch.problems()).toEqual([]);
    const sorted = [...latencies].sort((a, b) => a - b);
    recordFigure('fuzz', { messages: latencies.length, largestBytes: sizes, replyMs: { median: round(median(sorted)), p99: round(sorted[Math.floor(sorted.length * 0.99)]), max: round(sorted.at(-1)!) } });
  }, 120_000);
});
