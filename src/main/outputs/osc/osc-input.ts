/**
 * The OSC control input (docs/osc.md "Control input"): off unless enabled; listens on
 * 127.0.0.1:<port> unless another interface is set explicitly; turns `/<id>/trigger`, `/<id>/pwm`,
 * `/<id>/start`, `/<id>/stop`, `/<id>/marker` and `/marker` into calls on an injected OscControl
 * (the same command path as /v2, wired by the composition root).
 *
 * Untrusted input, bounded at every step:
 * - a token bucket admits at most `maxCommandsPerSecond` datagrams and commands per second (bursts
 *   of as many); the rest are dropped before decoding and counted (`rateLimited`);
 * - a datagram over `maxDatagramBytes` (default 4096) is dropped undecoded; decoding is linear and
 *   its recursion bounded (packet.ts);
 * - at most `maxPending` commands wait for the control at once (default 64, more than one
 *   datagram may carry); more are refused (`busy`); a command the control has not answered
 *   within `commandTimeoutMs` (default 10 s) counts as failed and frees its place, so a control
 *   that never answers can neither make us hold unbounded promises nor block the input;
 * - nothing is sent back (a reply to a forged source address would make us a reflector): every
 *   problem is counted, shown in the status `detail`, and logged at most once per 5 s.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { NetworkError } from '#shared/errors.js';
import { validateOscInputSettings, type OscInputSettings } from '#shared/outputs/osc-config.js';
import type { WireError } from '#shared/acquisition.js';
import { createLogger } from '../../log.js';
import { StatusListeners, type Output, type OutputState, type OutputStatus } from '../output.js';
import { addressPart } from './addresses.js';
import { parseControl, type ControlCommand } from './control-commands.js';
import { DEFAULT_PACKET_LIMITS, MAX_PACKET_BYTES, readPacket, type PacketLimits } from './packet.js';
import { toWireError as toWire } from '#shared/errors.js';

const log = createLogger('serverbit:osc-in');

/** What the OSC input asks of the rest of ServerBIT. Each call may reject with a ServerBitError; it is shown in the status. */
export interface OscControl {
  /** Digital outputs [O1, O2] of a device. */
  outputs(device: string, values: readonly [0 | 1, 0 | 1]): Promise<void>;
  /** PWM duty 0..255 of a device. */
  pwm(device: string, duty: number): Promise<void>;
  start(device: string): Promise<void>;
  stop(device: string): Promise<void>;
  /** A marker on `device`, or on every device when undefined. */
  marker(label: string, device?: string): Promise<void>;
  /** The current device ids, to match the `<id>` of an address (which may be an id with reserved characters replaced, docs/osc.md "Addresses"). */
  devices(): readonly string[];
}

export interface OscInputOptions {
  settings: OscInputSettings;
  control: OscControl;
  /** Larger datagrams are dropped undecoded. Default 4096, at most 8192. */
  maxDatagramBytes?: number;
  /** Commands waiting for the control at once. Default 64. */
  maxPending?: number;
  /** ms after which an unanswered command counts as failed and frees its place. Default 10 000. */
  commandTimeoutMs?: number;
  /** ms between counter updates. Default 1000. */
  statusIntervalMs?: number;
  /** Clock for the rate limit, ms. Default performance.now-like monotonic clock. */
  now?: () => number;
}

interface Counters {
  [name: string]: number;
  datagrams: number;
  /** Messages read from admitted datagrams. */
  messages: number;
  /** Commands handed to the control. */
  commands: number;
  succeeded: number;
  /** Commands the control rejected (device not connected, unsupported…). */
  failed: number;
  /** Messages with an unknown address or bad arguments. */
  rejected: number;
  /** Datagrams that are not OSC, too large, or hold more messages than accepted. */
  malformed: number;
  /** Datagrams and commands over the rate limit. */
  rateLimited: number;
  /** Commands refused because maxPending were already waiting. */
  busy: number;
}

const LOG_EVERY_MS = 5000;

