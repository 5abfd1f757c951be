import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '../../../src/main/acquisition/hub.js';
import { Recorder } from '../../../src/main/outputs/recorder/recorder.js';
import type { SampleBatch } from '../../../src/shared/acquisition.js';
import { parseOpenSignalsText, seqJumps, HEADER_KEYS } from '../../helpers/opensignals-parser.js';
import { pythonJsonDumps, pythonReadH5, pythonReadText } from '../../helpers/opensignals-python.js';
import { bitalinoMeta, expectedRow, synthBatch, until } from '../../helpers/opensignals-rig.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'serverbit-rec-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

const MAC = '20:16:07:18:15:26';
/** 2026-01-02 03:04:05.060 local time: the header's date/time are local (docs/recording.md). */
const T0 = new Date(2026, 0, 2, 3, 4, 5, 60).getTime();

/** Publishes samples [from, to) in batches of `step`. */
function publish(hub: Hub, meta: ReturnType<typeof bitalinoMeta>, from: number, to: number, step = 7): void {
  for (let i = from; i < to; i += step) hub.publishBatch(synthBatch(meta, i, Math.min(step, to - i)));
}

async function record(settings: ConstructorParameters<typeof Recorder>[1], run: (hub: Hub, rec: Recorder) => Promise<void> | void, now?: () => number) {
  const hub = new Hub();
  const rec = new Recorder(hub, { flushIntervalMs: 100, fsync: false, ...settings }, now ? { now } : {});
  cleanups.push(() => rec.close());
  await rec.start();
  await run(hub, rec);
  await rec.close();
  return { hub, rec };
}

