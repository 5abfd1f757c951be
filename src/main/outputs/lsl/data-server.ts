/**
 * An outlet's TCP data port (docs/lsl.md §6–§8): answers `LSL:fullinfo` and `LSL:shortinfo`, and
 * serves protocol 1.10 stream feeds — the response header, the two test-pattern samples, then every
 * sample pushed while the consumer stays connected, each consumer with its own bounded backlog.
 *
 * Bounds (every one a constructor option, defaults in DATA_SERVER_DEFAULTS):
 * - at most `maxConsumers` feeds at once, and `maxPending` connections still sending their request;
 *   a connection beyond either is closed at once (counted in `refused`);
 * - a request must be complete within MAX_REQUEST_BYTES and `requestTimeoutMs`, or the connection
 *   is closed (`invalid`);
 * - a consumer holds at most `min(its Max-Buffer-Length, backlogSamples)` samples; when full the
 *   oldest are dropped (`droppedSamples`); Node's socket buffer holds at most about
 *   `socketHighWater` bytes beyond that;
 * - a consumer that keeps sending after its request (inlets send nothing) is closed after 64 KiB.
 */
import net from 'node:net';
import { ConsumerQueue } from './consumer-queue.js';
import { MAX_REQUEST_BYTES, parseFeedRequest, type FeedParams } from './feed-request.js';
import { listenInRange, type PortRange } from './ports.js';
import { FORMAT_BYTES, FORMAT_SUBNORMAL, LITTLE_ENDIAN, PROTOCOL_VERSION, type ChannelFormat } from './protocol.js';
import { matchQuery } from './query.js';
import { sampleBytes, testPatternBytes } from './sample-encoder.js';

/** What the data port serves, fixed for the outlet's life. */
export interface ServedStream {
  uid: string;
  channelFormat: ChannelFormat;
  channelCount: number;
  fullinfo: string;
  shortinfo: string;
  /** Info fields for query matching (infoFields). */
  fields: Readonly<Record<string, string>>;
}

export interface DataServerOptions {
  /** Most stream feeds at once. Default 16. */
  maxConsumers: number;
  /** Most connections still sending their request. Default 8. */
  maxPending: number;
  /** ms a connection may take to send its whole request. Default 10 000. */
  requestTimeoutMs: number;
  /** Most samples one consumer's backlog holds (the outlet's `max_buffered`). */
  backlogSamples: number;
  /** Bytes Node may buffer on a consumer's socket before samples wait in its backlog instead. Default 64 KiB. */
  socketHighWater: number;
}

export const DATA_SERVER_DEFAULTS: Omit<DataServerOptions, 'backlogSamples'> = {
  maxConsumers: 16,
  maxPending: 8,
  requestTimeoutMs: 10_000,
  socketHighWater: 64 * 1024,
};

/** Bytes a consumer may send after its request before it is taken for hostile. */
const MAX_TRAILING_BYTES = 64 * 1024;

export interface DataServerCounters {
  /** Connections accepted. */
  connections: number;
  /** Connections closed at once because of maxConsumers / maxPending. */
  refused: number;
  /** Requests that were malformed, too long, too slow, or asked for something not served. */
  invalid: number;
  /** fullinfo and shortinfo requests answered. */
  infoRequests: number;
  /** Stream feeds started. */
  feeds: number;
  /** Samples dropped from full consumer backlogs (all consumers, also those gone). */
  droppedSamples: number;
}

class Consumer {
  readonly queue: ConsumerQueue;
  constructor(
    readonly socket: net.Socket,
    sampleSize: number,
    capacity: number,
    private readonly highWater: number,
  ) {
    this.queue = new ConsumerQueue(sampleSize, capacity);
    socket.on('drain', () => this.pump());
  }

  /** Returns how many samples the backlog dropped. */
  push(encoded: Buffer): number {
    if (this.queue.length === 0 && this.socket.writableLength < this.highWater) {
      this.socket.write(encoded);
      return 0;
    }
    return this.queue.push(encoded);
  }

  private pump(): void {
    while (this.socket.writableLength < this.highWater) {
      const chunk = this.queue.take();
      if (!chunk) return;
      this.socket.write(chunk);
    }
  }
}

export class DataServer {
  private readonly server: net.Server;
  private stream: ServedStream | undefined;
  private readonly pending = new Set<net.Socket>();
  private readonly consumers = new Map<net.Socket, Consumer>();
  private closed = false;
  readonly counters: DataServerCounters = { connections: 0, refused: 0, invalid: 0, infoRequests: 0, feeds: 0, droppedSamples: 0 };

  private constructor(
    private readonly options: DataServerOptions,
    readonly port: number,
    server: net.Server,
  ) {
    this.server = server;
  }

  /** Listens on the first free port of `range`; connections are answered once serve() is called. */
  static async open(range: PortRange, options: Partial<DataServerOptions> & { backlogSamples: number }): Promise<DataServer> {
    const opts: DataServerOptions = { ...DATA_SERVER_DEFAULTS, ...options };
    const server = net.createServer({ noDelay: true });
    const holder: { ds?: DataServer } = {};
    server.on('connection', (socket) => {
      if (holder.ds) holder.ds.accept(socket);
      else socket.destroy();
    });
    server.on('error', () => {
      // after listening, a server error (EMFILE on accept) only costs that connection
    });
    const port = await listenInRange(server, range);
    holder.ds = new DataServer(opts, port, server);
    return holder.ds;
  }

