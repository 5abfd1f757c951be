/**
 * The desktop app's view of `~/ServerBIT/config.json`. Reading, validation, first-launch
 * creation and saving are ConfigStore's (src/main/config), so the app and the headless service
 * apply the same rules to the same file. What the app adds: it must start even when the file is
 * broken. Then it keeps the file untouched and runs on its valid settings (defaults for the
 * invalid ones; all defaults when it cannot be parsed), and reports the problem (tray icon in the
 * error state, a banner in the window through the `server` message) until the user fixes the
 * file or saves valid values from the window; a later reload picks the fix up.
 */
import path from 'node:path';
import type { PartialLoadResult } from '../config/config-store.js';
import { type ServerBitConfig } from '../../shared/config.js';
import { isPlainObject } from '../../shared/schema.js';
import type { ConfigProblem } from '../../shared/v2.js';

/** What the app needs of ConfigStore (a real one in the app and in tests). */
export interface ConfigSource {
  readonly path: string;
  loadPartial(fallback?: ServerBitConfig): PartialLoadResult;
}

export interface DesktopConfigState {
  config: ServerBitConfig;
  /** Set when the file is not (fully) in use. */
  problem?: ConfigProblem;
  /** Whether saves may write the file. */
  saveable: boolean;
  notices: string[];
  /** True when this load created the file (first launch). */
  created: boolean;
}

/** Loads the config; never throws for a bad file (it becomes `problem`). Other errors are bugs and propagate. */
export function loadDesktopConfig(source: ConfigSource): DesktopConfigState {
  const r = source.loadPartial();
  return { config: r.config, notices: r.notices, created: r.created, saveable: r.saveable, ...(r.problem ? { problem: r.problem } : {}) };
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
