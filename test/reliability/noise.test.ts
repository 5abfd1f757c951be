/**
 * Device faults, part 3: a noisy link, end to end.
 *
 * The emulator's frames are corrupted on their way out (about 1 % of bytes get a bit flipped,
 * bursts of garbage bytes are inserted between frames), deterministically from the tick index, so
 * the test knows what the device meant to send at every index. Through the pty, the driver, the
 * service, the hub, and real WebSocket clients on "/" and "/v2":
 * - every sample that reaches the hub or a client is exactly what the device sent at its index;
 * - every index is either delivered or inside an announced gap (nothing lost silently);
 * - the losses are counted (status counters crcErrors and gaps, gap events with crc_error).
 *
 * CRC-4 cannot catch every multi-bit error (docs/bitalino-protocol.md §8: a random window passes 1 time in 16);
 * the decoder's sequence checks make a false accept rare, not impossible. The reference decode
 * below checks that this noise pattern holds none, so any corrupted sample that reaches a client
 * here is a regression, not bad luck.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServerBit } from '../../src/main/app.js';
import { cmdSamplingRate, cmdStart } from '../../src/main/devices/codec.js';
import { BitalinoEmulator } from '../../src/main/devices/emulator.js';
import { FrameDecoder } from '../../src/main/devices/frame-decoder.js';
import type { GapEvent, SampleBatch } from '../../src/shared/acquisition.js';
import {
  Cleanup, EmulatedBitalino, adcAt, compatColumns, digitalAt, mix32, openClient, recordHub, sampleMismatch, samplesOf, slotValueAt, testConfig, v2Of, waitFor,
  type V2Data, firstDevice } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const CHANNELS = [1, 2, 3, 4, 5, 6];
/** Ticks that are corrupted; after them the link is clean (the test waits for clean samples past it). */
const NOISY_TICKS = 6000;

/** The noise on frame `k`: a bit flip in ~1 % of bytes, and garbage between some frames. */
function corruptAt(frame: Uint8Array, k: number): Uint8Array {
  if (k >= NOISY_TICKS) return frame;
  let out = frame;
  // The very first frame is damaged too: its loss must be a gap, not a shift of every later index.
  if (k === 0) (out = frame.slice())[2] ^= 0x10;
  for (let j = 0; j < frame.length; j++) {
    const h = mix32(k * 16 + j + 0x2545f491);
    if (h % 1000 < 10) {
      if (out === frame) out = frame.slice();
      out[j] ^= 1 << ((h >>> 10) & 7);
    }
  }
  const garbage = k % 250 === 125 ? 1 + (mix32(k) % 13) : k === 3001 ? 45 : 0;
  if (garbage > 0) {
    const g = Uint8Array.from({ length: garbage }, (_, i) => mix32(k * 64 + i) & 255);
    const joined = new Uint8Array(out.length + g.length);
    joined.set(out);
    joined.set(g, out.length);
    out = joined;
  }
  return out;
}

/** Emulator options producing the noisy stream (the ADC callback runs just before `corrupt` for the same frame). */
function noisyDevice() {
  let tick = 0;
  return {
    inputs: (ch: number, k: number) => {
      tick = k;
      return adcAt(ch, k);
    },
    corrupt: (frame: Uint8Array) => corruptAt(frame, tick),
  };
}

/** The byte stream the noisy device sends for ticks 0..n-1, decoded offline by a fresh FrameDecoder. */
function referenceDecode(n: number) {
  const emu = new BitalinoEmulator({ firmware: 'BITalino_v5.2', digitalInputs: digitalAt, ...noisyDevice() });
  const bytes: number[] = [];
  emu.onTransmit((b) => bytes.push(...b));
  emu.receive(Uint8Array.of(cmdSamplingRate(1000), cmdStart(CHANNELS)));
  emu.tick(n);
  const dec = new FrameDecoder(CHANNELS.length, { firstSeq: 0 });
  let index = 0;
  let bad = 0;
  let delivered = 0;
  for (const item of dec.push(Uint8Array.from(bytes))) {
    if (item.kind === 'gap') {
      index += item.lost;
      continue;
    }
    for (let i = 0; i < item.count; i++, index++, delivered++) {
      const b = { seq: item.seq, digital: item.digital, analog: item.analog, channels: CHANNELS } as unknown as SampleBatch;
      if (sampleMismatch(b, i, index)) bad++;
    }
  }
  return { bad, delivered, stats: dec.stats, endIndex: index };
}

