import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPortMock } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialTransport, serialOpenHint } from '../../src/main/devices/serial-transport.js';
import { DeviceError } from '../../src/shared/errors.js';
import { ptyPair, type PtyPair } from '../helpers/pty.js';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function pair(): Promise<PtyPair> {
  const p = await ptyPair();
  cleanup.push(() => p.close());
  return p;
}

function transport(path: string, options?: ConstructorParameters<typeof SerialTransport>[1]): SerialTransport {
  const t = new SerialTransport(path, options);
  cleanup.push(() => t.close());
  return t;
}

/** Collects bytes from a transport until `n` have arrived. */
function receive(t: SerialTransport, n: number, timeoutMs = 5000): Promise<{ bytes: Uint8Array; chunks: number }> {
  return new Promise((resolve, reject) => {
    const out = new Uint8Array(n);
    let got = 0;
    let chunks = 0;
    const timer = setTimeout(() => reject(new Error(`received ${got} of ${n} bytes`)), timeoutMs);
    t.onData((chunk) => {
      out.set(chunk.subarray(0, n - got), got);
      got += chunk.length;
      chunks++;
      if (got >= n) {
        clearTimeout(timer);
        resolve({ bytes: out, chunks });
      }
    });
  });
}

function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SerialTransport over a real pty pair', () => {
  it('carries bytes both ways, whatever the chunking', async () => {
    const pty = await pair();
    const a = transport(pty.a);
    const b = transport(pty.b);
    await Promise.all([a.open(), b.open()]);
    expect(a.isOpen && b.isOpen).toBe(true);
    expect(a.path).toBe(pty.a);

    // a → b: many single-byte writes (commands are single bytes, docs/bitalino-protocol.md §4)
    const small = pattern(200, 1);
    const gotSmall = receive(b, small.length);
    for (const byte of small) await a.write(Uint8Array.of(byte));
    expect((await gotSmall).bytes).toEqual(small);

    // b → a: 20 kB in 4 kB writes, each awaited at the far end. Lockstep keeps every write within
    // the pty buffers: serialport 13's poller can lose a pending "writable" wait when the same
    // port starts waiting for "readable" (bindings-cpp Poller::poll arms only the new event), so
    // a write that hits EAGAIN on a port receiving nothing may never finish. BITalino commands
    // are single bytes, far from that limit.
    const big = pattern(20_000, 5);
    let chunks = 0;
    for (let offset = 0; offset < big.length; offset += 4000) {
      const piece = big.subarray(offset, offset + 4000);
      const got = receive(a, piece.length);
      await b.write(piece);
      const result = await got;
      expect(result.bytes).toEqual(piece);
      chunks += result.chunks;
    }
    expect(chunks).toBeGreaterThanOrEqual(5);

    // a → b: a subarray view is written as exactly its own bytes
    const backing = pattern(64, 9);
    const view = backing.subarray(10, 20);
    const gotView = receive(b, 10);
    await a.write(view);
    expect((await gotView).bytes).toEqual(backing.slice(10, 20));
  });

  it('rejects open on a missing path with the path, the OS error and a hint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'serverbit-missing-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'rfcomm9');
    const t = transport(path);
    const err = await t.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeviceError);
    const e = err as DeviceError;
    expect(e.code).toBe('DEVICE_OPEN_FAILED');
    expect(e.message).toContain(path);
    expect(e.message).toMatch(/no such file/i);
    expect(e.hint).toContain(`Check that ${path} exists`);
    expect(t.isOpen).toBe(false);
  });

  it('rejects opening a port another program holds, and says so', async () => {
    const pty = await pair();
    const first = transport(pty.a);
    await first.open();
    const second = transport(pty.a);
    const err = (await second.open().catch((e: unknown) => e)) as DeviceError;
    expect(err.code).toBe('DEVICE_OPEN_FAILED');
    expect(err.message).toContain(pty.a);
    expect(err.hint).toMatch(/in use|another program/i);
  });

  it('fires onClose(error) once when the link drops while open', async () => {
    const pty = await pair();
    const t = transport(pty.a);
    const closes: Array<Error | undefined> = [];
    t.onClose((e) => closes.push(e));
    await t.open();
    await pty.killSocat();
    await waitFor(() => closes.length > 0);
    await sleep(100);
    expect(closes).toHaveLength(1);
    const e = closes[0] as DeviceError;
    expect(e).toBeInstanceOf(DeviceError);
    expect(e.code).toBe('DEVICE_DISCONNECTED');
    expect(e.message).toContain(pty.a);
    expect(t.isOpen).toBe(false);
    await expect(t.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'DEVICE_DISCONNECTED' });
    await t.close();
    expect(closes).toHaveLength(1);
  });

  it('notices the drop however the tty reports it (EIO, or endless 0-byte reads after a hangup)', async () => {
    // Which one happens depends on whether a read was in flight at the hangup; repeat to cover both.
    for (let i = 0; i < 10; i++) {
      const pty = await pair();
      const t = transport(pty.a, { livenessCheckMs: 100 });
      const closes: Array<Error | undefined> = [];
      t.onClose((e) => closes.push(e));
      await t.open();
      await pty.killSocat();
      await waitFor(() => closes.length > 0, 2000);
      expect(closes[0]).toMatchObject({ code: 'DEVICE_DISCONNECTED' });
      await t.close();
      await pty.close();
    }
  });

  it('close() twice is harmless and reports a requested close without an error', async () => {
    const pty = await pair();
    const t = transport(pty.a);
    const closes: Array<Error | undefined> = [];
    t.onClose((e) => closes.push(e));
    await t.open();
    await Promise.all([t.close(), t.close()]);
    await t.close();
    expect(closes).toEqual([undefined]);
    expect(t.isOpen).toBe(false);
    await expect(t.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'DEVICE_BAD_STATE' });
  });

  it('close() before open() and during open() never rejects', async () => {
    const pty = await pair();
    await new SerialTransport(pty.a).close();
    const t = transport(pty.a);
    const opening = t.open();
    await t.close();
    await opening;
    expect(t.isOpen).toBe(false);
  });

  it('can be reopened after a close', async () => {
    const pty = await pair();
    const a = transport(pty.a);
    const b = transport(pty.b);
    await b.open();
    await a.open();
    await a.close();
    await a.open();
    const got = receive(b, 3);
    await a.write(Uint8Array.of(1, 2, 3));
    expect((await got).bytes).toEqual(Uint8Array.of(1, 2, 3));
  });
});

