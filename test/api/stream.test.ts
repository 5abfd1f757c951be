/**
 * /v2 streaming against a real service (simulator at 1000 Hz, real time) and real ws clients.
 * Every message a client receives is checked against its schema (helpers.ts).
 */
import { describe, expect, it } from 'vitest';
import { convert, type SensorName } from '../../src/shared/sensors.js';
import type { DataMessage, HelloMessage, MetaMessage, ReplyMessage, StatusMessage } from '../../src/shared/v2.js';
import { V2Client, checkContiguous, cleanupAfterEach, expectContiguous, sleep, startServerBit } from './helpers.js';

const cleanups = cleanupAfterEach();

describe('/v2 stream', () => {
  it('greets with hello, meta and status, then streams data whose indices and device time line up', async () => {
    const { v2, app } = await startServerBit(cleanups);
    const c = await V2Client.open(v2);
    await c.until(() => c.data.length >= 5, 5000, 'data');
    const [hello, meta, status] = c.messages as [HelloMessage, MetaMessage, StatusMessage];
    expect(hello).toMatchObject({ type: 'hello', server: 'ServerBIT', protocol: 2, devices: ['0'], control: false, subscription: { batch: 40, columns: 'all', format: 'raw', devices: 'all' } });
    expect(meta).toMatchObject({
      type: 'meta',
      device: '0',
      name: 'simulator',
      kind: 'bitalino',
      address: 'simulator',
      board: 'revolution',
      firmware: 'BITalino_v5.2',
      'firmware version': 5.2,
      'sampling rate': 1000,
      channels: [1, 2, 3, 4, 5, 6],
      column: ['nSeq', 'I1', 'I2', 'O1', 'O2', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6'],
      label: ['A1', 'A2', 'A3', 'A4', 'A5', 'A6'],
      sensor: ['EMG', 'ECG', 'EDA', 'EEG', 'ACC', 'LUX'],
      // 6 bits for the 5th and 6th acquired channel (docs/bitalino-protocol.md §6.2)
      resolution: [4, 1, 1, 1, 1, 10, 10, 10, 10, 6, 6],
      simulated: true,
    });
    expect(meta.columns[5]).toEqual({ name: 'A1', label: 'A1', kind: 'analog', channel: 1, sensor: 'EMG', resolution: 10, unit: 'mV' });
    expect(meta.columns[9]).toMatchObject({ name: 'A5', sensor: 'ACC', resolution: 6, unit: 'g' });
    expect(meta.t0).toBe(app.acquisition.status('0').t0);
    expect(status).toMatchObject({ type: 'status', state: 'streaming', device: '0', name: 'simulator', address: 'simulator', rate: 1000 });
    for (const d of c.data) {
      expect(d.count).toBe(40);
      expect(d.time).toBeCloseTo(meta.t0 + d.index, 6); // t0 + index / rate, in ms
      expect(Object.keys(d.raw!)).toEqual(meta.column);
      expect(d.converted).toBeUndefined();
      d.raw!.nSeq.forEach((q, i) => expect(q).toBe((d.index + i) & 15));
      for (const k of ['A5', 'A6']) expect(Math.max(...d.raw![k])).toBeLessThan(64);
    }
  });

  it('a client that joins mid-stream gets hello and meta, then contiguous indices for 2 s, the same samples as an early client', async () => {
    const { v2 } = await startServerBit(cleanups);
    const early = await V2Client.open(v2);
    await sleep(700);
    const late = await V2Client.open(v2);
    await sleep(2200);
    expect(late.messages[0].type).toBe('hello');
    expect(late.messages[1].type).toBe('meta');
    const firstData = late.messages.findIndex((m) => m.type === 'data');
    expect(late.messages.slice(0, firstData).map((m) => m.type)).toEqual(['hello', 'meta', 'status', 'server']);
    const seen = expectContiguous(late.messages);
    expect(seen.samples + seen.lost).toBeGreaterThan(1800);
    expect(seen.samples).toBeGreaterThan(1500);
    expect(seen.first).toBeGreaterThan(300);
    for (const d of late.data) expect(d.count).toBe(40);
    // Same acquisition, same samples: every sample the late client has, the early one has too.
    checkContiguous(early.messages);
    const byIndex = new Map(early.data.map((d) => [d.index, d]));
    let compared = 0;
    for (const d of late.data) {
      const e = byIndex.get(d.index);
      if (!e) continue;
      expect(d.raw).toEqual(e.raw);
      compared++;
    }
    expect(compared).toBeGreaterThan(30);
  });

  it('batch=1 sends one sample per message, contiguously', async () => {
    const { v2 } = await startServerBit(cleanups);
    const c = await V2Client.open(`${v2}?batch=1`);
    await c.until(() => c.data.length >= 500, 5000, '500 messages');
    expect((c.messages[0] as HelloMessage).subscription.batch).toBe(1);
    expect(c.data.every((d) => d.count === 1)).toBe(true);
    expectContiguous(c.messages);
  });

  it('sends only the subscribed columns, raw', async () => {
    const { v2 } = await startServerBit(cleanups);
    const c = await V2Client.open(`${v2}?columns=nSeq,A2,A6,O1&batch=10`);
    await c.until(() => c.data.length >= 10);
    for (const d of c.data) {
      expect(Object.keys(d.raw!)).toEqual(['nSeq', 'O1', 'A2', 'A6']); // message order is column order
      expect(d.count).toBe(10);
    }
  });

  it('converts to physical units on request, consistently with the raw values (format=both)', async () => {
    const { v2 } = await startServerBit(cleanups);
    const c = await V2Client.open(`${v2}?format=both&batch=20`);
    await c.until(() => c.data.length >= 10);
    const meta = c.metas[0];
    for (const d of c.data) {
      expect(Object.keys(d.converted!)).toEqual(meta.label);
      for (const col of meta.columns.filter((x) => x.kind === 'analog')) {
        d.raw![col.name].forEach((raw, i) => {
          const want = Math.round(convert(col.sensor as SensorName, raw, col.resolution) * 1e4) / 1e4;
          expect(d.converted![col.name][i]).toBe(want);
        });
      }
      // ECG stays within its ±1.5 mV range; LUX within 0..100 %.
      for (const v of d.converted!.A2) expect(Math.abs(v)).toBeLessThanOrEqual(1.51);
      for (const v of d.converted!.A6) expect(v).toBeGreaterThanOrEqual(0);
    }
  });

  it('format=converted sends only converted analog columns', async () => {
    const { v2 } = await startServerBit(cleanups);
    const c = await V2Client.open(`${v2}?format=converted&columns=A1,A4,nSeq`);
    await c.until(() => c.data.length >= 3);
    for (const d of c.data) {
      expect(d.raw).toBeUndefined();
      expect(Object.keys(d.converted!)).toEqual(['A1', 'A4']);
    }
    expect(c.metas[0].columns.find((x) => x.name === 'A4')).toMatchObject({ sensor: 'EEG', unit: 'µV' });
  });

  it('takes the subscription from a first subscribe message and confirms it with a new hello', async () => {
    const { v2 } = await startServerBit(cleanups);
    const c = await V2Client.open(v2);
    c.send({ type: 'subscribe', batch: 7, columns: ['nSeq', 'A1'], format: 'raw' });
    await c.until(() => c.data.length >= 10);
    const hellos = c.of('hello');
    expect(hellos).toHaveLength(2);
    expect(hellos[1].subscription).toEqual({ batch: 7, columns: ['nSeq', 'A1'], format: 'raw', devices: 'all' });
    // Batches end on the index line's multiples of 7: the first, joined mid-stream, may be shorter.
    for (const [i, d] of c.data.entries()) {
      if (i > 0) expect(d.count).toBe(7);
      expect((d.index + d.count) % 7).toBe(0);
      expect(Object.keys(d.raw!)).toEqual(['nSeq', 'A1']);
    }
    expectContiguous(c.messages);
  });

  it('refuses bad subscription options with an error reply and keeps the defaults', async () => {
    const { v2 } = await startServerBit(cleanups);
    const c = await V2Client.open(`${v2}?batch=abc&columns=A1,Nope`);
    const err = await c.next<ReplyMessage>((m) => m.type === 'reply');
    expect(err).toMatchObject({ id: null, ok: false, error: { code: 'BAD_ARGUMENTS' } });
    await c.until(() => c.data.length >= 2);
    expect(c.data[0].count).toBe(40);
    // A later change of options is refused (it would cost samples); the connection goes on.
    c.send({ type: 'subscribe', batch: 3 });
    const late = await c.next<ReplyMessage>((m) => m.type === 'reply' && !m.ok && /before the first data/.test(m.error.message));
    expect(late.ok).toBe(false);
    const n = c.data.length;
    await c.until(() => c.data.length > n + 2);
    expect(c.data.at(-1)!.count).toBe(40);
  });

  it('shares one encoding between clients of the same subscription, each still contiguous', async () => {
    const { v2 } = await startServerBit(cleanups);
    const a = await V2Client.open(`${v2}?batch=25&format=both`);
    const b = await V2Client.open(`${v2}?batch=25&format=both`);
    const other = await V2Client.open(`${v2}?batch=8`);
    await sleep(600);
    for (const c of [a, b, other]) expectContiguous(c.messages);
    const common = a.data.filter((d) => b.data.some((e) => e.index === d.index));
    expect(common.length).toBeGreaterThan(5);
    for (const d of common) expect(b.data.find((e) => e.index === d.index)).toEqual(d);
    expect(other.data.slice(1).every((d: DataMessage) => d.count === 8)).toBe(true); // the first may end early, on a boundary
    expect(other.data.every((d: DataMessage) => (d.index + d.count) % 8 === 0)).toBe(true);
  });
});
