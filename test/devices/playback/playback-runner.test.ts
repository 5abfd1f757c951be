/**
 * A recording as a device under the real DeviceRunner and the real openDevice (`file:` addresses):
 * the stream carries the file's own rate, channels, labels, sensors and resolutions; at the end of
 * the file the device goes to "stopped" (no reconnect, no stall); with `?loop=1` it plays on; a
 * file it cannot read puts the device in "error" with the reader's code, without retrying.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceRunner } from '../../../src/main/acquisition/device-runner.js';
import { Hub } from '../../../src/main/acquisition/hub.js';
import { classifyAddress } from '../../../src/main/devices/ports.js';
import { openDevice, type DeviceOpener } from '../../../src/main/devices/open-device.js';
import { parsePlaybackAddress } from '../../../src/main/devices/playback/playback-address.js';
import { Recorder } from '../../../src/main/outputs/recorder/recorder.js';
import { DEFAULT_LABELS } from '../../../src/shared/config.js';
import type { DeviceStatus, SampleBatch, StreamMeta } from '../../../src/shared/acquisition.js';
import { bitalinoMeta, expectedRow, synthBatch, until } from '../../helpers/opensignals-rig.js';

const MAC = '20:16:07:18:15:26';
const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'serverbit-play-run-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

/** Records `n` synthetic samples of A1, A2, A5, A6 (slots 3 and 4 are 10-bit here, A5/A6 of a 6-channel board would be 6-bit). */
async function recorded(n: number, format: 'txt' | 'h5'): Promise<string> {
  const folder = await tempDir();
  const hub = new Hub();
  const meta = bitalinoMeta({ mac: MAC, channels: [1, 2, 5, 6], sensors: ['EMG', 'ECG', 'ACC', 'LUX'], labels: ['emg', 'ecg', 'acc', 'lux'] });
  hub.publishMeta(meta);
  const rec = new Recorder(hub, { folder, formats: [format], fsync: false });
  await rec.start();
  for (let i = 0; i < n; i += 100) hub.publishBatch(synthBatch(meta, i, Math.min(100, n - i)));
  await rec.close();
  return rec.files()[0];
}

interface Watched {
  runner: DeviceRunner;
  states: string[];
  statuses: DeviceStatus[];
  metas: StreamMeta[];
  rows: { index: number; row: number[] }[];
  opens: () => number;
}

function run(address: string, settings: Partial<{ channels: number[]; sampling_rate: 1 | 10 | 100 | 1000 }> = {}): Watched {
  const hub = new Hub();
  const w: Watched = { runner: undefined as never, states: [], statuses: [], metas: [], rows: [], opens: () => opens };
  let opens = 0;
  const counting: DeviceOpener = (a, o) => {
    opens++;
    return openDevice(a, o);
  };
  hub.subscribe({
    meta: (m) => w.metas.push(m),
    status: (s) => {
      w.statuses.push(s);
      if (w.states[w.states.length - 1] !== s.state) w.states.push(s.state);
    },
    batch: (b: SampleBatch) => {
      for (let i = 0; i < b.count; i++) {
        const d = b.digital[i];
        w.rows.push({ index: b.index + i, row: [b.seq[i], (d >> 3) & 1, (d >> 2) & 1, (d >> 1) & 1, d & 1, ...b.analog.map((a) => a[i])] });
      }
    },
  });
  w.runner = new DeviceRunner({
    hub,
    // The config's rate and channels differ from the file's: the file's win (its own stream).
    settings: { id: 'p', address, channels: settings.channels ?? [3], sampling_rate: settings.sampling_rate ?? 100, labels: [...DEFAULT_LABELS], stall_timeout_s: 0.5 },
    openDevice: counting,
    backoff: { initialMs: 50, maxMs: 100 },
  });
  cleanups.push(() => w.runner.stop());
  return w;
}

