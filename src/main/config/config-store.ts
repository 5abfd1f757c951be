/**
 * `~/ServerBIT/config.json` for the headless service (the Electron app opens the same file
 * through electron-store, which wraps the same `conf`).
 *
 * The one rule: a file we could not read, parse or validate is the user's, not ours. We read it
 * ourselves before `conf` ever sees it, and on any problem throw a ConfigError that names the key,
 * the value and what is allowed — without writing, truncating, renaming or deleting anything
 * (the original deleted the whole folder over a missing key, docs/original-serverbit.md §3). Writes go through
 * `conf`, which writes a temp file in the same folder and renames it, so a crash mid-write leaves
 * either the old file or the new one.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Conf from 'conf';
import { defaultConfig, type ServerBitConfig } from '../../shared/config.js';
import type { ConfigProblem, InvalidSetting } from '../../shared/v2.js';
import { denormalizeConfig, detectShape, normalizeConfigFile, validateConfig, type ConfigFileShape } from '../../shared/config-schema.js';
import { ConfigError } from '../../shared/errors.js';
import { isPlainObject, preview, type ValidationIssue } from '../../shared/schema.js';
import { jsonSyntaxError } from './json-position.js';
import { packageRoot } from '../package-root.js';

export interface ConfigStoreOptions {
  /** Full path of the config file. Default: `~/ServerBIT/config.json` (os.homedir()). */
  path?: string;
  /**
   * The example client copied next to the config file by `load()` when no file of that name is
   * there (as the original ServerBIT did; a user's own file is never replaced), or false for none.
   * Default: the bundled ClientBIT.html when the config is at the default path, else false.
   */
  clientPage?: string | false;
  /**
   * The port this run listens on when a flag (`--port`) replaces the file's: the notice about the
   * example client names the address it is really served at. Default: the file's port.
   */
  port?: number;
}

export interface LoadResult {
  config: ServerBitConfig;
  /** Things the user should know but that did not stop loading (defaults used, simulator chosen…). */
  notices: string[];
  /** The file's shape, kept on save. */
  shape: ConfigFileShape;
  /** True when this load created the file. */
  created: boolean;
}

/**
 * What `loadPartial()` gives: always a config to run with, and, when the file is not fully in
 * use, why (`problem`) and which settings were set aside (`problem.invalid`).
 */
export interface PartialLoadResult extends LoadResult {
  /** Absent when the file is valid. */
  problem?: ConfigProblem;
  /** Settings the file holds that are invalid (the config has the fallback's value for them); [] when none or when the file could not be read at all. */
  invalid: InvalidSetting[];
  /** Whether saves may write the file: false when it could not be read or parsed (a save would lose it). */
  saveable: boolean;
}

/** File keys of the (r)evolution shape that hold another setting. */
const SETTING_OF_FILE_KEY: Readonly<Record<string, (keyof ServerBitConfig)[]>> = {
  ip_address: ['host'],
  buffer_size: ['batch_ms'],
  device: ['device', 'devices'],
  devices: ['devices', 'device'],
};

/** A value short enough to send back to the window (an invalid setting's file value). */
const MAX_VALUE_CHARS = 200;

/** A config file is a few hundred bytes; anything past this is not one, and we will not slurp it. */
const MAX_FILE_BYTES = 1024 * 1024;
/**
 * conf's atomic writer (atomically) writes `<file>.tmp-<10 digits><6 hex>` and renames it over the
 * file; a process killed between the two leaves the temp file behind. Ours, so after each write we
 * remove those older than this (a younger one may belong to a save in progress in another process).
 */
const STALE_TEMP_MS = 60_000;
const TEMP_SUFFIX = /^\.tmp-\d{10}[0-9a-f]{6}$/;

/** The example client's file name, next to config.json and on the status page's server. */
export const CLIENT_PAGE_NAME = 'ClientBIT.html';

/** ClientBIT.html as shipped: in dist/renderer (built, packaged), else examples/ (running from sources). */
export function bundledClientPage(): string | undefined {
  const root = packageRoot();
  const candidates = [path.join(root, 'dist', 'renderer', CLIENT_PAGE_NAME), path.join(root, 'examples', CLIENT_PAGE_NAME)];
  return candidates.find((f) => fs.existsSync(f));
}