export class OscInput implements Output {
  readonly name = 'osc-in';
  private readonly settings: OscInputSettings;
  private readonly control: OscControl;
  private readonly limits: PacketLimits;
  private readonly maxPending: number;
  private readonly commandTimeoutMs: number;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly listeners = new StatusListeners('an OSC input');
  private readonly counters: Counters = { datagrams: 0, messages: 0, commands: 0, succeeded: 0, failed: 0, rejected: 0, malformed: 0, rateLimited: 0, busy: 0 };
  private state: OutputState = 'off';
  private error: WireError | undefined;
  private lastProblem: string | undefined;
  private socket: dgram.Socket | undefined;
  private bound: { address: string; port: number } | undefined;
  private tokens: number;
  private tokensAt: number;
  private pending = 0;
  private lastLogAt = -Infinity;
  private suppressed = 0;
  private timer: NodeJS.Timeout | undefined;
  private starting: Promise<void> | undefined;
  private closed = false;

  constructor(options: OscInputOptions) {
    const issues = validateOscInputSettings(options.settings);
    if (issues.length > 0) throw new TypeError(`OscInput: ${issues.map((i) => i.message).join('; ')}`);
    const maxBytes = options.maxDatagramBytes ?? DEFAULT_PACKET_LIMITS.maxBytes;
    if (!Number.isInteger(maxBytes) || maxBytes < 64 || maxBytes > MAX_PACKET_BYTES) throw new TypeError(`OscInput: "maxDatagramBytes" must be an integer from 64 to ${MAX_PACKET_BYTES} (got ${maxBytes})`);
    this.settings = options.settings;
    this.control = options.control;
    this.limits = { ...DEFAULT_PACKET_LIMITS, maxBytes };
    this.maxPending = options.maxPending ?? 64;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 10_000;
    this.intervalMs = options.statusIntervalMs ?? 1000;
    this.now = options.now ?? (() => performance.now());
    this.tokens = options.settings.maxCommandsPerSecond;
    this.tokensAt = this.now();
  }

  /** Where it listens, once started. */
  get address(): { address: string; port: number } | undefined {
    return this.bound;
  }