  /** Starts answering requests for `stream`. */
  serve(stream: ServedStream): void {
    this.stream = stream;
  }

  /** Connections still sending their request. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Stream feeds now. */
  get consumerCount(): number {
    return this.consumers.size;
  }

  /** Sends encoded samples (whole samples) to every consumer. */
  push(encoded: Buffer): void {
    for (const c of this.consumers.values()) this.counters.droppedSamples += c.push(encoded);
  }

  /** Stops listening and closes every connection (inlets then look for the stream again). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.pending, ...this.consumers.keys()]) s.destroy();
    this.pending.clear();
    for (const c of this.consumers.values()) c.queue.clear();
    this.consumers.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.counters.connections++;
    socket.on('error', () => {
      // ECONNRESET, EPIPE: the connection is gone; 'close' cleans up
    });
    if (this.closed || this.pending.size >= this.options.maxPending) {
      this.counters.refused++;
      socket.destroy();
      return;
    }
    this.pending.add(socket);
    let received: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => {
      this.counters.invalid++;
      socket.destroy();
    }, this.options.requestTimeoutMs);
    timer.unref();
    const onData = (chunk: Buffer): void => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      if (received.length > MAX_REQUEST_BYTES) received = received.subarray(0, MAX_REQUEST_BYTES);
      const req = parseFeedRequest(received);
      if (req.kind === 'incomplete') return;
      clearTimeout(timer);
      socket.off('data', onData);
      this.pending.delete(socket);
      this.answer(socket, req);
    };
    socket.on('data', onData);
    socket.on('close', () => {
      clearTimeout(timer);
      this.pending.delete(socket);
      const c = this.consumers.get(socket);
      if (c) {
        c.queue.clear();
        this.consumers.delete(socket);
      }
    });
  }

  private answer(socket: net.Socket, req: ReturnType<typeof parseFeedRequest>): void {
    const stream = this.stream;
    if (!stream || this.closed) {
      socket.destroy();
      return;
    }
    switch (req.kind) {
      case 'fullinfo':
        this.counters.infoRequests++;
        socket.end(stream.fullinfo);
        return;
      case 'shortinfo':
        this.counters.infoRequests++;
        // liblsl answers a query that does not match by closing the connection.
        if (matchQuery(req.query, stream.fields) === 'match') socket.end(stream.shortinfo);
        else socket.end();
        return;
      case 'streamfeed':
        this.startFeed(socket, stream, req.params);
        return;
      default:
        // 'invalid', and protocol 1.00 feeds (not supported, docs/lsl.md §12)
        this.counters.invalid++;
        socket.destroy();
    }
  }

  private startFeed(socket: net.Socket, stream: ServedStream, p: FeedParams): void {
    const status = (line: string): void => {
      this.counters.invalid++;
      // liblsl sends these status lines without a line end, then closes.
      socket.end(`LSL/${PROTOCOL_VERSION} ${line}`);
    };
    if (Math.trunc(p.requestVersion / 100) > Math.trunc(PROTOCOL_VERSION / 100)) return status('505 Version not supported');
    if (p.uid !== '' && p.uid !== stream.uid) return status('404 Not found');
    if (p.requestVersion < 110) return status('505 Version not supported');
    // liblsl falls back to the 1.00 data protocol for these; ServerBIT does not speak it (§12).
    const dataVersion = Math.min(PROTOCOL_VERSION, p.protocolVersion);
    const width = FORMAT_BYTES[stream.channelFormat];
    if (dataVersion < 110 || (p.valueSize !== undefined && p.valueSize !== width) || !p.hasIeee754Floats) return status('505 Version not supported');
    if (this.consumers.size >= this.options.maxConsumers) {
      this.counters.refused++;
      socket.destroy();
      return;
    }
    const suppress = FORMAT_SUBNORMAL[stream.channelFormat] && !p.supportsSubnormals;
    const header =
      `LSL/${PROTOCOL_VERSION} 200 OK\r\n` +
      `UID: ${stream.uid}\r\n` +
      `Byte-Order: ${LITTLE_ENDIAN}\r\n` +
      `Suppress-Subnormals: ${suppress ? 1 : 0}\r\n` +
      `Data-Protocol-Version: ${dataVersion}\r\n\r\n`;
    socket.write(Buffer.concat([Buffer.from(header, 'latin1'), testPatternBytes(stream.channelFormat, stream.channelCount)]));
    this.counters.feeds++;
    // liblsl serves no samples to a consumer that buffers none (Max-Buffer-Length: 0): header, then close.
    if (p.maxBufferLength !== undefined && p.maxBufferLength <= 0) {
      socket.end();
      return;
    }
    const capacity = Math.max(1, Math.min(p.maxBufferLength ?? Infinity, this.options.backlogSamples));
    this.consumers.set(socket, new Consumer(socket, sampleBytes(stream.channelFormat, stream.channelCount), capacity, this.options.socketHighWater));
    let trailing = 0;
    socket.on('data', (chunk: Buffer) => {
      trailing += chunk.length;
      if (trailing > MAX_TRAILING_BYTES) socket.destroy();
    });
  }
}
