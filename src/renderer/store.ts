/**
 * The UI's state outside the plot: the latest hello, meta, status and config, the channel's
 * connection state, the measured sample rate and the error shown in the banner. Views subscribe
 * and redraw their part; data messages go straight to the plot and never through here (at
 * 1000 Hz that would re-render the whole page for nothing).
 */
import type { ServerBitConfig } from '../shared/config.js';
import type { HelloMessage, MetaMessage, StatusMessage } from '../shared/v2.js';
import type { ErrorView } from './errors.js';

export interface AppState {
  connection: 'connecting' | 'open' | 'closed';
  /** "electron" or "browser". */
  host: 'electron' | 'browser';
  /** ws://host:port of the service when known (browser: the page's own origin). */
  address: string | undefined;
  hello: HelloMessage | undefined;
  meta: MetaMessage | undefined;
  status: StatusMessage | undefined;
  /** The device the views show (the first of hello's devices until the user picks another). */
  device: string | undefined;
  /** Clients connected to the service (its `server` message). */
  clients: number | undefined;
  /** The config as last loaded or saved. */
  config: ServerBitConfig | undefined;
  /** Samples per second received on this connection (measured). */
  samplesPerSecond: number;
  /** A failed command, shown in the banner until dismissed or replaced. */
  commandError: ErrorView | undefined;
}

export type Listener = (state: AppState, changed: ReadonlySet<keyof AppState>) => void;

export class Store {
  private current: AppState;
  private readonly listeners = new Set<Listener>();

  constructor(initial: AppState) {
    this.current = initial;
  }

  get state(): AppState {
    return this.current;
  }

  set(patch: Partial<AppState>): void {
    const changed = new Set<keyof AppState>();
    for (const k of Object.keys(patch) as (keyof AppState)[]) if (patch[k] !== this.current[k]) changed.add(k);
    if (changed.size === 0) return;
    this.current = { ...this.current, ...patch };
    for (const l of this.listeners) l(this.current, changed);
  }

  /** Calls `listener` now and after every change; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    listener(this.current, new Set(Object.keys(this.current) as (keyof AppState)[]));
    return () => this.listeners.delete(listener);
  }
}
