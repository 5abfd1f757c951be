/**
 * The desktop app's view of `~/ServerBIT/config.json`. Reading, validation, first-launch
 * creation and saving are ConfigStore's (src/main/config), so the app and the headless service
 * apply the same rules to the same file. What the app adds: it must start even when the file is
 * broken. Then it keeps the file untouched, runs the simulator with defaults in memory and
 * reports the problem (tray icon in the error state, a banner in the window through the status
 * `error`) until the user fixes the file; a later reload picks the fix up.
 */
import path from 'node:path';
import type { LoadResult } from '../config/config-store.js';
import { generateToken } from '../config/config-store.js';
import { defaultConfig, type ServerBitConfig } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';
import { isPlainObject } from '../../shared/schema.js';
import type { AppProblem } from './tray-model.js';

/** What the app needs of ConfigStore (a real one in the app and in tests). */
export interface ConfigSource {
  readonly path: string;
  load(): LoadResult;
}

export interface DesktopConfigState {
  config: ServerBitConfig;
  /** Set when the file could not be used: the config is then the defaults (simulator). */
  problem?: AppProblem;
  notices: string[];
  /** True when this load created the file (first launch). */
  created: boolean;
}

/** Loads the config; never throws for a bad file (a ConfigError becomes `problem`). Other errors are bugs and propagate. */
export function loadDesktopConfig(source: ConfigSource, makeToken: () => string = generateToken): DesktopConfigState {
  try {
    const r = source.load();
    return { config: r.config, notices: r.notices, created: r.created };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const problem: AppProblem = { code: error.code, message: error.message };
    if (error.hint) problem.hint = error.hint;
    return {
      // In memory only: the file stays exactly as the user left it.
      config: { ...defaultConfig(), token: makeToken() },
      problem,
      notices: [`${error.message} ServerBIT left the file unchanged and streams the simulator with default settings until it is fixed.`],
      created: false,
    };
  }
}

/** Key-order-insensitive equality of two configs (they are plain JSON data). */
export function sameConfig(a: ServerBitConfig, b: ServerBitConfig): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface ReloadOutcome {
  /** The config to run: the file's when it is valid, otherwise the one running now. */
  config: ServerBitConfig;
  /** True when `config` differs from the running one (the caller applies it). */
  changed: boolean;
  problem?: AppProblem;
}

/**
 * After the file changed on disk (the user edited it): a valid file that differs from what runs
 * is applied; an invalid one is reported and the running config is kept (not the defaults:
 * a typo while editing must not switch the device off).
 */
export function reloadDesktopConfig(source: ConfigSource, running: ServerBitConfig): ReloadOutcome {
  const next = loadDesktopConfig(source, () => running.token);
  if (next.problem) return { config: running, changed: false, problem: next.problem };
  return { config: next.config, changed: !sameConfig(next.config, running) };
}

/**
 * Options for the electron-store instance src/main/electron/store.ts opens on the config file
 * (electron-store's `name` is conf's `configName`; tests build a plain `conf` from the same
 * options). That instance watches the file for edits made outside the app and is never written
 * through: ConfigStore does all reads that matter and all writes. So:
 * - no `defaults` and no `schema`: conf writes at construction only to merge defaults, so with
 *   none it never touches the file;
 * - no `clearInvalidConfig` (false): a broken file is the user's, and with it conf would
 *   overwrite the file with an empty one;
 * - a `deserialize` that never throws: conf parses the file at construction and on every read,
 *   and a broken file must not stop the app or its watcher (which then picks up the fix);
 *   ConfigStore reports what is wrong with it;
 * - the same file mode and text form as ConfigStore's writes, in case anything ever writes.
 */
export function electronStoreOptions(configFile: string) {
  const base = path.basename(configFile);
  return {
    cwd: path.dirname(configFile),
    name: base.toLowerCase().endsWith('.json') ? base.slice(0, -'.json'.length) : base,
    fileExtension: base.toLowerCase().endsWith('.json') ? 'json' : '',
    clearInvalidConfig: false,
    accessPropertiesByDotNotation: false,
    configFileMode: 0o600,
    watch: true,
    serialize: (value: Record<string, unknown>) => `${JSON.stringify(value, undefined, '\t')}\n`,
    deserialize: tolerantParse,
  };
}

/** JSON.parse that yields {} for anything that is not a JSON object (see electronStoreOptions). */
export function tolerantParse(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    return isPlainObject(value) ? value : {};
  } catch {
    return {};
  }
}
