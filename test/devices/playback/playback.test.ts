import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '../../../src/main/acquisition/hub.js';
import { PlaybackDevice, playbackPath, streamInfo } from '../../../src/main/devices/playback/playback-device.js';
import { Recorder } from '../../../src/main/outputs/recorder/recorder.js';
import type { SampleBatch } from '../../../src/shared/acquisition.js';
import { parseOpenSignalsText } from '../../helpers/opensignals-parser.js';
import { bitalinoMeta, expectedRow, synthBatch, until } from '../../helpers/opensignals-rig.js';

const PLUX = fileURLToPath(new URL('../../fixtures/opensignals/plux-bitalino-A5.txt', import.meta.url));
const MAC = '20:16:07:18:15:26';
const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Records `n` synthetic samples of channels A1, A3, A4, A6 to .txt and .h5; returns the paths. */
async function recordSynthetic(n: number): Promise<{ txt: string; h5: string }> {
  const folder = await mkdtemp(join(tmpdir(), 'serverbit-play-'));
  cleanups.push(() => rm(folder, { recursive: true, force: true }));
  const hub = new Hub();
  const meta = bitalinoMeta({ mac: MAC, channels: [1, 3, 4, 6], sensors: ['EMG', 'EDA', 'EEG', 'LUX'], labels: ['emg', 'eda', 'eeg', 'light'] });
  hub.publishMeta(meta);
  const rec = new Recorder(hub, { folder, formats: ['txt', 'h5'], fsync: false });
  await rec.start();
  for (let i = 0; i < n; i += 50) hub.publishBatch(synthBatch(meta, i, Math.min(50, n - i)));
  await rec.close();
  const [txt, h5] = rec.files();
  return { txt, h5 };
}

/** Plays a file to its end; returns the batches (copied) and the device. */
async function playAll(path: string, opts: Partial<ConstructorParameters<typeof PlaybackDevice>[0]> = {}, channels?: number[]) {
  const dev = new PlaybackDevice({ path, id: '7', ...opts });
  cleanups.push(() => dev.close());
  const batches: SampleBatch[] = [];
  let ended = false;
  dev.setListener({ samples: (b) => batches.push({ ...b, seq: b.seq.slice(), digital: b.digital.slice(), analog: b.analog.map((a) => a.slice()) }), end: () => (ended = true) });
  const info = await dev.connect();
  await dev.start(undefined, channels);
  return { dev, info, batches, ended: () => ended };
}

const rowsOf = (batches: SampleBatch[]) => batches.flatMap((b) => Array.from({ length: b.count }, (_, i) => ({ index: b.index + i, time: b.time + (i * 1000) / b.rate, row: [b.seq[i], (b.digital[i] >> 3) & 1, (b.digital[i] >> 2) & 1, (b.digital[i] >> 1) & 1, b.digital[i] & 1, ...b.analog.map((a) => a[i])] })));

