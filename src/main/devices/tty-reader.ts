/**
 * The fast read path for serial ports on Linux and macOS: reads the tty that serialport opened,
 * on the event loop, into one reused buffer, waking once per burst of bytes — or later, when the
 * consumer says it can wait (`hold`). serialport keeps opening, configuring, writing and closing
 * the port; only its read loop is replaced. docs/performance.md ("The read path") has the
 * measurements behind the choice.
 *
 * Why: serialport 13 reads with `fs.read` on libuv's thread pool and, after every EAGAIN, arms a
 * poll and reads on the thread pool again: two cross-thread round trips per chunk. On a link that
 * delivers a frame per write (1000 chunks/s) that alone cost 12–16 % of a core here. This reader
 * waits on the binding's own poller (epoll/kqueue on the event loop) and reads with a
 * non-blocking `readSync` on the main thread: no thread hop, no allocation per read.
 *
 * It uses two things of serialport's unix binding (`@serialport/bindings-cpp` LinuxPortBinding /
 * DarwinPortBinding, typed public there): `fd`, the open non-blocking descriptor, and `poller`,
 * its uv_poll on that fd. Using the binding's poller (rather than a second watcher on the same fd,
 * which libuv refuses or mis-delivers) keeps one owner of the fd's registration. One caveat it
 * inherits: the poller arms only the newest event it was asked for, so a write that found the OS
 * buffer full (EAGAIN; never for BITalino's one-byte commands) waits for the next burst of bytes
 * to arrive before it completes.
 *
 * How a link's end shows: a hung-up tty polls readable and then reads 0 bytes (rfcomm) or fails
 * with EIO (a pty whose other end closed); either ends the reader with `end()`.
 *
 * Bounds: one buffer of `bufferBytes` (default 16 KiB, four times the Linux tty input buffer), so
 * one read empties the tty. Bytes held by `hold()` wait in the OS's tty buffer (4 KiB on Linux);
 * `hold` is capped at `maxHoldMs` so they never fill it at BITalino rates (≤ 16 kB/s).
 */
import { readSync } from 'node:fs';

/** poll(2)-style flag of bindings-cpp's Poller (its EVENTS.UV_READABLE). */
const UV_READABLE = 1;

/** What the reader needs of serialport's unix binding port. */
export interface PollablePort {
  readonly fd: number | null;
  readonly poller: {
    poll(events: number): void;
    on(event: 'readable', listener: (error?: Error | null) => void): unknown;
    removeListener(event: 'readable', listener: (error?: Error | null) => void): unknown;
  };
}

/** The binding port if it is one this reader can read (a unix bindings-cpp port), else undefined. */
export function pollablePort(port: unknown): PollablePort | undefined {
  if (typeof port !== 'object' || port === null) return undefined;
  const p = port as { fd?: unknown; poller?: { poll?: unknown; on?: unknown; removeListener?: unknown } };
  if (typeof p.fd !== 'number' || typeof p.poller !== 'object' || p.poller === null) return undefined;
  if (typeof p.poller.poll !== 'function' || typeof p.poller.on !== 'function' || typeof p.poller.removeListener !== 'function') return undefined;
  return p as PollablePort;
}

export interface TtyReaderHandlers {
  /**
   * Bytes read. The chunk is a view of the reader's buffer, valid only during the call: copy
   * what must outlive it (the frame decoder and the driver do).
   */
  data(chunk: Uint8Array): void;
  /** The tty hung up (`error` undefined: a 0-byte read) or failed (EIO, …). Called once; the reader has stopped. */
  end(error: Error | undefined): void;
}

export interface TtyReaderOptions {
  /** Read buffer, bytes. Default 16384. */
  bufferBytes?: number;
  /** Longest `hold()`, ms. Default 50 (≈ 800 bytes at 1000 Hz × 6 channels: a fifth of the tty buffer). */
  maxHoldMs?: number;
}

