/**
 * An in-memory duplex link: two Transport ends wired back to back. The simulator puts the
 * byte-level emulator on one end and the ordinary BITalino driver on the other, so the driver
 * is exercised exactly as over a serial port, with no test-only path through it; unit tests use
 * it the same way.
 *
 * Behaviour modelled on a pty pair:
 * - Bytes written on one end arrive at the other asynchronously (setImmediate, so timers and I/O
 *   interleave as with a real port), several writes possibly coalesced into one chunk.
 * - Bytes reaching an end that is not open yet wait there, like a tty's input buffer, up to
 *   `MEMORY_PENDING_LIMIT` bytes; bytes beyond that are dropped, as a full tty buffer drops them.
 * - The link is one-shot: once either end closes or `fail()` is called it is gone for both ends;
 *   opening again rejects. Make a new pair to reconnect.
 */
import { DeviceError } from '../../shared/errors.js';
import type { Transport } from './transport.js';

/** Bytes held for an end that has not been opened yet (a tty input buffer is of this order). */
export const MEMORY_PENDING_LIMIT = 64 * 1024;

export interface MemoryPairOptions {
  /** `path` of the first end (the driver's side). Default "memory:a". */
  pathA?: string;
  /** `path` of the second end (the emulator's side). Default "memory:b". */
  pathB?: string;
}

/** Shared state of one link; `ended` is set once, by the first close or failure. */
interface Link {
  ended: boolean;
}

export class MemoryTransport implements Transport {
  readonly path: string;
  private opened = false;
  /** Set when this end's onClose has been delivered (or the link ended before it opened). */
  private finished = false;
  private peer!: MemoryTransport;
  private inbox: Uint8Array[] = [];
  private inboxBytes = 0;
  private flushScheduled = false;
  /** The reason the link ended, delivered to this end after any bytes still in its inbox. */
  private pendingClose: { error: Error | undefined } | undefined;
  private dataListener: (chunk: Uint8Array) => void = () => {};
  private closeListener: (error?: Error) => void = () => {};
  private readonly closedWaiters: Array<() => void> = [];

  /** @internal use createMemoryPair() */
  constructor(
    path: string,
    private readonly link: Link,
  ) {
    this.path = path;
  }

  /** @internal */
  connect(peer: MemoryTransport): void {
    this.peer = peer;
  }

  get isOpen(): boolean {
    return this.opened && !this.link.ended;
  }

  open(): Promise<void> {
    if (this.link.ended) {
      return Promise.reject(
        new DeviceError('DEVICE_OPEN_FAILED', `Could not open ${this.path}: the in-memory link is closed`, 'An in-memory link is one-shot: create a new pair to reconnect.'),
      );
    }
    if (!this.opened) {
      this.opened = true;
      // Deliver whatever the peer wrote before this end was opened.
      if (this.inbox.length > 0) this.scheduleFlush();
    }
    return Promise.resolve();
  }

  write(bytes: Uint8Array): Promise<void> {
    if (!this.isOpen) {
      // Same codes as the serial and TCP transports: the link's error if it was lost, else a
      // lifecycle mistake (not opened yet, or closed by this end).
      const lost = this.pendingClose?.error;
      return Promise.reject(lost ?? new DeviceError('DEVICE_BAD_STATE', `Cannot write to ${this.path}: it is not open`));
    }
    // Copy: the caller may reuse its buffer once write() resolves, and the peer sees it later.
    this.peer.receive(bytes.slice());
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (!this.link.ended) this.end(undefined, closedByPeer(this.peer.path, this.path));
    if (this.finished) return Promise.resolve();
    return new Promise((resolve) => this.closedWaiters.push(resolve));
  }

  /**
   * Simulates the link failing (Bluetooth out of range, cable pulled): both ends fire
   * onClose(error) after the bytes already in flight. A plain Error is wrapped in a DeviceError
   * DEVICE_DISCONNECTED (as the real transports report), keeping it as `cause`.
   */
  fail(error?: Error): void {
    if (this.link.ended) return;
    const err = error instanceof DeviceError ? error : linkFailed(this.path, error);
    this.end(err, err);
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.dataListener = listener;
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListener = listener;
  }

  private end(mine: Error | undefined, peers: Error | undefined): void {
    this.link.ended = true;
    this.queueClose(mine);
    this.peer.queueClose(peers);
  }

  private receive(chunk: Uint8Array): void {
    if (!this.opened && this.inboxBytes + chunk.length > MEMORY_PENDING_LIMIT) {
      chunk = chunk.subarray(0, Math.max(0, MEMORY_PENDING_LIMIT - this.inboxBytes));
      if (chunk.length === 0) return;
    }
    this.inbox.push(chunk);
    this.inboxBytes += chunk.length;
    if (this.opened) this.scheduleFlush();
  }

  private queueClose(error: Error | undefined): void {
    this.pendingClose = { error };
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.finished) return;
    if (this.opened && this.inbox.length > 0) {
      const chunk = this.inbox.length === 1 ? this.inbox[0] : concat(this.inbox, this.inboxBytes);
      this.inbox = [];
      this.inboxBytes = 0;
      this.dataListener(chunk);
    }
    if (this.pendingClose) {
      this.finished = true;
      this.inbox = [];
      this.inboxBytes = 0;
      // An end that was never opened has no session to report the end of.
      if (this.opened) this.closeListener(this.pendingClose.error);
      for (const resolve of this.closedWaiters.splice(0)) resolve();
    }
  }
}

/** Either end of a memory pair: a Transport plus `fail()`. */
export type MemoryEndpoint = MemoryTransport;

/**
 * Two connected ends. Convention: the first goes to the driver, the second to the emulator.
 * Both implement Transport; each must be opened before it can write.
 */
export function createMemoryPair(options: MemoryPairOptions = {}): [MemoryTransport, MemoryTransport] {
  const link: Link = { ended: false };
  const a = new MemoryTransport(options.pathA ?? 'memory:a', link);
  const b = new MemoryTransport(options.pathB ?? 'memory:b', link);
  a.connect(b);
  b.connect(a);
  return [a, b];
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

function closedByPeer(path: string, peerPath: string): DeviceError {
  return new DeviceError('DEVICE_DISCONNECTED', `Lost the link to ${path}: the other end (${peerPath}) closed it`);
}

function linkFailed(path: string, cause: Error | undefined): DeviceError {
  return new DeviceError(
    'DEVICE_DISCONNECTED',
    `Lost the link to ${path}${cause ? `: ${cause.message}` : ''}`,
    'Simulated link failure.',
    cause ? { cause } : undefined,
  );
}
