/**
 * Client and network faults on the whole app (createServerBit: "/" and "/v2" on one port):
 * - a barrage of malformed, binary, oversize, invalid-UTF-8, flooding and non-WebSocket input on
 *   both endpoints at once: each offender gets an error reply or a close with a code, and the
 *   service streams on; the well-behaved clients lose nothing;
 * - the port already in use: a clear error naming the port and the fix; the desktop app shows
 *   the error state (tray) and keeps acquiring, nothing crashes.
 * Each fault alone is unit-tested next to its code (test/streaming/ws-server.test.ts,
 * test/v2/access.test.ts); this is the service surviving all of them together.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createServerBit } from '../../src/main/app.js';
import { trayView } from '../../src/main/desktop/tray-model.js';
import { MAX_PAYLOAD_BYTES } from '../../src/main/server/ws-server.js';
import { NetworkError } from '../../src/shared/errors.js';
import { Cleanup, compatColumns, openClient, sleep, testConfig, v2Of, waitFor, type Client, type V2Data, firstDevice } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Sends raw bytes on a fresh TCP connection; resolves with what came back once the server closed it (or after ms). */
function raw(port: number, bytes: string | Buffer, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    cleanup.add(() => s.destroy());
    let got = '';
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('error', () => undefined);
    const t = setTimeout(() => {
      s.destroy();
      resolve(got);
    }, ms);
    s.on('close', () => {
      clearTimeout(t);
      resolve(got);
    });
    s.write(bytes);
  });
}

describe('hostile clients against the whole app', () => {
  it('malformed, binary, oversize, invalid UTF-8, floods and non-WebSocket bytes on "/" and "/v2": error replies or closes with a code; the stream goes on', async () => {
    const app = createServerBit({ config: testConfig({ batch_ms: 10 }) });
    cleanup.add(() => app.close());
    await app.start();
    const port = app.server.address!.port;
    const base = app.url;
    // Well-behaved clients, there before and after the barrage.
    const good = await openClient(base, cleanup);
    const goodV2 = await openClient(`${base}v2?format=raw`, cleanup);
    await waitFor(() => v2Of(goodV2, 'data').length > 5 && good.messages.length > 5, 10_000, 'data');

    // "/": the compat stream is server → client only; whatever a client sends is read and dropped.
    const chatty = await openClient(base, cleanup);
    chatty.ws.send('not json {');
    chatty.ws.send(JSON.stringify({ command: 'stop' }));
    chatty.ws.send(Buffer.from([0, 1, 2, 255]));
    for (let i = 0; i < 20_000; i++) chatty.ws.send('flood');
    const oversize = await openClient(base, cleanup);
    oversize.ws.send('x'.repeat(MAX_PAYLOAD_BYTES + 1));
    const badUtf8 = await openClient(base, cleanup);
    badUtf8.ws.send(Buffer.from([0xc3, 0x28]), { binary: false });

    // "/v2": errors come back as replies with stable codes; the connection stays.
    const v2 = await openClient(`${base}v2`, cleanup);
    v2.ws.send('{"type": "command", "id": 1, "command": ');
    v2.ws.send(Buffer.from([1, 2, 3]));
    v2.ws.send(JSON.stringify({ type: 'command', id: 2, command: 'format_disk' }));
    v2.ws.send(JSON.stringify({ type: 'command', id: 3, command: 'pwm', args: { duty: 999 } }));
    for (let i = 0; i < 1000; i++) v2.ws.send(JSON.stringify({ type: 'command', id: 100 + i, command: 'get_config' }));
    const v2oversize = await openClient(`${base}v2`, cleanup);
    v2oversize.ws.send('x'.repeat(MAX_PAYLOAD_BYTES + 1));

    // Not WebSocket at all.
    const noise = raw(port, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 255)));
    const hugeHeader = raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    const badUpgrade = raw(port, `GET /v2 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 99\r\n\r\n`);

    expect((await oversize.closed).code).toBe(1009);
    expect((await v2oversize.closed).code).toBe(1009);
    expect((await badUtf8.closed).code).toBe(1007);
    expect(await noise).toMatch(/^(HTTP\/1\.1 400|)/);
    expect(await hugeHeader).toMatch(/^HTTP\/1\.1 431/);
    expect(await badUpgrade).toMatch(/^HTTP\/1\.1 400/);

    const replies = () => v2Of<{ id: unknown; ok: boolean; error?: { code: string } }>(v2, 'reply');
    await waitFor(() => replies().length >= 1004, 10_000, 'a reply to every /v2 message');
    const codeOf = (id: unknown) => replies().find((r) => r.id === id)?.error?.code;
    expect(replies().filter((r) => r.id === null).map((r) => r.error?.code)).toEqual(['BAD_MESSAGE', 'BAD_MESSAGE']);
    expect(codeOf(2)).toBe('UNKNOWN_COMMAND');
    expect(codeOf(3)).toBe('BAD_ARGUMENTS');
    const flood = replies().filter((r) => typeof r.id === 'number' && r.id >= 100);
    expect(flood.some((r) => r.error?.code === 'RATE_LIMITED')).toBe(true);
    expect(flood.every((r) => r.error?.code === 'RATE_LIMITED' || r.error?.code === 'UNAUTHORIZED')).toBe(true);
    expect(v2.closedWith).toBeUndefined();
    expect(chatty.closedWith).toBeUndefined();

    // The service and the well-behaved clients never noticed.
    const before = v2Of<V2Data>(goodV2, 'data').length;
    await waitFor(() => v2Of<V2Data>(goodV2, 'data').length > before + 20, 10_000, 'more data');
    expect(firstDevice(app).status.state).toBe('streaming');
    expect(good.closedWith).toBeUndefined();
    expect(goodV2.closedWith).toBeUndefined();
    let next = -1;
    for (const d of v2Of<V2Data>(goodV2, 'data')) {
      if (next >= 0) expect(d.index).toBe(next);
      next = d.index + d.count;
    }
    const seq = compatColumns(good).nSeq;
    for (let i = 1; i < seq.length; i++) expect(seq[i]).toBe((seq[i - 1] + 1) & 15);
    // A newcomer is served as usual.
    const late: Client = await openClient(base, cleanup);
    await waitFor(() => late.messages.length > 2, 5000, 'data for a new client');
  }, 60_000);
});