export class TtyReader {
  private readonly buf: Buffer;
  private readonly maxHoldMs: number;
  private running = false;
  private armed = false;
  private holdTimer: NodeJS.Timeout | undefined;
  private readonly onReadable = (error?: Error | null) => this.readable(error);
  /** Reads that returned bytes, and wake-ups (poll events and hold ends), since start. */
  readonly counters = { reads: 0, wakeups: 0, bytes: 0 };

  constructor(
    private readonly port: PollablePort,
    private readonly handlers: TtyReaderHandlers,
    options: TtyReaderOptions = {},
  ) {
    const bytes = options.bufferBytes ?? 16384;
    const maxHold = options.maxHoldMs ?? 50;
    if (!Number.isInteger(bytes) || bytes < 64) throw new TypeError(`bufferBytes must be an integer ≥ 64 (bytes), got ${String(options.bufferBytes)}`);
    if (!(maxHold >= 0)) throw new TypeError(`maxHoldMs must be ≥ 0 (milliseconds), got ${String(options.maxHoldMs)}`);
    this.buf = Buffer.allocUnsafe(bytes);
    this.maxHoldMs = maxHold;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts reading: bytes are delivered as they arrive. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.port.poller.on('readable', this.onReadable);
    // Bytes may have arrived before we listened: poll is level-triggered, so arming reports them.
    this.arm();
  }

  /**
   * Reads nothing for `ms` (capped at `maxHoldMs`): bytes wait in the tty buffer, and no wake-up
   * happens for them. Then reads what collected and goes back to reading bytes as they arrive.
   * A hold replaces one in progress. `ms` ≤ 0 ends a hold now.
   */
  hold(ms: number): void {
    if (!this.running) return;
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    if (!(ms > 0)) {
      this.arm();
      return;
    }
    this.disarm();
    this.holdTimer = setTimeout(this.endHold, Math.min(ms, this.maxHoldMs));
  }

  /** Stops for good: nothing is read or delivered after this returns. Call before the fd is closed. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.disarm();
    this.port.poller.removeListener('readable', this.onReadable);
  }

  private readonly endHold = (): void => {
    this.holdTimer = undefined;
    if (!this.running) return;
    this.counters.wakeups++;
    this.readOnce();
    // A hold asked for from inside the delivery keeps the poller disarmed.
    if (this.running && this.holdTimer === undefined) this.arm();
  };

  private readable(error?: Error | null): void {
    // The poller disarms itself before it reports; so are we.
    this.armed = false;
    if (!this.running) return;
    if (error) {
      // The binding cancels its poller when serialport closes the port: that is not a link loss.
      if ((error as { canceled?: boolean }).canceled) return;
      this.fail(error);
      return;
    }
    this.counters.wakeups++;
    this.readOnce();
    if (this.running && this.holdTimer === undefined) this.arm();
  }

  /** One non-blocking read; delivers what it got. */
  private readOnce(): void {
    const fd = this.port.fd;
    if (fd === null) return; // serialport closed it: stop() is on its way
    let n: number;
    try {
      n = readSync(fd, this.buf, 0, this.buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') return;
      this.fail(e as Error);
      return;
    }
    if (n === 0) {
      // A non-blocking tty with nothing to read fails with EAGAIN; 0 bytes means it hung up.
      this.fail(undefined);
      return;
    }
    this.counters.reads++;
    this.counters.bytes += n;
    this.handlers.data(this.buf.subarray(0, n));
  }

  private fail(error: Error | undefined): void {
    this.stop();
    this.handlers.end(error);
  }

  private arm(): void {
    if (this.armed || !this.running || this.port.fd === null) return;
    this.armed = true;
    this.port.poller.poll(UV_READABLE);
  }

  private disarm(): void {
    if (!this.armed) return;
    this.armed = false;
    // poll(0) stops the uv_poll without the 'Canceled' events Poller.stop() sends to every
    // listener (which would fail a write waiting for 'writable').
    if (this.port.fd !== null) this.port.poller.poll(0);
  }
}