describe('a recording as a device (file: addresses under the DeviceRunner)', () => {
  it.each(['txt', 'h5'] as const)('plays a .%s with its own stream description, then stops at its end: no reconnect, no stall', async (format) => {
    const file = await recorded(1500, format);
    const w = run(`file:${file}`);
    await w.runner.start();
    await until(() => w.states.includes('stopped'), 20_000, 'the end of the file');
    // Well past the stall timeout (0.5 s) and the backoff: nothing happens any more.
    await new Promise((r) => setTimeout(r, 1500));
    expect(w.states).toEqual(['connecting', 'streaming', 'stopped']);
    expect(w.opens()).toBe(1);
    expect(w.runner.running).toBe(false);
    expect(w.runner.status).toMatchObject({ state: 'stopped', rate: 1000, channels: [1, 2, 5, 6] });
    expect(w.runner.status.error).toBeUndefined();
    expect(w.runner.status.info).toMatchObject({ firmware: 'BITalino_v5.2', board: 'revolution', address: file, simulated: false });

    expect(w.metas).toHaveLength(1);
    const m = w.metas[0];
    expect(m).toMatchObject({ device: 'p', kind: 'playback', rate: 1000, channels: [1, 2, 5, 6], mac: MAC, connection: file, address: `file:${file}`, irregular: false });
    expect(m.columns.filter((c) => c.kind === 'analog').map((c) => [c.name, c.sensor, c.resolution])).toEqual([
      ['emg', 'EMG', 10],
      ['ecg', 'ECG', 10],
      ['acc', 'ACC', 10],
      ['lux', 'LUX', 10], // the file's resolution, not the 6 bits of a fourth acquisition slot
    ]);

    expect(w.rows).toHaveLength(1500);
    w.rows.forEach((r, i) => {
      expect(r.index).toBe(i);
      expect(r.row).toEqual(expectedRow(i, 4));
    });
    // Started again: from the first sample, in a new session.
    await w.runner.start();
    await until(() => w.states.lastIndexOf('stopped') > w.states.indexOf('stopped'), 20_000, 'the second end');
    expect(w.rows).toHaveLength(3000);
    expect(w.rows[1500]).toEqual({ index: 0, row: expectedRow(0, 4) });
  });

  it('with ?loop=1 plays on from the start of the file, the index counting on', async () => {
    const file = await recorded(300, 'txt');
    const w = run(`file:${file}?loop=1`);
    await w.runner.start();
    await until(() => w.rows.length >= 800, 20_000, '800 samples');
    expect(w.states).toEqual(['connecting', 'streaming']);
    w.rows.slice(0, 800).forEach((r, i) => {
      expect(r.index).toBe(i);
      expect(r.row).toEqual(expectedRow(i % 300, 4));
    });
    await w.runner.stop();
    expect(w.states.at(-1)).toBe('stopped');
  });

  it('a missing file: state "error" with PLAYBACK_UNREADABLE naming the file, and no retry', async () => {
    const dir = await tempDir();
    const w = run(`file:${join(dir, 'nope.txt')}`);
    await w.runner.start();
    await until(() => w.states.includes('error'), 10_000, 'the error state');
    await new Promise((r) => setTimeout(r, 400)); // several backoff periods
    expect(w.states).toEqual(['connecting', 'error']);
    expect(w.opens()).toBe(1);
    expect(w.runner.status.error).toMatchObject({ code: 'PLAYBACK_UNREADABLE', message: expect.stringContaining(join(dir, 'nope.txt')), hint: expect.stringContaining('file:') });
    expect(w.runner.status.error?.message).toMatch(/no such file/);
  });

  it('a file that is not a recording: state "error" with PLAYBACK_BAD_FILE naming the line', async () => {
    const dir = await tempDir();
    const file = join(dir, 'notes.txt');
    await writeFile(file, 'shopping list\nmilk\neggs\nbread\n');
    const w = run(`file:${file}`);
    await w.runner.start();
    await until(() => w.states.includes('error'), 10_000, 'the error state');
    expect(w.runner.status.error).toMatchObject({ code: 'PLAYBACK_BAD_FILE', message: expect.stringMatching(/line 1/) });
    expect(w.runner.status.error?.message).not.toContain('shopping'); // the file's text is not echoed
  });
});

describe('file: addresses', () => {
  it('are parsed with their loop option, as paths, file:// URLs and ~ paths', () => {
    expect(parsePlaybackAddress('file:/x/y.txt')).toEqual({ path: '/x/y.txt', loop: false });
    expect(parsePlaybackAddress(' file:/x/y.h5?loop=1 ')).toEqual({ path: '/x/y.h5', loop: true });
    expect(parsePlaybackAddress('file:/x/y.h5?loop=false')).toEqual({ path: '/x/y.h5', loop: false });
    expect(parsePlaybackAddress('file:/x/y.h5?loop')).toEqual({ path: '/x/y.h5', loop: true });
    expect(parsePlaybackAddress('file:///x/a%20b%3F.txt?loop=yes')).toEqual({ path: '/x/a b?.txt', loop: true });
    expect(parsePlaybackAddress('FILE:/x/a%20b.txt')).toEqual({ path: '/x/a%20b.txt', loop: false }); // escapes only in file:// URLs
    expect(parsePlaybackAddress('file:~/rec.txt', '/home/me')).toEqual({ path: '/home/me/rec.txt', loop: false });
    expect(parsePlaybackAddress('/dev/rfcomm0')).toBeUndefined();
    expect(parsePlaybackAddress('simulator')).toBeUndefined();
    expect(classifyAddress('file:/x/y.txt?loop=1')).toEqual({ kind: 'file', path: '/x/y.txt', loop: true });
  });

  it.each([
    ['file:', /names no file/],
    ['file:rec.txt', /relative path/],
    ['file:/x/y.txt?loop=2', /loop=1 or loop=0/],
    ['file:/x/y.txt?speed=2', /"speed" is not an option/],
    ['file:/x/y.txt?loop=%E0', /not a valid file: address/],
    ['file://otherhost/x.txt', /names the host "otherhost"/],
    [`file:/${'a'.repeat(300)}`, /up to 256/],
  ])('%s is refused with DEVICE_BAD_ARGUMENT and the accepted forms', (address, why) => {
    let error: unknown;
    try {
      classifyAddress(address);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'DEVICE_BAD_ARGUMENT', message: expect.stringMatching(why), hint: expect.stringContaining('file:/absolute/path/recording.txt') });
  });
});

describe('the device picker\'s Test on a recording', () => {
  it('says what is wrong with the file, without BITalino pairing advice', async () => {
    const { testDevice } = await import('../../../src/main/devices/probe.js');
    const r = await testDevice('file:/nonexistent/serverbit-recording.txt');
    expect(r.ok).toBe(false);
    expect(r.error?.code).toMatch(/^PLAYBACK_/);
    expect(r.steps?.join(' ') ?? '').not.toMatch(/PIN 1234|paired/);
  });
});
