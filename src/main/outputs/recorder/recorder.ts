/**
 * The recorder: a hub subscriber that writes OpenSignals text, OpenSignals HDF5 and CSV files
 * plus an events sidecar (docs/recording.md).
 *
 *   hub callback ──copy──► one bounded queue ──every flushIntervalMs──► encode ► files ► flush
 *
 * Hub callbacks only copy the batch and enqueue it (bounded by `maxQueuedSamples`; what does not
 * fit becomes a `client_too_slow` gap in the events file), so acquisition and the other outputs
 * never wait for the disk. The flush step takes everything queued, turns it into rows and writes
 * each file once; it runs at most one at a time.
 *
 * Files: one set per device (`per-device`), or one combined set for the devices known at start
 * (`combined`); a device that reconnects keeps its files (the gap is in the events file and nSeq
 * shows the jump); a device whose session or stream shape changes (new t0, rate, channels,
 * labels, sensors) gets new files. On a failed write (disk full, folder removed, permissions) the
 * recorder stops with RECORDING_WRITE_FAILED and leaves every file valid up to the last flush.
 *
 * Lifecycle (output.ts): created → start() → running → close() → stopped; a failed write → error.
 */
import { access, mkdir, stat, unlink } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename } from 'node:path';
import type { DeviceStatus, GapEvent, MarkerEvent, SampleBatch, StreamMeta } from '#shared/acquisition.js';
import type { RecordingResult } from '#shared/v2.js';
import { RecordingError, ServerBitError } from '#shared/errors.js';
import { formatBytes, formatElapsed } from '#shared/recording-format.js';
import type { HubListener, HubSource } from '../../acquisition/hub.js';
import { createLogger } from '../../log.js';
import { StatusListeners, type Output, type OutputState, type OutputStatus } from '../output.js';
import { AppendFile } from './append-file.js';
import { EventsFile, deviceRecord, type RecordedDevice, type RecordedGapReason } from './events-file.js';
import { deviceTag, fileTimestamp, reserveFiles } from './file-names.js';
import { checkSpace } from './free-space.js';
import { OpenSignalsH5File, type H5DeviceGroup, type H5Marker } from './h5-writer.js';
import { loadH5wasm } from '../../h5wasm.js';
import { deviceKey, formatTextHeader, isFloatSource, recordedColumns, type HeaderDevice } from './opensignals-header.js';
import { CsvEncoder, openSignalsFragment, openSignalsLines, zeroFragment, type SampleBlock } from './row-encoders.js';
import { resolveRecorderSettings, type RecorderSettings } from './settings.js';

const log = createLogger('serverbit:recorder');

/** Events other than batches may exceed the sample bound by this many items before they are dropped too. */
const EXTRA_EVENT_ITEMS = 10_000;
/** Combined layout: how far (seconds of samples) one device may run ahead before the others are padded with zero rows. */
const COMBINED_MAX_LAG_S = 2;

type Item =
  | { kind: 'meta'; meta: StreamMeta }
  | { kind: 'batch'; block: SampleBlock; time: number }
  | { kind: 'gap'; device: string; from: number; to: number; reason: RecordedGapReason }
  | { kind: 'status'; status: DeviceStatus }
  | { kind: 'marker'; marker: MarkerEvent }
  | { kind: 'removed'; device: string };

interface DeviceRec {
  id: string;
  meta: StreamMeta;
  key: string;
  group: FileGroup;
  record: RecordedDevice;
  floats: boolean;
  nAnalog: number;
  /** Next session index expected (after the last sample or gap). */
  expectedNext: number | undefined;
  rows: number;
  /** Device time of the first recorded sample. */
  firstTime: number | undefined;
  csv?: { file: AppendFile; enc: CsvEncoder; headerWritten: boolean };
  h5?: H5DeviceGroup;
  /** Markers that arrived before the .h5 was created (at the first sample). */
  h5Early?: H5Marker[];
  /** Samples lost just before the next row (CSV `gap` column). */
  gapBefore: number;
  /** Combined layout: row fragments waiting for the other devices. */
  frags: string[];
  lastState?: string;
}

interface FileGroup {
  stem: string;
  combined: boolean;
  members: DeviceRec[];
  txt?: AppendFile;
  /** The path reserved for the .h5 (created by HDF5 at the first sample). */
  h5Path?: string;
  h5?: OpenSignalsH5File;
  started: boolean;
  events: EventsFile;
  /** Every path of this group, data files first, events last. */
  paths: string[];
  closed: boolean;
  /** Combined layout: rows written. */
  rows: number;
}

