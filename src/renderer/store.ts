/**
 * The UI's state outside the plot: hello, every device's latest meta and status, the selected
 * device, the service's own state (clients, problem), the config, the channel's connection state,
 * measured sample rates and the error shown in the banner. Views subscribe and redraw their part;
 * data messages go straight to the plot and the rate meters and never through here (at 1000 Hz
 * that would re-render the whole page for nothing).
 */
import type { ServerBitConfig } from '../shared/config.js';
import type { OutputStatus } from '../shared/outputs.js';
import type { ConfigProblem, HelloMessage, MarkerMessage, MetaMessage, OriginNotice, RecordingResult, StatusMessage } from '../shared/v2.js';
import type { ErrorView } from './errors.js';

/** What the window knows of how a device's data arrives (measured here, not reported). */
export interface Activity {
  /** Samples per second received (0 when not streaming). */
  sps: number;
  /** ms since the last data message, or undefined before the first. */
  sinceData: number | undefined;
}

export interface AppState {
  connection: 'connecting' | 'open' | 'closed';
  /** "electron" or "browser". */
  host: 'electron' | 'browser';
  /** ws://host:port of the service when known (browser: the page's own origin). */
  address: string | undefined;
  hello: HelloMessage | undefined;
  /** Device ids in the service's order (its `server` message, else hello). */
  devices: readonly string[];
  /** Latest status of each device, by id. */
  statuses: Readonly<Record<string, StatusMessage>>;
  /** Latest meta of each device that has streamed, by id. */
  metas: Readonly<Record<string, MetaMessage>>;
  /** The device the status panel, plot and settings show (the first until the user picks another). */
  device: string | undefined;
  /** The selected device's meta and status (from metas and statuses). */
  meta: MetaMessage | undefined;
  status: StatusMessage | undefined;
  /** Clients connected to the service (its `server` message). */
  clients: number | undefined;
  /** Why the config file is not (fully) in use, or the listener could not start (the `server` message). */
  problem: ConfigProblem | undefined;
  /** The config file's values as last loaded or saved. */
  config: ServerBitConfig | undefined;
  /** Per device, how its data arrives. */
  activity: Readonly<Record<string, Activity>>;
  /** Samples per second of the selected device. */
  samplesPerSecond: number;
  /** A failed command, shown in the banner until dismissed or replaced. */
  commandError: ErrorView | undefined;
  /** Every output's status (the `server` message), the recorder first. */
  outputs: readonly OutputStatus[];
  /** The current or last recording (the `server` message). */
  recording: RecordingResult | undefined;
  /** The last page the service refused for its Origin (the `server` message). */
  origin: OriginNotice | undefined;
  /** The `time` of the origin notice the user dismissed. */
  originDismissed: number | undefined;
  /** The last marker anyone set (a `marker` message). */
  lastMarker: MarkerMessage | undefined;
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
    // The selected device's meta and status follow the selection and the maps.
    if (changed.has('device') || changed.has('metas') || changed.has('statuses')) {
      const id = this.current.device;
      const meta = id !== undefined ? this.current.metas[id] : undefined;
      const status = id !== undefined ? this.current.statuses[id] : undefined;
      if (meta !== this.current.meta) changed.add('meta');
      if (status !== this.current.status) changed.add('status');
      this.current = { ...this.current, meta, status };
    }
    for (const l of this.listeners) l(this.current, changed);
  }

  /** Calls `listener` now and after every change; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    listener(this.current, new Set(Object.keys(this.current) as (keyof AppState)[]));
    return () => this.listeners.delete(listener);
  }
}

/** The device to show after the set changed: the one shown if still there, else the first. */
export function pickDevice(ids: readonly string[], current: string | undefined): string | undefined {
  return current !== undefined && ids.includes(current) ? current : ids[0];
}

/** A device's name as the window shows it: its configured name, else its address. */
export function deviceLabel(status: Pick<StatusMessage, 'name' | 'address'> | undefined, id: string): string {
  if (!status) return `device ${id}`;
  return status.name && status.name !== '' ? status.name : status.address;
}
