/**
 * The fast serial read path (src/main/devices/tty-reader.ts) over real socat pty pairs: which
 * path a port takes, reads split anywhere, bursts coalesced by a hold, a link that dies while
 * reading or holding, and closing while bytes are being delivered. Timings are never asserted:
 * waits are for conditions, with generous timeouts.
 */
import { closeSync, openSync } from 'node:fs';
import { SerialPort, SerialPortMock } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/main/devices/codec.js';
import { FrameDecoder } from '../../src/main/devices/frame-decoder.js';
import { SerialTransport } from '../../src/main/devices/serial-transport.js';
import { TtyReader, pollablePort, type PollablePort } from '../../src/main/devices/tty-reader.js';
import { DeviceError } from '../../src/shared/errors.js';
import { ptyPair, type PtyPair } from '../helpers/pty.js';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

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

/** Every byte a transport delivers, and how many chunks they came in. */
function collect(t: SerialTransport) {
  const got = { bytes: [] as number[], chunks: 0 };
  t.onData((c) => {
    got.chunks++;
    for (const b of c) got.bytes.push(b);
  });
  return got;
}

/** Opens a port through serialport's native binding, as SerialTransport does, for TtyReader directly. */
async function openBindingPort(path: string): Promise<{ port: PollablePort; close: () => Promise<void> }> {
  const raw = await SerialPort.binding.open({ path, baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1, rtscts: false, xon: false, xoff: false, xany: false, hupcl: true, lock: true });
  const port = pollablePort(raw);
  if (!port) throw new Error('the native binding port has no fd/poller on this platform');
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await raw.close();
  };
  cleanup.push(close);
  return { port, close };
}

function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);
}

describe('which read path a serial port takes', () => {
  it('reads a tty through TtyReader on Linux, through serialport when asked or with an injected binding', async () => {
    const pty = await pair();
    const fast = transport(pty.a);
    await fast.open();
    expect(fast.readPath).toBe('tty');
    expect(fast.readStats).toMatchObject({ reads: 0, bytes: 0 });
    await fast.close();
    expect(fast.readPath).toBeUndefined();

    const slow = transport(pty.a, { readPath: 'serialport' });
    await slow.open();
    expect(slow.readPath).toBe('serialport');
    expect(slow.readStats).toBeUndefined();
    await slow.close();

    SerialPortMock.binding.createPort('/dev/FAKE1', { echo: true });
    cleanup.push(() => SerialPortMock.binding.reset());
    const mock = transport('/dev/FAKE1', { binding: SerialPortMock.binding });
    await mock.open();
    expect(mock.readPath).toBe('serialport');
    // holdReads is harmless where the path cannot hold: the echo still comes back.
    mock.holdReads(1000);
    const got = collect(mock);
    await mock.write(Uint8Array.of(1, 2, 3));
    await waitFor(() => got.bytes.length === 3, 'the echo');
    expect(got.bytes).toEqual([1, 2, 3]);
  });

  it('rejects a read path it does not know', () => {
    expect(() => new SerialTransport('/dev/null', { readPath: 'fast' as never })).toThrow(TypeError);
  });
});

