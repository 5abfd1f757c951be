/**
 * Issue 9, finding 10 (defence in depth): every client value is bounded before anything
 * recursive touches it (src/shared/json-bounds.ts), uniqueItems is linear, and an exception
 * while handling a client message (over the WebSocket or IPC) becomes an INTERNAL reply, never
 * an uncaught exception; the HTTP and upgrade handlers likewise.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Hub } from '../../src/main/acquisition/hub.js';
import { parseIncoming } from '../../src/main/api/incoming.js';
import { createV2Session } from '../../src/main/api/session.js';
import { createServerBit } from '../../src/main/app.js';
import { StreamServer } from '../../src/main/server/ws-server.js';
import { CLIENT_MESSAGE_BOUNDS, checkJsonBounds } from '../../src/shared/json-bounds.js';
import { Type } from '@sinclair/typebox';
import { validate } from '../../src/shared/schema.js';
import type { ServerMessage } from '../../src/shared/v2.js';
import { testConfig } from '../reliability/helpers.js';
import { Cleanup, TOKEN, get, openClient, recordFigure, waitFor } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const nest = (depth: number): unknown => {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

describe('checkJsonBounds', () => {
  it('allows 32 levels and refuses 33, without recursion (a 1 000 000-deep value is refused at once)', () => {
    expect(checkJsonBounds(nest(32))).toMatchObject({ ok: true });
    expect(checkJsonBounds(nest(33))).toEqual({ ok: false, problem: 'the message nests more than 32 levels deep; allowed: at most 32' });
    expect(checkJsonBounds(nest(1_000_000))).toMatchObject({ ok: false });
  });

  it('bounds values, string length and total text; refuses what JSON cannot carry (IPC structured clones)', () => {
    const { maxNodes, maxStringLength } = CLIENT_MESSAGE_BOUNDS;
    expect(checkJsonBounds(new Array(maxNodes - 1).fill(0))).toMatchObject({ ok: true, nodes: maxNodes });
    expect(checkJsonBounds(new Array(maxNodes).fill(0))).toMatchObject({ ok: false, problem: expect.stringMatching(/more than 20000 values/) });
    expect(checkJsonBounds(new Array(1e9))).toMatchObject({ ok: false }); // sparse: refused before any step
    expect(checkJsonBounds('x'.repeat(maxStringLength))).toMatchObject({ ok: true });
    expect(checkJsonBounds('x'.repeat(maxStringLength + 1))).toMatchObject({ ok: false, problem: expect.stringMatching(/a string is 32769 characters long/) });
    expect(checkJsonBounds({ ['k'.repeat(maxStringLength + 1)]: 1 })).toMatchObject({ ok: false, problem: expect.stringMatching(/^a key is/) });
    expect(checkJsonBounds(['x'.repeat(20_000), 'y'.repeat(20_000)])).toMatchObject({ ok: false, problem: expect.stringMatching(/more than 32768 characters of text/) });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(checkJsonBounds(cycle)).toMatchObject({ ok: false, problem: expect.stringMatching(/nests more than 32/) });
    for (const [v, what] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [new Map(), 'a Map'], [new Date(0), 'a Date'], [() => 1, 'a function'], [10n, 'a bigint'], [Object.create(Array.prototype) as unknown, 'an Array']] as const) {
      expect(checkJsonBounds({ v }), what).toEqual({ ok: false, problem: `the message holds ${what}, which JSON cannot carry` });
    }
    expect(checkJsonBounds(Object.assign(Object.create(null) as object, { a: 1 }))).toMatchObject({ ok: true });
  });

  it('over IPC: a value past the bounds gets BAD_MESSAGE naming the bound (JSON.stringify never sees it)', () => {
    expect(parseIncoming({ type: 'command', id: 3, command: 'state', args: nest(100_000) })).toMatchObject({ ok: false, id: 3, error: { code: 'BAD_MESSAGE', message: expect.stringMatching(/nests more than 32/) } });
    expect(parseIncoming({ type: 'subscribe', columns: new Array(50_000).fill('A1') })).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE', message: expect.stringMatching(/more than 20000 values/) } });
  });
});

describe('uniqueItems', () => {
  it('is linear: 16 000 distinct composite items are checked in one pass; equal items are found whatever their key order', () => {
    const schema = Type.Array(Type.Unknown(), { uniqueItems: true });
    const items = Array.from({ length: 16_000 }, (_, i) => ({ a: [i], b: { c: i } }));
    const t = performance.now();
    expect(validate(schema, items)).toEqual([]);
    const ms = performance.now() - t;
    expect(validate(schema, [...items, { b: { c: 5 }, a: [5] }])[0].message).toMatch(/has \{"b":\{"c":5\},"a":\[5\]\} more than once/);
    expect(validate(schema, [1, '1', true, 'true', null, 'null'])).toEqual([]); // types differ: all distinct
    expect(validate(schema, ['a', 'b', 'a'])[0].message).toMatch(/has "a" more than once/);
    recordFigure('unique-items', { distinctCompositeItems: 16_000, ms: Math.round(ms * 100) / 100, before: 'pairwise: 4800 one-element lists cost 350-500 ms' });
  });

  // Issue 9, finding 2, under TypeBox: its uniqueItems hashes each item once (FNV-1a over the
  // item's bytes) into a Set, after the items passed their own schema.
  it('TypeBox: 4800 distinct one-element lists are hashed once each (reads counted per item, no pairwise comparison)', () => {
    const schema = Type.Array(Type.Unknown(), { uniqueItems: true });
    let reads = 0;
    const counted = (i: number): unknown => new Proxy([i], { get: (t, k, r) => (reads++, Reflect.get(t, k, r)) });
    const items = Array.from({ length: 4800 }, (_, i) => counted(i));
    const t = performance.now();
    expect(validate(schema, items)).toEqual([]);
    const ms = performance.now() - t;
    // Hashing a one-element list reads its iterator, length and item a few times; comparing pairs would read each list ~4800 times.
    expect(reads / items.length).toBeLessThan(20);
    reads = 0;
    const dup = validate(schema, [...items, counted(4799)]);
    expect(dup).toEqual([{ path: '', message: 'value has [4799] more than once; allowed: a list, no duplicates' }]);
    expect(reads / items.length).toBeLessThan(60); // Check, Errors and the message's search: three linear passes
    recordFigure('unique-items-typebox', { distinctOneElementLists: 4800, ms: Math.round(ms * 100) / 100 });
  });

  it('the subscribe message of finding 2 (32 KiB of one-element lists as columns) is refused naming its length and first items (no item is hashed)', () => {
    const columns = Array.from({ length: 4800 }, (_, i) => [i]);
    const text = JSON.stringify({ type: 'subscribe', columns });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(32 * 1024);
    const t = performance.now();
    const r = parseIncoming(text);
    const ms = performance.now() - t;
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENTS', message: expect.stringMatching(/^columns has 4800 items; allowed: a list of 1 to 64 items, .*; columns\[0\] is \[0\]; allowed: a non-empty string of up to 64 characters; columns\[1\] is \[1\].*; and 15 more$/) } });
    recordFigure('subscribe-finding-2-typebox', { items: columns.length, bytes: Buffer.byteLength(text), ms: Math.round(ms * 100) / 100 });
  });
});

describe('no exception from a client escapes a handler', () => {
  it('a message that makes the session throw (over IPC) gets an INTERNAL reply; the session keeps working', async () => {
    const app = createServerBit({ config: testConfig({ token: TOKEN }) });
    cleanup.add(() => app.close());
    await app.start();
    const sent: ServerMessage[] = [];
    const session = createV2Session({ context: app.api, trusted: true, send: (m) => void sent.push(m) });
    cleanup.add(() => session.close());
    // Not a structured clone, but the worst an in-process caller can hand over: every trap throws.
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error('trap'); }, get: () => { throw new Error('trap'); }, getPrototypeOf: () => { throw new Error('trap'); } });
    expect(() => session.receive(hostile)).not.toThrow();
    expect(sent.filter((m) => m.type === 'reply')).toEqual([
      { type: 'reply', id: null, ok: false, error: { code: 'INTERNAL', message: expect.stringMatching(/internal error while handling this message/), hint: expect.stringMatching(/bug/) } },
    ]);
    session.receive({ type: 'command', id: 'after', command: 'get_config' });
    await waitFor(() => sent.some((m) => m.type === 'reply' && m.id === 'after'), 5000, 'the next reply');
    expect(sent.find((m) => m.type === 'reply' && m.id === 'after')).toMatchObject({ ok: true });
  });

  it('an HTTP handler that throws gets a 500 with the security headers; an upgrade handler that throws closes that client with 1011; the server goes on', async () => {
    const server = new StreamServer({
      port: 0,
      hub: new Hub(),
      devices: () => ['sim'],
      pingIntervalMs: 0,
      http: (req) => {
        if (req.url === '/boom') throw new Error('handler bug');
        return false;
      },
      v2: () => {
        throw new Error('v2 bug');
      },
    });
    cleanup.add(() => server.close());
    const { port } = await server.listen();
    const boom = await get(port, '/boom', { Host: `127.0.0.1:${port}` });
    expect(boom.status).toBe(500);
    expect(boom.headers['x-content-type-options']).toBe('nosniff');
    const v2 = await openClient(cleanup, `ws://127.0.0.1:${port}/v2`);
    expect((await v2.closed).code).toBe(1011);
    expect((await get(port, '/', { Host: `127.0.0.1:${port}` })).status).toBe(426);
    const compat = await openClient(cleanup, `ws://127.0.0.1:${port}/`);
    expect(compat.ws.readyState).toBe(WebSocket.OPEN);
  });
});