describe('the port already in use', () => {
  it('start() fails with PORT_IN_USE naming the port and the fix; the app shows the error state and keeps acquiring; nothing crashes', async () => {
    const blocker = net.createServer();
    const port = await new Promise<number>((r) => blocker.listen(0, '127.0.0.1', () => r((blocker.address() as net.AddressInfo).port)));
    cleanup.add(() => new Promise<void>((r) => blocker.close(() => r())));

    const app = createServerBit({ config: testConfig({ port }) });
    cleanup.add(() => app.close());
    const err = await app.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    const e = err as NetworkError;
    expect(e.code).toBe('PORT_IN_USE');
    expect(e.message).toContain(`port ${port}`);
    expect(e.message).toMatch(/another program \(maybe another ServerBIT\)/);
    expect(e.hint).toMatch(/choose another port \("port" in ~\/ServerBIT\/config\.json, or --port\)/);

    // What the desktop app does with it (src/main/electron/main.ts): report it as a problem, and
    // start acquisition anyway (the window works over IPC without the port).
    const problem = { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
    await app.startDevices();
    expect(firstDevice(app).status.state).toBe('streaming');
    const view = trayView({ devices: [firstDevice(app).status], clients: 0, problem, platform: 'linux', openAtLogin: false });
    expect(view.icon).toBe('tray-error.png');
    // The tray's problem line and tooltip name the address (host:port) that could not be opened.
    expect(view.menu.find((m) => m.id === 'problem')?.label).toContain(`Cannot listen on 127.0.0.1:${port}`);
    expect(view.tooltip).toContain(`127.0.0.1:${port}`);

    // Once the other program lets go of the port, a new server there works.
    await app.close();
    await new Promise<void>((r) => blocker.close(() => r()));
    const again = createServerBit({ config: testConfig({ port }) });
    cleanup.add(() => again.close());
    await again.start();
    expect(again.server.address?.port).toBe(port);
    await sleep(50);
  }, 30_000);
});
