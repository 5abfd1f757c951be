/**
 * The settings a running ServerBIT uses, and where they come from: the config file's values, with
 * command-line flags laid over them for this run only. Saves (the window, /v2 `set_config`,
 * `add_device`) write the file's values plus the user's edit — never the flags (a `--port 9208`
 * run must not leave "port": 9208 in the file).
 *
 * When the file could not be read or parsed there is nothing safe to save into: `saveable` is
 * false, the service runs on defaults in memory, and `problem` says why. When it holds invalid
 * settings (ConfigStore.loadPartial), the service runs on its valid ones with defaults for the
 * rest; `problem.invalid` lists those, and a save is refused until it gives each a valid value
 * (otherwise it would write the defaults over what the user wrote, without a word).
 */
import type { ConfigProblem } from '../../shared/v2.js';
import { resolveDevices, type DeviceConfig, type ServerBitConfig } from '../../shared/config.js';
import { validateConfig } from '../../shared/config-schema.js';
import { ConfigError } from '../../shared/errors.js';
import { jsonEqual } from '../../shared/schema.js';
import { applyCliOverrides, type CliOverrides } from './cli-args.js';
import type { ConfigStore } from './config-store.js';

/** Keys the listener binds at start: a change takes effect after a restart. */
export const LISTENER_KEYS = ['port', 'host'] as const;

export interface SettingsOptions {
  /** The file's values (defaults when the file could not be used). */
  file: ServerBitConfig;
  /** Where saves go; absent when the file could not be used (then nothing is ever written). */
  store?: Pick<ConfigStore, 'save' | 'path'> | undefined;
  /** Flags given for this run. */
  overrides?: CliOverrides;
  /** Why the file is not (fully) in use, when it is not; `problem.invalid` lists the settings a save must fix. */
  problem?: ConfigProblem | undefined;
}

export interface UpdateResult {
  /** The settings in effect now (file + flags). */
  config: ServerBitConfig;
  saved: boolean;
  path?: string;
  /** Keys whose new value is saved but takes effect after a restart. */
  restartRequired: string[];
  /** What the user should know: a restart needed, a flag that overrides the saved value. */
  note?: string;
}

export type SettingsListener = (next: ServerBitConfig, previous: ServerBitConfig) => void;

export class Settings {
  private fileConfig: ServerBitConfig;
  private store: SettingsOptions['store'];
  private readonly overrides: CliOverrides;
  private current: ServerBitConfig;
  /** What the listener was bound with (host, port): a saved change of these waits for a restart. */
  private readonly boundAt: Pick<ServerBitConfig, 'port' | 'host'>;
  private readonly listeners = new Set<SettingsListener>();
  private _problem: ConfigProblem | undefined;

  constructor(options: SettingsOptions) {
    this.fileConfig = options.file;
    this.store = options.store;
    this.overrides = options.overrides ?? {};
    this._problem = options.problem;
    this.current = this.withFlags(this.fileConfig);
    this.boundAt = { port: this.current.port, host: this.current.host };
  }

  /** The settings in effect (file + flags). */
  get config(): ServerBitConfig {
    return this.current;
  }

  /** The file's own values (what a save starts from). */
  get file(): ServerBitConfig {
    return this.fileConfig;
  }

  /** Why the file is not (fully) in use (the service then runs on defaults for it), until it is fixed. */
  get problem(): ConfigProblem | undefined {
    return this._problem;
  }

  get path(): string | undefined {
    return this.store?.path;
  }

  get saveable(): boolean {
    return this.store !== undefined;
  }

  /** The devices in effect, each resolved. */
  devices(): DeviceConfig[] {
    return resolveDevices(this.current);
  }

