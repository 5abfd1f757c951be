/**
 * One place that starts and stops "the" recording, for every control surface: the tray's
 * "Record", the window's button, /v2 `record_start` / `record_stop`, `serverbit --record [DIR]`
 * and the config key that records from launch (docs/recording.md "Starting and stopping").
 * At most one recording runs at a time; each start creates a fresh Recorder.
 */
import { RecordingError } from '#shared/errors.js';
import type { HubSource } from '../../acquisition/hub.js';
import type { OutputStatus } from '../output.js';
import { Recorder, type RecorderOptions, type RecordingSummary } from './recorder.js';
import { resolveRecorderSettings, type RecorderSettings } from './settings.js';

export class RecordingController {
  private readonly hub: HubSource;
  private readonly defaults: () => Partial<RecorderSettings>;
  private readonly options: RecorderOptions;
  private current: Recorder | undefined;
  private unlisten: (() => void) | undefined;
  private readonly listeners = new Set<(s: OutputStatus) => void>();

  /**
   * `defaults`: the config's recording settings, or a function that reads them at each start()
   * (so a saved change of the config's `record` section applies to the next recording); each
   * start() may override some of them.
   */
  constructor(hub: HubSource, defaults: Partial<RecorderSettings> | (() => Partial<RecorderSettings>) = {}, options: RecorderOptions = {}) {
    this.hub = hub;
    this.defaults = typeof defaults === 'function' ? defaults : () => defaults;
    this.options = options;
  }

  /** The running recorder, or the last one (stopped, or stopped on an error): its status shows what it wrote. */
  get recorder(): Recorder | undefined {
    return this.current;
  }

  get recording(): boolean {
    const s = this.current?.status().state;
    return s === 'running' || s === 'starting';
  }

  /**
   * Starts recording; resolves with the files opened for the devices streaming now (devices that
   * appear later add theirs: see summary()). Rejects with RECORDING_ALREADY_RUNNING,
   * RECORDING_BAD_SETTINGS or RECORDING_FOLDER_UNWRITABLE.
   */
  async start(overrides: Partial<RecorderSettings> = {}): Promise<RecordingSummary> {
    if (this.recording) {
      throw new RecordingError('RECORDING_ALREADY_RUNNING', `a recording is already running (to ${this.current!.settings.folder})`, 'Stop it first (record_stop), then start a new one.');
    }
    const settings = resolveRecorderSettings({ ...this.defaults(), ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) });
    await this.dispose();
    const rec = new Recorder(this.hub, settings, this.options);
    this.current = rec;
    this.unlisten = rec.onStatus((s) => this.emit(s));
    await rec.start();
    return rec.summary();
  }

  /**
   * Stops the recording, flushing everything; resolves with its files (also for a recording that
   * already stopped on an error, which this acknowledges). Rejects with RECORDING_NOT_RUNNING when
   * none runs. The recorder stays as `recorder`, so its last status ("stopped", what it wrote) is
   * published and stays visible until the next start.
   */
  async stop(): Promise<RecordingSummary> {
    const rec = this.current;
    if (!rec || rec.status().state === 'stopped') throw new RecordingError('RECORDING_NOT_RUNNING', 'no recording is running', 'Start one with record_start (or the Record button).');
    await rec.close();
    return rec.summary();
  }

  /** The current (or last) recording's state and files, or undefined before the first. */
  summary(): RecordingSummary | undefined {
    return this.current?.summary();
  }

  /** Status of the recorder as it changes (state, counters about once a second). */
  onStatus(listener: (s: OutputStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops any recording (at shutdown). Never rejects. */
  async close(): Promise<void> {
    await this.current?.close();
    await this.dispose();
  }

  private async dispose(): Promise<void> {
    this.unlisten?.();
    this.unlisten = undefined;
    const rec = this.current;
    this.current = undefined;
    await rec?.close();
  }

  private emit(s: OutputStatus): void {
    for (const l of this.listeners) {
      try {
        l(s);
      } catch {
        // A listener's failure must not reach the recorder's flush.
      }
    }
  }
}
