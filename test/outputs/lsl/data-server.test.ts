import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DataServer, type ServedStream } from '../../../src/main/outputs/lsl/data-server.js';
import { fullinfoXml, infoFields, shortinfoXml } from '../../../src/main/outputs/lsl/info-xml.js';
import { encodeSamples, sampleBytes } from '../../../src/main/outputs/lsl/sample-encoder.js';
import { fixture, fixtureText, infoFromFixture, specs } from './fixtures.js';
import { tcpExchange, waitFor } from './helpers.js';

const range = { host: '127.0.0.1', basePort: 0, portRange: 1, allowRandomPorts: true };
const servers: DataServer[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await s.close();
});

function served(kind: 'float32' | 'int16'): ServedStream {
  const info = infoFromFixture(fixtureText(`${kind}-fullinfo.xml`), specs[kind]);
  return { uid: info.uid, channelFormat: info.channelFormat, channelCount: info.channelCount, fullinfo: fullinfoXml(info), shortinfo: shortinfoXml(info), fields: infoFields(info) };
}

async function open(kind: 'float32' | 'int16', options: Partial<Parameters<typeof DataServer.open>[1]> = {}): Promise<{ server: DataServer; stream: ServedStream }> {
  const server = await DataServer.open(range, { backlogSamples: 1000, ...options });
  servers.push(server);
  const stream = served(kind);
  server.serve(stream);
  return { server, stream };
}

/** The recorded liblsl inlet request, for this stream. */
function inletRequest(stream: ServedStream, maxBuffer?: number): string {
  let r = fixtureText('inlet-streamfeed-request.txt').replace('U-1', stream.uid).replace('Value-Size: 4', `Value-Size: ${stream.channelFormat === 'float32' ? 4 : 2}`);
  if (maxBuffer !== undefined) r = r.replace('Max-Buffer-Length: 360000', `Max-Buffer-Length: ${maxBuffer}`);
  return r;
}

function headerLength(uid: string): number {
  return `LSL/110 200 OK\r\nUID: ${uid}\r\nByte-Order: 1234\r\nSuppress-Subnormals: 0\r\nData-Protocol-Version: 110\r\n\r\n`.length;
}

