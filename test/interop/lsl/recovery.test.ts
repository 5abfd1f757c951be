/**
 * A real liblsl inlet keeps reading across what happens to a device and to ServerBIT (docs/lsl.md
 * §10): a reconnect with the same stream (the connection stays), a reconnect that changes the
 * stream (a new outlet: the inlet finds it again by source_id), and the output restarting.
 * Raw format, with values that spell the sample index, so the test knows what arrived.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Hub } from '../../../src/main/acquisition/hub.js';
import type { LslOutput } from '../../../src/main/outputs/lsl/lsl-output.js';
import { Inlet, destroyInfoHandle, resolveHandles } from './liblsl.js';
import { bitalinoMeta, decodeIndex, indexBatch, pace, startOutput, streamOpen } from './harness.js';

const hub = new Hub();
const outputs: LslOutput[] = [];
afterAll(async () => {
  for (const o of outputs) await o.close();
});

const meta = bitalinoMeta({ device: '0', name: 'ServerBIT recovery', address: 'AA:BB:CC:DD:EE:10', channels: [1, 2, 3], sensor: 'ECG', rate: 1000 });

/** Pulls until a sample with index ≥ `target` arrives; returns the indices seen. */
async function pullUntil(inlet: Inlet, target: number, timeoutS = 60): Promise<{ indices: number[]; stamps: number[] }> {
  const indices: number[] = [];
  const stamps: number[] = [];
  const end = Date.now() + timeoutS * 1000;
  while (Date.now() < end) {
    const c = await inlet.pullInt16(500, 0.5);
    for (let k = 0; k < c.timestamps.length; k++) {
      indices.push(decodeIndex(c.values, k * 3));
      stamps.push(c.timestamps[k]);
    }
    if (indices.length > 0 && indices[indices.length - 1] >= target) return { indices, stamps };
  }
  throw new Error(`no sample ≥ ${target} within ${timeoutS} s (last ${indices.at(-1)})`);
}

async function openInlet(uid: string): Promise<Inlet> {
  const handles = await resolveHandles(`source_id='${meta.address}'`, 1, 15);
  const h = handles.find((x) => x !== null);
  const inlet = new Inlet(h, 360, true);
  for (const x of handles) destroyInfoHandle(x);
  await inlet.open(15);
  expect((await inlet.fullinfo(10)).uid).toBe(uid);
  return inlet;
}

describe('a liblsl inlet recovers', () => {
  it('across a reconnect with the same stream, a changed stream, and an output restart', async () => {
    let out = await startOutput(hub, { format: 'raw' });
    outputs.push(out);
    hub.publishMeta(meta);
    const first = await streamOpen(out);
    const inlet = await openInlet(first.uid);

    // 1. Stream, then the device reconnects: a new segment, same shape → same outlet, same connection.
    let pub = pace(hub, meta, { make: indexBatch, until: 1000 });
    await pub.done;
    let got = await pullUntil(inlet, 999);
    expect(got.indices).toEqual(Array.from({ length: 1000 }, (_, k) => k));
    hub.publishGap({ device: '0', from: 1000, to: 3000, reason: 'link_lost' });
    hub.publishMeta({ ...meta, segmentStart: 3000 });
    pub = pace(hub, meta, { make: indexBatch, from: 3000, until: 4000 });
    await pub.done;
    got = await pullUntil(inlet, 3999);
    expect(out.streams()[0].uid).toBe(first.uid);
    // Nothing filled in: the gap stays a gap, in indices and in time.
    expect(got.indices).toEqual(Array.from({ length: 1000 }, (_, k) => 3000 + k));

    // 2. The device comes back with another rate: a different stream for the same source_id.
    const slower = { ...meta, rate: 500, segmentStart: 6000 };
    hub.publishMeta(slower);
    const second = await streamOpen(out, '0', first.uid);
    pub = pace(hub, slower, { make: indexBatch, from: 6000 });
    got = await pullUntil(inlet, 6500);
    pub.stop();
    expect(got.indices.at(-1)).toBeGreaterThanOrEqual(6500);
    expect(got.indices.every((i) => i >= 6000)).toBe(true);
    expect(second.uid).not.toBe(first.uid);

    // 3. ServerBIT's LSL output restarts (settings changed, say): new outlets, same source_id.
    await out.close();
    out = await startOutput(hub, { format: 'raw' });
    outputs.push(out);
    const third = await streamOpen(out);
    expect(third.uid).not.toBe(second.uid);
    pub = pace(hub, slower, { make: indexBatch, from: 20_000 });
    got = await pullUntil(inlet, 20_500);
    pub.stop();
    expect(got.indices.at(-1)).toBeGreaterThanOrEqual(20_500);
    await inlet.destroy();
  });
});