describe('TtyReader over a real pty pair', () => {
  it('partial reads: frames written in pieces split anywhere arrive whole, in order, and decode', async () => {
    const pty = await pair();
    const a = transport(pty.a);
    const b = transport(pty.b);
    await Promise.all([a.open(), b.open()]);
    const got = collect(a);
    // 300 six-channel frames, written in pieces of 1..11 bytes: most writes end mid-frame.
    const frames = Array.from({ length: 300 }, (_, k) => encodeFrame(k & 15, k & 15, [k & 1023, (k * 7) & 1023, 3, 4, k & 63, 5]));
    const bytes = Uint8Array.from(frames.flatMap((f) => [...f]));
    for (let off = 0, i = 0; off < bytes.length; i++) {
      const n = 1 + ((i * 5) % 11);
      await b.write(bytes.subarray(off, off + n));
      off += n;
    }
    await waitFor(() => got.bytes.length >= bytes.length, 'every byte');
    expect(Uint8Array.from(got.bytes)).toEqual(bytes);
    const decoder = new FrameDecoder(6, { firstSeq: 0 });
    const a1: number[] = [];
    for (const item of decoder.push(Uint8Array.from(got.bytes))) if (item.kind === 'frames') a1.push(...item.analog[0]);
    expect(a1).toEqual(Array.from({ length: 300 }, (_, k) => k & 1023));
    expect(decoder.stats.crcErrors).toBe(0);
    expect(a.readStats!.bytes).toBe(bytes.length);
  });

  it('burst coalescing: bytes written during a hold wait in the tty and arrive together when it ends', async () => {
    const pty = await pair();
    const { port } = await openBindingPort(pty.a);
    const writer = transport(pty.b);
    await writer.open();
    const chunks: Uint8Array[] = [];
    const ends: Array<Error | undefined> = [];
    const reader = new TtyReader(port, { data: (c) => chunks.push(c.slice()), end: (e) => ends.push(e) }, { maxHoldMs: 60_000 });
    cleanup.push(() => reader.stop());
    reader.start();
    reader.hold(60_000);
    // 40 writes of one byte each; without the hold a reader woken per write sees up to 40 chunks.
    const sent = pattern(40, 3);
    for (const byte of sent) await writer.write(Uint8Array.of(byte));
    await sleep(300); // let socat relay them into the tty; nothing may be read meanwhile
    expect(chunks).toEqual([]);
    expect(reader.counters.wakeups).toBe(0);
    reader.hold(0);
    await waitFor(() => chunks.reduce((n, c) => n + c.length, 0) >= sent.length, 'the held bytes');
    expect(Uint8Array.from(chunks.flatMap((c) => [...c]))).toEqual(sent);
    expect(chunks.length).toBeLessThan(sent.length);
    expect(ends).toEqual([]);
    // Reading on arrival again after the hold.
    await writer.write(Uint8Array.of(0xaa));
    await waitFor(() => chunks.at(-1)?.at(-1) === 0xaa, 'a byte after the hold');
  });

  it('a hold ends by itself after maxHoldMs, and holds asked for from inside a delivery lose no byte', async () => {
    const pty = await pair();
    const { port } = await openBindingPort(pty.a);
    const writer = transport(pty.b);
    await writer.open();
    const chunks: number[][] = [];
    let holds = 0;
    const reader = new TtyReader(
      port,
      {
        data: (c) => {
          chunks.push([...c]);
          // The driver asks for the next hold from inside the delivery, as read pacing does.
          if (holds++ < 3) reader.hold(20);
        },
        end: () => undefined,
      },
      { maxHoldMs: 20 },
    );
    cleanup.push(() => reader.stop());
    reader.start();
    reader.hold(10_000); // capped at 20 ms
    await writer.write(Uint8Array.of(1));
    await waitFor(() => chunks.length >= 1, 'the byte after the capped hold');
    for (let i = 2; i <= 6; i++) await writer.write(Uint8Array.of(i));
    await waitFor(() => chunks.flat().length >= 6, 'every byte');
    expect(chunks.flat()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('link death: a pty whose other end closes ends the reader (EIO or a 0-byte read), whether it was reading or holding', async () => {
    for (const holding of [false, true]) {
      const pty = await ptyPair();
      cleanup.push(() => pty.close());
      const { port } = await openBindingPort(pty.a);
      const ends: Array<Error | undefined> = [];
      const reader = new TtyReader(port, { data: () => undefined, end: (e) => ends.push(e) });
      cleanup.push(() => reader.stop());
      reader.start();
      if (holding) reader.hold(50);
      await pty.killSocat();
      await waitFor(() => ends.length > 0, 'the end of the link');
      await sleep(60);
      expect(ends).toHaveLength(1);
      // Which one depends on the moment of the hangup (the tty reads 0 bytes once hung up, EIO before).
      expect([undefined, 'EIO']).toContain((ends[0] as NodeJS.ErrnoException | undefined)?.code);
      expect(reader.isRunning).toBe(false);
    }
  });

  it('a 0-byte read (a hung-up tty, as rfcomm reports a lost link) ends the reader without an error', async () => {
    // /dev/null reads 0 bytes, as a hung-up tty does; the poller is a stand-in that reports
    // "readable" as soon as it is armed (a hung-up tty polls readable).
    const fd = openSync('/dev/null', 'r');
    cleanup.push(() => closeSync(fd));
    const listeners: Array<(e?: Error | null) => void> = [];
    const port: PollablePort = {
      fd,
      poller: {
        poll: (events: number) => {
          if (events & 1) setImmediate(() => listeners.forEach((l) => l(null)));
        },
        on: (_e: 'readable', l: (e?: Error | null) => void) => listeners.push(l),
        removeListener: (_e: 'readable', l: (e?: Error | null) => void) => listeners.splice(listeners.indexOf(l), 1),
      },
    };
    const ends: Array<Error | undefined> = [];
    const reader = new TtyReader(port, { data: () => expect.fail('no data from /dev/null'), end: (e) => ends.push(e) });
    reader.start();
    await waitFor(() => ends.length > 0, 'the end');
    expect(ends).toEqual([undefined]);
    expect(listeners).toHaveLength(0);
  });
});

describe('SerialTransport on the fast path: link death and closing while reading', () => {
  it('reports a link that dies during a hold once, as DEVICE_DISCONNECTED', async () => {
    const pty = await pair();
    const t = transport(pty.a);
    const closes: Array<Error | undefined> = [];
    t.onClose((e) => closes.push(e));
    await t.open();
    expect(t.readPath).toBe('tty');
    t.holdReads(50);
    await pty.killSocat();
    await waitFor(() => closes.length > 0, 'onClose');
    await sleep(100);
    expect(closes).toHaveLength(1);
    expect(closes[0]).toBeInstanceOf(DeviceError);
    expect(closes[0]).toMatchObject({ code: 'DEVICE_DISCONNECTED', message: expect.stringContaining(pty.a) });
    expect(t.isOpen).toBe(false);
  });

  it('close() from inside onData while the peer keeps writing: nothing delivered after, one clean close, the port is free again', async () => {
    const pty = await pair();
    const a = transport(pty.a);
    const b = transport(pty.b);
    await Promise.all([a.open(), b.open()]);
    const closes: Array<Error | undefined> = [];
    a.onClose((e) => closes.push(e));
    let closing: Promise<void> | undefined;
    let afterClose = 0;
    a.onData(() => {
      if (closing) afterClose++;
      else closing = a.close();
    });
    let stop = false;
    const flood = (async () => {
      while (!stop) {
        await b.write(pattern(64, 1)).catch(() => undefined);
        await sleep(1);
      }
    })();
    await waitFor(() => closing !== undefined, 'the first chunk');
    await closing;
    await sleep(100);
    stop = true;
    await flood;
    expect(afterClose).toBe(0);
    expect(closes).toEqual([undefined]);
    // The fd and its lock are released: the same path opens again and reads.
    const again = transport(pty.a);
    const got = collect(again);
    await again.open();
    expect(again.readPath).toBe('tty');
    await b.write(Uint8Array.of(7, 8, 9));
    await waitFor(() => got.bytes.length >= 3, 'bytes after reopening');
    expect(got.bytes.slice(-3)).toEqual([7, 8, 9]);
  });

  it('close() during a hold: the hold is cancelled, nothing is delivered after, and the transport reopens', async () => {
    const pty = await pair();
    const a = transport(pty.a);
    const b = transport(pty.b);
    await Promise.all([a.open(), b.open()]);
    const got = collect(a);
    a.holdReads(50);
    await b.write(Uint8Array.of(1, 2, 3));
    await a.close();
    await sleep(120); // past the end of the hold
    expect(got.chunks).toBe(0);
    await a.open();
    expect(a.readPath).toBe('tty');
    await b.write(Uint8Array.of(4, 5));
    // Bytes written while the port was closed may or may not be there; the new ones arrive.
    await waitFor(() => got.bytes.at(-1) === 5, 'bytes after reopening');
    expect(got.bytes.slice(-2)).toEqual([4, 5]);
  });
});
