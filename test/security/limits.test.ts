/**
 * Issue 9, finding 9: limits. Handshakes that never finish are cut (headersTimeout ≈ 10 s: Node
 * answers 408), connections are capped (`max_clients`: a clear 503 on the handshake; past the cap
 * plus a small headroom the socket is closed at once), every refusal carries the security
 * headers, and the client count no longer sends one `status` to every /v2 client per connect.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createServerBit } from '../../src/main/app.js';
import { testConfig } from '../reliability/helpers.js';
import { Cleanup, TOKEN, bystanders, get, openClient, rawRequest, recordFigure, sleep, startCli, waitFor, type Client } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

interface HalfRequest {
  socket: Socket;
  answer: string;
  closedAt?: number;
}

/** A client that sends half a request and then nothing (slowloris). */
function halfRequest(port: number, host: string): HalfRequest {
  const socket = connect(port, '127.0.0.1');
  const p: HalfRequest = { socket, answer: '' };
  socket.on('data', (d: Buffer) => (p.answer += d.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => (p.closedAt = performance.now()));
  socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n`);
  cleanup.add(() => socket.destroy());
  return p;
}

describe('limits', () => {
  it('max_clients: the next handshake gets 503 with the reason; idle half-requests are capped, then cut with 408; the clients keep every sample', { timeout: 90_000 }, async () => {
    const cli = await startCli(cleanup, { config: { max_clients: 3 } });
    const P = cli.port;
    const watch = await bystanders(cleanup, P); // clients 1 and 2
    const third = await openClient(cleanup, `ws://127.0.0.1:${P}/`);

    const full = await get(P, '/', { Host: `127.0.0.1:${P}` }, true);
    expect(full.status).toBe(503);
    expect(full.body).toBe('ServerBIT already serves 3 clients, its limit: try again later, or raise "max_clients" in ~/ServerBIT/config.json.\n');
    expect(full.headers).toMatchObject({ 'retry-after': '10', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' });
    // A program sees the reason as the handshake's failure.
    const refused = new WebSocket(`ws://127.0.0.1:${P}/v2`);
    refused.on('error', () => undefined);
    const status = await new Promise<number>((resolve) =>
      refused.once('unexpected-response', (req, res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      }),
    );
    expect(status).toBe(503);

    // Once one leaves, the next is accepted (retried until the server has seen the close).
    third.ws.close();
    await third.closed;
    let again: Client | undefined;
    for (let i = 0; i < 50 && !again; i++) again = await openClient(cleanup, `ws://127.0.0.1:${P}/`).catch(() => sleep(100).then(() => undefined));
    expect(again).toBeDefined();
    await again!.next((m) => Array.isArray(m.nSeq));

    // 100 half-requests: 3 clients + 64 of them fit (max_clients + headroom); the rest are closed at once.
    const t0 = performance.now();
    const partial = Array.from({ length: 100 }, () => halfRequest(P, `127.0.0.1:${P}`));
    await sleep(1500);
    const closedAtOnce = partial.filter((p) => p.closedAt !== undefined).length;
    expect(closedAtOnce).toBeGreaterThanOrEqual(100 - 64);
    expect(partial.filter((p) => p.answer !== '').length).toBe(0);
    // The others are answered 408 when their headers time out, and closed.
    await waitFor(() => partial.every((p) => p.closedAt !== undefined), 40_000, 'every half-request cut');
    const timedOut = partial.filter((p) => p.answer.startsWith('HTTP/1.1 408'));
    expect(timedOut.length).toBeGreaterThanOrEqual(64 - 3);
    const cutAfter = timedOut.map((p) => p.closedAt! - t0);

    expect(cli.alive()).toBe(true);
    expect(watch.problems()).toEqual([]);
    recordFigure('half-requests', { sent: 100, closedAtOnce, answered408: timedOut.length, cutAfterMs: { min: Math.round(Math.min(...cutAfter)), max: Math.round(Math.max(...cutAfter)) } });
  });

  it('every refusal carries the security headers: 400, 403, 421, 426, 503', async () => {
    const cli = await startCli(cleanup, { config: { max_clients: 1 } });
    const P = cli.port;
    const host = { Host: `127.0.0.1:${P}` };
    const answers = {
      400: await rawRequest(P, 'GET / HTTP/1.0\r\n\r\n'),
      403: await get(P, '/', { ...host, Origin: 'http://evil.example' }, true),
      421: await get(P, '/', { Host: 'evil.example' }),
      426: await rawRequest(P, `POST / HTTP/1.1\r\nHost: 127.0.0.1:${P}\r\nContent-Length: 0\r\n\r\n`),
    };
    await openClient(cleanup, `ws://127.0.0.1:${P}/`);
    const all = { ...answers, 503: await get(P, '/', host, true) };
    for (const [status, r] of Object.entries(all)) {
      expect(r.status).toBe(Number(status));
      expect(r.headers, status).toMatchObject({
        'content-type': 'text/plain; charset=utf-8',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'cross-origin-resource-policy': 'same-origin',
        'cache-control': 'no-store',
      });
      expect(r.body.length, status).toBeGreaterThan(20);
    }
    expect(all[426].headers.upgrade).toBe('websocket');
  });

  it('a burst of connects and disconnects sends each /v2 client a few coalesced client counts, not one per client', { timeout: 60_000 }, async () => {
    const app = createServerBit({ config: testConfig({ token: TOKEN }) });
    cleanup.add(() => app.close());
    await app.start();
    const port = app.server.address!.port;
    const observer = await openClient(cleanup, `ws://127.0.0.1:${port}/v2?format=raw&columns=nSeq`);
    await observer.next((m) => m.type === 'server');
    await sleep(600); // past the interval: the burst starts fresh
    const from = observer.messages.length;
    const t = performance.now();
    // The count reaches the /v2 clients in `server` messages (and no longer in a status per change).
    const counts = () => observer.messages.slice(from).filter((m) => m.type === 'server').map((m) => m.clients as number);
    const statuses = () => observer.messages.slice(from).filter((m) => m.type === 'status').length;
    const burst = await Promise.all(Array.from({ length: 60 }, () => openClient(cleanup, `ws://127.0.0.1:${port}/`)));
    await waitFor(() => counts().at(-1) === 61, 5000, 'a server message with all 61 clients');
    for (const c of burst) c.ws.close();
    await Promise.all(burst.map((c) => c.closed));
    // It ends on the true count: the observer alone.
    await waitFor(() => counts().at(-1) === 1, 5000, 'a server message with the final count');
    const burstMs = performance.now() - t;
    await sleep(600);
    // At most one per 250 ms interval, plus the last at the end.
    expect(counts().length).toBeLessThanOrEqual(Math.ceil(burstMs / 250) + 2);
    expect(counts().at(-1)).toBe(1);
    expect(statuses()).toBeLessThan(10);
    recordFigure('client-count-coalescing', { clientsConnectedThenClosed: 60, burstMs: Math.round(burstMs), serverMessages: counts().length, statusMessages: statuses(), before: '120 status messages' });
  });
});
