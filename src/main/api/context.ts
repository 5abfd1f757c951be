/**
 * What /v2 sessions share, whatever carries them (a WebSocket, the window's IPC): the device set
 * (the one control path), the settings, the data groups, and the server's own state. Built once
 * by the composition root (src/main/app.ts).
 */
import type { Acquisition } from '../acquisition/acquisition.js';
import type { Settings } from '../config/settings.js';
import type { PortInfo } from '../../shared/v2.js';

/** A serial port as the OS lists it (devices/ports.ts makes these). */
export type PortEntry = Omit<PortInfo, 'manufacturer'> & { manufacturer?: string | undefined };
import type { ServerBitConfig } from '../../shared/config.js';
import { ServerBitError } from '../../shared/errors.js';
import type { OutputStatus } from '../../shared/outputs.js';
import type { OriginNotice, RecordStartArgs, RecordingResult, SetConfigResult, TestDeviceResult } from '../../shared/v2.js';
import { V2Groups } from './stream-group.js';

/** The outputs as /v2 sees them (the composition root builds it from the outputs controller and the recorder). */
export interface OutputsApi {
  statuses(): OutputStatus[];
  /** Called when an output's status changes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
  /** Rejects with RECORDING_ALREADY_RUNNING, RECORDING_BAD_SETTINGS or RECORDING_FOLDER_UNWRITABLE. */
  recordStart(args: RecordStartArgs): Promise<RecordingResult>;
  /** Rejects with RECORDING_NOT_RUNNING. */
  recordStop(): Promise<RecordingResult>;
  /** The current (or last) recording's state and files, for the `server` message; undefined before the first. */
  recording?(): RecordingResult | undefined;
}

/** No outputs (tests, tools that run only the stream). */
export const NO_OUTPUTS: OutputsApi = {
  statuses: () => [],
  onChange: () => () => undefined,
  recordStart: () => Promise.reject(new ServerBitError('BAD_ARGUMENTS', 'this ServerBIT records nothing', 'Recording is not available here.')),
  recordStop: () => Promise.reject(new ServerBitError('BAD_ARGUMENTS', 'this ServerBIT records nothing', 'Recording is not available here.')),
};

/** The server-level state a `server` message reports. */
export interface ServerState {
  clients(): number;
  /** Called (coalesced) when the client count changes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

export interface ApiContextOptions {
  acquisition: Acquisition;
  settings: Settings;
  server?: ServerState;
  /** ServerBIT's version (package.json), for hello. */
  version: string;
  /**
   * Saves an edit of the file's settings and puts it in effect: the device set follows (devices
   * added, removed, restarted) before it resolves. The composition root provides it.
   */
  configure: (edit: Partial<ServerBitConfig>) => Promise<SetConfigResult>;
  /** The outputs (default none). */
  outputs?: OutputsApi;
  /** The device picker's list: the OS's serial ports (the composition root passes devices/ports.ts). */
  listPorts: () => Promise<PortEntry[]>;
  /** The device picker's "Test" (the composition root passes devices/probe.ts). */
  testDevice: (address: string) => Promise<TestDeviceResult>;
  /** The last page refused for its Origin (origin-notices.ts), for the `server` message. */
  originNotices?: OriginNoticeSource;
}

/** What sessions read of the refused pages (OriginNotices). */
export interface OriginNoticeSource {
  current(): OriginNotice | undefined;
  onChange(listener: () => void): () => void;
}

export class ApiContext {
  readonly acquisition: Acquisition;
  readonly settings: Settings;
  readonly server: ServerState | undefined;
  readonly version: string;
  readonly groups: V2Groups;
  readonly listPorts: () => Promise<PortEntry[]>;
  readonly testDevice: (address: string) => Promise<TestDeviceResult>;
  readonly configure: (edit: Partial<ServerBitConfig>) => Promise<SetConfigResult>;
  readonly outputs: OutputsApi;
  readonly originNotices: OriginNoticeSource | undefined;

  constructor(o: ApiContextOptions) {
    this.acquisition = o.acquisition;
    this.settings = o.settings;
    this.server = o.server;
    this.version = o.version;
    this.listPorts = o.listPorts;
    this.testDevice = o.testDevice;
    this.configure = o.configure;
    this.outputs = o.outputs ?? NO_OUTPUTS;
    this.originNotices = o.originNotices;
    this.groups = new V2Groups({ hub: o.acquisition.hub, demand: o.acquisition.demand, batchMs: () => o.settings.config.batch_ms });
  }
}