export function defaultConfigPath(): string {
  return path.join(os.homedir(), 'ServerBIT', 'config.json');
}

/** 24 random bytes, URL-safe: /v2 clients send it back in a JSON command or a query string. */
export function generateToken(): string {
  return crypto.randomBytes(24).toString('base64url');
}

export class ConfigStore {
  readonly #path: string;
  readonly #clientPage: string | false | undefined;
  readonly #port: number | undefined;

  private constructor(file: string, clientPage: string | false | undefined, port: number | undefined) {
    this.#path = path.resolve(file);
    this.#clientPage = clientPage;
    this.#port = port;
  }

  /** Does no I/O; `load()` reads (and on first launch creates) the file. */
  static open(opts: ConfigStoreOptions = {}): ConfigStore {
    const file = opts.path ?? defaultConfigPath();
    const atDefault = path.resolve(file) === path.resolve(defaultConfigPath());
    return new ConfigStore(file, opts.clientPage ?? (atDefault ? undefined : false), opts.port);
  }

  get path(): string {
    return this.#path;
  }

  /**
   * Reads, normalizes and validates the file; creates it (classic shape, defaults, a new token)
   * when missing. Throws ConfigError (CONFIG_INVALID_JSON, CONFIG_INVALID_VALUE,
   * CONFIG_UNREADABLE, CONFIG_WRITE_FAILED); an existing file is never modified except to add a
   * missing token to an otherwise valid file.
   */
  load(): LoadResult {
    const result = this.#load();
    result.notices.push(...this.#installClientPage(this.#port ?? result.config.port));
    return result;
  }

  /**
   * Like `load()`, but never throws for the file's content: a file that cannot be read or parsed
   * gives `fallback` (default: the defaults with a new in-memory token) and `saveable: false`;
   * a file with invalid settings gives its valid settings, `fallback`'s value for each invalid one
   * (listed in `invalid` and in `problem`), and `saveable: true` (a save must then give every
   * invalid setting a valid value: Settings.update). The file is never modified here, except as
   * `load()` does for a valid file. Errors that are not ConfigErrors (bugs) propagate.
   */
  loadPartial(fallback?: ServerBitConfig): PartialLoadResult {
    const base = fallback ?? { ...defaultConfig(), token: generateToken() };
    try {
      return { ...this.load(), invalid: [], saveable: true };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const whole = (): PartialLoadResult => ({
        config: base,
        notices: [`${error.message} ServerBIT left the file unchanged and runs on default settings until it is fixed.`],
        shape: 'classic',
        created: false,
        problem: this.#problem(error, undefined, false),
        invalid: [],
        saveable: false,
      });
      if (error.code !== 'CONFIG_INVALID_VALUE') return whole();
      let raw: unknown;
      try {
        raw = this.#parse(this.#read() ?? '');
      } catch {
        return whole(); // it changed under us: take it as unreadable until the next load
      }
      if (!isPlainObject(raw)) return whole();
      const partial = this.#setAside(raw, base);
      if (!partial) return whole();
      const { config, invalid, shape, notices } = partial;
      const names = [...new Set(invalid.map((i) => i.path))].join(', ');
      const problem = this.#problem(
        new ConfigError('CONFIG_INVALID_VALUE', `Invalid setting in ${this.#path}: ${invalid.map((i) => i.message).join('; ')}.`, invalid[0]?.path, `Until it is fixed, ServerBIT uses the default for ${names} and the file's other settings (the file was not changed). Fix it in Settings and save, or edit the file.`),
        invalid,
        true,
      );
      return { config, notices, shape, created: false, problem, invalid, saveable: true };
    }
  }