describe('PlaybackDevice', () => {
  it.each(['txt', 'h5'] as const)('replays a recorded .%s at its rate: the same samples, shaped like the BITalino driver\'s batches', async (fmt) => {
    const files = await recordSynthetic(1200);
    const { dev, info, batches, ended } = await playAll(files[fmt]);
    expect(info).toMatchObject({ firmware: 'BITalino_v5.2', version: 5.2, board: 'revolution', stateLength: 0 });
    expect(info.source).toEqual({ kind: 'playback', rate: 1000, channels: [1, 3, 4, 6], labels: ['emg', 'eda', 'eeg', 'light'], sensors: ['EMG', 'EDA', 'EEG', 'LUX'], resolutions: [10, 10, 10, 10], mac: MAC });
    expect(dev.connection).toBe(files[fmt]);
    expect(streamInfo(info.recording)).toEqual({
      rate: 1000, channels: [1, 3, 4, 6], labels: ['emg', 'eda', 'eeg', 'light'], sensors: ['EMG', 'EDA', 'EEG', 'LUX'], resolutions: [10, 10, 10, 10],
      board: 'revolution', mac: MAC, firmware: 'BITalino_v5.2', version: 5.2, recordedConnection: '/dev/ttyX', samples: 1200, duration: 1.2,
    });
    expect(dev.state).toBe('acquiring');
    await until(ended, 20_000, 'the end of the file');
    expect(dev.state).toBe('idle');
    const t0 = dev.acquisition?.t0 ?? batches[0].time;
    const rows = rowsOf(batches);
    expect(rows).toHaveLength(1200);
    rows.forEach((r, i) => {
      expect(r.index).toBe(i);
      expect(r.row).toEqual(expectedRow(i, 4));
      expect(r.time).toBeCloseTo(t0 + i, 6);
    });
    for (const b of batches) {
      expect(b).toMatchObject({ device: '7', rate: 1000, channels: [1, 3, 4, 6] });
      expect(b.seq).toBeInstanceOf(Uint8Array);
      expect(b.analog.every((a) => a instanceof Uint16Array && a.length === b.count)).toBe(true);
    }
    expect(batches.length).toBeGreaterThan(5); // streamed over time, not in one go
  });

  it('plays a PLUX OpenSignals file (test/fixtures/opensignals) with its channel, label and sensor', async () => {
    const expected = parseOpenSignalsText(await readFile(PLUX)).devices[0].columns;
    const { info, batches, ended } = await playAll(PLUX);
    expect(info.recording).toMatchObject({ channels: [5], labels: ['A5'], sensors: ['RAW'], board: 'revolution', mac: '20:16:02:26:60:88', samples: 300 });
    await until(ended, 10_000, 'the end of the file');
    const rows = rowsOf(batches);
    expect(rows.map((r) => r.row[0])).toEqual(expected.get('nSeq'));
    expect(rows.map((r) => r.row[5])).toEqual(expected.get('A5'));
    expect(rows.map((r) => r.row.slice(1, 5))).toEqual(Array(300).fill([1, 1, 0, 0]));
  });

  it('loops when asked, with indices that keep counting; picks a subset of channels', async () => {
    const files = await recordSynthetic(200);
    const { dev, batches } = await playAll(files.txt, { loop: true }, [3, 6]);
    await until(() => rowsOf(batches).length >= 500, 20_000, '500 samples');
    await dev.stop();
    const rows = rowsOf(batches);
    rows.forEach((r, i) => {
      expect(r.index).toBe(i);
      const e = expectedRow(i % 200, 4);
      expect(r.row).toEqual([...e.slice(0, 5), e[6], e[8]]);
    });
    expect(batches[0].channels).toEqual([3, 6]);
    // Start again: from the first sample, index 0.
    batches.length = 0;
    await dev.start();
    await until(() => batches.length > 0, 10_000, 'a batch');
    expect(batches[0].index).toBe(0);
    expect(rowsOf(batches)[0].row).toEqual(expectedRow(0, 4));
  });

  it('has the driver\'s lifecycle: wrong-state and wrong-argument calls fail with specific errors; close is idempotent', async () => {
    const dev = new PlaybackDevice({ path: PLUX });
    cleanups.push(() => dev.close());
    expect(dev.id).toBe(`file:${PLUX}`);
    await expect(dev.start()).rejects.toMatchObject({ code: 'DEVICE_BAD_STATE' });
    await dev.connect();
    expect(await dev.connect()).toBe(dev.info); // idempotent
    await expect(dev.start(100)).rejects.toMatchObject({ code: 'DEVICE_BAD_ARGUMENT', message: expect.stringMatching(/made at 1000 Hz/) });
    await expect(dev.start(1000, [1])).rejects.toMatchObject({ code: 'DEVICE_BAD_ARGUMENT', message: expect.stringMatching(/A1 is not among them/) });
    await dev.start(1000, [5]);
    await expect(dev.start()).rejects.toMatchObject({ code: 'DEVICE_BAD_STATE', message: expect.stringMatching(/already playing/) });
    await dev.stop();
    await dev.stop();
    const closes: unknown[] = [];
    dev.setListener({ close: (e) => closes.push(e) });
    await dev.close();
    await dev.close();
    expect(closes).toEqual([undefined]);
    expect(dev.state).toBe('closed');
    const missing = new PlaybackDevice({ path: '/nonexistent/rec.txt' });
    await expect(missing.connect()).rejects.toMatchObject({ code: 'PLAYBACK_UNREADABLE' });
    expect(missing.state).toBe('closed');
    expect(playbackPath('file:/x/y.txt')).toBe('/x/y.txt');
    expect(playbackPath('file:///x/a%20b.h5')).toBe('/x/a b.h5');
    expect(playbackPath('/dev/rfcomm0')).toBeUndefined();
  });

  it('round trip: a recording played into a hub and recorded again gives the same rows', async () => {
    const files = await recordSynthetic(700);
    const folder = await mkdtemp(join(tmpdir(), 'serverbit-play-rt-'));
    cleanups.push(() => rm(folder, { recursive: true, force: true }));
    const dev = new PlaybackDevice({ path: files.h5, id: '0' });
    cleanups.push(() => dev.close());
    const info = await dev.connect();
    const s = streamInfo(info.recording);
    const hub = new Hub();
    const rec = new Recorder(hub, { folder, formats: ['txt'], fsync: false });
    await rec.start();
    let ended = false;
    dev.setListener({ samples: (b) => hub.publishBatch(b), end: () => (ended = true) });
    await dev.start();
    hub.publishMeta(bitalinoMeta({ device: '0', mac: s.mac, channels: s.channels, sensors: s.sensors, labels: s.labels, t0: dev.acquisition!.t0 }));
    await until(() => ended, 20_000, 'the end');
    await rec.close();
    const again = parseOpenSignalsText(await readFile(rec.files()[0]));
    const orig = parseOpenSignalsText(await readFile(files.txt));
    expect(again.rows).toBe(700);
    expect([...again.devices[0].columns.values()]).toEqual([...orig.devices[0].columns.values()]);
  });
});