describe('DataServer (an outlet’s TCP port), against liblsl’s transcripts', () => {
  for (const kind of ['float32', 'int16'] as const) {
    it(`serves a real inlet’s request exactly as liblsl does (${kind})`, async () => {
      const { server, stream } = await open(kind);
      const spec = specs[kind];
      const size = sampleBytes(kind, spec.channelCount);
      const total = headerLength(stream.uid) + size * (2 + spec.samples.length);
      const got = tcpExchange(server.port, inletRequest(stream), { bytes: total });
      await waitFor(() => server.consumerCount === 1, 'the consumer');
      const values = kind === 'float32' ? new Float32Array(spec.samples.flatMap((s) => s.values)) : new Int16Array(spec.samples.flatMap((s) => s.values));
      server.push(encodeSamples(kind, spec.channelCount, values, Float64Array.from(spec.samples.map((s) => s.timestamp))));
      expect(await got).toEqual(fixture(`${kind}-streamfeed.bin`));
    });

    it(`answers fullinfo, shortinfo and a query that does not match as liblsl does (${kind})`, async () => {
      const { server } = await open(kind);
      expect((await tcpExchange(server.port, 'LSL:fullinfo\r\n')).toString()).toBe(fixtureText(`${kind}-fullinfo.xml`));
      expect((await tcpExchange(server.port, 'LSL:shortinfo\r\n\r\n')).toString()).toBe(fixtureText(`${kind}-shortinfo.xml`));
      expect(await tcpExchange(server.port, "LSL:shortinfo\r\nname='nothing'\r\n")).toEqual(fixture(`${kind}-shortinfo-nomatch.bin`));
    });

    it(`refuses another uid (404) and protocol 2.x (505) with liblsl’s status lines (${kind})`, async () => {
      const { server, stream } = await open(kind);
      const headers = `Max-Buffer-Length: 100\r\nValue-Size: ${kind === 'float32' ? 4 : 2}\r\n\r\n`;
      expect(await tcpExchange(server.port, `LSL:streamfeed/110 not-the-uid\r\n${headers}`)).toEqual(fixture(`${kind}-status-404.txt`));
      expect(await tcpExchange(server.port, `LSL:streamfeed/200 ${stream.uid}\r\n${headers}`)).toEqual(fixture(`${kind}-status-505.txt`));
      expect(server.consumerCount).toBe(0);
    });
  }

  it('answers 505 to what needs the 1.00 data protocol (other value size, no IEEE floats, Protocol-Version 100)', async () => {
    const { server, stream } = await open('float32');
    for (const extra of ['Value-Size: 8', 'Has-IEEE754-Floats: 0', 'Protocol-Version: 100']) {
      const r = await tcpExchange(server.port, `LSL:streamfeed/110 ${stream.uid}\r\n${extra}\r\n\r\n`);
      expect(r.toString()).toBe('LSL/110 505 Version not supported');
    }
    expect((await tcpExchange(server.port, 'LSL:streamfeed\r\n360 0\r\n')).length).toBe(0);
  });

  it('tells an inlet without subnormals to suppress them (float32 only)', async () => {
    const { server, stream } = await open('float32');
    const r = await tcpExchange(server.port, `LSL:streamfeed/110 ${stream.uid}\r\nSupports-Subnormals: 0\r\nMax-Buffer-Length: 0\r\n\r\n`);
    expect(r.toString('latin1')).toContain('Suppress-Subnormals: 1\r\n');
  });

  it('sends only the header to a consumer that buffers nothing (Max-Buffer-Length: 0), then closes, as liblsl', async () => {
    const { server, stream } = await open('int16');
    const r = await tcpExchange(server.port, inletRequest(stream, 0));
    expect(r.length).toBe(headerLength(stream.uid) + 2 * sampleBytes('int16', 3));
    expect(server.consumerCount).toBe(0);
  });

  it('serves several consumers at once, each every sample', async () => {
    const { server, stream } = await open('int16');
    const size = sampleBytes('int16', 3);
    const n = 500;
    const total = headerLength(stream.uid) + size * (2 + n);
    const a = tcpExchange(server.port, inletRequest(stream), { bytes: total });
    const b = tcpExchange(server.port, inletRequest(stream), { bytes: total });
    await waitFor(() => server.consumerCount === 2, 'two consumers');
    for (let i = 0; i < n; i += 50) {
      const values = new Int16Array(50 * 3).map((_, k) => i + Math.floor(k / 3));
      server.push(encodeSamples('int16', 3, values, new Float64Array(50).map((_, k) => i + k)));
    }
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra).toEqual(rb);
    const body = ra.subarray(headerLength(stream.uid) + 2 * size);
    expect(body.length).toBe(n * size);
    const stamps = Array.from({ length: n }, (_, i) => body.readDoubleLE(i * size + 1));
    expect(stamps).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('drops the oldest samples of a consumer that does not read, never more than its backlog, and counts them', async () => {
    const { server, stream } = await open('int16', { backlogSamples: 100_000 });
    const size = sampleBytes('int16', 3);
    const socket = net.connect(server.port, '127.0.0.1');
    sockets.push(socket);
    socket.write(inletRequest(stream, 50)); // the consumer buffers 50 samples: that is its bound
    socket.pause();
    await waitFor(() => server.consumerCount === 1, 'the consumer');
    // Push until the socket buffers (a few MiB on loopback) are full and the backlog overflows, then 20 000 more.
    const chunk = 1000;
    let pushed = 0;
    const pushChunk = (): void => {
      server.push(encodeSamples('int16', 3, new Int16Array(chunk * 3), new Float64Array(chunk).map((_, k) => pushed + k)));
      pushed += chunk;
    };
    while (server.counters.droppedSamples === 0 && pushed < 20_000_000) pushChunk();
    for (let c = 0; c < 20; c++) pushChunk();
    expect(server.counters.droppedSamples).toBeGreaterThan(20_000 - 50);
    const received: number[] = [];
    let carry = Buffer.alloc(0);
    let skip = headerLength(stream.uid) + 2 * size;
    socket.on('data', (d: Buffer) => {
      let b = carry.length > 0 ? Buffer.concat([carry, d]) : d;
      if (skip > 0) {
        const n = Math.min(skip, b.length);
        b = b.subarray(n);
        skip -= n;
      }
      let o = 0;
      for (; o + size <= b.length; o += size) received.push(b.readDoubleLE(o + 1));
      carry = Buffer.from(b.subarray(o));
    });
    socket.resume();
    await waitFor(() => received.at(-1) === pushed - 1, 'the newest sample');
    // In order, the newest 50 samples intact, and every missing one counted as dropped.
    const outOfOrder = received.findIndex((v, i) => i > 0 && v <= received[i - 1]);
    expect(outOfOrder).toBe(-1);
    expect(received.slice(-50)).toEqual(Array.from({ length: 50 }, (_, k) => pushed - 50 + k));
    expect(received.length + server.counters.droppedSamples).toBe(pushed);
  });
});

describe('DataServer against hostile clients', () => {
  it('closes garbage, oversized and unknown requests without an answer, and keeps serving', async () => {
    const { server, stream } = await open('float32');
    expect((await tcpExchange(server.port, Buffer.alloc(100_000, 0x41))).length).toBe(0);
    expect((await tcpExchange(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).length).toBe(0);
    expect((await tcpExchange(server.port, Buffer.from([0, 1, 2, 255, 10, 13, 10]))).length).toBe(0);
    expect((await tcpExchange(server.port, 'LSL:streamfeed/110 ' + stream.uid + '\r\n' + 'A: b\r\n'.repeat(5000))).length).toBe(0);
    expect(server.counters.invalid).toBe(4);
    expect((await tcpExchange(server.port, 'LSL:fullinfo\r\n')).toString()).toBe(stream.fullinfo);
  });

  it('closes a connection that does not finish its request in time (slowloris)', async () => {
    const { server, stream } = await open('float32', { requestTimeoutMs: 200 });
    const r = await tcpExchange(server.port, 'LSL:streamfeed/110 ' + stream.uid + '\r\nMax-Buffer', { timeoutMs: 10_000 });
    expect(r.length).toBe(0);
    expect(server.counters.invalid).toBe(1);
  });

  it('refuses connections beyond maxPending and feeds beyond maxConsumers, and serves again when they leave', async () => {
    const { server, stream } = await open('int16', { maxPending: 2, maxConsumers: 1 });
    const idle = [net.connect(server.port, '127.0.0.1'), net.connect(server.port, '127.0.0.1')];
    sockets.push(...idle);
    await waitFor(() => server.counters.connections === 2, 'two idle connections');
    expect((await tcpExchange(server.port, 'LSL:fullinfo\r\n')).length).toBe(0);
    expect(server.counters.refused).toBe(1);
    for (const s of idle) s.destroy();
    await waitFor(() => server.pendingCount === 0, 'the idle connections to be gone');
    const feed = net.connect(server.port, '127.0.0.1');
    sockets.push(feed);
    feed.write(inletRequest(stream));
    await waitFor(() => server.consumerCount === 1, 'one consumer');
    expect((await tcpExchange(server.port, inletRequest(stream))).length).toBe(0);
    expect(server.counters.refused).toBe(2);
    feed.destroy();
    await waitFor(() => server.consumerCount === 0, 'the consumer to leave');
    expect((await tcpExchange(server.port, inletRequest(stream), { bytes: headerLength(stream.uid) })).length).toBeGreaterThanOrEqual(headerLength(stream.uid));
  });

  it('closes a consumer that keeps sending after its request', async () => {
    const { server, stream } = await open('int16');
    const s = net.connect(server.port, '127.0.0.1');
    sockets.push(s);
    s.on('error', () => {});
    s.write(inletRequest(stream));
    await waitFor(() => server.consumerCount === 1, 'the consumer');
    s.write(Buffer.alloc(200_000));
    await waitFor(() => server.consumerCount === 0, 'the consumer to be closed');
  });
});
