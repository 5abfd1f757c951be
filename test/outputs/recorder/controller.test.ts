import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '../../../src/main/acquisition/hub.js';
import { RecordingController } from '../../../src/main/outputs/recorder/controller.js';
import { DEFAULT_RECORDER_SETTINGS, resolveRecorderSettings } from '../../../src/main/outputs/recorder/settings.js';
import { homedir } from 'node:os';
import { parseOpenSignalsText } from '../../helpers/opensignals-parser.js';
import { bitalinoMeta, synthBatch } from '../../helpers/opensignals-rig.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('RecordingController (what record_start / record_stop, the tray and --record call)', () => {
  it('starts and stops one recording at a time and names its files', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'serverbit-ctl-'));
    cleanups.push(() => rm(folder, { recursive: true, force: true }));
    const hub = new Hub();
    const a = bitalinoMeta({ device: '0', mac: '20:16:07:18:15:26', channels: [1] });
    hub.publishMeta(a);
    const ctl = new RecordingController(hub, { folder, fsync: false });
    cleanups.push(() => ctl.close());
    await expect(ctl.stop()).rejects.toMatchObject({ code: 'RECORDING_NOT_RUNNING' });
    const started = await ctl.start({ formats: ['txt', 'csv'] });
    expect(started).toMatchObject({ state: 'running', folder, formats: ['txt', 'csv'] });
    expect(started.files.map((f) => f.slice(folder.length + 1))).toEqual([expect.stringMatching(/^serverbit_201607181526_.*\.txt$/), expect.stringMatching(/\.csv$/), expect.stringMatching(/\.events\.json$/)]);
    await expect(ctl.start()).rejects.toMatchObject({ code: 'RECORDING_ALREADY_RUNNING' });
    hub.publishBatch(synthBatch(a, 0, 100));
    // A device that appears while recording gets its own files.
    const b = bitalinoMeta({ device: '1', name: 'simulator', channels: [2] });
    hub.publishMeta(b);
    hub.publishBatch(synthBatch(b, 0, 30));
    const stopped = await ctl.stop();
    expect(stopped.state).toBe('stopped');
    expect(stopped.files).toHaveLength(6);
    expect(stopped.files[3].slice(folder.length + 1)).toMatch(/^serverbit_simulator_.*\.txt$/);
    expect(stopped.samples).toBe(130);
    expect(parseOpenSignalsText(await readFile(stopped.files[0])).rows).toBe(100);
    expect(parseOpenSignalsText(await readFile(stopped.files[3])).rows).toBe(30);
    expect(ctl.recording).toBe(false);
    const again = await ctl.start();
    expect(again.files.every((f) => !stopped.files.includes(f))).toBe(true);
    await ctl.stop();
  });

  it('settings: defaults, and a bad value names its key', () => {
    expect(DEFAULT_RECORDER_SETTINGS).toMatchObject({ formats: ['txt'], folder: join(homedir(), 'ServerBIT', 'recordings'), layout: 'per-device', flushIntervalMs: 500 });
    expect(resolveRecorderSettings({ formats: ['h5', 'txt', 'h5'] }).formats).toEqual(['h5', 'txt']);
    expect(() => resolveRecorderSettings({ formats: ['txt', 'pdf' as never] })).toThrow(expect.objectContaining({ code: 'RECORDING_BAD_SETTINGS', message: expect.stringContaining('"formats[1]": "pdf" is not a format') }));
    expect(() => resolveRecorderSettings({ flushIntervalMs: 5000 })).toThrow(/"flushIntervalMs": 5000 is not an integer from 50 to 1000/);
    expect(() => resolveRecorderSettings({ layout: 'side' as never })).toThrow(/layout/);
    expect(() => resolveRecorderSettings({ devices: [''] })).toThrow(/devices/);
  });
});
