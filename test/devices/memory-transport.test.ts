import { describe, expect, it } from 'vitest';
import { createMemoryPair, MEMORY_PENDING_LIMIT } from '../../src/main/devices/memory-transport.js';
import { DeviceError } from '../../src/shared/errors.js';

const tick = () => new Promise((r) => setImmediate(r));

function recorder() {
  const chunks: Uint8Array[] = [];
  const closes: Array<Error | undefined> = [];
  return {
    chunks,
    closes,
    bytes: () => Uint8Array.from(chunks.flatMap((c) => [...c])),
    data: (c: Uint8Array) => chunks.push(c),
    close: (e?: Error) => closes.push(e),
  };
}

describe('createMemoryPair', () => {
  it('delivers bytes both ways, asynchronously, coalescing writes', async () => {
    const [a, b] = createMemoryPair({ pathA: 'simulator', pathB: 'emulator' });
    expect(a.path).toBe('simulator');
    expect(b.path).toBe('emulator');
    const ra = recorder();
    const rb = recorder();
    a.onData(ra.data);
    b.onData(rb.data);
    await Promise.all([a.open(), b.open()]);
    expect(a.isOpen && b.isOpen).toBe(true);

    await a.write(Uint8Array.of(1, 2));
    await a.write(Uint8Array.of(3));
    expect(rb.chunks).toHaveLength(0); // never synchronous
    await tick();
    expect(rb.chunks).toEqual([Uint8Array.of(1, 2, 3)]);

    await b.write(Uint8Array.of(9));
    await tick();
    expect(ra.bytes()).toEqual(Uint8Array.of(9));
  });

  it('copies written bytes, so the writer may reuse its buffer', async () => {
    const [a, b] = createMemoryPair();
    const rb = recorder();
    b.onData(rb.data);
    await Promise.all([a.open(), b.open()]);
    const buf = Uint8Array.of(1, 2, 3);
    await a.write(buf.subarray(1));
    buf.fill(0);
    await tick();
    expect(rb.bytes()).toEqual(Uint8Array.of(2, 3));
  });

  it('holds bytes for an end until it opens, up to the documented limit', async () => {
    const [a, b] = createMemoryPair();
    await a.open();
    await a.write(new Uint8Array(MEMORY_PENDING_LIMIT - 1).fill(7));
    await a.write(Uint8Array.of(8, 9, 10));
    await tick();
    const rb = recorder();
    b.onData(rb.data);
    await b.open();
    await tick();
    const got = rb.bytes();
    expect(got.length).toBe(MEMORY_PENDING_LIMIT);
    expect(got[got.length - 1]).toBe(8);
  });

  it('rejects writes before open and after close', async () => {
    const [a, b] = createMemoryPair();
    await expect(a.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'DEVICE_BAD_STATE' });
    await Promise.all([a.open(), b.open()]);
    await a.close();
    await expect(a.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'DEVICE_BAD_STATE' });
    await expect(b.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'DEVICE_DISCONNECTED' });
  });

  it('closing one end fires onClose on both: no error on the closer, DEVICE_DISCONNECTED on the other', async () => {
    const [a, b] = createMemoryPair();
    const ra = recorder();
    const rb = recorder();
    a.onClose(ra.close);
    b.onClose(rb.close);
    b.onData(rb.data);
    await Promise.all([a.open(), b.open()]);
    await a.write(Uint8Array.of(0x00)); // in flight when the close comes
    await Promise.all([a.close(), a.close()]);
    await b.close();
    await tick();
    expect(ra.closes).toEqual([undefined]);
    expect(rb.closes).toHaveLength(1);
    expect(rb.closes[0]).toMatchObject({ code: 'DEVICE_DISCONNECTED' });
    expect(rb.bytes()).toEqual(Uint8Array.of(0x00)); // bytes already written arrive before the close
    expect(a.isOpen || b.isOpen).toBe(false);
  });

  it('fail(err) fires onClose(error) once on both ends', async () => {
    const [a, b] = createMemoryPair();
    const ra = recorder();
    const rb = recorder();
    a.onClose(ra.close);
    b.onClose(rb.close);
    await Promise.all([a.open(), b.open()]);
    const cause = new Error('out of range');
    b.fail(cause);
    b.fail(new Error('again'));
    await tick();
    await a.close();
    expect(ra.closes).toHaveLength(1);
    expect(rb.closes).toHaveLength(1);
    const err = ra.closes[0] as DeviceError;
    expect(err).toBeInstanceOf(DeviceError);
    expect(err.code).toBe('DEVICE_DISCONNECTED');
    expect(err.message).toContain('out of range');
    expect(err.cause).toBe(cause);
    expect(rb.closes[0]).toBe(err);
  });

  it('passes a DeviceError given to fail() through unchanged', async () => {
    const [a, b] = createMemoryPair();
    const ra = recorder();
    a.onClose(ra.close);
    await Promise.all([a.open(), b.open()]);
    const stalled = new DeviceError('DEVICE_DISCONNECTED', 'cable pulled');
    a.fail(stalled);
    await tick();
    expect(ra.closes).toEqual([stalled]);
  });

  it('is one-shot: an end cannot be reopened once the link is gone', async () => {
    const [a, b] = createMemoryPair();
    await Promise.all([a.open(), b.open()]);
    await b.close();
    await expect(a.open()).rejects.toMatchObject({ code: 'DEVICE_OPEN_FAILED' });
  });

  it('does not report a close to an end that never opened', async () => {
    const [a, b] = createMemoryPair();
    const rb = recorder();
    b.onClose(rb.close);
    await a.open();
    await a.close();
    await b.close();
    await tick();
    expect(rb.closes).toEqual([]);
  });
});
