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
    expect(ev.markers).toEqual([{ id: 1, label: 'eyes closed', time: T0 + 1500, timeIso: new Date(T0 + 1500).toISOString(), source: 'v2', device: '0', index: 1500 }]);
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
