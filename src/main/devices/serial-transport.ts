/**
 * Transport over a serial port (Bluetooth SPP port, USB/FTDI bridge, or a pty in tests) using
 * serialport 13. Opened 115200 8N1 without flow control, as both official host APIs do
 * (docs/bitalino-protocol.md §1).
 *
 * Reading: on Linux and macOS the bytes are read by TtyReader (tty-reader.ts) from the fd
 * serialport opened, on the event loop, once per burst — serialport's own read loop costs two
 * thread-pool round trips per chunk (docs/performance.md, "The read path"). On Windows, with an
 * injected binding (SerialPortMock) or with `readPath: 'serialport'`, serialport reads as
 * before. Opening, configuring, writing and closing always go through serialport.
 *
 * Each open() makes a fresh SerialPort, so a transport can be reopened after a link loss and
 * every session reports its end through onClose exactly once (link-transport.ts).
 *
 * Keep writes small (BITalino commands are single bytes, docs/bitalino-protocol.md §3): in
 * serialport 13 a write that fills the OS buffer waits for "writable", and that wait is lost if
 * the same port then waits for "readable" (bindings-cpp's Poller arms only the newest event); it
 * resumes only when bytes arrive.
 */
import type { SerialPort, SerialPortMock, SerialPortOpenOptions } from 'serialport';
import { DeviceError } from '../../shared/errors.js';
import { LinkTransport, type LinkSession } from './link-transport.js';
import type { HoldableTransport } from './read-pacer.js';
import { TtyReader, pollablePort } from './tty-reader.js';

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
   * Who reads the port. 'auto' (default): TtyReader where the binding allows it (Linux, macOS),
   * serialport elsewhere. 'serialport': serialport's own read loop always (for comparison).
   */
  readPath?: 'auto' | 'serialport';
  /**
   * Milliseconds of silence after which the link is checked, on Linux and macOS; 0 turns the
   * check off. Default 500. Needed because a hung-up tty (rfcomm link lost, pty master closed)
   * reads 0 bytes forever and serialport's unix read retries those reads without ever reporting
   * a disconnect (serialport/bindings-cpp#162); TtyReader reports a 0-byte read itself, but a
   * silent link is checked on either path. The check is a tcdrain(), which fails with EIO once
   * the tty is hung up and is harmless otherwise. One coarse interval per session; while bytes
   * arrive it does nothing.
   */
  livenessCheckMs?: number;
}

interface Session extends LinkSession {
  port: SerialPort;
  /** The fast read path, when this session uses it. */
  reader?: TtyReader;
  /** Bytes received (either path), for the liveness check. */
  bytes: number;
  probe?: NodeJS.Timeout;
}

/**
 * The SerialPort class, loaded the first time a port is opened or listed, not at start: a service
 * streaming the simulator, a file or a remote device never needs it, and loading it was the
 * largest single item of the launch (docs/performance.md "Launch"). Built from serialport's two
 * parts, as serialport's own SerialPort is (a SerialPortStream over the binding autoDetect()
 * picks for this OS): the `serialport` package's entry also loads its ten parsers and its mock,
 * ~1 MB of a process that needs neither (tests take the mock from `serialport` itself).
 */
let serialPortClass: Promise<typeof SerialPort> | undefined;
export function loadSerialPort(): Promise<typeof SerialPort> {
  serialPortClass ??= Promise.all([import('@serialport/stream'), import('@serialport/bindings-cpp')]).then(([{ SerialPortStream }, { autoDetect }]) => {
    const binding = autoDetect();
    class SerialPort extends SerialPortStream {
      static list = binding.list;
      static binding = binding;
      constructor(options: SerialPortOpenOptions<typeof binding>, openCallback?: (err: Error | null) => void) {
        super({ binding, ...options }, openCallback);
      }
    }
    return SerialPort as unknown as typeof import('serialport').SerialPort;
  });
  return serialPortClass;
}

export class SerialTransport extends LinkTransport<Session> implements HoldableTransport {
  readonly path: string;
  private readonly options: Required<Omit<SerialTransportOptions, 'binding'>> & { binding?: SerialBinding };

