/**
 * The lifecycle every session-based transport shares (serial port, TCP): one open at a time,
 * one listener of each kind, and one report of each session's end. Subclasses say only how a
 * session is opened, written to and released; this base keeps the bookkeeping that the
 * Transport contract (transport.ts) promises, in one place:
 *
 * - `open()` while opening returns the same promise; while open resolves at once. Each open makes
 *   a fresh session, so a transport can be reopened after a link loss.
 * - `onClose` fires exactly once per session: without an error after `close()`, with the error
 *   that ended it otherwise. Only the current session reports (an abandoned one stays silent).
 * - After a session ended on its own, `write()` rejects with that session's error until the next
 *   open; before any open, or after `close()`, with DEVICE_BAD_STATE.
 * - `close()` is idempotent and never rejects; it waits until the session's resources are
 *   released (fd closed, socket closed), also after a link loss, so a caller that reopens right
 *   after it does not find its own port still held.
 */
import { DeviceError } from '../../shared/errors.js';
import type { Transport } from './transport.js';

/** One open of the link, as a subclass keeps it. */
export interface LinkSession {
  /** The end of this session has been reported (or it was abandoned). */
  done: boolean;
  /** close() was asked for: the end is reported without an error. */
  requested: boolean;
  /** Set once by `release()`. */
  released?: Promise<void>;
}

export abstract class LinkTransport<S extends LinkSession> implements Transport {
  abstract readonly path: string;
  protected session: S | undefined;
  private opening: Promise<void> | undefined;
  /** Why the last session ended on its own; writes reject with it until the next open. */
  private lostWith: DeviceError | undefined;
  private dataListener: (chunk: Uint8Array) => void = () => {};
  private closeListener: (error?: Error) => void = () => {};

  get isOpen(): boolean {
    const s = this.session;
    return s !== undefined && !s.done && this.sessionIsOpen(s);
  }

  open(): Promise<void> {
    if (this.isOpen) return Promise.resolve();
    this.opening ??= this.openNext().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  write(bytes: Uint8Array): Promise<void> {
    const s = this.session;
    if (!s || s.done || !this.sessionIsOpen(s)) {
      // A closed link fails fast rather than queueing the bytes for a later open.
      return Promise.reject(this.lostWith ?? new DeviceError('DEVICE_BAD_STATE', `Cannot write to ${this.path}: it is not open`));
    }
    return this.writeSession(s, bytes);
  }

  async close(): Promise<void> {
    if (this.opening) await this.opening.catch(() => undefined);
    const s = this.session;
    if (!s) return;
    if (!s.done) s.requested = true;
    await this.release(s);
    // The subclass normally reports the end while releasing; this covers one whose release
    // produced no end event (a binding whose close failed).
    this.finish(s, undefined);
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.dataListener = listener;
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListener = listener;
  }

  // --- for subclasses ---------------------------------------------------------------------------

  /** Opens a new session; rejects with a DeviceError (DEVICE_OPEN_FAILED). Called one at a time. */
  protected abstract openSession(): Promise<S>;
  /** Whether the session's port or socket is still usable (beyond `done`). */
  protected abstract sessionIsOpen(session: S): boolean;
  /** Writes to an open session; rejects with a DeviceError. */
  protected abstract writeSession(session: S, bytes: Uint8Array): Promise<void>;
  /** Releases the session's resources; resolves when they are gone, never rejects. Called once per session. */
  protected abstract releaseSession(session: S): Promise<void>;
  /** Called once a session is the current one (start link checks and the like). */
  protected sessionStarted(_session: S): void {}
  /** Called when a session's end is recorded (stop its timers). */
  protected sessionEnded(_session: S): void {}

  /** Hands bytes of a live session to the listener (bytes of an ended session are dropped). */
  protected deliver(session: S, chunk: Uint8Array): void {
    if (!session.done) this.dataListener(chunk);
  }

  /**
   * Records the end of a session once: a requested close ends without an error whatever the
   * port said while closing; any other end carries `error`.
   */
  protected finish(session: S, error: DeviceError | undefined): void {
    if (session.done) return;
    session.done = true;
    const reported = session.requested ? undefined : error;
    if (reported) this.lostWith = reported;
    this.sessionEnded(session);
    if (this.session === session) this.closeListener(reported);
  }

  /** The link died under us: report it now, then release the session's resources. */
  protected lose(session: S, error: DeviceError): void {
    if (session.done || session.requested) return;
    this.finish(session, error);
    void this.release(session);
  }

  /** Releases a session once; later calls return the same promise. */
  protected release(session: S): Promise<void> {
    session.released ??= this.releaseSession(session).catch(() => undefined);
    return session.released;
  }

  private async openNext(): Promise<void> {
    // A session lost a moment ago may still hold the port (and its lock): let it go first.
    if (this.session) await this.release(this.session);
    const session = await this.openSession();
    this.session = session;
    this.lostWith = undefined;
    this.sessionStarted(session);
  }
}
