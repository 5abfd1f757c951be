/**
 * Device faults, part 4: the stale frame after stop (docs/bitalino-protocol.md §7.2).
 *
 * A (r)evolution in CTS mode at 1000 Hz holds each odd frame back until the next even one; a
 * frame held when acquisition stops goes out in front of the next transmission: the next
 * version or state reply, or the first frame of the next acquisition. The official Python API
 * then raises "lost communication". Here every way the service stops and restarts the device
 * (stop/start, a config change that restarts it, a state read that pauses it) must go through
 * without a CRC error, an error state or a wrong sample.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServerBit } from '../../src/main/app.js';
import { Cleanup, EmulatedBitalino, freePort, recordHub, sampleMismatch, samplesOf, testConfig, waitFor, type HubRecord, firstDevice } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/**
 * Every sample is what the device sent at its tick. A session (start) begins at index 0 = tick 0;
 * after a pause the device counts from 0 again at the first index after the gap.
 */
function checkSegments(hub: HubRecord): void {
  let base = 0;
  let next = hub.batches[0]?.index ?? 0;
  for (const { index, batch, i } of samplesOf(hub.batches)) {
    if (index < next) base = index; // a new session: index 0, tick 0
    else if (index > next) {
      // Announced gaps, end to end, up to this index.
      let restarted = false;
      while (next < index) {
        const g = hub.gaps.find((x) => x.from === next);
        expect(g, `jump ${next} → ${index} without a gap`).toBeDefined();
        restarted ||= g!.reason === 'paused';
        next = g!.to;
      }
      expect(next).toBe(index);
      if (restarted) base = index; // the device restarted its count after the pause
    }
    const bad = sampleMismatch(batch, i, index - base);
    if (bad) throw new Error(`sample ${index} (after ${next - 1}): ${bad}`);
    next = index + 1;
  }
}

describe('the stale frame after stop (CTS mode, 1000 Hz)', () => {
  it('stop/start, a restarting config change and a state read while streaming: no CRC error, no error state, every sample right', async () => {
    const dev = await EmulatedBitalino.create(cleanup, { ctsMode: true });
    const config = testConfig({ device: dev.path, sampling_rate: 1000, channels: [1, 2, 3, 4, 5, 6], port: await freePort() }); // a real port: a saved change validates the whole config
    const app = createServerBit({ config });
    cleanup.add(() => app.close());
    await app.start();
    let hub = recordHub(app.acquisition.hub);
    cleanup.add(() => hub.stop());
    const states = new Set<string>();
    firstDevice(app).onStatus((s) => states.add(s.state));

    // 1. stop/start until the device was caught holding a frame at least three times.
    let held = 0;
    for (let cycle = 0; cycle < 30 && held < 3; cycle++) {
      const n = hub.samples;
      await waitFor(() => hub.samples >= n + 30 + cycle, 10_000, 'samples');
      await firstDevice(app).stop();
      if (dev.emu.holding) held++;
      await firstDevice(app).start();
      expect(firstDevice(app).status.state).toBe('streaming');
      expect(firstDevice(app).status.counters.crcErrors).toBe(0);
    }
    expect(held).toBeGreaterThanOrEqual(3);
    await waitFor(() => hub.samples > 0 && firstDevice(app).status.counters.frames >= 100, 10_000, 'samples after the last start');
    expect(hub.gaps).toEqual([]);
    checkSegments(hub);

    // 2. A config change that restarts acquisition with fewer channels: the held 8-byte frame
    //    must not be read as 3-byte frames (§4.5).
    let heldBefore = false;
    for (let tries = 0; tries < 20 && !heldBefore; tries++) {
      hub.stop();
      hub = recordHub(app.acquisition.hub);
      await waitFor(() => hub.samples >= 20, 10_000, 'samples');
      const channels = tries % 2 === 0 ? [2] : [1, 2, 3, 4, 5, 6];
      // A new channel set stops the device (it may now hold a frame) and starts it with the new channels.
      const stopped = new Promise<void>((r) => {
        const off = firstDevice(app).onStatus((s) => {
          if (s.state === 'stopped') {
            heldBefore ||= dev.emu.holding;
            off();
            r();
          }
        });
      });
      await app.configure({ channels });
      await stopped;
      expect(firstDevice(app).status.state).toBe('streaming');
      await waitFor(() => hub.samples >= 60, 10_000, 'samples after the restart');
      expect(firstDevice(app).status.counters.crcErrors).toBe(0);
      expect(hub.gaps).toEqual([]);
      checkSegments(hub);
    }
    expect(heldBefore).toBe(true);

    // 3. A state read while streaming pauses acquisition (the device answers only while idle):
    //    the stop holds a frame half the time; the pause is reported as a gap "paused", nothing else.
    hub.stop();
    hub = recordHub(app.acquisition.hub);
    for (let i = 0; i < 6; i++) {
      await waitFor(() => hub.samples >= 20 * (i + 1), 10_000, 'samples');
      const st = await app.acquisition.command(app.acquisition.ids()[0], (r) => r.readState());
      expect(st.batteryVolts).toBeGreaterThan(3);
    }
    await waitFor(() => hub.next > (hub.gaps[hub.gaps.length - 1]?.to ?? 0) + 20, 10_000, 'samples after the last pause');
    expect(hub.gaps.length).toBe(6);
    expect(hub.gaps.every((g) => g.reason === 'paused')).toBe(true);
    expect(firstDevice(app).status.counters.crcErrors).toBe(0);
    checkSegments(hub);

    expect([...states].sort()).toEqual(['connecting', 'stopped', 'streaming'].sort());
  }, 90_000);
});