  /**
   * The file without its invalid settings: each file key with an issue is removed and the rest
   * normalized again, until what is left is valid (at most once per key: linear in the keys);
   * then every setting those keys held takes `fallback`'s value. Undefined when that does not
   * give a valid config (a cross-key rule broken by the fallback values).
   */
  #setAside(raw: Record<string, unknown>, fallback: ServerBitConfig): { config: ServerBitConfig; invalid: InvalidSetting[]; shape: ConfigFileShape; notices: string[] } | undefined {
    const kept: Record<string, unknown> = { ...raw };
    const invalid: InvalidSetting[] = [];
    const shape = detectShape(raw);
    for (let round = 0; round <= Object.keys(raw).length; round++) {
      const r = normalizeConfigFile(kept);
      if (r.ok) {
        const config: ServerBitConfig = { ...r.config };
        const settings = new Set(invalid.flatMap((i) => SETTING_OF_FILE_KEY[i.path.replace(/[[.].*$/, '')] ?? [i.key as keyof ServerBitConfig]));
        const put = config as unknown as Record<string, unknown>;
        for (const k of settings) {
          if (fallback[k] === undefined) delete put[k];
          else put[k] = structuredClone(fallback[k]);
        }
        // A missing or invalid token: an in-memory one, so control still needs a secret.
        if (config.token === '') config.token = fallback.token || generateToken();
        if (validateConfig(config).length > 0) return undefined;
        // Notices about keys we removed ourselves ("x is missing; using …") say nothing true.
        const notices = r.notices.filter((n) => !invalid.some((i) => n.startsWith(`"${i.path.replace(/[[.].*$/, '')}" is missing`)));
        return { config, invalid, shape, notices };
      }
      let removed = false;
      for (const issue of r.issues) {
        const fileKey = issue.path.replace(/[[.].*$/, '');
        if (fileKey === '' || !Object.hasOwn(kept, fileKey)) continue;
        const setting = (SETTING_OF_FILE_KEY[fileKey]?.[0] ?? fileKey) as string;
        const entry: InvalidSetting = { key: setting, path: issue.path, message: issue.message };
        const value = raw[fileKey];
        const text = JSON.stringify(value);
        if (fileKey !== 'token' && text !== undefined && text.length <= MAX_VALUE_CHARS) entry.value = value;
        invalid.push(entry);
        delete kept[fileKey];
        removed = true;
      }
      if (!removed) return undefined; // an issue no single key explains
    }
    return undefined;
  }

  #problem(error: ConfigError, invalid: InvalidSetting[] | undefined, saveable: boolean): ConfigProblem {
    return {
      code: error.code,
      message: error.message,
      ...(error.hint ? { hint: error.hint } : {}),
      file: this.#path,
      ...(invalid ? { invalid: invalid.slice(0, 32) } : {}),
      saveable,
    };
  }

  #load(): LoadResult {
    const text = this.#read();
    if (text === undefined) return this.#create();
    const raw = this.#parse(text);
    const result = normalizeConfigFile(raw);
    if (!result.ok) throw this.#invalid(result.issues, `Invalid setting in ${this.#path}`, this.#fixHint());
    // Only a file we can use: one we cannot is left exactly as it is, mode included.
    const notices = [...this.#tightenPermissions(), ...result.notices];
    let { config } = result;
    if (config.token === '') {
      config = { ...config, token: generateToken() };
      try {
        // Only the token: the rest of the file stays exactly as the user wrote it.
        this.#write({ ...(raw as Record<string, unknown>), token: config.token });
        notices.push(`Generated a token for /v2 control commands and saved it in ${this.#path}.`);
      } catch (error) {
        notices.push(
          `Could not save a generated token in ${this.#path} (${reason(error)}); /v2 control commands use a token that changes at every start. Add "token": "<a secret>" to the file to keep one.`,
        );
      }
    }
    return { config, notices, shape: result.shape, created: false };
  }

