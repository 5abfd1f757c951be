/**
 * StreamServer over real sockets on 127.0.0.1 (port 0) with real `ws` clients.
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import { Hub } from '../../src/main/acquisition/hub.js';
import { MAX_PAYLOAD_BYTES, StreamServer, type ClientEvent, type StreamServerOptions } from '../../src/main/server/ws-server.js';
import type { DeviceStatus } from '../../src/shared/acquisition.js';
import { ORIGINAL_EXAMPLE, connect, indicesOf, lcg, makeBatch, originalExampleBatch, refusedResponse, refusedStatus, streamMeta, tick, waitFor, type TestClient } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(opts: Partial<StreamServerOptions> & { labels?: readonly string[]; channels?: number[]; segmentStart?: number } = {}) {
  const { labels, channels, segmentStart, ...rest } = opts;
  const hub = (rest.hub as Hub | undefined) ?? new Hub();
  // The device the compat stream serves, described as a runner would before its first batch.
  hub.publishMeta(streamMeta({ ...(labels ? { labels } : {}), ...(channels ? { channels } : {}), ...(segmentStart !== undefined ? { segmentStart } : {}) }));
  // Pings are off unless a test is about them: a paused test client must not be reaped mid-test.
  const server = new StreamServer({ port: 0, hub, pingIntervalMs: 0, ...rest });
  cleanups.push(() => server.close());
  const { port } = await server.listen();
  return { hub, server, port, url: `ws://127.0.0.1:${port}` };
}

async function open(url: string, options?: ClientOptions): Promise<TestClient> {
  const c = await connect(url, options);
  cleanups.push(() => c.ws.terminate());
  return c;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
const parsed = (c: TestClient) => c.texts.map((t) => JSON.parse(t) as Record<string, number[]>);
const allIndices = (c: TestClient) => parsed(c).flatMap((m) => indicesOf(m));
const sizes = (c: TestClient) => parsed(c).map((m) => m.nSeq.length);
const status = (state: DeviceStatus['state']): DeviceStatus => ({
  device: 'sim',
  name: 'sim',
  address: 'sim',
  state,
  rate: 1000,
  channels: [1, 2, 6],
  counters: { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0 },
});

describe('StreamServer: compatible stream', () => {
  it('sends the original message shape byte for byte, on any path', async () => {
    const { hub, url } = await start({ batchSize: 3, segmentStart: 4 }); // the example's first sample starts a batch
    const a = await open(`${url}/`);
    const b = await open(`${url}/some/path?x=1`);
    hub.publishBatch(originalExampleBatch());
    await waitFor(() => a.texts.length === 1 && b.texts.length === 1);
    expect(a.texts).toEqual([ORIGINAL_EXAMPLE]);
    expect(b.texts).toEqual([ORIGINAL_EXAMPLE]);
  });

  it('names columns with the configured labels, in channel order, with integer values', async () => {
    const labels = ['seq', 'd1', 'd2', 'o1', 'o2', 'ECG', 'EMG', 'EDA', 'EEG', 'ACC', 'LUX'];
    const { hub, url } = await start({ batchSize: 5, labels, channels: [1, 3] });
    const c = await open(url);
    hub.publishBatch(makeBatch(100, 5, [1, 3]));
    await waitFor(() => c.texts.length === 1);
    const m = JSON.parse(c.texts[0]) as Record<string, number[]>;
    expect(Object.keys(m)).toEqual(['seq', 'd1', 'd2', 'o1', 'o2', 'ECG', 'EDA']);
    expect(m.seq).toEqual([4, 5, 6, 7, 8]);
    expect(m.ECG).toEqual([100, 101, 102, 103, 104]);
    for (const col of Object.values(m)) col.forEach((v) => expect(Number.isInteger(v)).toBe(true));
    expect(c.texts[0]).not.toContain('.');
  });

  it('delivers irregular batches (1..97, 10 000 samples) to two clients as exact batches, every sample once, in order', async () => {
    const { hub, url, server } = await start({ batchSize: 40 });
    const a = await open(url);
    const b = await open(url);
    const rnd = lcg(7);
    for (let i = 0, k = 0; i < 10_000; k++) {
      const n = Math.min(10_000 - i, 1 + Math.floor(rnd() * 97));
      hub.publishBatch(makeBatch(i, n));
      i += n;
      if (k % 10 === 0) await tick(); // let the clients read, as a real device would
    }
    await waitFor(() => a.texts.length === 250 && b.texts.length === 250, 10_000, 'all messages');
    for (const c of [a, b]) {
      expect(sizes(c).every((n) => n === 40)).toBe(true);
      expect(allIndices(c)).toEqual(range(0, 10_000));
    }
    expect(server.stats.messages).toBe(250); // encoded once for both clients
  });

  it('works with a batch size of 1', async () => {
    const { hub, url } = await start({ batchSize: 1 });
    const c = await open(url);
    for (const [i, n] of [[0, 50], [50, 1], [51, 149]]) hub.publishBatch(makeBatch(i, n));
    await waitFor(() => c.texts.length === 200);
    expect(sizes(c).every((n) => n === 1)).toBe(true);
    expect(allIndices(c)).toEqual(range(0, 200));
  });

  it('defaults to ≈40 ms batches and follows a batch size function (pending samples flushed first)', async () => {
    let size = 20;
    const fn = vi.fn((rate: number) => (rate === 1000 ? size : 1));
    const one = await start();
    const c1 = await open(one.url);
    one.hub.publishBatch(makeBatch(0, 100));
    await waitFor(() => c1.texts.length === 2);
    expect(sizes(c1)).toEqual([40, 40]);

    const two = await start({ batchSize: fn });
    const c2 = await open(two.url);
    two.hub.publishBatch(makeBatch(0, 30));
    size = 5;
    two.hub.publishBatch(makeBatch(30, 10));
    await waitFor(() => c2.texts.length === 4);
    expect(sizes(c2)).toEqual([20, 10, 5, 5]);
    expect(allIndices(c2)).toEqual(range(0, 40));
    expect(fn).toHaveBeenCalledWith(1000);
  });

  it('flushes on a gap (no batch straddles it) and when acquisition stops', async () => {
    const { hub, url } = await start({ batchSize: 40 });
    const c = await open(url);
    hub.publishBatch(makeBatch(0, 100));
    hub.publishGap({ device: 'sim', from: 100, to: 150, reason: 'crc_error' });
    hub.publishBatch(makeBatch(150, 100));
    await waitFor(() => c.texts.length === 6);
    hub.publishStatus(status('stopped'));
    await waitFor(() => c.texts.length === 7);
    // Boundaries stay on the index line (multiples of 40 from the segment's start): after the gap,
    // the batch up to the next boundary (150..159) is short.
    expect(sizes(c)).toEqual([40, 40, 20, 10, 40, 40, 10]);
    expect(allIndices(c)).toEqual([...range(0, 100), ...range(150, 250)]);
  });

  it('flushes pending samples, then closes clients with 1001 on close(); close is idempotent', async () => {
    const counts: number[] = [];
    const { hub, url, server, port } = await start({ batchSize: 40, onClientCount: (n) => counts.push(n) });
    const c = await open(url);
    hub.publishBatch(makeBatch(0, 25));
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    expect(await c.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(allIndices(c)).toEqual(range(0, 25));
    expect(server.clientCount).toBe(0);
    expect(counts).toEqual([1, 0]);
    await expect(connect(`ws://127.0.0.1:${port}`)).rejects.toThrow(/ECONNREFUSED/);
    await expect(server.listen()).rejects.toMatchObject({ code: 'LISTEN_FAILED' });
  });
});

describe('StreamServer: origins and endpoints', () => {
  it('refuses a foreign Origin with 403 on / and /v2, before any handler runs', async () => {
    const v2 = vi.fn();
    const { url, server } = await start({ v2 });
    expect(await refusedStatus(`${url}/`, 'http://evil.example')).toBe(403);
    expect(await refusedStatus(`${url}/v2`, 'http://evil.example')).toBe(403);
    expect(await refusedStatus(`${url}/`, 'http://localhost.evil.com')).toBe(403);
    expect(await refusedStatus(`${url}/`, 'http://localhost:9001@evil.com')).toBe(403);
    expect(v2).not.toHaveBeenCalled();
    expect(server.stats.rejectedOrigins).toBe(4);
    expect(server.clientCount).toBe(0);
  });

  it('accepts allowed origins and clients without an Origin header', async () => {
    const { url, server } = await start();
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:8080', 'http://localhost', undefined]) {
      await open(url, origin === undefined ? {} : { origin });
    }
    expect(server.clientCount).toBe(4);
  });

  it('hands /v2 to its hook (no compat data there), and answers 404 without one', async () => {
    const seen: string[] = [];
    const { hub, url, server } = await start({
      batchSize: 1,
      v2: (ws, _req, u) => {
        seen.push(u.pathname + u.search);
        ws.send('hello');
      },
    });
    const v = await open(`${url}/v2?token=t`, { origin: 'http://localhost:5173' });
    const c = await open(url);
    hub.publishBatch(makeBatch(0, 3));
    await waitFor(() => c.texts.length === 3 && v.texts.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(v.texts).toEqual(['hello']);
    expect(seen).toEqual(['/v2?token=t']);
    expect(server.clientCount).toBe(2);

    const bare = await start();
    expect(await refusedStatus(`${bare.url}/v2`)).toBe(404);
  });

  it('answers plain HTTP with 426, or through the http hook', async () => {
    const { port } = await start({
      http: (req, res) => {
        if (req.url !== '/hello') return false;
        res.end('hi');
        return true;
      },
    });
    const r1 = await fetch(`http://127.0.0.1:${port}/`);
    expect(r1.status).toBe(426);
    await r1.text();
    const r2 = await fetch(`http://127.0.0.1:${port}/hello`);
    expect(await r2.text()).toBe('hi');
  });

  it('rejects with PORT_IN_USE, naming the port, when the port is taken', async () => {
    const { port, server } = await start();
    const other = new StreamServer({ port, hub: new Hub() });
    cleanups.push(() => other.close());
    const err = await other.listen().catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'NetworkError', code: 'PORT_IN_USE' });
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    expect((err as Error).message).toContain(`port ${port}`);
    // What to do is said once, in the hint (not again in the message).
    expect((err as Error).message).not.toContain('~/ServerBIT/config.json');
    expect((err as { hint?: string }).hint).toContain('~/ServerBIT/config.json');
    await expect(server.listen()).rejects.toMatchObject({ code: 'LISTEN_FAILED' }); // already listening
    // Once the port is free, a rejected listen() can be retried.
    await server.close();
    expect(await other.listen()).toEqual({ host: '127.0.0.1', port });
  });

  it('can be closed without ever listening', async () => {
    await new StreamServer({ port: 0, hub: new Hub() }).close();
  });

  it('validates its options', () => {
    const hub = new Hub();
    expect(() => new StreamServer({ port: 70000, hub })).toThrow(/"port"/);
    expect(() => new StreamServer({ port: 0, hub, batchSize: 0 })).toThrow(/"batchSize"/);
    expect(() => new StreamServer({ port: 0, hub, highWaterBytes: -1 })).toThrow(/"highWaterBytes"/);
  });
});

describe('StreamServer: misbehaving clients', () => {
  it('closes a client that stops reading with 1013; a normal client receives everything', async () => {
    const { hub, url, server } = await start({ batchSize: 1000, highWaterBytes: 256 * 1024 });
    const normal = await open(url);
    const slow = await open(url);
    slow.ws.pause(); // stops reading its socket: the kernel buffers fill, then ws's backlog grows
    let i = 0;
    while (server.stats.slowClients === 0) {
      if (i >= 900_000) throw new Error('the slow client was never closed');
      hub.publishBatch(makeBatch(i, 1000));
      i += 1000;
      // The normal client keeps up (it shares this process, so give it time to read).
      await waitFor(() => normal.texts.length === i / 1000, 5000, 'the normal client');
    }
    for (let k = 0; k < 5; k++, i += 1000) hub.publishBatch(makeBatch(i, 1000));
    await waitFor(() => normal.texts.length === i / 1000, 5000, 'the normal client');
    expect(allIndices(normal)).toEqual(range(0, i));
    expect(server.stats.slowClients).toBe(1);

    slow.ws.resume();
    expect(await slow.closed).toEqual({ code: 1013, reason: 'too slow: fell more than 256 KiB behind' });
    // Up to the close, the slow client got a gap-free prefix: nothing was skipped silently.
    const got = allIndices(slow);
    expect(got).toEqual(range(0, got.length));
    expect(got.length).toBeLessThan(i);
    expect(normal.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('survives garbage text, binary, invalid UTF-8, oversize messages and bad frames; others keep receiving', async () => {
    const { hub, url, server, port } = await start({ batchSize: 10 });
    const good = await open(url);
    const bad = await open(url);
    bad.ws.send('garbage {');
    bad.ws.send(JSON.stringify({ cmd: 'start' }));
    bad.ws.send(Buffer.from([0, 1, 2, 255]));
    hub.publishBatch(makeBatch(0, 10));
    await waitFor(() => good.texts.length === 1 && bad.texts.length === 1);
    expect(bad.ws.readyState).toBe(WebSocket.OPEN);

    bad.ws.send('x'.repeat(MAX_PAYLOAD_BYTES + 1));
    expect((await bad.closed).code).toBe(1009);
    const utf = await open(url);
    utf.ws.send(Buffer.from([0xff, 0xfe, 0xfd]), { binary: false });
    expect((await utf.closed).code).toBe(1007);

    // A raw socket that completes the handshake, then sends an unmasked frame (a protocol error).
    const raw = net.connect(port, '127.0.0.1');
    cleanups.push(() => raw.destroy());
    raw.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const [head] = (await once(raw, 'data')) as [Buffer];
    expect(head.toString()).toMatch(/^HTTP\/1.1 101/);
    raw.write(Buffer.from([0x81, 0x03, 0x61, 0x62, 0x63]));
    raw.resume();
    await once(raw, 'close');

    hub.publishBatch(makeBatch(10, 10));
    await waitFor(() => good.texts.length === 2);
    expect(allIndices(good)).toEqual(range(0, 20));
    await waitFor(() => server.clientCount === 1, 2000, 'the bad clients to be gone');
  });

  it('terminates a client that stops answering pings; live clients stay', async () => {
    const { url, server } = await start({ pingIntervalMs: 100 });
    const events: ClientEvent[] = [];
    server.onClientChange((e) => events.push(e));
    const live = await open(url);
    const dead = await open(url, { autoPong: false });
    expect((await dead.closed).code).toBe(1006);
    await waitFor(() => server.clientCount === 1);
    await new Promise((r) => setTimeout(r, 350)); // several more ping rounds
    expect(live.ws.readyState).toBe(WebSocket.OPEN);
    expect(server.stats.deadClients).toBe(1);
    expect(events.map((e) => [e.type, e.endpoint, e.clients, e.code])).toEqual([
      ['connect', 'compat', 1, undefined],
      ['connect', 'compat', 2, undefined],
      ['disconnect', 'compat', 1, 1006],
    ]);
    expect(events[0].remote).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});

describe('StreamServer: several devices', () => {
  it('"/" is the first device and /devices/<id> each device, never interleaved; an unknown id is refused with the list', async () => {
    const hub = new Hub();
    hub.publishMeta(streamMeta({ device: 'a', channels: [1, 2, 6] }));
    hub.publishMeta(streamMeta({ device: 'b', channels: [1, 2, 6] }));
    const { url } = await start({ hub, batchSize: 10, devices: () => ['a', 'b'] });
    const root = await open(`${url}/`);
    const a = await open(`${url}/devices/a`);
    const b = await open(`${url}/devices/b`);
    for (let i = 0; i < 100; i += 10) {
      hub.publishBatch(makeBatch(i, 10, [1, 2, 6], 0, 'a'));
      hub.publishBatch(makeBatch(5000 + i, 10, [1, 2, 6], 0, 'b'));
    }
    await waitFor(() => root.texts.length === 10 && a.texts.length === 10 && b.texts.length === 10);
    expect(allIndices(root)).toEqual(range(0, 100));
    expect(allIndices(a)).toEqual(range(0, 100));
    expect(allIndices(b)).toEqual(range(5000, 5100));
    const status = await refusedResponse(`${url}/devices/c`);
    expect(status.code).toBe(404);
    expect(status.body).toContain('/devices/a, /devices/b');
  });

  it('closes the clients of a removed device (1001, naming it); the other device streams on', async () => {
    const hub = new Hub();
    hub.publishMeta(streamMeta({ device: 'a' }));
    hub.publishMeta(streamMeta({ device: 'b' }));
    const { url } = await start({ hub, batchSize: 5, devices: () => hub.devices() });
    const a = await open(`${url}/devices/a`);
    const b = await open(`${url}/devices/b`);
    hub.publishRemoved('a');
    const closed = await a.closed;
    expect(closed.code).toBe(1001);
    expect(closed.reason).toContain('a');
    hub.publishBatch(makeBatch(0, 5, [1, 2, 6], 0, 'b'));
    await waitFor(() => b.texts.length === 1);
    expect(allIndices(b)).toEqual(range(0, 5));
  });
});
