import { spawn } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpTransport } from '../../src/main/devices/tcp-transport.js';
import { DeviceError } from '../../src/shared/errors.js';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A real server on 127.0.0.1, port 0; resolves with its port and the first accepted socket. */
async function server(): Promise<{ port: number; peer: Promise<net.Socket>; server: net.Server }> {
  const sockets: net.Socket[] = [];
  let accept!: (s: net.Socket) => void;
  const peer = new Promise<net.Socket>((r) => (accept = r));
  const srv = net.createServer((s) => {
    sockets.push(s);
    accept(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  );
  return { port: (srv.address() as net.AddressInfo).port, peer, server: srv };
}

function transport(host: string, port: number, connectTimeoutMs?: number): TcpTransport {
  const t = new TcpTransport(host, port, { connectTimeoutMs });
  cleanup.push(() => t.close());
  return t;
}

function collect(n: number, subscribe: (fn: (chunk: Uint8Array) => void) => void): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const parts: number[] = [];
    subscribe((chunk) => {
      parts.push(...chunk);
      if (parts.length >= n) resolve(Uint8Array.from(parts));
    });
  });
}

describe('TcpTransport', () => {
  it('carries bytes both ways', async () => {
    const { port, peer } = await server();
    const t = transport('127.0.0.1', port);
    expect(t.path).toBe(`127.0.0.1:${port}`);
    await t.open();
    expect(t.isOpen).toBe(true);
    const s = await peer;

    const toServer = collect(3, (fn) => s.on('data', fn));
    await t.write(Uint8Array.of(0x07));
    await t.write(Uint8Array.of(0x0b, 0xff));
    expect(await toServer).toEqual(Uint8Array.of(0x07, 0x0b, 0xff));

    const big = Uint8Array.from({ length: 100_000 }, (_, i) => i & 0xff);
    const toClient = collect(big.length, (fn) => t.onData(fn));
    s.write(big);
    expect(await toClient).toEqual(big);
  });

  it('fires onClose(error) once when the peer goes away', async () => {
    const { port, peer } = await server();
    const t = transport('127.0.0.1', port);
    const closes: Array<Error | undefined> = [];
    t.onClose((e) => closes.push(e));
    await t.open();
    (await peer).destroy();
    await waitFor(() => closes.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(closes).toHaveLength(1);
    expect(closes[0]).toBeInstanceOf(DeviceError);
    expect(closes[0]).toMatchObject({ code: 'DEVICE_DISCONNECTED', message: expect.stringContaining(`127.0.0.1:${port}`) });
    expect(t.isOpen).toBe(false);
    await expect(t.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'DEVICE_DISCONNECTED' });
    await t.close();
    expect(closes).toHaveLength(1);
  });

  it('close() twice is harmless; a requested close reports no error; written bytes are delivered', async () => {
    const { port, peer } = await server();
    const t = transport('127.0.0.1', port);
    const closes: Array<Error | undefined> = [];
    t.onClose((e) => closes.push(e));
    await t.open();
    const s = await peer;
    const got = collect(1, (fn) => s.on('data', fn));
    await t.write(Uint8Array.of(0x00));
    await Promise.all([t.close(), t.close()]);
    await t.close();
    expect(await got).toEqual(Uint8Array.of(0x00));
    expect(closes).toEqual([undefined]);
  });

  it('rejects with DEVICE_OPEN_FAILED naming host:port when nothing listens', async () => {
    const { port, server: srv } = await server();
    await new Promise<void>((r) => srv.close(() => r()));
    const t = transport('127.0.0.1', port);
    const err = (await t.open().catch((e: unknown) => e)) as DeviceError;
    expect(err).toBeInstanceOf(DeviceError);
    expect(err.code).toBe('DEVICE_OPEN_FAILED');
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.hint).toMatch(/Nothing is listening/);
  });

  it('gives up after the connect timeout', async () => {
    const port = await unansweredPort();
    const t = transport('127.0.0.1', port, 300);
    const started = Date.now();
    const err = (await t.open().catch((e: unknown) => e)) as DeviceError;
    expect(err).toBeInstanceOf(DeviceError);
    expect(err.code).toBe('DEVICE_OPEN_FAILED');
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).toMatch(/300 ms/);
    expect(err.hint).toMatch(/powered|network/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(t.isOpen).toBe(false);
  });

  it('brackets IPv6 hosts in its path and validates options', () => {
    expect(new TcpTransport('::1', 8001).path).toBe('[::1]:8001');
    expect(() => new TcpTransport('127.0.0.1', 0)).toThrow(TypeError);
    expect(() => new TcpTransport('127.0.0.1', 80, { connectTimeoutMs: 0 })).toThrow(/connectTimeoutMs/);
  });
});

/**
 * A loopback port whose SYNs go unanswered, for connect timeouts without relying on the network
 * (sandboxes and CI proxies may answer for any remote address). A child process listens with a
 * backlog of 1 and blocks its event loop, so it never accepts; once the kernel's accept queue is
 * full, further connection attempts hang.
 */
async function unansweredPort(): Promise<number> {
  const script =
    "const s=require('net').createServer();" +
    "s.listen({port:0,host:'127.0.0.1',backlog:1},()=>process.stdout.write(s.address().port+'\\n',()=>Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,60000)))";
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanup.push(() => void child.kill('SIGKILL'));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    child.once('exit', (code) => reject(new Error(`listener exited (${String(code)})`)));
  });
  for (let i = 0; i < 8; i++) {
    const filler = net.connect(port, '127.0.0.1');
    filler.on('error', () => undefined);
    cleanup.push(() => void filler.destroy());
    const connected = await new Promise<boolean>((resolve) => {
      filler.once('connect', () => resolve(true));
      setTimeout(() => resolve(false), 200);
    });
    if (!connected) return port;
  }
  throw new Error('could not fill the accept queue');
}

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
