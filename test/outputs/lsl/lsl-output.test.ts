import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '../../../src/main/acquisition/hub.js';
import { LslOutput } from '../../../src/main/outputs/lsl/lsl-output.js';
import type { resolveLslSettings } from '../../../src/main/outputs/lsl/settings.js';
import type { OutputStatus } from '../../../src/main/outputs/output.js';
import { convert } from '../../../src/shared/sensors.js';
import { RawInlet, tcpExchange, waitFor } from './helpers.js';
import { batchOf, bitalinoMeta, rawValue } from './synthetic.js';

const outputs: LslOutput[] = [];
const inlets: RawInlet[] = [];
afterEach(async () => {
  for (const i of inlets.splice(0)) i.close();
  for (const o of outputs.splice(0)) await o.close();
});

let now = 1000;
const clock = (): number => now;

async function started(hub: Hub, settings: Parameters<typeof resolveLslSettings>[0] = {}): Promise<LslOutput> {
  const out = new LslOutput(hub, { enabled: true, basePort: 0, multicastPort: 0, ...settings }, { clock });
  outputs.push(out);
  await out.start();
  return out;
}

function inlet(out: LslOutput, device = '0', format: 'float32' | 'int16' = 'float32', channels = 6): RawInlet {
  const s = out.streams().find((x) => x.device === device)!;
  const i = new RawInlet(s.dataPort!, s.uid!, format, channels);
  inlets.push(i);
  return i;
}

async function openStream(out: LslOutput, device = '0'): Promise<void> {
  await waitFor(() => out.streams().some((s) => s.device === device && s.uid !== undefined), `device ${device}'s stream`);
}

