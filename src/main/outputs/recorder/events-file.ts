/**
 * The events sidecar `<name>.events.json` (docs/recording.md "The events file"): what the
 * OpenSignals layouts cannot hold — gaps with their index ranges and reasons, markers, start and
 * stop, device info, status changes. Rewritten whole (temp file + rename) at each flush where
 * something changed, so it is always valid JSON. Each list is bounded (MAX_ENTRIES); past that,
 * entries are only counted in `omitted`.
 */
import { open, rename, unlink } from 'node:fs/promises';
import type { GapReason, MarkerEvent, ServiceState, StreamColumn, StreamMeta, WireError } from '#shared/acquisition.js';

export const MAX_ENTRIES = 10_000;

/** `not_announced`: the index jumped with no gap event from the hub (e.g. across a reconnect). */
export type RecordedGapReason = GapReason | 'not_announced';

export interface RecordedGap {
  device: string;
  /** Lost session indices [from, to). */
  from: number;
  to: number;
  samples: number;
  reason: RecordedGapReason;
  /** 0-based data row of this device in the files at which the jump shows (the first row after the gap). */
  row: number;
}

export interface RecordedDevice {
  device: string;
  /** The device's top-level key in the OpenSignals files. */
  key: string;
  name: string;
  kind: string;
  address: string;
  connection: string;
  mac: string | null;
  board: string | null;
  firmware: string;
  rate: number;
  channels: number[];
  columns: StreamColumn[];
  /** Device time of session index 0, ms since the Unix epoch, and as ISO 8601. */
  t0: number;
  t0Iso: string;
  /** Session index of the first recorded sample (row 0), null before any sample. */
  firstIndex: number | null;
  /** Session index after the last recorded sample. */
  endIndex: number | null;
  /** Data rows written for this device. */
  samples: number;
  /** Combined layout: rows where this device had no sample and was filled with zeros, as [fromRow, toRow) ranges. */
  padded?: Array<[number, number]>;
}

export interface RecordedSegment {
  device: string;
  /** Session index the segment starts at (StreamMeta.segmentStart). */
  segmentStart: number;
  /** Wall clock when the recorder saw it, ISO 8601. */
  time: string;
}

export interface RecordedStatus {
  device: string;
  state: ServiceState;
  time: string;
  error?: WireError;
}

export interface EventsDocument {
  format: 'serverbit-recording-events';
  version: 1;
  /** The data files of this recording, names only (same folder). */
  files: string[];
  started: string;
  stopped: string | null;
  /** Why it stopped: "stopped" (asked to), "error", "new_session" (the device started a new session, which goes to new files). */
  stopReason: string | null;
  error: WireError | null;
  devices: RecordedDevice[];
  segments: RecordedSegment[];
  gaps: RecordedGap[];
  /** `rows`: per device id, its data row the marker falls before (the rows recorded when it arrived). */
  markers: Array<MarkerEvent & { timeIso: string; rows?: Record<string, number> }>;
  status: RecordedStatus[];
  omitted: { gaps: number; markers: number; status: number; segments: number };
}

export function deviceRecord(meta: StreamMeta, key: string): RecordedDevice {
  return {
    device: meta.device,
    key,
    name: meta.name,
    kind: meta.kind,
    address: meta.address,
    connection: meta.connection,
    mac: meta.mac ?? null,
    board: meta.board ?? null,
    firmware: meta.firmware,
    rate: meta.rate,
    channels: [...meta.channels],
    columns: meta.columns.map((c) => ({ ...c })),
    t0: meta.t0,
    t0Iso: new Date(meta.t0).toISOString(),
    firstIndex: null,
    endIndex: null,
    samples: 0,
  };
}

export class EventsFile {
  readonly path: string;
  readonly doc: EventsDocument;
  private dirty = true;

  constructor(path: string, files: string[], startedMs: number) {
    this.path = path;
    this.doc = {
      format: 'serverbit-recording-events',
      version: 1,
      files,
      started: new Date(startedMs).toISOString(),
      stopped: null,
      stopReason: null,
      error: null,
      devices: [],
      segments: [],
      gaps: [],
      markers: [],
      status: [],
      omitted: { gaps: 0, markers: 0, status: 0, segments: 0 },
    };
  }

  /** Call after changing `doc` directly. */
  touch(): void {
    this.dirty = true;
  }

  private push<K extends 'gaps' | 'markers' | 'status' | 'segments'>(list: K, entry: EventsDocument[K][number]): void {
    const arr = this.doc[list] as unknown[];
    if (arr.length >= MAX_ENTRIES) this.doc.omitted[list]++;
    else arr.push(entry);
    this.dirty = true;
  }

  addGap(gap: RecordedGap): void {
    const last = this.doc.gaps[this.doc.gaps.length - 1];
    // Consecutive losses of one device for one reason are one gap (a queue overflow drops batch after batch).
    if (last && last.device === gap.device && last.reason === gap.reason && last.to === gap.from && last.row === gap.row) {
      last.to = gap.to;
      last.samples += gap.samples;
      this.dirty = true;
      return;
    }
    this.push('gaps', gap);
  }
  addMarker(m: MarkerEvent, rows?: Record<string, number>): void {
    this.push('markers', { ...m, timeIso: new Date(m.time).toISOString(), ...(rows ? { rows } : {}) });
  }
  addStatus(s: RecordedStatus): void {
    this.push('status', s);
  }
  addSegment(s: RecordedSegment): void {
    this.push('segments', s);
  }

  /** Writes the document if it changed: to `<path>.tmp`, then renamed over `path`. */
  async save(fsync: boolean): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const tmp = `${this.path}.tmp`;
    try {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(JSON.stringify(this.doc, null, 1) + '\n');
        if (fsync) await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
    } catch (err) {
      this.dirty = true;
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }
}