export interface RecorderOptions {
  /** Wall clock for file names and the events file, ms since epoch. Default Date.now. */
  now?: () => number;
}

/** What `record_start`/`record_stop` replies and the window show. */
/** A recording's state and files: what /v2 `record_start`/`record_stop` answer with. */
export type RecordingSummary = RecordingResult;

export class Recorder implements Output {
  readonly name = 'recorder';
  readonly settings: RecorderSettings;
  private readonly hub: HubSource;
  private readonly now: () => number;
  private state: OutputState = 'off';
  private error: RecordingError | undefined;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private queue: Item[] = [];
  private queuedSamples = 0;
  private readonly dropped = new Map<string, { from: number; to: number }>();
  private readonly recs = new Map<string, DeviceRec>();
  private readonly groups: FileGroup[] = [];
  private flushing: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** The file closing started by fail(), awaited by close(). */
  private failing: Promise<void> | undefined;
  private readonly listeners = new StatusListeners('a recorder');
  private lastCountersEmit = 0;
  private startedAt: number | undefined;
  /** ms since epoch when the recording stopped (asked to, or on an error). */
  private stoppedAt: number | undefined;
  private counters = { samples: 0, bytes: 0, files: 0, droppedSamples: 0, droppedEvents: 0, gaps: 0, markers: 0, queued: 0, flushes: 0, elapsedMs: 0 };

  constructor(hub: HubSource, settings: Partial<RecorderSettings> = {}, options: RecorderOptions = {}) {
    this.hub = hub;
    this.settings = resolveRecorderSettings(settings);
    this.now = options.now ?? Date.now;
  }

  // --- Output --------------------------------------------------------------------------------