  /**
   * Validates `config` and writes it atomically in the file's own shape, keeping keys this
   * version does not know. Writes nothing when `config` is invalid, or when the file on disk
   * cannot be read or parsed (it would be clobbered).
   */
  save(config: ServerBitConfig): void {
    const issues = validateConfig(config);
    if (issues.length > 0) throw this.#invalid(issues, 'Not saved', 'Nothing was written; correct the value and save again.');
    let raw: Record<string, unknown> = {};
    let shape: ConfigFileShape = 'classic';
    const text = this.#read();
    if (text !== undefined) {
      const parsed = this.#parse(text);
      if (!isPlainObject(parsed)) {
        throw new ConfigError('CONFIG_INVALID_VALUE', `Not saved: ${this.#path} holds ${preview(parsed)}, not a JSON object, so saving would lose it.`, undefined, this.#fixHint());
      }
      raw = parsed;
      shape = detectShape(raw);
    }
    this.#write(denormalizeConfig(raw, config, shape));
  }

  #create(): LoadResult {
    const config: ServerBitConfig = { ...defaultConfig(), token: generateToken() };
    this.#write(denormalizeConfig({}, config, 'classic'));
    return {
      config,
      notices: [`Created ${this.#path} with default settings ("device": "simulator", the built-in simulator); set "device" there to stream from a BITalino.`],
      shape: 'classic',
      created: true,
    };
  }

