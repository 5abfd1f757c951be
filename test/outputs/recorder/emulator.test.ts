/**
 * Recording what the project's byte-exact emulator sends over a real pty (socat), read by the
 * real BITalino driver: every recorded sample is checked against the emulator's inputs, and the
 * .txt, .h5 and .csv of one recording agree value for value.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '../../../src/main/acquisition/hub.js';
import { Bitalino } from '../../../src/main/devices/bitalino.js';
import { BitalinoEmulator } from '../../../src/main/devices/emulator.js';
import { SerialTransport } from '../../../src/main/devices/serial-transport.js';
import { Recorder } from '../../../src/main/outputs/recorder/recorder.js';
import type { GapEvent } from '../../../src/shared/acquisition.js';
import { parseOpenSignalsText, seqJumps } from '../../helpers/opensignals-parser.js';
import { pythonReadH5, pythonReadText } from '../../helpers/opensignals-python.js';
import { bitalinoMeta, until } from '../../helpers/opensignals-rig.js';
import { ptyPair } from '../../helpers/pty.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** The emulator's inputs: 10-bit values per channel and tick, and I1/I2 toggling. */
const input = (ch: number, i: number) => (i * (3 + ch) + ch * 37) % 1024;
const digitalIn = (i: number) => ((i >> 5) & 1 ? 0b1000 : 0) | ((i >> 3) & 1 ? 0b0100 : 0);

describe('recording the emulator over a pty', () => {
  it('records 3 s at 1000 Hz × 6 channels to .txt, .h5 and .csv: every sample as the emulator sent it', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'serverbit-rec-emu-'));
    cleanups.push(() => rm(folder, { recursive: true, force: true }));
    const pty = await ptyPair();
    cleanups.push(() => pty.close());
    const devEnd = new SerialTransport(pty.b);
    await devEnd.open();
    const emu = new BitalinoEmulator({ firmware: 'BITalino_v5.2', inputs: input, digitalInputs: digitalIn });
    emu.attach(devEnd);
    emu.run();
    const driver = new Bitalino(new SerialTransport(pty.a), { id: '0' });
    cleanups.push(async () => {
      emu.halt();
      await driver.close();
      await devEnd.close();
    });

    const hub = new Hub();
    const rec = new Recorder(hub, { folder, formats: ['txt', 'h5', 'csv'], flushIntervalMs: 250 });
    cleanups.push(() => rec.close());
    await rec.start();
    const MAC = '20:16:07:18:15:26';
    let published = 0;
    const gaps: GapEvent[] = [];
    driver.setListener({
      samples: (b) => {
        if (published === 0) hub.publishMeta(bitalinoMeta({ device: '0', mac: MAC, t0: driver.acquisition!.t0, connection: pty.a }));
        hub.publishBatch(b);
        published += b.count;
      },
      gap: (g) => {
        gaps.push(g);
        hub.publishGap(g);
      },
    });
    const info = await driver.connect();
    expect(info.firmware).toBe('BITalino_v5.2');
    await driver.setOutputs([1, 0]);
    await driver.start(1000, [1, 2, 3, 4, 5, 6]);
    await until(() => published >= 3000, 20_000, '3000 samples');
    await driver.stop();
    await rec.close();
    expect(gaps).toEqual([]);
    expect(rec.status()).toMatchObject({ state: 'stopped', counters: { samples: published, droppedSamples: 0 } });

    const [txt, h5, csv, events] = rec.files();
    // What the emulator sent for tick i (the 5th and 6th slots are 6-bit: ADC >> 4; O1 O2 = 1 0).
    const expected = (i: number) => {
      const d = digitalIn(i) | 0b10;
      return [i & 15, (d >> 3) & 1, (d >> 2) & 1, (d >> 1) & 1, d & 1, ...[1, 2, 3, 4, 5, 6].map((ch, k) => (k >= 4 ? input(ch, i) >> 4 : input(ch, i)))];
    };
    const parsed = parseOpenSignalsText(await readFile(txt));
    expect(parsed.rows).toBe(published);
    const cols = [...parsed.devices[0].columns.values()];
    for (let i = 0; i < published; i++) expect(cols.map((c) => c[i]), `row ${i}`).toEqual(expected(i));
    expect(seqJumps(cols[0])).toEqual([]);
    expect(parsed.devices[0].header['device connection']).toBe(pty.a);
    const py = await pythonReadText(txt);
    expect(py.shape).toEqual([published, 11]);
    expect(py.data).toEqual(cols[0].map((_, i) => cols.map((c) => c[i])));

    const view = await pythonReadH5(h5);
    const g = view.groups[MAC];
    expect(g.attrs.nsamples.value).toBe(published);
    const order = ['raw/nSeq', 'digital/digital_1', 'digital/digital_2', 'digital/digital_3', 'digital/digital_4', ...[1, 2, 3, 4, 5, 6].map((c) => `raw/channel_${c}`)];
    order.forEach((name, k) => expect(g.datasets[name].values, name).toEqual(cols[k]));

    const rows = (await readFile(csv, 'utf8')).trimEnd().split('\n').slice(1).map((l) => l.split(','));
    expect(rows).toHaveLength(published);
    const rawIdx = [3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 18]; // nSeq, I1..O2, A1..A6 (raw) between the converted columns
    rows.forEach((r, i) => expect(rawIdx.map((k) => Number(r[k])), `csv row ${i}`).toEqual(expected(i)));

    const ev = JSON.parse(await readFile(events, 'utf8'));
    expect(ev).toMatchObject({ stopReason: 'stopped', gaps: [], devices: [{ device: '0', samples: published, firstIndex: 0, endIndex: published }] });
  });
});
