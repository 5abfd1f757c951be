/**
 * Request/reply over the channel: each command gets an id, its reply settles the promise.
 *
 * Bounds: at most `maxPending` commands in flight (more are refused at once); each waits at most
 * its timeout. A failure always arrives as a rejected promise with a CommandError (code,
 * message, hint), never a throw: the server's error, TIMEOUT, DISCONNECTED or BUSY.
 */
import type { DesktopAction, ServerBitChannel } from '../shared/api.js';
import type { CommandArgs, CommandName, ReplyMessage, ServerMessage } from '../shared/v2.js';
import { CommandError } from '../shared/command-error.js';
import type { WireError } from './errors.js';

export { CommandError };


interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: CommandError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Default reply timeouts, ms; test_device waits for a Bluetooth connect (can take ~10 s). */
const TIMEOUTS: Partial<Record<CommandName, number>> = { test_device: 30_000, start: 20_000, set_config: 20_000, list_ports: 15_000 };
const DEFAULT_TIMEOUT = 10_000;

export class CommandClient {
  private readonly pending = new Map<string, Pending>();
  private next = 1;
  private open: boolean;
  /** Replies with id null (the server could not read a message): reported, not tied to a command. */
  onOrphanError: ((e: WireError) => void) | undefined;

  constructor(
    private readonly channel: ServerBitChannel,
    private readonly maxPending = 32,
  ) {
    // Over IPC the channel has no connection state: it is always open.
    this.open = channel.onConnection === undefined;
    channel.onMessage((m) => this.onMessage(m));
    channel.onConnection?.((s) => {
      this.open = s === 'open';
      if (!this.open) this.failAll({ code: 'DISCONNECTED', message: 'The connection to ServerBIT closed before it answered.' });
    });
  }

  get inFlight(): number {
    return this.pending.size;
  }

  call<N extends CommandName>(command: N, ...rest: CommandArgs[N] extends Record<string, never> ? [args?: CommandArgs[N]] : [args: CommandArgs[N]]): Promise<unknown> {
    const args = rest[0];
    return this.request(command, TIMEOUTS[command] ?? DEFAULT_TIMEOUT, (id) => this.channel.send(args === undefined ? { type: 'command', id, command } : { type: 'command', id, command, args }));
  }

  /** A request only the desktop app answers (the Electron window: src/shared/api.ts DesktopRequest). */
  desktop(action: DesktopAction): Promise<unknown> {
    return this.request(action, DEFAULT_TIMEOUT, (id) => this.channel.send({ type: 'desktop', id, action }));
  }

  private request(what: string, ms: number, send: (id: string) => void): Promise<unknown> {
    if (!this.open) return Promise.reject(new CommandError({ code: 'DISCONNECTED', message: 'Not connected to ServerBIT.', hint: 'Wait for the connection to come back, then try again.' }));
    if (this.pending.size >= this.maxPending) return Promise.reject(new CommandError({ code: 'BUSY', message: 'Too many commands are waiting for an answer.' }));
    const id = `ui-${this.next++}`;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CommandError({ code: 'TIMEOUT', message: `ServerBIT did not answer "${what}" within ${ms / 1000} s.` }));
      }, ms);
      this.pending.set(id, { resolve, reject, timer });
      send(id);
    });
  }

  private onMessage(m: ServerMessage): void {
    if (m.type !== 'reply') return;
    this.settle(m);
  }

  private settle(m: ReplyMessage): void {
    if (m.id === null || !this.pending.has(String(m.id))) {
      if (!m.ok) this.onOrphanError?.(m.error);
      return;
    }
    const id = String(m.id);
    const p = this.pending.get(id)!;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (m.ok) p.resolve(m.result);
    else p.reject(new CommandError(m.error));
  }

  private failAll(error: WireError): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new CommandError(error));
    }
  }
}

/** Any thrown value as a WireError (a CommandError already is one). */
export function toWireError(e: unknown): WireError {
  if (e instanceof CommandError) return e.hint ? { code: e.code, message: e.message, hint: e.hint } : { code: e.code, message: e.message };
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}