  constructor(path: string, options: SerialTransportOptions = {}) {
    super();
    this.path = path;
    this.options = {
      baudRate: options.baudRate ?? 115200,
      platform: options.platform ?? process.platform,
      readPath: options.readPath ?? 'auto',
      livenessCheckMs: options.livenessCheckMs ?? 500,
      binding: options.binding,
    };
    if (!(this.options.livenessCheckMs >= 0)) throw new TypeError(`livenessCheckMs must be >= 0 (milliseconds), got ${String(options.livenessCheckMs)}`);
    if (this.options.readPath !== 'auto' && this.options.readPath !== 'serialport') throw new TypeError(`readPath must be 'auto' or 'serialport', got ${String(options.readPath)}`);
  }

  /** Which read path the open session uses (undefined while closed). */
  get readPath(): 'tty' | 'serialport' | undefined {
    const s = this.session;
    if (!s || s.done) return undefined;
    return s.reader ? 'tty' : 'serialport';
  }

  /** The fast read path's counters for the open session (reads, wake-ups, bytes); undefined on serialport's path. */
  get readStats(): Readonly<{ reads: number; wakeups: number; bytes: number }> | undefined {
    const s = this.session;
    return s && !s.done ? s.reader?.counters : undefined;
  }

  /**
   * Lets bytes wait in the OS buffer for up to `ms` before the next delivery (read-pacer.ts).
   * Only the fast read path can hold; elsewhere bytes are delivered as they come.
   */
  holdReads(ms: number): void {
    const s = this.session;
    if (s && !s.done) s.reader?.hold(ms);
  }

  protected sessionIsOpen(s: Session): boolean {
    return s.port.isOpen;
  }

  protected async openSession(): Promise<Session> {
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
    const port = new (await loadSerialPort())(settings);
    const session: Session = { port, done: false, requested: false, bytes: 0 };
    // Always listening, so a late error after the session ended can never become an uncaught one.
    port.on('error', (err: Error) => {
      if (session.done || !port.isOpen) return;
      this.lose(session, disconnected(this.path, err));
    });
    // serialport emits 'close' with a DisconnectedError when a read or write fails (unplugged,
    // pty master gone), and with null after our own close().
    port.on('close', (err: Error | null) => this.finish(session, disconnected(this.path, err ?? undefined)));

    await new Promise<void>((resolve, reject) => {
      port.open((err) => (err ? reject(openFailed(this.path, err, this.options.platform)) : resolve()));
    });

    const fast = this.options.readPath === 'auto' ? pollablePort(port.port) : undefined;
    if (fast) {
      session.reader = new TtyReader(fast, {
        data: (chunk) => {
          session.bytes += chunk.length;
          this.deliver(session, chunk);
        },
        end: (err) => this.lose(session, disconnected(this.path, err)),
      });
      session.reader.start();
    } else {
      // A 'data' listener starts serialport's own read loop.
      port.on('data', (chunk: Buffer) => {
        session.bytes += chunk.length;
        this.deliver(session, chunk);
      });
      // A zero-byte read (EOF) ends the readable side: for a serial link that means it is gone.
      port.on('end', () => this.lose(session, disconnected(this.path, undefined)));
    }
    return session;
  }

  protected override sessionStarted(session: Session): void {
    this.watch(session);
  }

  protected override sessionEnded(session: Session): void {
    // Also when serialport closed the port itself (a failed write): nothing may read its fd now.
    session.reader?.stop();
    clearInterval(session.probe);
  }

  protected writeSession(s: Session, bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      // Copy: the stream keeps the buffer until the binding has written it.
      s.port.write(Buffer.from(bytes), (err) => (err ? reject(disconnected(this.path, err)) : resolve()));
    });
  }

  /** Closes the session's port; resolves when the fd is closed (never rejects). */
  protected releaseSession(session: Session): Promise<void> {
    // First, so no read touches the fd once serialport closes it (its number may be reused).
    session.reader?.stop();
    clearInterval(session.probe);
    return new Promise<void>((resolve) => {
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
  }

  /** The link check (see `livenessCheckMs`): one interval; a tcdrain only after a silent interval. */
  private watch(session: Session): void {
    const every = this.options.livenessCheckMs;
    // The Windows binding reports a lost link through its reads; the 0-byte loop is unix-only.
    if (every === 0 || process.platform === 'win32') return;
    let seen = session.bytes;
    let checking = false;
    session.probe = setInterval(() => {
      if (session.done || session.requested || !session.port.isOpen || checking) return;
      const bytes = session.bytes;
      if (bytes !== seen) {
        seen = bytes;
        return;
      }
      checking = true;
      session.port.drain((err) => {
        checking = false;
        if (err && !session.done && !session.requested && session.port.isOpen) this.lose(session, disconnected(this.path, err));
      });
    }, every).unref();
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
