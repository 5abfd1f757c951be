/**
 * Transport over a serial port (Bluetooth SPP port, USB/FTDI bridge, or a pty in tests) using
 * serialport 13. Opened 115200 8N1 without flow control, as both official host APIs do
 * (docs/bitalino-protocol.md §1).
 *
 * Each open() makes a fresh SerialPort, so a transport can be reopened after a link loss and
 * every session reports its end through onClose exactly once.
 *
 * Keep writes small (BITalino commands are single bytes, docs/bitalino-protocol.md §4): in serialport 13 a
 * write that fills the OS buffer waits for "writable", and that wait is lost if the same port
 * then waits for "readable" (bindings-cpp's Poller arms only the newest event); it resumes only
 * when bytes arrive.
 */
import { SerialPort } from 'serialport';
import type { SerialPortMock, SerialPortOpenOptions } from 'serialport';
import { DeviceError } from '../../shared/errors.js';
import type { Transport } from './transport.js';

/** The native binding (default) or `SerialPortMock.binding` in unit tests. */
export type SerialBinding = typeof SerialPort.binding | typeof SerialPortMock.binding;

export interface SerialTransportOptions {
  /** Bit/s. Default 115200 (docs/bitalino-protocol.md §1); virtual over Bluetooth, real on a wired UART. */
  baudRate?: number;
  /** serialport binding. Default: the native binding for this OS. */
  binding?: SerialBinding;
  /** Platform the error hints are written for. Default `process.platform`. */
  platform?: NodeJS.Platform;
  /**
   * Milliseconds between link checks while open, on Linux and macOS; 0 turns them off. Default 500.
   * Needed because a hung-up tty (rfcomm link lost, pty master closed) reads 0 bytes forever and
   * serialport's unix read retries those reads without ever reporting a disconnect
   * (serialport/bindings-cpp#162). The check is a tcdrain(), which fails with EIO once the tty is
   * hung up and is harmless otherwise.
   */
  livenessCheckMs?: number;
}

interface Session {
  port: SerialPort;
  done: boolean;
  /** close() was asked for: the end is reported without an error. */
  requested: boolean;
  closing?: Promise<void>;
  probe?: NodeJS.Timeout;
}

export class SerialTransport implements Transport {
  readonly path: string;
  private readonly options: Required<Omit<SerialTransportOptions, 'binding'>> & { binding?: SerialBinding };
  private session: Session | undefined;
  private opening: Promise<void> | undefined;
  /** Why the last session ended on its own; writes after that reject with it. */
  private lostWith: DeviceError | undefined;
  private dataListener: (chunk: Uint8Array) => void = () => {};
  private closeListener: (error?: Error) => void = () => {};

  constructor(path: string, options: SerialTransportOptions = {}) {
    this.path = path;
    this.options = {
      baudRate: options.baudRate ?? 115200,
      platform: options.platform ?? process.platform,
      livenessCheckMs: options.livenessCheckMs ?? 500,
      binding: options.binding,
    };
    if (!(this.options.livenessCheckMs >= 0)) throw new TypeError(`livenessCheckMs must be >= 0 (milliseconds), got ${String(options.livenessCheckMs)}`);
  }

  get isOpen(): boolean {
    const s = this.session;
    return s !== undefined && !s.done && s.port.isOpen;
  }