describe('LslOutput (hub → LSL streams)', () => {
  it('opens a stream for a device already known when it starts (catch-up), and follows new ones', async () => {
    const hub = new Hub();
    hub.publishMeta(bitalinoMeta({ device: '0' }));
    const out = await started(hub);
    await openStream(out, '0');
    hub.publishMeta(bitalinoMeta({ device: '1', address: '00:11:22:33:44:55', name: 'Second' }));
    await openStream(out, '1');
    expect(out.streams().map((s) => [s.device, s.name, s.sourceId])).toEqual([
      ['0', 'BITalino test', '20:16:07:18:15:26'],
      ['1', 'Second', '00:11:22:33:44:55'],
    ]);
    expect(out.status()).toMatchObject({ output: 'lsl', state: 'running', counters: { streams: 2 } });
  });

  it('sends every sample converted, with device-time timestamps anchored at the first batch', async () => {
    const hub = new Hub();
    const out = await started(hub);
    const meta = bitalinoMeta();
    hub.publishMeta(meta);
    await openStream(out);
    const i = inlet(out);
    await waitFor(() => i.ready && out.streams()[0].consumers === 1, 'the inlet');
    now = 2000;
    for (let k = 0; k < 1000; k += 40) {
      hub.publishBatch(batchOf(meta, k, 40));
      now += 0.123; // arrival jitter must not reach the timestamps
    }
    await waitFor(() => i.samples.length === 1000, '1000 samples');
    const firstBatchEnd = 2000;
    for (const [k, s] of i.samples.entries()) {
      expect(s.timestamp).toBe(firstBatchEnd + (k - 39) / 1000);
      for (let slot = 0; slot < 6; slot++) {
        const col = meta.columns[5 + slot];
        expect(s.values[slot]).toBe(Math.fround(convert(col.sensor as 'EMG', rawValue(k, slot), col.resolution)));
      }
    }
  });

  it('keeps the stream across a reconnect with the same shape (same uid, inlet stays), re-anchoring time', async () => {
    const hub = new Hub();
    const out = await started(hub, { format: 'raw' });
    const meta = bitalinoMeta({ channels: [1] });
    hub.publishMeta(meta);
    await openStream(out);
    const uid = out.streams()[0].uid;
    const i = inlet(out, '0', 'int16', 1);
    await waitFor(() => i.ready && out.streams()[0].consumers === 1, 'the inlet');
    now = 100;
    hub.publishBatch(batchOf(meta, 0, 10));
    hub.publishMeta({ ...meta, segmentStart: 5000 });
    now = 200;
    hub.publishBatch(batchOf(meta, 5000, 10));
    await waitFor(() => i.samples.length === 20, '20 samples');
    expect(out.streams()[0].uid).toBe(uid);
    expect(i.closed).toBe(false);
    expect(i.samples.map((s) => s.timestamp)).toEqual([...Array.from({ length: 10 }, (_, k) => 100 + (k - 9) / 1000), ...Array.from({ length: 10 }, (_, k) => 200 + (k - 9) / 1000)]);
    expect(i.samples.map((s) => s.values[0])).toEqual([...Array.from({ length: 10 }, (_, k) => rawValue(k, 0)), ...Array.from({ length: 10 }, (_, k) => rawValue(5000 + k, 0))]);
  });

  it('re-anchors after a gap and fills nothing in', async () => {
    const hub = new Hub();
    const out = await started(hub, { format: 'raw' });
    const meta = bitalinoMeta({ channels: [2] });
    hub.publishMeta(meta);
    await openStream(out);
    const i = inlet(out, '0', 'int16', 1);
    await waitFor(() => i.ready && out.streams()[0].consumers === 1, 'the inlet');
    now = 50;
    hub.publishBatch(batchOf(meta, 0, 4));
    hub.publishGap({ device: '0', from: 4, to: 10, reason: 'crc_error' });
    now = 60;
    hub.publishBatch(batchOf(meta, 10, 4));
    await waitFor(() => i.samples.length === 8, '8 samples');
    expect(i.samples.map((s) => s.timestamp)).toEqual([50 - 0.003, 50 - 0.002, 50 - 0.001, 50, 60 - 0.003, 60 - 0.002, 60 - 0.001, 60]);
  });

  it('replaces the stream when its shape changes (new uid; the old connection is closed)', async () => {
    const hub = new Hub();
    const out = await started(hub);
    hub.publishMeta(bitalinoMeta({ channels: [1, 2] }));
    await openStream(out);
    const old = out.streams()[0];
    const i = inlet(out, '0', 'float32', 2);
    await waitFor(() => i.ready, 'the inlet');
    hub.publishMeta(bitalinoMeta({ channels: [1, 2, 3] }));
    await waitFor(() => out.streams()[0].uid !== undefined && out.streams()[0].uid !== old.uid, 'the new stream');
    await waitFor(() => i.closed, 'the old connection to close');
    expect((await tcpExchange(out.streams()[0].dataPort!, 'LSL:fullinfo\r\n')).toString()).toContain('<channel_count>3</channel_count>');
  });

  it('closes a removed device’s stream', async () => {
    const hub = new Hub();
    const out = await started(hub);
    hub.publishMeta(bitalinoMeta());
    await openStream(out);
    const port = out.streams()[0].dataPort!;
    hub.publishRemoved('0');
    expect(out.streams()).toEqual([]);
    await waitFor(() => out.status().counters.streams === 0, 'no stream');
    await expect(async () => {
      for (;;) {
        await tcpExchange(port, 'LSL:fullinfo\r\n');
        await new Promise((r) => setTimeout(r, 20));
      }
    }).rejects.toThrow(/ECONNREFUSED/);
  });

  it('adds the digital lines as channels when asked', async () => {
    const hub = new Hub();
    const out = await started(hub, { digital: true, format: 'raw' });
    const meta = bitalinoMeta({ channels: [1] });
    hub.publishMeta(meta);
    await openStream(out);
    const i = inlet(out, '0', 'int16', 5);
    await waitFor(() => i.ready && out.streams()[0].consumers === 1, 'the inlet');
    hub.publishBatch(batchOf(meta, 9, 1)); // digital nibble 9 = 1001: I1 and O2
    await waitFor(() => i.samples.length === 1, 'a sample');
    expect(i.samples[0].values).toEqual([rawValue(9, 0), 1, 0, 0, 1]);
  });

  it('reports inlets and counts samples, including those sent while nobody listened', async () => {
    const hub = new Hub();
    const out = await started(hub);
    const seen: OutputStatus[] = [];
    out.onStatus((s) => seen.push(s));
    const meta = bitalinoMeta();
    hub.publishMeta(meta);
    await openStream(out);
    hub.publishBatch(batchOf(meta, 0, 40));
    const i = inlet(out);
    await waitFor(() => i.ready && out.status().counters.consumers === 1, 'the inlet');
    hub.publishBatch(batchOf(meta, 40, 40));
    await waitFor(() => i.samples.length === 40, '40 samples');
    expect(out.status().counters).toMatchObject({ streams: 1, consumers: 1, samples: 80, feeds: 1, droppedSamples: 0 });
    expect(out.status().detail).toBe('1 stream · 1 inlet · this computer only');
    expect(seen.some((s) => s.counters.streams === 1)).toBe(true);
  });

  it('stays off when disabled, and close() twice is harmless', async () => {
    const hub = new Hub();
    hub.publishMeta(bitalinoMeta());
    const out = new LslOutput(hub, { basePort: 0, multicastPort: 0 });
    await out.start();
    await out.start();
    expect(out.status().state).toBe('off');
    expect(out.streams()).toEqual([]);
    expect(hub.subscriberCount).toBe(0);
    await out.close();
    await out.close();
    expect(out.status().state).toBe('stopped');
  });

  it('closes every stream and unsubscribes on close()', async () => {
    const hub = new Hub();
    const out = await started(hub);
    hub.publishMeta(bitalinoMeta());
    await openStream(out);
    const port = out.streams()[0].dataPort!;
    await out.close();
    expect(hub.subscriberCount).toBe(0);
    await expect(tcpExchange(port, 'LSL:fullinfo\r\n')).rejects.toThrow(/ECONNREFUSED/);
  });
});