describe('noise on the link', () => {
  it('the reference noise pattern: ~1 % of bytes flipped plus garbage bursts, and no false accept in it', () => {
    const ref = referenceDecode(NOISY_TICKS);
    expect(ref.bad).toBe(0);
    expect(ref.stats.crcErrors).toBeGreaterThan(300);
    expect(ref.stats.lostFrames).toBeGreaterThan(200);
    expect(ref.delivered + ref.stats.lostFrames).toBe(ref.endIndex); // every index delivered or in a gap
    expect(ref.endIndex).toBeGreaterThan(NOISY_TICKS - 3); // at most the last frames wait in the carry
  });

  it('bit flips and garbage are resynchronised, counted as CRC errors and gaps; no corrupted sample reaches the hub, "/" or "/v2"', async () => {
    const dev = await EmulatedBitalino.create(cleanup, noisyDevice());
    const app = createServerBit({ config: testConfig({ device: dev.path, channels: CHANNELS, sampling_rate: 1000 }) });
    cleanup.add(() => app.close());
    await app.start();
    // Restart with every client in place, so each of them sees the session from index 0.
    await firstDevice(app).stop();
    const compat = await openClient(app.url, cleanup);
    const v2 = await openClient(`${app.url}v2?format=raw`, cleanup);
    await waitFor(() => v2Of(v2, 'hello').length === 1, 5000, 'hello');
    const hub = recordHub(app.acquisition.hub);
    cleanup.add(() => hub.stop());
    await firstDevice(app).start();
    expect(firstDevice(app).status.state).toBe('streaming');
    await waitFor(() => hub.next >= NOISY_TICKS + 500, 30_000, 'the noisy stretch and some clean samples');
    await firstDevice(app).stop(); // flushes what the batchers hold

    // 1. The hub: every sample is the device's, every index is accounted for.
    const gaps = hub.gaps;
    let next = 0;
    let delivered = 0;
    for (const { index, batch, i } of samplesOf(hub.batches)) {
      if (index !== next) {
        const g = gaps.find((x) => x.from === next);
        expect(g, `indices ${next}..${index} vanished without a gap`).toBeDefined();
        expect(g!.to).toBe(index);
        expect(g!.reason).toBe('crc_error');
      }
      const bad = sampleMismatch(batch, i, index);
      if (bad) throw new Error(`corrupted sample reached the hub at index ${index}: ${bad}`);
      next = index + 1;
      delivered++;
    }
    const lost = gaps.reduce((n, g) => n + g.to - g.from, 0);
    expect(delivered + lost).toBe(next);
    expect(delivered).toBeGreaterThan(NOISY_TICKS * 0.8);
    expect(gaps.length).toBeGreaterThan(50);

    // 2. Counted in the status.
    const counters = firstDevice(app).status.counters;
    expect(counters.gaps).toBe(gaps.length);
    expect(counters.lostSamples).toBe(lost);
    // A CRC error that cost no sample (garbage between two frames) still counts: more errors than gaps.
    expect(counters.crcErrors).toBeGreaterThan(gaps.length);
    const ref = referenceDecode(NOISY_TICKS);
    expect(counters.crcErrors).toBeGreaterThanOrEqual(ref.stats.crcErrors);

    // 3. "/v2": same indices, same values, same gaps.
    const v2states = () => v2Of<{ state: string }>(v2, 'status').map((s) => s.state).join(' ');
    await waitFor(() => /streaming( \w+)* stopped$/.test(v2states()), 5000, '/v2 status "stopped" after streaming');
    const v2data = v2Of<V2Data>(v2, 'data');
    // The session starts with a gap (the damaged first frame): a /v2 client hears of gaps only
    // after its first data message (v2-session.ts), so its data starts at the first delivered index.
    const firstIndex = hub.batches[0].index;
    expect(v2data[0].index).toBe(firstIndex);
    let v2next = firstIndex;
    for (const d of v2data) {
      if (d.index !== v2next) expect(gaps.find((g) => g.from === v2next)?.to, `/v2 jump ${v2next} → ${d.index}`).toBe(d.index);
      for (let i = 0; i < d.count; i++) {
        const k = d.index + i;
        const digital = digitalAt(k);
        const want = [k & 15, (digital >> 3) & 1, (digital >> 2) & 1, 0, 0, ...CHANNELS.map((ch, s) => slotValueAt(ch, s, k))];
        const got = ['nSeq', 'I1', 'I2', 'O1', 'O2', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6'].map((c) => d.raw[c][i]);
        expect(got, `/v2 sample ${k}`).toEqual(want);
      }
      v2next = d.index + d.count;
    }
    expect(v2next).toBe(next);
    const v2gaps = v2Of<GapEvent & { type: string }>(v2, 'gap').map(({ type: _t, ...g }) => g);
    expect(v2gaps).toEqual(gaps.filter((g) => g.from >= firstIndex));

    // 4. "/": the same samples in the same order (the compat format has no index: compare the columns).
    await waitFor(() => (compatColumns(compat).nSeq?.length ?? 0) === delivered, 5000, 'every sample on "/"');
    const cols = compatColumns(compat);
    let row = 0;
    for (const { index } of samplesOf(hub.batches)) {
      const digital = digitalAt(index);
      if (cols.nSeq[row] !== (index & 15) || cols.I1[row] !== ((digital >> 3) & 1) || cols.A1[row] !== adcAt(1, index) || cols.A6[row] !== adcAt(6, index) >> 4) {
        throw new Error(`"/" sample ${row} (index ${index}) is not what the device sent`);
      }
      row++;
    }
    expect(compat.closedWith).toBeUndefined();
    console.log(`[noise] ${delivered} delivered, ${lost} lost in ${gaps.length} gaps, ${counters.crcErrors} CRC errors (reference decode: ${ref.stats.crcErrors})`);
  }, 60_000);
});
