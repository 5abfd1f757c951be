/**
 * What a recording writes and where (docs/recording.md). The config key, the CLI flag
 * `--record [DIR]`, the tray, the window and /v2 `record_start` all end up here: pass whatever
 * they give to `resolveRecorderSettings`, which fills the defaults and names the first bad value.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RecordingError } from '../../../shared/errors.js';

/** `txt`: OpenSignals text; `h5`: OpenSignals HDF5; `csv`: spreadsheet-friendly text (docs/recording.md "Formats"). */
export type RecordingFormat = 'txt' | 'h5' | 'csv';
export const RECORDING_FORMATS: readonly RecordingFormat[] = ['txt', 'h5', 'csv'];

/**
 * `per-device`: one set of files per device (what OpenSignals writes for one device, and what every
 * reader opens). `combined`: one `.txt` with the devices side by side and one `.h5` with a group
 * per device (docs/recording.md "Several devices"); CSV stays one file per device.
 */
export type RecordingLayout = 'per-device' | 'combined';

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
  intIn('flushIntervalMs', s.flushIntervalMs, 50, 1000);
  intIn('maxQueuedSamples', s.maxQueuedSamples, 1000, 10_000_000);
  if (typeof s.fsync !== 'boolean') throw bad('fsync', 'use true or false');
  if (typeof s.prefix !== 'string' || !/^[A-Za-z0-9_-]{0,32}$/.test(s.prefix)) throw bad('prefix', 'use up to 32 letters, digits, "_" or "-"');
  return { ...s, formats, devices: s.devices && [...new Set(s.devices)] };
}