  start(): Promise<void> {
    if (this.closed) return Promise.reject(new NetworkError('LISTEN_FAILED', 'this OSC input was closed; create a new one'));
    this.starting ??= this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    this.setState('starting');
    const { host, port } = this.settings;
    const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
    this.socket = socket;
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: host, port, exclusive: true }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.socket = undefined;
      socket.close();
      const e = listenError(err, host, port);
      this.error = toWire(e);
      this.setState('error');
      throw e;
    }
    socket.on('error', (err) => this.problem(`socket error: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    socket.on('message', (msg) => this.onDatagram(msg));
    this.bound = socket.address();
    this.timer = setInterval(() => this.notify(), this.intervalMs);
    this.timer.unref();
    this.setState('running');
    if (this.closed) await this.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    if (this.state !== 'stopped' && this.state !== 'off') this.setState('stopped');
    this.listeners.clear();
  }

  status(): OutputStatus {
    const at = this.bound ? `${net.isIPv6(this.bound.address) ? `[${this.bound.address}]` : this.bound.address}:${this.bound.port}` : `${this.settings.host}:${this.settings.port}`;
    let detail = `listening on ${at} · ${this.counters.commands} commands`;
    if (this.lastProblem) detail += ` · last problem: ${this.lastProblem}`;
    const s: OutputStatus = { output: this.name, state: this.state, detail, counters: { ...this.counters } };
    if (this.state === 'error' && this.error) s.error = this.error;
    return s;
  }

  onStatus(listener: (status: OutputStatus) => void): () => void {
    return this.listeners.add(listener);
  }

  // -------------------------------------------------------------------------------------------

  private take(): boolean {
    const now = this.now();
    const rate = this.settings.maxCommandsPerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.tokensAt) * rate) / 1000);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private onDatagram(datagram: Buffer): void {
    try {
      this.counters.datagrams++;
      if (!this.take()) {
        this.counters.rateLimited++;
        this.problem(`more than ${this.settings.maxCommandsPerSecond} datagrams per second; the rest are dropped`);
        return;
      }
      const packet = readPacket(datagram, this.limits);
      if (!packet.ok) {
        this.counters.malformed++;
        this.problem(packet.reason);
        return;
      }
      if (packet.truncated > 0) {
        this.counters.malformed++;
        this.problem(`a bundle held more than ${this.limits.maxMessages} messages or nested deeper than ${this.limits.maxDepth}; ${packet.truncated} ignored`);
      }
      const resolve = this.resolver();
      packet.messages.forEach((msg, k) => {
        this.counters.messages++;
        // The datagram paid for its first message; each further one costs a token.
        if (k > 0 && !this.take()) {
          this.counters.rateLimited++;
          this.problem(`more than ${this.settings.maxCommandsPerSecond} commands per second; the rest are dropped`);
          return;
        }
        const parsed = parseControl(msg, resolve);
        if (!parsed.ok) {
          this.counters.rejected++;
          this.problem(parsed.error.message);
          return;
        }
        for (const c of parsed.commands) this.dispatch(c);
      });
    } catch (err) {
      this.problem(`internal error: ${String((err as Error)?.message ?? err)}`);
    }
  }

  /** Maps an address part to a device id: the id itself, or the id whose address part it is. */
  private resolver(): (part: string) => string | undefined {
    let ids: readonly string[] | undefined;
    return (part) => {
      ids ??= this.control.devices();
      if (ids.includes(part)) return part;
      return ids.find((id) => addressPart(id) === part);
    };
  }

  private dispatch(c: ControlCommand): void {
    if (this.pending >= this.maxPending) {
      this.counters.busy++;
      this.problem(`${this.maxPending} commands are already waiting; ${describe(c)} was dropped`);
      return;
    }
    this.pending++;
    this.counters.commands++;
    const ctl = this.control;
    let settled = false;
    const settle = (ok: boolean, why?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.pending--;
      if (ok) {
        this.counters.succeeded++;
        log.debug('%s done', describe(c));
      } else {
        this.counters.failed++;
        this.problem(`${describe(c)} failed: ${why}`);
      }
    };
    const timer = setTimeout(() => settle(false, `no answer within ${this.commandTimeoutMs / 1000} s`), this.commandTimeoutMs);
    timer.unref();
    Promise.resolve()
      .then(() => {
        switch (c.kind) {
          case 'outputs':
            return ctl.outputs(c.device, c.values);
          case 'pwm':
            return ctl.pwm(c.device, c.duty);
          case 'start':
            return ctl.start(c.device);
          case 'stop':
            return ctl.stop(c.device);
          case 'marker':
            return ctl.marker(c.label, c.device);
        }
      })
      .then(
        () => settle(true),
        (err: unknown) => settle(false, toWire(err).message),
      );
  }

  /** Records a problem for the status; logs it unless one was logged in the last 5 s. */
  private problem(text: string): void {
    this.lastProblem = text;
    const now = Date.now();
    if (now - this.lastLogAt < LOG_EVERY_MS) {
      this.suppressed++;
      return;
    }
    const more = this.suppressed > 0 ? ` (and ${this.suppressed} more since the last report)` : '';
    this.suppressed = 0;
    this.lastLogAt = now;
    log.warn('OSC control: %s%s', text, more);
  }

  private setState(state: OutputState): void {
    if (this.state === state) return;
    this.state = state;
    this.notify();
  }

  private notify(): void {
    this.listeners.emitIfChanged(this.status());
  }
}

function describe(c: ControlCommand): string {
  switch (c.kind) {
    case 'outputs':
      return `/${c.device}/trigger ${c.values.join(' ')}`;
    case 'pwm':
      return `/${c.device}/pwm ${c.duty}`;
    case 'marker':
      return c.device === undefined ? `/marker ${JSON.stringify(c.label)}` : `/${c.device}/marker ${JSON.stringify(c.label)}`;
    default:
      return `/${c.device}/${c.kind}`;
  }
}

function listenError(err: unknown, host: string, port: number): NetworkError {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE') {
    return new NetworkError('PORT_IN_USE', `Cannot listen for OSC on ${host}:${port}: another program is using UDP port ${port}`, 'Stop the other program, or choose another OSC input port.', { cause: err });
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new NetworkError('LISTEN_FAILED', `Cannot listen for OSC on ${host}:${port}: this computer has no address ${host}`, 'Use 127.0.0.1 (this computer only) or an address of one of its network interfaces.', { cause: err });
  }
  return new NetworkError('LISTEN_FAILED', `Cannot listen for OSC on ${host}:${port}: ${code ?? String((err as Error)?.message ?? err)}`, 'Check the OSC input host and port.', { cause: err });
}