describe('Recorder: OpenSignals text', () => {
  it('writes the exact layout: three header lines, the 18 keys in order as Python prints them, tab-terminated integer rows', async () => {
    const folder = await tempDir();
    const meta = bitalinoMeta({ mac: MAC, t0: T0, connection: '/dev/rfcomm0', sensors: ['EMG', 'ECG', 'EDA', 'EEG', 'ACC', 'RAW'] });
    const { rec } = await record({ folder, formats: ['txt'] }, (hub) => {
      hub.publishMeta(meta);
      publish(hub, meta, 0, 3000);
    });
    const files = rec.files();
    expect(files.map((f) => f.slice(folder.length + 1))).toEqual([expect.stringMatching(/^serverbit_201607181526_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\.txt$/), expect.stringMatching(/\.events\.json$/)]);
    const bytes = await readFile(files[0]);
    const parsed = parseOpenSignalsText(bytes);
    expect(parsed.rows).toBe(3000);
    expect(parsed.devices.map((d) => d.key)).toEqual([MAC]);
    const h = parsed.devices[0].header;
    expect(Object.keys(h)).toEqual([...HEADER_KEYS]);
    expect(h).toEqual({
      sensor: ['EMG', 'ECG', 'EDA', 'EEG', 'ACC', 'RAW'],
      'device name': MAC,
      column: ['nSeq', 'I1', 'I2', 'O1', 'O2', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6'],
      'sync interval': 2,
      time: '3:4:5.60',
      comments: '',
      'device connection': '/dev/rfcomm0',
      channels: [1, 2, 3, 4, 5, 6],
      date: '2026-1-2',
      mode: 0,
      'digital IO': [0, 0, 1, 1],
      'firmware version': '5.2',
      device: 'bitalino_rev',
      position: 0,
      'sampling rate': 1000,
      label: ['A1', 'A2', 'A3', 'A4', 'A5', 'A6'],
      resolution: [4, 1, 1, 1, 1, 10, 10, 10, 10, 6, 6],
      special: [{}, {}, {}, {}, {}, {}],
    });
    // Byte for byte what Python's json.dumps prints, and what the real readers make of the file.
    expect(await pythonJsonDumps(parsed.headerJson)).toBe(parsed.headerJson);
    const py = await pythonReadText(files[0]);
    expect(py.dumps_equal).toBe(true);
    expect(py.literal_eval_equal).toBe(true);
    expect(py.shape).toEqual([3000, 11]);
    py.data.forEach((row, i) => expect(row).toEqual(expectedRow(i, 6)));
    const text = bytes.toString('latin1');
    expect(text.split('\n')[3]).toBe(expectedRow(0, 6).join('\t') + '\t');
    expect(text.endsWith('\t\n')).toBe(true);
  });

  it('keeps recording into the same file across a reconnect: nSeq shows the jump, the events file has the gap', async () => {
    const folder = await tempDir();
    const meta = bitalinoMeta({ mac: MAC, t0: T0, channels: [2, 5] });
    const { rec } = await record({ folder, formats: ['txt', 'csv'] }, async (hub, r) => {
      hub.publishMeta(meta);
      publish(hub, meta, 0, 1000);
      await r.flush();
      hub.publishStatus({ device: '0', name: 'x', address: MAC, state: 'reconnecting', rate: 1000, channels: [2, 5], counters: { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0 }, error: { code: 'DEVICE_DISCONNECTED', message: 'lost' } });
      hub.publishGap({ device: '0', from: 1000, to: 1203, reason: 'link_lost' });
      hub.publishMeta({ ...meta, segmentStart: 1203 });
      publish(hub, meta, 1203, 2000);
      // An index jump nobody announced is recorded too.
      publish(hub, meta, 2010, 2100);
      hub.publishMarker({ id: 1, label: 'eyes closed', time: T0 + 1500, source: 'v2', device: '0', index: 1500 });
    });
    const files = rec.files();
    expect(files).toHaveLength(3); // .txt, .csv, .events.json
    const parsed = parseOpenSignalsText(await readFile(files[0]));
    const indices = [...Array(1000).keys(), ...Array.from({ length: 797 }, (_, k) => 1203 + k), ...Array.from({ length: 90 }, (_, k) => 2010 + k)];
    expect(parsed.rows).toBe(indices.length);
    const cols = [...parsed.devices[0].columns.values()];
    indices.forEach((idx, row) => expect(cols.map((c) => c[row])).toEqual(expectedRow(idx, 2)));
    expect(seqJumps(parsed.devices[0].columns.get('nSeq')!)).toEqual([1000, 1797]);
    const ev = JSON.parse(await readFile(files[2], 'utf8'));
    expect(ev.gaps).toEqual([
      { device: '0', from: 1000, to: 1203, samples: 203, reason: 'link_lost', row: 1000 },
      { device: '0', from: 2000, to: 2010, samples: 10, reason: 'not_announced', row: 1797 },
    ]);
    expect(ev.segments).toEqual([{ device: '0', segmentStart: 1203, time: expect.any(String) }]);
    // Marked after the last row: it falls before row 1887 (the rows recorded when it arrived).
    expect(ev.markers).toEqual([{ id: 1, label: 'eyes closed', time: T0 + 1500, timeIso: new Date(T0 + 1500).toISOString(), source: 'v2', device: '0', index: 1500, rows: { '0': indices.length } }]);
    expect(ev.status).toEqual([{ device: '0', state: 'reconnecting', time: expect.any(String), error: { code: 'DEVICE_DISCONNECTED', message: 'lost' } }]);
    expect(ev.devices).toEqual([expect.objectContaining({ device: '0', key: MAC, mac: MAC, rate: 1000, channels: [2, 5], firstIndex: 0, endIndex: 2100, samples: indices.length, t0: T0 })]);
    expect(ev.stopReason).toBe('stopped');
    expect(ev.files).toEqual(files.slice(0, 2).map((f) => f.slice(folder.length + 1)));
    // CSV marks the gaps in its gap column.
    const csv = (await readFile(files[1], 'utf8')).trimEnd().split('\n');
    expect(csv[0]).toBe('index,time (s),device time (ms since epoch),nSeq,I1,I2,O1,O2,A2 (raw),A2 ECG (mV),A5 (raw),A5 ACC (g),gap');
    const gapCol = csv.slice(1).map((l) => Number(l.split(',').at(-1)));
    expect(gapCol.filter((g) => g !== 0)).toEqual([203, 10]);
    expect(gapCol[1000]).toBe(203);
  });

  it('starts new files when the device starts a new session (new t0) and never overwrites a file', async () => {
    const folder = await tempDir();
    const fixed = () => new Date(2026, 4, 1, 10, 22, 3).getTime();
    const existing = join(folder, 'serverbit_201607181526_2026-05-01_10-22-03.txt');
    await writeFile(existing, 'not mine\n');
    const meta = bitalinoMeta({ mac: MAC, t0: T0, channels: [1] });
    const { rec } = await record(
      { folder, formats: ['txt'] },
      (hub) => {
        hub.publishMeta(meta);
        publish(hub, meta, 0, 100);
        const next = { ...meta, t0: T0 + 60_000 };
        hub.publishMeta(next);
        publish(hub, next, 0, 50);
      },
      fixed,
    );
    expect(await readFile(existing, 'utf8')).toBe('not mine\n');
    const names = rec.files().map((f) => f.slice(folder.length + 1));
    expect(names).toEqual([
      'serverbit_201607181526_2026-05-01_10-22-03_2.txt',
      'serverbit_201607181526_2026-05-01_10-22-03_2.events.json',
      'serverbit_201607181526_2026-05-01_10-22-03_3.txt',
      'serverbit_201607181526_2026-05-01_10-22-03_3.events.json',
    ]);
    expect(parseOpenSignalsText(await readFile(rec.files()[0])).rows).toBe(100);
    expect(parseOpenSignalsText(await readFile(rec.files()[2])).rows).toBe(50);
    expect(JSON.parse(await readFile(rec.files()[1], 'utf8')).stopReason).toBe('new_session');
    expect((await readdir(folder)).sort()).toEqual([...names, 'serverbit_201607181526_2026-05-01_10-22-03.txt'].sort());
  });
});

describe('Recorder: OpenSignals HDF5 and CSV', () => {
  it('writes the OpenSignals HDF5 layout that h5py reads, equal value for value to the .txt', async () => {
    const folder = await tempDir();
    const meta = bitalinoMeta({ mac: MAC, t0: T0, channels: [1, 3, 5], connection: '/dev/rfcomm0' });
    const { rec } = await record({ folder, formats: ['txt', 'h5'] }, async (hub, r) => {
      hub.publishMeta(meta);
      publish(hub, meta, 0, 2500, 13);
      await r.flush();
      publish(hub, meta, 2500, 3100, 13);
    });
    const [txt, h5] = rec.files();
    expect(h5.endsWith('.h5')).toBe(true);
    const view = await pythonReadH5(h5);
    expect(view.superblock).toBe(0);
    expect(view.root_attrs).toEqual([]);
    expect(Object.keys(view.groups)).toEqual([MAC]);
    const g = view.groups[MAC];
    expect(g.members).toEqual(['digital', 'events', 'plugin', 'raw']);
    const a = (k: string) => g.attrs[k].value;
    expect(Object.keys(g.attrs).sort()).toEqual(['channels', 'comments', 'date', 'device', 'device connection', 'device name', 'digital IO', 'duration', 'firmware version', 'macaddress', 'mode', 'nsamples', 'resolution', 'sampling rate', 'sync interval', 'time']);
    expect([a('channels'), a('digital IO'), a('resolution')]).toEqual([[1, 3, 5], [0, 0, 1, 1], [4, 1, 1, 1, 1, 10, 10, 10]]);
    expect([a('nsamples'), a('sampling rate'), a('sync interval'), a('mode')]).toEqual([3100, 1000, 2, 0]);
    for (const k of ['channels', 'digital IO', 'resolution', 'nsamples', 'sampling rate', 'sync interval', 'mode']) expect(g.attrs[k].dtype).toBe('int64');
    expect(g.attrs.nsamples.shape).toEqual([]);
    expect(g.attrs.channels.shape).toEqual([3]);
    expect([a('date'), a('time'), a('device'), a('device name'), a('macaddress'), a('firmware version'), a('comments'), a('device connection'), a('duration')]).toEqual(['2026-1-2', '3:4:5.60', 'bitalino_rev', MAC, MAC, '5.2', '', '/dev/rfcomm0', '3s']);
    for (const k of ['date', 'time', 'device', 'device name', 'macaddress', 'firmware version', 'comments', 'device connection', 'duration']) expect(g.attrs[k].dtype, k).toBe('vlen-str');
    const names = ['raw/nSeq', 'digital/digital_1', 'digital/digital_2', 'digital/digital_3', 'digital/digital_4', 'raw/channel_1', 'raw/channel_3', 'raw/channel_5'];
    for (const n of names) {
      expect(g.datasets[n], n).toMatchObject({ dtype: 'uint16', shape: [3100, 1], maxshape: [-1, 1], chunks: [1024, 1] });
    }
    expect(g.datasets['events/digital']).toMatchObject({ dtype: 'uint32', shape: [0, 4], maxshape: [-1, 4], chunks: [512, 4] });
    expect(g.datasets['events/sync']).toMatchObject({ dtype: 'uint32', shape: [0, 3], maxshape: [-1, 3] });
    expect(g.datasets['raw/channel_3'].attrs).toMatchObject({ label: { value: 'A3' }, sensor: { value: 'EDA' }, special: { value: '{}' } });
    expect(Object.keys(g.datasets).some((k) => k.startsWith('support'))).toBe(false);
    // Every sample, and the .txt agrees value for value (nSeq = raw/nSeq, I1…O2 = digital_1…4, A<n> = raw/channel_<n>).
    const parsed = parseOpenSignalsText(await readFile(txt));
    const cols = parsed.devices[0].columns;
    const pairs: Array<[string, string]> = [['nSeq', 'raw/nSeq'], ['I1', 'digital/digital_1'], ['I2', 'digital/digital_2'], ['O1', 'digital/digital_3'], ['O2', 'digital/digital_4'], ['A1', 'raw/channel_1'], ['A3', 'raw/channel_3'], ['A5', 'raw/channel_5']];
    for (const [c, d] of pairs) expect(g.datasets[d].values, d).toEqual(cols.get(c));
    g.datasets['raw/channel_5'].values!.forEach((v, i) => expect(v).toBe(expectedRow(i, 3)[7]));
  });

  it('writes markers to each device\'s events/markers (row, index, time, id, label, source) and to the events file', async () => {
    const folder = await tempDir();
    const a = bitalinoMeta({ device: '0', mac: MAC, t0: T0, channels: [1] });
    const b = bitalinoMeta({ device: '1', name: 'simulator', t0: T0, channels: [2] });
    const mark = (hub: Hub, id: number, label: string, device?: string, index?: number) =>
      hub.publishMarker({ id, label, time: T0 + id * 1000, source: id === 2 ? 'tray' : 'v2', ...(device !== undefined ? { device } : {}), ...(index !== undefined ? { index } : {}) });
    const long = 'ü'.repeat(256); // 256 UTF-16 code units, 512 UTF-8 bytes: kept whole
    const { rec } = await record({ folder, formats: ['txt', 'h5'] }, async (hub, r) => {
      hub.publishMeta(a);
      hub.publishMeta(b);
      mark(hub, 1, 'baseline'); // before any sample: before the .h5 exists
      publish(hub, a, 0, 300);
      publish(hub, b, 0, 100);
      mark(hub, 2, 'stimulus ✓', '0', 250);
      await r.flush();
      publish(hub, a, 300, 500);
      mark(hub, 3, long, '1');
      publish(hub, b, 100, 120);
    });
    const files = rec.files();
    const h5a = files.find((f) => f.includes('201607181526') && f.endsWith('.h5'))!;
    const h5b = files.find((f) => f.includes('simulator') && f.endsWith('.h5'))!;
    const ma = (await pythonReadH5(h5a)).groups[MAC].datasets['events/markers'];
    expect(ma).toMatchObject({ shape: [2], maxshape: [-1], chunks: [64] });
    expect(ma.records).toEqual([
      { row: 0, index: -1, time: T0 + 1000, id: 1, label: 'baseline', source: 'v2' },
      { row: 300, index: 250, time: T0 + 2000, id: 2, label: 'stimulus ✓', source: 'tray' },
    ]);
    const mb = (await pythonReadH5(h5b)).groups.simulator.datasets['events/markers'];
    expect(mb.records).toEqual([
      { row: 0, index: -1, time: T0 + 1000, id: 1, label: 'baseline', source: 'v2' },
      { row: 100, index: -1, time: T0 + 3000, id: 3, label: long, source: 'v2' },
    ]);
    const evA = JSON.parse(await readFile(files.find((f) => f.includes('201607181526') && f.endsWith('.events.json'))!, 'utf8'));
    expect(evA.markers.map((m: { id: number; rows: unknown }) => [m.id, m.rows])).toEqual([[1, { '0': 0 }], [2, { '0': 300 }]]);
    const evB = JSON.parse(await readFile(files.find((f) => f.includes('simulator') && f.endsWith('.events.json'))!, 'utf8'));
    expect(evB.markers.map((m: { id: number; label: string }) => [m.id, m.label])).toEqual([[1, 'baseline'], [3, long]]);
    expect(rec.status().counters.markers).toBe(3);
  });

  it('a device known by its serial port (no MAC) gets a key without "/" in both files: an HDF5 group name cannot hold one', async () => {
    const folder = await tempDir();
    const meta = { ...bitalinoMeta({ t0: T0, channels: [1] }), name: '/dev/rfcomm0', address: '/dev/rfcomm0' };
    const { rec } = await record({ folder, formats: ['txt', 'h5'] }, (hub) => {
      hub.publishMeta(meta);
      publish(hub, meta, 0, 300);
    });
    expect(rec.status().state).toBe('stopped');
    const [txt, h5] = rec.files();
    expect(txt.slice(folder.length + 1)).toMatch(/^serverbit_dev-rfcomm0_/);
    expect(parseOpenSignalsText(await readFile(txt)).devices.map((d) => d.key)).toEqual(['dev_rfcomm0']);
    const view = await pythonReadH5(h5);
    expect(Object.keys(view.groups)).toEqual(['dev_rfcomm0']);
    expect(view.groups.dev_rfcomm0.attrs.nsamples.value).toBe(300);
  });

  it('writes CSV with units, index and device time, raw and converted values', async () => {
    const folder = await tempDir();
    const meta = bitalinoMeta({ mac: MAC, t0: T0, channels: [1, 2, 3, 4, 6], sensors: ['EMG', 'ECG', 'EDA', 'RAW', 'LUX'] });
    const { rec } = await record({ folder, formats: ['csv'] }, (hub) => {
      hub.publishMeta(meta);
      publish(hub, meta, 0, 1200);
    });
    const lines = (await readFile(rec.files()[0], 'utf8')).split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines[0]).toBe('index,time (s),device time (ms since epoch),nSeq,I1,I2,O1,O2,A1 (raw),A1 EMG (mV),A2 (raw),A2 ECG (mV),A3 (raw),A3 EDA (µS),A4 (raw),A6 (raw),A6 LUX (%),gap');
    const rows = lines.slice(1, -1).map((l) => l.split(','));
    expect(rows).toHaveLength(1200);
    rows.forEach((r, i) => {
      const e = expectedRow(i, 5);
      expect(Number(r[0])).toBe(i);
      expect(r[1]).toBe((i / 1000).toFixed(3));
      expect(Number(r[2])).toBeCloseTo(T0 + i, 3);
      expect(r.slice(3, 8).map(Number)).toEqual(e.slice(0, 5));
      const [a1, a2, a3, a4, a6] = e.slice(5);
      expect(Number(r[8])).toBe(a1);
      expect(Number(r[9])).toBeCloseTo(((a1 / 1024 - 0.5) * 3300) / 1009, 5); // EMG, 10 bits
      expect(Number(r[11])).toBeCloseTo(((a2 / 1024 - 0.5) * 3300) / 1100, 5); // ECG
      expect(Number(r[13])).toBeCloseTo(((a3 / 1024) * 3.3) / 0.132, 5); // EDA (r)evolution
      expect(Number(r[14])).toBe(a4);
      expect(Number(r[15])).toBe(a6);
      expect(Number(r[16])).toBeCloseTo((100 * a6) / 64, 4); // LUX in the 6-bit slot 5
      expect(r[17]).toBe('0');
    });
  });
});