  onChange(listener: SettingsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Applies `edit` (any subset of the file's keys) over the file's values, validates the result,
   * saves it atomically and then puts it in effect (with the flags over it). Throws ConfigError
   * (and changes nothing) when the result is invalid or cannot be written.
   */
  update(edit: Partial<ServerBitConfig>): UpdateResult {
    const unfixed = (this._problem?.invalid ?? []).filter((i) => !Object.hasOwn(edit, i.key) && !(i.key === 'device' && Object.hasOwn(edit, 'devices')));
    if (this.store && unfixed.length > 0) {
      const keys = [...new Set(unfixed.map((i) => i.path))];
      throw new ConfigError(
        'CONFIG_INVALID_VALUE',
        `Not saved: ${this.store.path} has ${keys.length === 1 ? 'an invalid setting' : 'invalid settings'} (${unfixed.map((i) => i.message).join('; ')}), and saving now would replace ${keys.length === 1 ? 'it' : 'them'} with the default.`,
        unfixed[0].path,
        `Save a valid value for ${keys.join(', ')} together with your change, or correct ${keys.length === 1 ? 'it' : 'them'} in the file.`,
      );
    }
    const next: ServerBitConfig = { ...this.fileConfig, ...edit };
    if (edit.channels) next.channels = [...edit.channels].sort((a, b) => a - b);
    if (edit.devices) next.device = edit.devices[0]?.address ?? next.device;
    else if (edit.device !== undefined && this.fileConfig.devices) {
      // The top-level `device` is the first device's address.
      next.devices = this.fileConfig.devices.map((d, i) => (i === 0 ? { ...d, address: edit.device as string } : d));
    }
    const issues = validateConfig(next);
    if (issues.length > 0) {
      throw new ConfigError('CONFIG_INVALID_VALUE', `Not applied: ${issues.map((i) => i.message).join('; ')}.`, issues[0].path || undefined, 'Nothing was changed; correct the value and try again.');
    }
    const effective = this.withFlags(next);
    const saved = this.store !== undefined;
    this.store?.save(next); // atomic; throws ConfigError and writes nothing on failure
    const previous = this.current;
    const before = this.fileConfig;
    this.fileConfig = next;
    this.current = effective;
    // Every invalid setting had a valid value in this save: the file is whole again.
    if (saved && this._problem?.invalid) this._problem = undefined;
    const restartRequired = LISTENER_KEYS.filter((k) => !jsonEqual(effective[k], this.boundAt[k]) && !jsonEqual(previous[k], effective[k]));
    // Only keys the edit changes: a form sends every key it shows, changed or not.
    const overridden = (Object.keys(edit) as (keyof ServerBitConfig)[]).filter((k) => Object.hasOwn(this.overrides, k) && !jsonEqual(next[k], effective[k]) && !jsonEqual(next[k], before[k]));
    const notes: string[] = [];
    if (restartRequired.length > 0) notes.push(`${restartRequired.join(' and ')}: saved; ServerBIT keeps listening on its current address until it restarts.`);
    if (overridden.length > 0) notes.push(`${overridden.join(', ')}: saved to the file, but a command-line flag sets ${overridden.length === 1 ? 'it' : 'them'} for this run.`);
    if (!saved) notes.push('Not saved: the config file could not be used, so this change lasts until ServerBIT stops.');
    for (const l of this.listeners) l(effective, previous);
    return {
      config: effective,
      saved,
      ...(this.store ? { path: this.store.path } : {}),
      restartRequired: [...restartRequired],
      ...(notes.length > 0 ? { note: notes.join(' ') } : {}),
    };
  }

  /**
   * The file changed on disk: take its values (the flags still apply). `store` makes a file
   * that could not be used at start saveable from now on; `problem` is what is still wrong
   * with it (absent: nothing). Listeners hear of a change of values or of the problem.
   */
  reload(file: ServerBitConfig, store?: SettingsOptions['store'], problem?: ConfigProblem): void {
    const setsProblem = store !== undefined || problem !== undefined;
    const problemChanged = setsProblem && !jsonEqual(problem ?? null, this._problem ?? null);
    if (store) this.store = store;
    if (setsProblem) this._problem = problem;
    if (jsonEqual(file, this.fileConfig)) {
      if (problemChanged) for (const l of this.listeners) l(this.current, this.current);
      return;
    }
    const previous = this.current;
    this.fileConfig = file;
    this.current = this.withFlags(file);
    for (const l of this.listeners) l(this.current, previous);
  }

  /** The file's values with this run's flags over them (validated only when there are flags). */
  private withFlags(file: ServerBitConfig): ServerBitConfig {
    return Object.keys(this.overrides).length > 0 ? applyCliOverrides(file, this.overrides) : file;
  }
}