  start(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'error' || this.closing) {
      return Promise.reject(new RecordingError('RECORDING_NOT_RUNNING', 'this recorder has already stopped', 'Create a new recorder to record again.'));
    }
    this.starting ??= this.doStart();
    return this.starting;
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  status(): OutputStatus {
    const c = this.counters;
    c.queued = this.queuedSamples;
    c.elapsedMs = this.elapsedMs();
    const err = this.error;
    return {
      output: this.name,
      state: this.state,
      detail: this.detail(),
      ...(err ? { error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } } : {}),
      counters: { ...c },
    };
  }

  onStatus(listener: (status: OutputStatus) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Time recorded so far (or until it stopped), ms. */
  elapsedMs(): number {
    if (this.startedAt === undefined) return 0;
    return Math.max(0, (this.stoppedAt ?? this.now()) - this.startedAt);
  }

  /** The status line for the tray and the window: "recording 1:05 · 2.3 MB · /home/me/ServerBIT/recordings". */
  private detail(): string {
    const c = this.counters;
    const rest = `${formatBytes(c.bytes)} in ${c.files} file${c.files === 1 ? '' : 's'} · ${this.settings.folder}`;
    const elapsed = formatElapsed(this.elapsedMs());
    switch (this.state) {
      case 'running':
        return `recording ${elapsed} · ${rest}`;
      case 'error':
        return `stopped on an error after ${elapsed} · ${rest}`;
      case 'stopped':
        return `recorded ${elapsed} · ${rest}`;
      default:
        return `starting · ${this.settings.folder}`;
    }
  }

  // --- What the controls need ------------------------------------------------------------------

  /** Every file of this recording so far (data files, then each group's events file). */
  files(): string[] {
    return this.groups.flatMap((g) => g.paths);
  }

  summary(): RecordingSummary {
    const st = this.status();
    return {
      state: this.state,
      folder: this.settings.folder,
      formats: [...this.settings.formats],
      files: this.files(),
      samples: this.counters.samples,
      bytes: this.counters.bytes,
      ...(this.startedAt !== undefined ? { startedAt: this.startedAt } : {}),
      ...(st.error ? { error: st.error } : {}),
    };
  }

  /** Runs a flush now (tests, and record_stop callers that want the files current). */
  flush(): Promise<void> {
    if (this.state !== 'running') return this.flushing ?? Promise.resolve();
    this.flushing ??= this.flushOnce().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  // --- Lifecycle ---------------------------------------------------------------------------------

  private async doStart(): Promise<void> {
    this.setState('starting');
    this.startedAt = this.now();
    const folder = this.settings.folder;
    try {
      await mkdir(folder, { recursive: true });
      if (!(await stat(folder)).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
      await access(folder, constants.W_OK | constants.X_OK);
    } catch (err) {
      const e = new RecordingError('RECORDING_FOLDER_UNWRITABLE', `cannot record to ${folder}: ${describeErrno(err)}`, 'Choose a folder you can write to (or create it), then start recording again.', { cause: err });
      this.error = e;
      this.setState('error');
      throw e;
    }
    try {
      if (this.settings.formats.includes('h5')) await loadH5wasm();
      // Devices already streaming get their files now, so start() can name them.
      const wanted = (id: string) => !this.settings.devices || this.settings.devices.includes(id);
      const metas = this.hub
        .devices()
        .filter(wanted)
        .map((id) => this.hub.meta(id))
        .filter((m): m is StreamMeta => m !== undefined);
      if (this.settings.layout === 'combined') await this.openCombined(metas);
      else for (const m of metas) await this.openPerDevice(m);
    } catch (err) {
      const e = this.writeError(err);
      this.error = e;
      this.setState('error');
      await this.closeAllFiles('error');
      throw e;
    }
    this.unsubscribe = this.hub.subscribe(this.listener(), { ...(this.settings.devices ? { devices: this.settings.devices } : {}), catchUp: true });
    this.timer = setInterval(() => void this.flush(), this.settings.flushIntervalMs);
    this.timer.unref?.();
    this.setState('running');
    log.debug('recording to %s (%s): %o', folder, this.settings.formats.join(', '), this.files());
  }

  private async doClose(): Promise<void> {
    await this.starting?.catch(() => undefined);
    this.stopIntake();
    if (this.state === 'running') {
      await this.flushing?.catch(() => undefined);
      try {
        await this.flushOnce(true);
      } catch (err) {
        this.fail(err);
      }
    }
    if (this.state !== 'error') {
      await this.closeAllFiles('stopped');
      if ((this.state as OutputState) !== 'error') this.setState('stopped'); // closeAllFiles may have failed
    }
    await this.failing;
  }

  private stopIntake(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops on a write error: status "error", files closed as they are (valid up to the last flush), acquisition untouched. */
  private fail(err: unknown): void {
    if (this.state === 'error') return;
    this.error = err instanceof RecordingError ? err : this.writeError(err);
    log.warn('recording stopped: %s', this.error.message);
    this.stopIntake();
    this.queue = [];
    this.queuedSamples = 0;
    this.setState('error');
    this.failing = this.closeAllFiles('error');
  }

  // --- Hub side: copy and enqueue, nothing else ------------------------------------------------

  private listener(): HubListener {
    return {
      meta: (meta) => this.enqueueEvent({ kind: 'meta', meta }),
      batch: (b) => this.enqueueBatch(b),
      gap: (g: GapEvent) => this.enqueueEvent({ kind: 'gap', device: g.device, from: g.from, to: g.to, reason: g.reason }),
      status: (status) => this.enqueueEvent({ kind: 'status', status }),
      marker: (marker) => this.enqueueEvent({ kind: 'marker', marker }),
      removed: (device) => this.enqueueEvent({ kind: 'removed', device }),
    };
  }

  private enqueueEvent(item: Item): void {
    if (this.state !== 'running' && this.state !== 'starting') return;
    if (this.queue.length >= this.settings.maxQueuedSamples + EXTRA_EVENT_ITEMS) {
      this.counters.droppedEvents++;
      return;
    }
    this.queue.push(item);
  }

  private enqueueBatch(b: SampleBatch): void {
    if (this.state !== 'running' && this.state !== 'starting') return;
    const n = b.count;
    if (this.queuedSamples + n > this.settings.maxQueuedSamples) {
      // Full: drop, and remember the range as one gap announced before the device's next batch.
      const d = this.dropped.get(b.device);
      if (d && d.to === b.index) d.to = b.index + n;
      else {
        if (d) this.queue.push({ kind: 'gap', device: b.device, from: d.from, to: d.to, reason: 'client_too_slow' });
        this.dropped.set(b.device, { from: b.index, to: b.index + n });
      }
      this.counters.droppedSamples += n;
      return;
    }
    const d = this.dropped.get(b.device);
    if (d) {
      this.queue.push({ kind: 'gap', device: b.device, from: d.from, to: d.to, reason: 'client_too_slow' });
      this.dropped.delete(b.device);
    }
    const block: SampleBlock = {
      device: b.device,
      index: b.index,
      count: n,
      seq: b.seq.slice(0, n),
      digital: b.digital.slice(0, n),
      analog: b.analog.map((a) => a.slice(0, n)),
      ...(b.timestamps ? { timestamps: b.timestamps.slice(0, n) } : {}),
    };
    this.queue.push({ kind: 'batch', block, time: b.time });
    this.queuedSamples += n;
  }

  // --- Flush side ------------------------------------------------------------------------------

  private async flushOnce(final = false): Promise<void> {
    try {
      if (final) {
        for (const [device, d] of this.dropped) this.queue.push({ kind: 'gap', device, from: d.from, to: d.to, reason: 'client_too_slow' });
        this.dropped.clear();
      }
      const items = this.queue;
      this.queue = [];
      this.queuedSamples = 0;
      for (const item of items) await this.apply(item);
      for (const g of this.groups) if (!g.closed) this.emitCombinedRows(g, final);
      await this.writeOut();
      this.counters.flushes++;
    } catch (err) {
      this.fail(err);
      return;
    }
    const t = this.now();
    if (t - this.lastCountersEmit >= 1000) {
      this.lastCountersEmit = t;
      this.emit();
    }
  }

  private async apply(item: Item): Promise<void> {
    switch (item.kind) {
      case 'meta':
        return this.applyMeta(item.meta);
      case 'batch':
        return this.applyBatch(item.block, item.time);
      case 'gap': {
        const rec = this.recs.get(item.device);
        if (rec && !rec.group.closed) this.recordGap(rec, item.from, item.to, item.reason);
        return;
      }
      case 'status': {
        const rec = this.recs.get(item.status.device);
        if (!rec || rec.group.closed || rec.lastState === item.status.state) return;
        rec.lastState = item.status.state;
        rec.group.events.addStatus({ device: rec.id, state: item.status.state, time: new Date(this.now()).toISOString(), ...(item.status.error ? { error: item.status.error } : {}) });
        return;
      }
      case 'marker': {
        const m = item.marker;
        const groups = this.groups.filter((g) => !g.closed && (m.device === undefined || g.members.some((r) => r.id === m.device)));
        for (const g of groups) {
          const members = g.members.filter((r) => m.device === undefined || r.id === m.device);
          // Where it falls in each device's rows: before the first sample recorded after it arrived.
          g.events.addMarker(m, Object.fromEntries(members.map((r) => [r.id, r.rows])));
          for (const r of members) {
            const h5m: H5Marker = { row: r.rows, index: m.index ?? -1, time: m.time, id: m.id, label: m.label, source: m.source };
            if (r.h5) r.h5.addMarker(h5m);
            else if (g.h5Path) (r.h5Early ??= []).push(h5m); // the .h5 is created at the first sample
          }
        }
        if (groups.length > 0) this.counters.markers++;
        else this.counters.droppedEvents++;
        return;
      }
      case 'removed': {
        const rec = this.recs.get(item.device);
        if (!rec) return;
        await this.replaceGroupOf(rec, 'device_removed');
        return;
      }
    }
  }

  private async applyMeta(meta: StreamMeta): Promise<void> {
    const rec = this.recs.get(meta.device);
    if (rec && !rec.group.closed) {
      if (sameStream(rec.meta, meta)) {
        if (meta.segmentStart !== rec.meta.segmentStart) rec.group.events.addSegment({ device: rec.id, segmentStart: meta.segmentStart, time: new Date(this.now()).toISOString() });
        rec.meta = meta;
        return;
      }
      await this.replaceGroupOf(rec, 'new_session', meta);
      return;
    }
    if (this.settings.layout === 'combined' && this.groups.every((g) => g.closed || !g.combined)) {
      // No combined file open (yet): this device starts one.
      await this.openCombined([meta]);
      return;
    }
    await this.openPerDevice(meta);
  }

  /** Closes the group holding `rec` and opens new files for the devices that continue. */
  private async replaceGroupOf(rec: DeviceRec, reason: string, newMeta?: StreamMeta): Promise<void> {
    const g = rec.group;
    this.emitCombinedRows(g, true);
    await this.finishGroup(g, reason);
    const continuing = g.members.filter((r) => r !== rec).map((r) => r.meta);
    for (const r of g.members) this.recs.delete(r.id);
    if (newMeta) continuing.push(newMeta);
    if (continuing.length === 0) return;
    if (g.combined) await this.openCombined(continuing);
    else for (const m of continuing) await this.openPerDevice(m);
  }

  private async applyBatch(b: SampleBlock, time: number): Promise<void> {
    const rec = this.recs.get(b.device);
    if (!rec || rec.group.closed) return;
    if (rec.expectedNext !== undefined && b.index > rec.expectedNext) this.recordGap(rec, rec.expectedNext, b.index, 'not_announced');
    rec.expectedNext = Math.max(rec.expectedNext ?? 0, b.index + b.count);
    const g = rec.group;
    if (!g.started) this.startGroup(g, time);
    if (rec.firstTime === undefined) {
      rec.firstTime = time;
      rec.record.firstIndex = b.index;
    }
    if (g.txt) {
      if (g.combined) for (let i = 0; i < b.count; i++) rec.frags.push(openSignalsFragment(b, i, rec.floats));
      else g.txt.append(openSignalsLines(b, rec.floats));
    }
    rec.h5?.append(b);
    if (rec.csv) {
      rec.csv.file.append(rec.csv.enc.rows(b, rec.gapBefore));
      rec.gapBefore = 0;
    }
    rec.rows += b.count;
    rec.record.samples = rec.rows;
    rec.record.endIndex = b.index + b.count;
    this.counters.samples += b.count;
    g.events.touch();
  }

  private recordGap(rec: DeviceRec, from: number, to: number, reason: RecordedGapReason): void {
    // A gap that the stream already moved past (the hub announced it and the batch after it came) is not counted twice.
    const start = Math.max(from, rec.expectedNext ?? from);
    if (to <= start) return;
    rec.group.events.addGap({ device: rec.id, from: start, to, samples: to - start, reason, row: rec.rows });
    rec.expectedNext = to;
    rec.gapBefore += to - start;
    this.counters.gaps++;
  }

  /** First sample of a group: the text header (which needs the start time) and the HDF5 file. */
  private startGroup(g: FileGroup, time: number): void {
    g.started = true;
    const devs: HeaderDevice[] = g.members.map((r, position) => ({ key: r.key, meta: r.meta, start: r.firstTime ?? time, position }));
    g.txt?.append(formatTextHeader(devs));
    if (g.h5Path) g.h5 = this.createH5(g.h5Path, devs);
    this.attachH5(g);
  }

  /** Gives each member its HDF5 group, with the markers that came before the file existed. */
  private attachH5(g: FileGroup): void {
    if (!g.h5) return;
    for (const r of g.members) {
      r.h5 = findGroup(g.h5, r.key);
      for (const m of r.h5Early?.splice(0) ?? []) r.h5?.addMarker(m);
    }
  }

  private createH5(path: string, devs: HeaderDevice[]): OpenSignalsH5File {
    const file = OpenSignalsH5File.createLoaded(path);
    for (const d of devs) file.addDevice(d.key, d.meta, d.start);
    return file;
  }

  /** Combined text: emits the rows every member has, padding a member that fell too far behind (docs/recording.md "Several devices"). */
  private emitCombinedRows(g: FileGroup, final: boolean): void {
    if (!g.combined || !g.txt || !g.started) return;
    const members = g.members;
    const maxLag = Math.max(1, Math.round(members[0].meta.rate * COMBINED_MAX_LAG_S));
    let out = '';
    for (;;) {
      const longest = Math.max(...members.map((r) => r.frags.length));
      if (longest === 0) break;
      const all = members.every((r) => r.frags.length > 0);
      if (!all && !final && longest <= maxLag) break;
      // Emit what every member has; past the lag (or at the end) pad the missing ones.
      const n = all ? Math.min(...members.map((r) => r.frags.length)) : final ? longest : longest - maxLag;
      for (const r of members) {
        const have = Math.min(n, r.frags.length);
        if (have < n) {
          const padded = (r.record.padded ??= []);
          const from = g.rows + have;
          const last = padded[padded.length - 1];
          if (last && last[1] === from) last[1] = g.rows + n;
          else padded.push([from, g.rows + n]);
        }
      }
      for (let i = 0; i < n; i++) {
        let line = '';
        for (const r of members) line += i < r.frags.length ? r.frags[i] : zeroFragment(r.nAnalog);
        out += line + '\n';
      }
      for (const r of members) r.frags.splice(0, Math.min(n, r.frags.length));
      g.rows += n;
      g.events.touch();
    }
    if (out) g.txt.append(out);
  }

  private async writeOut(): Promise<void> {
    const open = this.groups.filter((g) => !g.closed);
    if (open.length === 0) return;
    const pending = (g: FileGroup) => (g.txt?.pending ?? 0) + (g.h5?.pendingBytes ?? 0) + g.members.reduce((n, r) => n + (r.csv?.file.pending ?? 0), 0);
    const needed = open.reduce((n, g) => n + pending(g), 0);
    const largest = Math.max(0, ...open.flatMap((g) => [(g.txt?.bytes ?? 0) + (g.txt?.pending ?? 0), ...g.members.map((r) => (r.csv ? r.csv.file.bytes + r.csv.file.pending : 0))]), ...(await this.h5Sizes(open)));
    if (needed > 0) {
      const space = await checkSpace(this.settings.folder, needed, largest);
      if (!space.ok) {
        throw new RecordingError(
          'RECORDING_WRITE_FAILED',
          space.reason === 'disk_full'
            ? `the disk holding ${this.settings.folder} is full (${formatBytes(space.free)} free): recording stopped; the files so far are complete and valid`
            : `the file size limit of this process (ulimit -f) is reached: recording stopped; the files so far are complete and valid`,
          'Free some disk space or choose another folder, then start recording again.',
        );
      }
    }
    const fsync = this.settings.fsync;
    for (const g of open) {
      if (g.txt) await g.txt.flush(fsync);
      for (const r of g.members) if (r.csv) await r.csv.file.flush(fsync);
      g.h5?.flush();
      await g.events.save(fsync);
    }
    this.counters.bytes = await this.totalBytes();
  }

  private async h5Sizes(groups: FileGroup[]): Promise<number[]> {
    const sizes: number[] = [];
    for (const g of groups) if (g.h5) sizes.push((await stat(g.h5.path).then((s) => s.size, () => 0)) + g.h5.pendingBytes);
    return sizes;
  }

  private async totalBytes(): Promise<number> {
    let n = 0;
    for (const g of this.groups) for (const p of g.paths) n += await stat(p).then((s) => s.size, () => 0);
    return n;
  }

  // --- Files -------------------------------------------------------------------------------------

  private suffixes(combined: boolean, csvTags: string[]): string[] {
    const f = this.settings.formats;
    const out: string[] = [];
    if (f.includes('txt')) out.push('.txt');
    if (f.includes('h5')) out.push('.h5');
    if (f.includes('csv')) for (const t of csvTags) out.push(combined ? `_${t}.csv` : '.csv');
    out.push('.events.json');
    return out;
  }

  private async openPerDevice(meta: StreamMeta): Promise<void> {
    const stem = `${this.settings.prefix ? this.settings.prefix + '_' : ''}${deviceTag(meta.mac, meta.name || meta.device)}_${fileTimestamp(this.now())}`;
    await this.openGroup(stem, false, [meta]);
  }

  private async openCombined(metas: StreamMeta[]): Promise<void> {
    // Members must share a rate (rows line up by sample); the others record to their own files.
    const rate = metas[0]?.rate;
    const members = metas.filter((m) => m.rate === rate);
    for (const m of metas.filter((x) => x.rate !== rate)) await this.openPerDevice(m);
    if (members.length === 0) {
      // Nothing to combine yet: the first device to appear starts the combined file.
      return;
    }
    const stem = `${this.settings.prefix ? this.settings.prefix + '_' : ''}${fileTimestamp(this.now())}`;
    await this.openGroup(stem, true, members);
  }

  private async openGroup(stem: string, combined: boolean, metas: StreamMeta[]): Promise<void> {
    const keys = uniqueKeys(metas);
    const tags = uniqueTags(metas);
    const suffixes = this.suffixes(combined, tags);
    let reserved: { stem: string; paths: string[] };
    try {
      reserved = await reserveFiles(this.settings.folder, stem, suffixes);
    } catch (err) {
      throw this.writeError(err);
    }
    const byName = new Map(suffixes.map((s, i) => [s, reserved.paths[i]]));
    const eventsPath = byName.get('.events.json')!;
    const dataPaths = reserved.paths.filter((p) => p !== eventsPath);
    const events = new EventsFile(eventsPath, dataPaths.map((p) => basename(p)), this.now());
    const g: FileGroup = { stem: reserved.stem, combined, members: [], started: false, events, paths: [...dataPaths, eventsPath], closed: false, rows: 0 };
    try {
      // The reserved .txt and .csv are reopened with O_APPEND semantics by position: they are empty and ours.
      if (byName.has('.txt')) g.txt = await AppendFile.reopenReserved(byName.get('.txt')!);
      if (byName.has('.h5')) g.h5Path = byName.get('.h5');
      for (let i = 0; i < metas.length; i++) {
        const meta = metas[i];
        const cols = recordedColumns(meta);
        const record = deviceRecord(meta, keys[i]);
        events.doc.devices.push(record);
        const rec: DeviceRec = {
          id: meta.device,
          meta,
          key: keys[i],
          group: g,
          record,
          floats: isFloatSource(cols),
          nAnalog: cols.analog.length,
          expectedNext: undefined,
          rows: 0,
          firstTime: undefined,
          gapBefore: 0,
          frags: [],
        };
        const csvPath = byName.get(combined ? `_${tags[i]}.csv` : '.csv');
        if (csvPath) {
          const enc = new CsvEncoder(meta);
          const file = await AppendFile.reopenReserved(csvPath);
          file.append(enc.header);
          rec.csv = { file, enc, headerWritten: true };
        }
        g.members.push(rec);
        this.recs.set(meta.device, rec);
      }
      await events.save(this.settings.fsync);
    } catch (err) {
      await this.closeGroupFiles(g);
      throw this.writeError(err);
    }
    this.groups.push(g);
    this.counters.files = this.files().length;
    this.emit();
  }

  private async finishGroup(g: FileGroup, reason: string): Promise<void> {
    if (g.closed) return;
    g.closed = true;
    const fsync = this.settings.fsync;
    // A device that sent nothing still gets valid files: a header and no rows.
    const empty = g.members.map((r, position) => ({ key: r.key, meta: r.meta, start: this.now(), position }));
    if (g.txt && !g.started) g.txt.append(formatTextHeader(empty));
    if (g.h5Path && !g.h5) {
      if (reason !== 'error') {
        g.h5 = this.createH5(g.h5Path, empty);
        this.attachH5(g);
      }
      else await this.dropEmptyFile(g, g.h5Path); // no HDF5 writes after a write error: remove the empty placeholder
    }
    g.events.doc.stopped = new Date(this.now()).toISOString();
    g.events.doc.stopReason = reason;
    if (reason === 'error' && this.error) g.events.doc.error = { code: this.error.code, message: this.error.message, ...(this.error.hint ? { hint: this.error.hint } : {}) };
    g.events.touch();
    if (reason !== 'error') {
      if (g.txt) await g.txt.flush(fsync);
      for (const r of g.members) if (r.csv) await r.csv.file.flush(fsync);
      g.h5?.flush();
    } else if (!g.started) {
      // Best effort: the header of a file that has no rows yet (what was flushed before stays as it is).
      await g.txt?.flush(false).catch(() => undefined);
      for (const r of g.members) await r.csv?.file.flush(false).catch(() => undefined);
    }
    await g.events.save(fsync).catch((err) => {
      if (reason !== 'error') throw err;
    });
    await this.closeGroupFiles(g);
  }

  private async dropEmptyFile(g: FileGroup, path: string): Promise<void> {
    await unlink(path).catch(() => undefined);
    g.paths = g.paths.filter((p) => p !== path);
    g.events.doc.files = g.events.doc.files.filter((f) => f !== basename(path));
    this.counters.files = this.files().length;
  }

  private async closeGroupFiles(g: FileGroup): Promise<void> {
    g.closed = true;
    await g.txt?.close();
    for (const r of g.members) await r.csv?.file.close();
    g.h5?.close();
  }

  private async closeAllFiles(reason: 'stopped' | 'error'): Promise<void> {
    for (const g of this.groups) {
      if (g.closed) {
        await this.closeGroupFiles(g);
        continue;
      }
      try {
        this.emitCombinedRows(g, true);
        await this.finishGroup(g, reason);
      } catch (err) {
        if (reason === 'stopped') this.fail(err);
        await this.closeGroupFiles(g);
      }
    }
    this.counters.bytes = await this.totalBytes();
  }

  // --- Errors and status ---------------------------------------------------------------------

  private writeError(err: unknown): RecordingError {
    if (err instanceof RecordingError) return err;
    if (err instanceof ServerBitError) return new RecordingError('RECORDING_WRITE_FAILED', err.message, err.hint, { cause: err });
    const folder = this.settings.folder;
    const code = (err as NodeJS.ErrnoException)?.code;
    const hint = 'Check the folder and the free space, then start recording again; the files so far stay valid.';
    switch (code) {
      case 'ENOSPC':
      case 'EDQUOT':
        return new RecordingError('RECORDING_WRITE_FAILED', `the disk holding ${folder} is full: recording stopped; the files so far are valid`, 'Free some disk space or choose another folder, then start recording again.', { cause: err });
      case 'EFBIG':
        return new RecordingError('RECORDING_WRITE_FAILED', 'a recording file reached the largest size allowed (file size limit): recording stopped; the files so far are valid', hint, { cause: err });
      case 'ENOENT':
        return new RecordingError('RECORDING_WRITE_FAILED', `the recording folder ${folder} (or a file in it) was removed: recording stopped`, 'Recreate the folder or choose another one, then start recording again.', { cause: err });
      case 'EACCES':
      case 'EPERM':
      case 'EROFS':
        return new RecordingError('RECORDING_WRITE_FAILED', `${folder} is no longer writable (${code}): recording stopped; the files so far are valid`, 'Give yourself write permission on the folder or choose another one, then start recording again.', { cause: err });
      default:
        return new RecordingError('RECORDING_WRITE_FAILED', `writing the recording in ${folder} failed: ${shortMessage(err)}`, hint, { cause: err });
    }
  }

  private setState(state: OutputState): void {
    if (this.state === state) return;
    this.state = state;
    if ((state === 'stopped' || state === 'error') && this.stoppedAt === undefined) this.stoppedAt = this.now();
    this.emit();
  }

  private emit(): void {
    if (this.listeners.size === 0) return;
    this.listeners.emit(this.status());
  }
}

function findGroup(file: OpenSignalsH5File, key: string): H5DeviceGroup | undefined {
  return file.group(key);
}

/** Same session and same stream shape: the recording continues in the same files. */
export function sameStream(a: StreamMeta, b: StreamMeta): boolean {
  if (a.t0 !== b.t0 || a.rate !== b.rate || a.irregular !== b.irregular) return false;
  if (a.channels.length !== b.channels.length || a.channels.some((c, i) => c !== b.channels[i])) return false;
  const ca = recordedColumns(a);
  const cb = recordedColumns(b);
  if (ca.names.join('\t') !== cb.names.join('\t') || ca.resolution.join() !== cb.resolution.join()) return false;
  return ca.analog.every((c, i) => (c.sensor ?? 'RAW') === (cb.analog[i].sensor ?? 'RAW'));
}

function uniqueKeys(metas: StreamMeta[]): string[] {
  const seen = new Set<string>();
  return metas.map((m) => {
    let k = deviceKey(m);
    if (seen.has(k)) k = `${k} (${m.device})`;
    seen.add(k);
    return k;
  });
}

function uniqueTags(metas: StreamMeta[]): string[] {
  const seen = new Set<string>();
  return metas.map((m) => {
    let t = deviceTag(m.mac, m.name || m.device);
    if (seen.has(t)) t = `${t}-${deviceTag(undefined, m.device)}`;
    seen.add(t);
    return t;
  });
}

/**
 * One line for a status and a terminal: the HDF5 library's errors are a stack of "#000: … in
 * H5Xfoo(): what" lines; the first says what failed, the last why.
 */
function shortMessage(err: unknown): string {
  const text = (err as Error)?.message ?? String(err);
  const steps = [...text.matchAll(/#\d+: .*? in \w+\(\): (.*)$/gm)].map((m) => m[1].trim());
  const line = steps.length > 0 ? `HDF5: ${steps[0]}${steps.length > 1 ? ` (${steps[steps.length - 1]})` : ''}` : text.split('\n')[0];
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

function describeErrno(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a file (not a folder) is in the way';
    case 'ENOSPC':
      return 'the disk is full';
    default:
      return (err as Error)?.message ?? String(err);
  }
}

export { formatBytes, formatElapsed };