describe('Recorder: several devices, bounds and failures', () => {
  it('combined layout: one text file with the devices side by side in header order, one .h5 group each', async () => {
    const folder = await tempDir();
    const a = bitalinoMeta({ device: '0', mac: MAC, t0: T0, channels: [1, 2] });
    const b = bitalinoMeta({ device: '1', mac: '98:D3:31:B2:BB:A1', t0: T0 + 3, channels: [3] });
    const hub = new Hub();
    hub.publishMeta(a);
    hub.publishMeta(b);
    const rec = new Recorder(hub, { folder, formats: ['txt', 'h5'], layout: 'combined', flushIntervalMs: 100, fsync: false });
    cleanups.push(() => rec.close());
    await rec.start();
    const files = rec.files().map((f) => f.slice(folder.length + 1));
    expect(files).toEqual([expect.stringMatching(/^serverbit_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\.txt$/), expect.stringMatching(/\.h5$/), expect.stringMatching(/\.events\.json$/)]);
    publish(hub, a, 0, 500, 10);
    publish(hub, b, 0, 480, 16);
    await rec.close();
    const parsed = parseOpenSignalsText(await readFile(rec.files()[0]));
    expect(parsed.devices.map((d) => [d.key, d.header.position])).toEqual([[MAC, 0], ['98:D3:31:B2:BB:A1', 1]]);
    expect(parsed.rows).toBe(500);
    const colsA = [...parsed.devices[0].columns.values()];
    const colsB = [...parsed.devices[1].columns.values()];
    for (let i = 0; i < 500; i++) {
      expect(colsA.map((c) => c[i])).toEqual(expectedRow(i, 2));
      // Device 1 ran out after 480 samples: its last 20 rows are zeros, and the events file says so.
      expect(colsB.map((c) => c[i])).toEqual(i < 480 ? expectedRow(i, 1) : [0, 0, 0, 0, 0, 0]);
    }
    const ev = JSON.parse(await readFile(rec.files()[2], 'utf8'));
    expect(ev.devices.map((d: { device: string; padded?: unknown }) => [d.device, d.padded ?? null])).toEqual([['0', null], ['1', [[480, 500]]]]);
    const view = await pythonReadH5(rec.files()[1]);
    expect(Object.keys(view.groups).sort()).toEqual([MAC, '98:D3:31:B2:BB:A1'].sort());
    expect(view.groups['98:D3:31:B2:BB:A1'].datasets['raw/channel_3'].values).toEqual(colsB[5].slice(0, 480));
  });

  it('the queue is bounded: what does not fit is dropped and recorded as a client_too_slow gap', async () => {
    const folder = await tempDir();
    const meta = bitalinoMeta({ mac: MAC, t0: T0, channels: [1] });
    const { rec } = await record({ folder, formats: ['txt'], maxQueuedSamples: 1000 }, async (hub, r) => {
      hub.publishMeta(meta);
      publish(hub, meta, 0, 5000, 100); // synchronously: no flush can run in between
      await r.flush();
      publish(hub, meta, 5000, 5500, 100);
    });
    expect(rec.status().counters.droppedSamples).toBe(4000);
    const parsed = parseOpenSignalsText(await readFile(rec.files()[0]));
    expect(parsed.rows).toBe(1500);
    const ev = JSON.parse(await readFile(rec.files()[1], 'utf8'));
    expect(ev.gaps).toEqual([{ device: '0', from: 1000, to: 5000, samples: 4000, reason: 'client_too_slow', row: 1000 }]);
  });

  it('a folder that cannot be written is refused at start with RECORDING_FOLDER_UNWRITABLE', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'file'), 'x');
    const rec = new Recorder(new Hub(), { folder: join(dir, 'file', 'recordings') });
    const err = await rec.start().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'RECORDING_FOLDER_UNWRITABLE', message: expect.stringContaining('a file (not a folder) is in the way') });
    expect(rec.status()).toMatchObject({ state: 'error', error: { code: 'RECORDING_FOLDER_UNWRITABLE' } });
    await rec.close();
  });

  it('folder removed mid-recording: stops with RECORDING_WRITE_FAILED; acquisition and other subscribers go on', async () => {
    const dir = await tempDir();
    const folder = join(dir, 'rec');
    const hub = new Hub();
    const meta = bitalinoMeta({ mac: MAC, t0: T0, channels: [1] });
    hub.publishMeta(meta);
    let seen = 0;
    hub.subscribe({ batch: (b: SampleBatch) => (seen += b.count) });
    const rec = new Recorder(hub, { folder, formats: ['txt', 'h5'], flushIntervalMs: 50, fsync: false });
    cleanups.push(() => rec.close());
    const states: string[] = [];
    rec.onStatus((s) => states.push(s.state));
    await rec.start();
    publish(hub, meta, 0, 500);
    await rec.flush();
    await rm(folder, { recursive: true, force: true, maxRetries: 20, retryDelay: 5 });
    let i = 500;
    await until(() => {
      publish(hub, meta, i, i + 10);
      i += 10;
      return rec.status().state === 'error';
    }, 10_000, 'the recorder to notice');
    const st = rec.status();
    expect(st.error).toMatchObject({ code: 'RECORDING_WRITE_FAILED', message: expect.stringMatching(/removed/) });
    expect(states).toContain('error');
    const before = seen;
    publish(hub, meta, i, i + 100);
    expect(seen).toBe(before + 100);
    expect(hub.subscriberErrors).toBe(0);
    await rec.close();
    expect(rec.status().state).toBe('error');
  });
});