describe('SerialTransport with an injected binding', () => {
  it('opens through SerialPortMock.binding', async () => {
    SerialPortMock.binding.createPort('/dev/FAKE0', { echo: true, record: true });
    cleanup.push(async () => SerialPortMock.binding.reset());
    const t = transport('/dev/FAKE0', { binding: SerialPortMock.binding });
    await t.open();
    const got = receive(t, 2);
    await t.write(Uint8Array.of(0x07, 0x0b));
    expect((await got).bytes).toEqual(Uint8Array.of(0x07, 0x0b));
    await t.close();
  });

  it('maps a mock open failure to DEVICE_OPEN_FAILED', async () => {
    const t = transport('/dev/NOPE', { binding: SerialPortMock.binding });
    await expect(t.open()).rejects.toMatchObject({ code: 'DEVICE_OPEN_FAILED', message: expect.stringContaining('/dev/NOPE') });
  });
});

describe('serialOpenHint', () => {
  it('suggests the dialout group on Linux permission errors', () => {
    expect(serialOpenHint('/dev/ttyUSB0', 'Error: Permission denied, cannot open /dev/ttyUSB0', 'linux')).toMatch(/dialout/);
  });
  it('suggests the cu.* twin of a macOS tty.* path', () => {
    const hint = serialOpenHint('/dev/tty.BITalino-15-26-DevB', 'Error: Resource busy, cannot open', 'darwin');
    expect(hint).toContain('/dev/cu.BITalino-15-26-DevB');
  });
  it('explains how to create a missing /dev/rfcommN', () => {
    expect(serialOpenHint('/dev/rfcomm0', 'Error: No such file or directory, cannot open /dev/rfcomm0', 'linux')).toContain('rfcomm bind 0');
  });
  it('points Windows users at Device Manager for a missing COM port', () => {
    expect(serialOpenHint('COM7', 'Opening COM7: File not found', 'win32')).toMatch(/Device Manager/);
  });
  it('names every check when the OS reason is unknown', () => {
    const hint = serialOpenHint('/dev/ttyS3', 'Error: something odd', 'linux');
    expect(hint).toMatch(/exists/);
    expect(hint).toMatch(/other program/);
    expect(hint).toMatch(/dialout/);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(10);
  }
}
