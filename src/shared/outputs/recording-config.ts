/**
 * The `record` section of the config file (docs/recording.md "Settings"): its strict TypeBox
 * schema and the type it gives. Pure and shared, so the config loader, the window's settings
 * form and the CLI check it the same way. The defaults are not here: they are the recorder's
 * (src/main/outputs/recorder/settings.ts, which turns this section into RecorderSettings), so a
 * key left out always means "the recorder's default".
 *
 * Keys are snake_case like the rest of the file.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Literals } from '../schema.js';

export type RecordFormat = 'txt' | 'h5' | 'csv';
export const RECORD_FORMATS: readonly RecordFormat[] = ['txt', 'h5', 'csv'];
export type RecordLayout = 'per-device' | 'combined';
export const RECORD_LAYOUTS: readonly RecordLayout[] = ['per-device', 'combined'];

/** Bounds shared by the schema and the recorder's own check of what /v2 and the CLI give it. */
export const RECORD_LIMITS = {
  flushMs: { min: 50, max: 1000 },
  maxQueuedSamples: { min: 1000, max: 10_000_000 },
  folderLength: 4096,
  prefixPattern: '^[A-Za-z0-9_-]{0,32}$',
} as const;

/** Absolute on POSIX ("/…") or Windows ("C:\…", "\\server\share…"), or under the home folder ("~", "~/…"). */
const FOLDER_PATTERN = '^(~|~[/\\\\].*|/.*|[A-Za-z]:[/\\\\].*|\\\\\\\\.+)$';

export const RECORD_SCHEMA = Type.Object(
  {
    /** Start a recording when ServerBIT starts. Default false. */
    on_launch: Type.Optional(Type.Boolean()),
    /** Absolute folder for the files, or `~/…`; created if missing. Default `~/ServerBIT/recordings`. */
    folder: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: RECORD_LIMITS.folderLength,
        pattern: FOLDER_PATTERN,
        allowed: 'an absolute folder path ("/home/me/recordings", "C:\\\\Users\\\\me\\\\recordings") or one under your home folder ("~/recordings")',
      }),
    ),
    /** Formats to write. Default `["txt"]`. */
    formats: Type.Optional(
      Type.Array(Literals(RECORD_FORMATS), {
        minItems: 1,
        maxItems: 3,
        uniqueItems: true,
        allowed: 'a list of one to three different formats: "txt" (OpenSignals text), "h5" (OpenSignals HDF5), "csv"',
      }),
    ),
    /** Default `"per-device"`. */
    layout: Type.Optional(Literals(RECORD_LAYOUTS)),
    /** Device ids to record. Default every device (also those added while recording). */
    devices: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$', allowed: 'a device id ("0", "1", or the id of a "devices" entry)' }), {
        minItems: 1,
        maxItems: 64,
        uniqueItems: true,
        allowed: 'a list of device ids ("0", "1", …); leave it out to record every device',
      }),
    ),
    /** How often samples are written and flushed, ms (50 … 1000). Default 500. */
    flush_ms: Type.Optional(Type.Integer({ minimum: RECORD_LIMITS.flushMs.min, maximum: RECORD_LIMITS.flushMs.max })),
    /** Bound of the recorder's queue, samples over all devices (1000 … 10 000 000). Default 200 000. */
    max_queued_samples: Type.Optional(Type.Integer({ minimum: RECORD_LIMITS.maxQueuedSamples.min, maximum: RECORD_LIMITS.maxQueuedSamples.max })),
    /** fsync every file after each flush. Default true. */
    fsync: Type.Optional(Type.Boolean()),
    /** First part of every file name: up to 32 letters, digits, "_" or "-". Default "serverbit". */
    prefix: Type.Optional(Type.String({ maxLength: 32, pattern: RECORD_LIMITS.prefixPattern, allowed: 'up to 32 letters, digits, "_" or "-" ("" for none)' })),
  },
  {
    additionalProperties: false,
    allowed: 'an object with any of "on_launch", "folder", "formats", "layout", "devices", "flush_ms", "max_queued_samples", "fsync", "prefix" (docs/recording.md "Settings")',
  },
);

/** The `record` section as the file holds it; every key optional. */
export type RecordConfig = Static<typeof RECORD_SCHEMA>;