  /**
   * The file holds the control token: one that other users may read (left so by an editor, a
   * copy or the original ServerBIT) is made owner-only. Bits are only ever removed, never
   * added; on Windows the mode does not describe access (ACLs do), so nothing is done there.
   */
  #tightenPermissions(): string[] {
    if (process.platform === 'win32') return [];
    let mode: number;
    try {
      mode = fs.statSync(this.#path).mode & 0o777;
    } catch {
      return [];
    }
    if ((mode & 0o077) === 0) return [];
    const was = mode.toString(8).padStart(4, '0');
    try {
      fs.chmodSync(this.#path, mode & 0o700);
      return [`${this.#path} was readable by other users (mode ${was}) and holds the control token: made it readable by you only (mode ${(mode & 0o700).toString(8).padStart(4, '0')}).`];
    } catch (error) {
      return [`${this.#path} is readable by other users (mode ${was}) and holds the control token, and ServerBIT could not change that (${reason(error)}): run "chmod 600 ${this.#path}" as its owner.`];
    }
  }

  /** Copies the example client next to the config if no file of its name is there; notices say what happened. */
  #installClientPage(port: number): string[] {
    const source = this.#clientPage === undefined ? bundledClientPage() : this.#clientPage;
    if (source === false || source === undefined) return [];
    const target = path.join(path.dirname(this.#path), CLIENT_PAGE_NAME);
    if (path.resolve(source) === target || fs.existsSync(target)) return [];
    try {
      const page = fs.readFileSync(source);
      // 'wx': created only if absent, even if one appeared since the check; a user's file is never replaced.
      fs.writeFileSync(target, page, { flag: 'wx', mode: 0o644 });
    } catch (error) {
      if (errno(error) === 'EEXIST') return [];
      return [`Could not put the example client ${CLIENT_PAGE_NAME} in ${path.dirname(this.#path)} (${reason(error)}); ServerBIT serves it at http://127.0.0.1:${port}/${CLIENT_PAGE_NAME}.`];
    }
    return [`Put the example client ${CLIENT_PAGE_NAME} in ${path.dirname(this.#path)}. Open it from ServerBIT at http://127.0.0.1:${port}/${CLIENT_PAGE_NAME}; opened from disk it needs "null" in "allowed_origins".`];
  }

  /** The file's text, or undefined if it does not exist. */
  #read(): string | undefined {
    let bytes: Buffer;
    try {
      // stat first: opening a FIFO would block, and a folder or a huge file is not a config.
      const st = fs.statSync(this.#path);
      if (st.isDirectory()) throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
      if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
      if (st.size > MAX_FILE_BYTES) throw Object.assign(new Error(`${st.size} bytes, more than the 1 MiB a config file may have`), { code: 'EFBIG' });
      bytes = fs.readFileSync(this.#path);
    } catch (error) {
      if (errno(error) === 'ENOENT') return undefined;
      throw new ConfigError('CONFIG_UNREADABLE', `Cannot read ${this.#path}: ${reason(error)}.`, undefined, this.#unreadableHint(error), { cause: error });
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes); // drops a leading BOM (Notepad)
    } catch (error) {
      throw new ConfigError('CONFIG_INVALID_JSON', `${this.#path} is not UTF-8 text; allowed: a JSON file saved as UTF-8.`, undefined, this.#fixHint(), { cause: error });
    }
  }

  #parse(text: string): unknown {
    if (text.trim() === '') {
      throw new ConfigError('CONFIG_INVALID_JSON', `${this.#path} is empty; allowed: a JSON object such as {"device": "simulator", "port": 9001}.`, undefined, this.#fixHint());
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      // Our own scan, not V8's message: V8 quotes the file's text and gives no position for some
      // errors (a trailing comma in an array), and the file holds the token.
      const syntax = jsonSyntaxError(text) ?? { offset: 0, problem: 'not valid JSON' };
      throw new ConfigError(
        'CONFIG_INVALID_JSON',
        `${this.#path} is not valid JSON: ${syntax.problem} at ${lineColumn(text, syntax.offset)}.`,
        undefined,
        `${this.#fixHint()} (JSON allows no comments, no trailing commas and only "double quotes".)`,
        { cause: error },
      );
    }
  }

  #write(data: Record<string, unknown>): void {
    const base = path.basename(this.#path);
    const json = base.toLowerCase().endsWith('.json');
    try {
      const conf = new Conf<Record<string, unknown>>({
        cwd: path.dirname(this.#path),
        configName: json ? base.slice(0, -'.json'.length) : base,
        fileExtension: json ? 'json' : '',
        // The file holds the control token.
        configFileMode: 0o600,
        accessPropertiesByDotNotation: false,
        serialize: (value) => `${JSON.stringify(value, undefined, '\t')}\n`,
      });
      conf.store = data;
    } catch (error) {
      throw new ConfigError(
        'CONFIG_WRITE_FAILED',
        `Could not write ${this.#path}: ${reason(error)}.`,
        undefined,
        `Check that you can write to ${path.dirname(this.#path)} (permissions, free space), or pass --config with a file you can write.`,
        { cause: error },
      );
    }
    this.#removeStaleTemps();
  }

  /** Best effort: a failure here never fails the save. */
  #removeStaleTemps(): void {
    const dir = path.dirname(this.#path);
    const base = path.basename(this.#path);
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.startsWith(base) || !TEMP_SUFFIX.test(name.slice(base.length))) continue;
      try {
        const p = path.join(dir, name);
        const st = fs.lstatSync(p);
        if (st.isFile() && Date.now() - st.mtimeMs > STALE_TEMP_MS) fs.unlinkSync(p);
      } catch {
        /* it vanished, or is not ours to remove: leave it */
      }
    }
  }

  #invalid(issues: ValidationIssue[], prefix: string, hint: string): ConfigError {
    const first = issues[0];
    return new ConfigError('CONFIG_INVALID_VALUE', `${prefix}: ${issues.map((i) => i.message).join('; ')}.`, first.path === '' ? undefined : first.path, hint);
  }

  /** Follows a message that names the file already (so it is not said twice). */
  #fixHint(): string {
    return 'Fix it in the file, or delete the file to start again with defaults.';
  }

  #unreadableHint(error: unknown): string {
    switch (errno(error)) {
      case 'EISDIR':
      case 'ENOTFILE':
        return `Move ${this.#path} out of the way (ServerBIT then creates a new config file there), or pass --config with another file.`;
      case 'EACCES':
      case 'EPERM':
        return `Check that your user may read ${this.#path} and open the folders above it (owner and permissions).`;
      case 'ENOTDIR':
        return `A part of ${this.#path} is a file where a folder should be; move it, or pass --config with another path.`;
      default:
        return this.#fixHint();
    }
  }
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function reason(error: unknown): string {
  const code = errno(error);
  const text: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: 'it is a folder, not a file',
    ENOTDIR: 'a part of the path is not a folder',
    ENOTFILE: 'it is not a regular file',
    EROFS: 'the disk is read-only',
    ENOSPC: 'the disk is full',
    ELOOP: 'too many symbolic links',
  };
  if (code !== undefined && Object.hasOwn(text, code)) return `${text[code]} (${code})`;
  return error instanceof Error ? error.message : String(error);
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}
