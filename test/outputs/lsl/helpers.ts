/** Socket helpers shared by the LSL unit tests and the interoperability suite. */
import dgram from 'node:dgram';
import net from 'node:net';

/**
 * Sends `payload` to 127.0.0.1:`port` and collects what comes back until the peer closes, `bytes`
 * bytes have arrived, or `timeoutMs` passes; always closes the socket.
 */
export function tcpExchange(port: number, payload: string | Buffer, options: { bytes?: number; timeoutMs?: number; onBytes?: (got: number) => void } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let got = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(finish, options.timeoutMs ?? 5000);
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      options.onBytes?.(got);
      if (options.bytes !== undefined && got >= options.bytes) finish();
    });
    socket.on('close', finish);
    socket.on('error', (err) => {
      if (!done && chunks.length === 0 && (err as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
        done = true;
        clearTimeout(timer);
        reject(err);
      }
    });
  });
}

/** A UDP socket on 127.0.0.1 that records what it receives. */
export async function udpListener(port = 0, options: { reuseAddr?: boolean } = {}): Promise<{ socket: dgram.Socket; port: number; received: { msg: Buffer; from: dgram.RemoteInfo }[]; next(timeoutMs?: number): Promise<Buffer>; close(): Promise<void> }> {
  const socket = dgram.createSocket({ type: 'udp4', reuseAddr: options.reuseAddr ?? false });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => resolve());
  });
  const received: { msg: Buffer; from: dgram.RemoteInfo }[] = [];
  const waiters: ((m: Buffer) => void)[] = [];
  let read = 0;
  socket.on('message', (msg, from) => {
    received.push({ msg, from });
    const w = waiters.shift();
    if (w) {
      read++;
      w(msg);
    }
  });
  return {
    socket,
    port: socket.address().port,
    received,
    next(timeoutMs = 5000) {
      if (read < received.length) return Promise.resolve(received[read++].msg);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no datagram within ' + timeoutMs + ' ms')), timeoutMs);
        waiters.push((m) => {
          clearTimeout(t);
          resolve(m);
        });
      });
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** Sends one datagram to 127.0.0.1:`port` from `from` (a bound socket) or a throwaway socket. */
export async function sendDatagram(port: number, payload: string | Buffer, from?: dgram.Socket): Promise<void> {
  const s = from ?? dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => s.send(payload, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  if (!from) s.close();
}

/** Polls `cond` every 20 ms until it holds or `timeoutMs` passes (then throws `what`). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A minimal protocol-1.10 consumer for tests that run without liblsl: decodes the feed. */
export class RawInlet {
  readonly samples: { timestamp: number; values: number[] }[] = [];
  header = '';
  closed = false;
  private buf = Buffer.alloc(0);
  private readonly socket: net.Socket;
  private readonly size: number;
  private skipPatterns = 2;

  constructor(port: number, uid: string, readonly format: 'float32' | 'int16', readonly channels: number, maxBuffer = 100_000) {
    this.size = 9 + channels * (format === 'float32' ? 4 : 2);
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('error', () => {});
    this.socket.on('close', () => (this.closed = true));
    this.socket.write(`LSL:streamfeed/110 ${uid}\r\nValue-Size: ${format === 'float32' ? 4 : 2}\r\nMax-Buffer-Length: ${maxBuffer}\r\n\r\n`);
    this.socket.on('data', (d: Buffer) => this.onData(d));
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    if (!this.header) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.header = this.buf.toString('latin1', 0, end + 4);
      this.buf = this.buf.subarray(end + 4);
    }
    let o = 0;
    for (; o + this.size <= this.buf.length; o += this.size) {
      if (this.buf[o] !== 2) throw new Error('expected transmitted timestamps');
      const timestamp = this.buf.readDoubleLE(o + 1);
      const values: number[] = [];
      for (let c = 0; c < this.channels; c++) values.push(this.format === 'float32' ? this.buf.readFloatLE(o + 9 + 4 * c) : this.buf.readInt16LE(o + 9 + 2 * c));
      if (this.skipPatterns > 0) this.skipPatterns--;
      else this.samples.push({ timestamp, values });
    }
    this.buf = Buffer.from(this.buf.subarray(o));
  }

  /** True once the header and both test patterns have arrived. */
  get ready(): boolean {
    return this.header !== '' && this.skipPatterns === 0;
  }

  close(): void {
    this.socket.destroy();
  }
}
