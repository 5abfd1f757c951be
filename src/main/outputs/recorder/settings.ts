/**
 * What a recording writes and where (docs/recording.md "Settings"). The config's `record`
 * section (and the CLI flag `--record [DIR]`, which sets it for one run) goes through
 * `recorderSettingsFromConfig`; the tray, the window and /v2 `record_start` pass their overrides
 * to `resolveRecorderSettings`, which fills the defaults and names the first bad value. The
 * defaults live here and only here (DEFAULT_RECORDER_SETTINGS).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, RecordingError } from '#shared/errors.js';
import { RECORD_FORMATS, RECORD_LIMITS, RECORD_SCHEMA, type RecordConfig, type RecordFormat, type RecordLayout } from '#shared/outputs/recording-config.js';
import { validate } from '#shared/schema.js';

/** `txt`: OpenSignals text; `h5`: OpenSignals HDF5; `csv`: spreadsheet-friendly text (docs/recording.md "Formats"). */
export type RecordingFormat = RecordFormat;
export const RECORDING_FORMATS: readonly RecordingFormat[] = RECORD_FORMATS;

/**
 * `per-device`: one set of files per device (what OpenSignals writes for one device, and what every
 * reader opens). `combined`: one `.txt` with the devices side by side and one `.h5` with a group
 * per device (docs/recording.md "Several devices"); CSV stays one file per device.
 */
export type RecordingLayout = RecordLayout;

export interface RecorderSettings {
  /** Formats to write, each once. Default `['txt']`. */
  formats: RecordingFormat[];
  /** Folder for the files; created if missing. Default `~/ServerBIT/recordings`. */
  folder: string;
  /** Device ids to record; `undefined` = every device, also those added while recording. Default undefined. */
  devices?: string[];
  /** Default `per-device`. */
  layout: RecordingLayout;
  /** How often queued samples are written and flushed, ms (50 … 1000). Default 500. */
  flushIntervalMs: number;
  /**
   * Bound of the recorder's one queue, in samples over all devices (1000 … 10 000 000). Default
   * 200 000 (20 s of 10 devices at 1000 Hz; about 3 MB). When full, further batches are dropped and
   * recorded as gaps with reason `client_too_slow` (docs/recording.md "Limits").
   */
  maxQueuedSamples: number;
  /** fsync every file after each flush (survives a power cut, not just a crash). Default true. */
  fsync: boolean;
  /** First part of every file name. Default `serverbit`. */
  prefix: string;
}

export function defaultRecordingFolder(home = homedir()): string {
  return join(home, 'ServerBIT', 'recordings');
}

export const DEFAULT_RECORDER_SETTINGS: Readonly<RecorderSettings> = Object.freeze<RecorderSettings>({
  formats: ['txt'],
  folder: defaultRecordingFolder(),
  devices: undefined,
  layout: 'per-device',
  flushIntervalMs: 500,
  maxQueuedSamples: 200_000,
  fsync: true,
  prefix: 'serverbit',
});

function bad(key: string, message: string): RecordingError {
  return new RecordingError('RECORDING_BAD_SETTINGS', `recording setting "${key}": ${message}`, 'Fix the value (docs/recording.md "Settings") and start the recording again.');
}

function intIn(key: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(key, `${JSON.stringify(v)} is not an integer from ${min} to ${max}`);
  return v;
}

/** Fills defaults and validates; throws RECORDING_BAD_SETTINGS naming the first bad key. */
export function resolveRecorderSettings(input: Partial<RecorderSettings> = {}): RecorderSettings {
  const s = { ...DEFAULT_RECORDER_SETTINGS, ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) } as RecorderSettings;
  if (!Array.isArray(s.formats) || s.formats.length === 0) throw bad('formats', 'give at least one of "txt", "h5", "csv"');
  const formats: RecordingFormat[] = [];
  s.formats.forEach((f, i) => {
    if (!RECORDING_FORMATS.includes(f)) throw bad(`formats[${i}]`, `${JSON.stringify(f)} is not a format: use "txt", "h5" or "csv"`);
    if (!formats.includes(f)) formats.push(f);
  });
  if (typeof s.folder !== 'string' || s.folder.trim() === '') throw bad('folder', 'give a folder path');
  if (s.devices !== undefined) {
    if (!Array.isArray(s.devices) || s.devices.some((d) => typeof d !== 'string' || d === '')) throw bad('devices', 'give a list of device ids, or leave it out to record every device');
  }
  if (s.layout !== 'per-device' && s.layout !== 'combined') throw bad('layout', `${JSON.stringify(s.layout)} is not a layout: use "per-device" or "combined"`);
  intIn('flushIntervalMs', s.flushIntervalMs, RECORD_LIMITS.flushMs.min, RECORD_LIMITS.flushMs.max);
  intIn('maxQueuedSamples', s.maxQueuedSamples, RECORD_LIMITS.maxQueuedSamples.min, RECORD_LIMITS.maxQueuedSamples.max);
  if (typeof s.fsync !== 'boolean') throw bad('fsync', 'use true or false');
  if (typeof s.prefix !== 'string' || !new RegExp(RECORD_LIMITS.prefixPattern).test(s.prefix)) throw bad('prefix', 'use up to 32 letters, digits, "_" or "-"');
  return { ...s, formats, devices: s.devices && [...new Set(s.devices)] };
}

/** `~`, `~/…` and `~\…` are under the home folder; anything else stays as it is. */
export function expandHome(folder: string, home = homedir()): string {
  if (folder === '~') return home;
  if (folder.startsWith('~/') || folder.startsWith('~\\')) return join(home, folder.slice(2));
  return folder;
}

/**
 * The config's `record` section as recorder settings: only the keys it sets (the rest are the
 * recorder's defaults, filled by resolveRecorderSettings). `on_launch` is the caller's (app.ts).
 * Throws ConfigError (CONFIG_INVALID_VALUE) naming the first bad key, e.g. `record.flush_ms`.
 */
export function recorderSettingsFromConfig(section: RecordConfig | undefined, home = homedir()): Partial<RecorderSettings> {
  if (section === undefined) return {};
  const issues = validate(RECORD_SCHEMA, section, { path: 'record' });
  if (issues.length > 0) {
    throw new ConfigError('CONFIG_INVALID_VALUE', `${issues.map((i) => i.message).join('; ')}.`, issues[0].path || 'record', 'Fix the "record" section of the config file (docs/recording.md "Settings").');
  }
  const out: Partial<RecorderSettings> = {};
  if (section.folder !== undefined) out.folder = expandHome(section.folder, home);
  if (section.formats !== undefined) out.formats = [...section.formats];
  if (section.layout !== undefined) out.layout = section.layout;
  if (section.devices !== undefined) out.devices = [...section.devices];
  if (section.flush_ms !== undefined) out.flushIntervalMs = section.flush_ms;
  if (section.max_queued_samples !== undefined) out.maxQueuedSamples = section.max_queued_samples;
  if (section.fsync !== undefined) out.fsync = section.fsync;
  if (section.prefix !== undefined) out.prefix = section.prefix;
  return out;
}