  open(): Promise<void> {
    if (this.isOpen) return Promise.resolve();
    this.opening ??= this.openPort().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  write(bytes: Uint8Array): Promise<void> {
    const s = this.session;
    if (!s || s.done || !s.port.isOpen) {
      // SerialPortStream would queue the write until the next open; a closed link must fail fast.
      return Promise.reject(this.lostWith ?? new DeviceError('DEVICE_BAD_STATE', `Cannot write to ${this.path}: it is not open`));
    }
    return new Promise((resolve, reject) => {
      // Copy: the stream keeps the buffer until the binding has written it.
      s.port.write(Buffer.from(bytes), (err) => (err ? reject(disconnected(this.path, err)) : resolve()));
    });
  }

  async close(): Promise<void> {
    if (this.opening) await this.opening.catch(() => undefined);
    const s = this.session;
    if (!s) return;
    if (!s.done) s.requested = true;
    // After a link loss this still waits for the port to be released, so a caller that reopens
    // right after close() does not find its own fd (and lock) still held.
    await this.release(s);
    // 'close' has normally been emitted by now; this covers a binding whose close failed.
    this.finish(s, undefined);
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.dataListener = listener;
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListener = listener;
  }

  private async openPort(): Promise<void> {
    // A session lost a moment ago may still hold the fd and its lock: let it go first.
    if (this.session) await this.release(this.session);
    // SerialPort's constructor spreads our options over its default binding
    // (serialport/dist/serialport.js), so a `binding` given here wins. Typed loosely because
    // SerialPortOpenOptions omits `binding` from its public shape.
    const settings: SerialPortOpenOptions<typeof SerialPort.binding> & { binding?: SerialBinding } = {
      path: this.path,
      baudRate: this.options.baudRate,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      rtscts: false,
      xon: false,
      xoff: false,
      autoOpen: false,
      ...(this.options.binding ? { binding: this.options.binding } : {}),
    };
    const port = new SerialPort(settings);
    const session: Session = { port, done: false, requested: false };
    port.on('data', (chunk: Buffer) => {
      if (!session.done) this.dataListener(chunk);
    });
    // Always listening, so a late error after the session ended can never become an uncaught one.
    port.on('error', (err: Error) => {
      if (session.done || !port.isOpen) return;
      this.finish(session, disconnected(this.path, err));
      void this.release(session);
    });
    // serialport emits 'close' with a DisconnectedError when a read or write fails (unplugged,
    // pty master gone), and with null after our own close().
    port.on('close', (err: Error | null) => {
      this.finish(session, session.requested ? undefined : disconnected(this.path, err ?? undefined));
    });
    // A zero-byte read (EOF) ends the readable side: for a serial link that means it is gone.
    port.on('end', () => {
      if (session.done || session.requested) return;
      this.finish(session, disconnected(this.path, undefined));
      void this.release(session);
    });

    return new Promise<void>((resolve, reject) => {
      port.open((err) => {
        if (err) {
          reject(openFailed(this.path, err, this.options.platform));
          return;
        }
        this.session = session;
        this.lostWith = undefined;
        this.watch(session);
        resolve();
      });
    });
  }

  /** Periodic link check (see `livenessCheckMs`); the next check is armed only after the last one answered. */
  private watch(session: Session): void {
    const every = this.options.livenessCheckMs;
    // The Windows binding reports a lost link through its reads; the 0-byte loop is unix-only.
    if (every === 0 || process.platform === 'win32') return;
    const check = () => {
      if (session.done || session.requested || !session.port.isOpen) return;
      session.port.drain((err) => {
        if (session.done || session.requested || !session.port.isOpen) return;
        if (err) {
          this.finish(session, disconnected(this.path, err));
          void this.release(session); // closing the fd also ends serialport's 0-byte read loop
          return;
        }
        session.probe = setTimeout(check, every).unref();
      });
    };
    session.probe = setTimeout(check, every).unref();
  }

  /** Closes the session's port once; resolves when the fd is closed (never rejects). */
  private release(session: Session): Promise<void> {
    session.closing ??= new Promise<void>((resolve) => {
      const port = session.port;
      if (port.closing) {
        // serialport is already closing it after a failed read or write.
        port.once('close', () => resolve());
        port.once('error', () => resolve());
      } else if (port.isOpen) {
        port.close(() => resolve());
      } else {
        resolve();
      }
    });
    return session.closing;
  }

  private finish(session: Session, error: DeviceError | undefined): void {
    if (session.done) return;
    session.done = true;
    clearTimeout(session.probe);
    if (error) this.lostWith = error;
    // Only the current session's end reaches the listener (an abandoned port stays silent).
    if (this.session === session) this.closeListener(error);
  }
}

/** Strips serialport's "Error: " prefix so the OS reason reads naturally after our own text. */
function osReason(err: Error): string {
  return err.message.replace(/^Error:?\s*/, '').trim() || 'unknown error';
}

function disconnected(path: string, cause: Error | undefined): DeviceError {
  return new DeviceError(
    'DEVICE_DISCONNECTED',
    `Lost the link to ${path}${cause ? `: ${osReason(cause)}` : ': the port closed'}`,
    'Check that the BITalino is switched on, charged and within Bluetooth range (or that its cable is plugged in).',
    cause ? { cause } : undefined,
  );
}

export function openFailed(path: string, cause: Error, platform: NodeJS.Platform): DeviceError {
  return new DeviceError('DEVICE_OPEN_FAILED', `Could not open ${path}: ${osReason(cause)}`, serialOpenHint(path, cause.message, platform), {
    cause,
  });
}

/**
 * One actionable line for a failed open, chosen from the OS message (serialport's errors carry no
 * code, only text such as "No such file or directory, cannot open …", "Cannot lock port",
 * "Permission denied", Windows "File not found" / "Access denied" / "Unknown error code 121").
 */
export function serialOpenHint(path: string, osMessage: string, platform: NodeJS.Platform): string {
  const macTwin = platform === 'darwin' && path.startsWith('/dev/tty.') ? ` On macOS try its twin ${path.replace('/dev/tty.', '/dev/cu.')}: the tty.* device can hang.` : '';
  if (/no such file|file not found|cannot find|ENOENT|does not exist/i.test(osMessage)) {
    const where =
      platform === 'win32'
        ? ' (Device Manager > Ports (COM & LPT) lists the COM ports)'
        : /^\/dev\/rfcomm\d+$/.test(path)
          ? ` (create it with "sudo rfcomm bind ${path.slice('/dev/rfcomm'.length)} <MAC> 1")`
          : platform === 'darwin'
            ? ' (ls /dev/cu.* lists the ports; pair the BITalino first)'
            : '';
    return `Check that ${path} exists${where} and that the device is paired and switched on.${macTwin}`;
  }
  if (/lock|busy|EBUSY|temporarily unavailable|access denied/i.test(osMessage)) {
    return `${path} seems to be in use: close any other program using it (OpenSignals, a serial monitor, another ServerBIT) and retry.${macTwin}`;
  }
  if (/permission denied|EACCES|EPERM|not permitted/i.test(osMessage)) {
    if (platform === 'linux') return `Your user may not open ${path}: add it to the dialout group (sudo usermod -aG dialout $USER), then log out and in again.`;
    return `Your user may not open ${path}: check its permissions.${macTwin}`;
  }
  if (platform === 'win32' && /121|semaphore|timeout/i.test(osMessage)) {
    return `The BITalino did not accept the Bluetooth connection: check it is on and in range, and that ${path} is the outgoing port (Bluetooth settings > More Bluetooth options > COM Ports).`;
  }
  const perms = platform === 'linux' ? ', and that you may open it (add your user to the dialout group)' : '';
  return `Check that ${path} exists, that no other program is using it${perms}.${macTwin}`;
}
