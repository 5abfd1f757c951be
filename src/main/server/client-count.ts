/**
 * The server's client count for `server` messages and the status views, coalesced: each connect
 * or disconnect used to send a status to every /v2 client, so a burst of connections cost
 * clients² messages. Listeners hear at most one change per `intervalMs` (the latest count).
 */
import type { ServerState } from '../api/context.js';

export interface ClientCountOptions {
  /** The live count (the listener's sockets, plus the desktop window). */
  count: () => number;
  /** Longest a change waits to be told, ms. Default 250. */
  intervalMs?: number;
}

export class ClientCount implements ServerState {
  private readonly listeners = new Set<() => void>();
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private told = -1;

  constructor(private readonly options: ClientCountOptions) {
    this.intervalMs = options.intervalMs ?? 250;
  }

  clients(): number {
    return this.options.count();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Something changed: tell the listeners within intervalMs, once. */
  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const n = this.options.count();
      if (n === this.told) return;
      this.told = n;
      for (const l of this.listeners) l();
    }, this.intervalMs);
    this.timer.unref?.();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }
}
