/**
 * Transport over TCP for `host:port` addresses: the official Python API accepts them and carries
 * the same byte protocol over the socket (docs/bitalino-protocol.md §1), e.g. a BITalino behind a
 * Wi-Fi/UART bridge at 192.168.4.1:8001. Also handy for the emulator over loopback. The session
 * bookkeeping (one open at a time, one end reported per session) is link-transport.ts's.
 */
import net from 'node:net';
import { DeviceError } from '../../shared/errors.js';
import { LinkTransport, type LinkSession } from './link-transport.js';

export interface TcpTransportOptions {
  /** Milliseconds to wait for the connection before giving up. Default 5000 (the C++ API's 5 s). */
  connectTimeoutMs?: number;
}

interface Session extends LinkSession {
  socket: net.Socket;
  /** The socket error that preceded 'close', reported with it. */
  error?: Error;
  /** 'close' was emitted: the socket is gone. */
  closed: boolean;
}

/** How long close() lets written bytes (e.g. a final stop command) go out before cutting the socket. */
const CLOSE_GRACE_MS = 1000;

export class TcpTransport extends LinkTransport<Session> {
  /** "host:port", IPv6 hosts in brackets. */
  readonly path: string;
  private readonly connectTimeoutMs: number;

  constructor(
    readonly host: string,
    readonly port: number,
    options: TcpTransportOptions = {},
  ) {
    super();
    const timeout = options.connectTimeoutMs ?? 5000;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`port must be an integer 1..65535, got ${String(port)}`);
    if (!(timeout > 0)) throw new TypeError(`connectTimeoutMs must be a positive number of milliseconds, got ${String(timeout)}`);
    this.connectTimeoutMs = timeout;
    this.path = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
  }

  protected sessionIsOpen(s: Session): boolean {
    return !s.closed;
  }

  protected writeSession(s: Session, bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      s.socket.write(Buffer.from(bytes), (err) => (err ? reject(disconnected(this.path, err)) : resolve()));
    });
  }

  protected releaseSession(s: Session): Promise<void> {
    if (s.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      s.socket.once('close', () => resolve());
      // end() lets written bytes (e.g. a final stop command) go out before the FIN; destroy if
      // the peer does not finish the close promptly.
      s.socket.end();
      setTimeout(() => s.socket.destroy(), CLOSE_GRACE_MS).unref();
    });
  }

  protected openSession(): Promise<Session> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      let connected = false;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(openFailed(this.path, `no connection after ${this.connectTimeoutMs} ms`, 'ETIMEDOUT'));
      }, this.connectTimeoutMs);

      socket.once('error', (err: NodeJS.ErrnoException) => {
        if (connected) return;
        clearTimeout(timer);
        socket.destroy();
        reject(openFailed(this.path, err.message, err.code, err));
      });
      socket.once('connect', () => {
        connected = true;
        clearTimeout(timer);
        // Commands are single bytes (docs/bitalino-protocol.md §4): send them at once, do not batch them.
        socket.setNoDelay(true);
        const session: Session = { socket, done: false, requested: false, closed: false };
        socket.on('data', (chunk: Buffer) => this.deliver(session, chunk));
        socket.on('error', (err) => {
          session.error ??= err;
        });
        // 'close' always follows 'error' and the peer's FIN (allowHalfOpen is off), so it is
        // the one place the end of a session is reported.
        socket.on('close', () => {
          session.closed = true;
          this.finish(session, disconnected(this.path, session.error));
        });
        resolve(session);
      });
    });
  }
}

function disconnected(path: string, cause: Error | undefined): DeviceError {
  return new DeviceError(
    'DEVICE_DISCONNECTED',
    `Lost the link to ${path}: ${cause ? cause.message : 'the peer closed the connection'}`,
    'Check that the device is powered and still on the network.',
    cause ? { cause } : undefined,
  );
}

function openFailed(path: string, reason: string, code: string | undefined, cause?: Error): DeviceError {
  return new DeviceError('DEVICE_OPEN_FAILED', `Could not connect to ${path}: ${reason}`, tcpOpenHint(path, code), cause ? { cause } : undefined);
}

function tcpOpenHint(path: string, code: string | undefined): string {
  switch (code) {
    case 'ECONNREFUSED':
      return `Nothing is listening at ${path}: check the port number and that the device's TCP bridge is running.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `The host name in ${path} could not be resolved: check its spelling or use the IP address.`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `Check that the device is powered and on the same network as this computer (e.g. joined to its Wi-Fi), and that no firewall blocks ${path}.`;
    default:
      return `Check the address ${path}, that the device is powered and reachable, and that no firewall blocks it.`;
  }
}
