/**
 * Device faults, part 1: the link drops mid-stream, and the device is missing or unplugged.
 *
 * The whole app (createServerBit with its real device opener) streams from the emulator over a
 * real pty (socat). Killing socat hangs the pty up, exactly what the serial port sees when a
 * BITalino goes out of Bluetooth range; a new socat at the same path is the device coming back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServerBit, type ServerBit } from '../../src/main/app.js';
import { createDeviceOpener } from '../../src/main/devices/open-device.js';
import { DEFAULT_BACKOFF, DeviceRunner, runnerSettingsOf } from '../../src/main/acquisition/device-runner.js';
import { Hub } from '../../src/main/acquisition/hub.js';
import type { DeviceOpener } from '../../src/main/devices/open-device.js';
import type { GapEvent, DeviceStatus } from '../../src/shared/acquisition.js';
import {
  Cleanup, EmulatedBitalino, TcpBitalino, compatColumns, compatSamples, openClient, recordHub, sampleMismatch, samplesOf, sleep, testConfig, v2Of, waitFor,
  type V2Data, firstDevice } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function startApp(device: string, over: Parameters<typeof testConfig>[0] = {}): Promise<ServerBit> {
  const app = createServerBit({ config: testConfig({ device, ...over }) });
  cleanup.add(() => app.close());
  await app.start();
  return app;
}

describe('link lost mid-stream', () => {
  it('reports it, retries with backoff, reconnects with the same settings and reports the lost range as a gap; clients stay connected', async () => {
    const dev = await EmulatedBitalino.create(cleanup);
    const app = await startApp(dev.path, { channels: [1, 2, 5], sampling_rate: 1000 });
    const hub = recordHub(app.acquisition.hub);
    cleanup.add(() => hub.stop());
    const statuses: DeviceStatus[] = [];
    firstDevice(app).onStatus((s) => statuses.push(s));
    expect(firstDevice(app).status.state).toBe('streaming');
    const compat = await openClient(app.url, cleanup);
    const v2 = await openClient(`${app.url}v2?format=raw`, cleanup);

    await waitFor(() => hub.samples >= 1000 && compatSamples(compat) >= 500, 10_000, 'samples before the drop');
    const attemptsBefore = dev.plugs;
    const droppedAt = Date.now();
    await dev.unplug();
    await waitFor(() => firstDevice(app).status.state === 'reconnecting', 10_000, 'state reconnecting');
    const detectedAt = Date.now();
    const lastBefore = hub.next - 1;
    const reported = statuses.find((s) => s.state === 'reconnecting')?.error;
    expect(reported?.code).toBe('DEVICE_DISCONNECTED');
    expect(reported?.message).toContain(dev.path);
    expect(reported?.hint).toBeTruthy();

    // Stay unplugged long enough for two failed attempts (at +0.5 s and +1.5 s): the port is missing now.
    await waitFor(() => statuses.some((s) => s.error?.code === 'DEVICE_OPEN_FAILED'), 10_000, 'a failed reopen');
    const missing = statuses.find((s) => s.error?.code === 'DEVICE_OPEN_FAILED')!;
    expect(missing.state).toBe('reconnecting');
    expect(missing.error!.message).toContain(dev.path);
    expect(missing.error!.hint).toMatch(/exists/);
    await sleep(1200);
    expect(firstDevice(app).status.state).toBe('reconnecting');

    const pluggedAt = Date.now();
    await dev.plug();
    await waitFor(() => firstDevice(app).status.state === 'streaming', 20_000, 'streaming again');
    const streamingAt = Date.now();
    const compatAtReconnect = compatSamples(compat);
    await waitFor(() => hub.next > lastBefore + 1 && hub.samples >= 2000, 10_000, 'samples after the reconnect');

    // States: streaming → reconnecting → streaming (no error state, no crash).
    const seq = hub.states.join(' → ');
    expect(seq).toMatch(/streaming → reconnecting( → \w+)* → streaming/);
    expect(hub.states).not.toContain('error');

    // Same settings: the emulator runs at the configured rate with the configured channels.
    expect(dev.emu.rate).toBe(1000);
    expect(dev.emu.mask).toBe(0b10011);
    expect(dev.plugs).toBe(attemptsBefore + 1);

    // One link_lost gap: from = last index before + 1, to = first new index.
    const linkGaps = hub.gaps.filter((g) => g.reason === 'link_lost');
    expect(linkGaps).toHaveLength(1);
    const gap = linkGaps[0];
    const firstAfter = hub.batches.find((b) => b.index > lastBefore)!.index;
    expect(gap.from).toBe(lastBefore + 1);
    expect(gap.to).toBe(firstAfter);
    // The gap covers the outage: at 1000 Hz, at least one sample per millisecond unplugged (less 10 % for clock slack).
    expect(gap.to - gap.from).toBeGreaterThanOrEqual(Math.floor((pluggedAt - droppedAt) * 0.9));

    // Indices are contiguous except for announced gaps, and every sample is what the device sent.
    let expectNext = 0;
    let tickBase = 0;
    for (const { index, batch, i } of samplesOf(hub.batches)) {
      if (index !== expectNext) {
        const g = hub.gaps.find((x) => x.from === expectNext);
        expect(g, `unannounced jump ${expectNext} → ${index}`).toBeDefined();
        expect(g!.to).toBe(index);
        if (g!.reason === 'link_lost') tickBase = index; // the device restarted counting at 0
      }
      const bad = sampleMismatch(batch, i, index - tickBase);
      if (bad) throw new Error(`sample ${index}: ${bad}`);
      expectNext = index + 1;
    }

    // Clients: never closed, kept receiving after the reconnect.
    await waitFor(() => compatSamples(compat) >= compatAtReconnect + 500, 10_000, 'compat samples after the reconnect');
    expect(compat.closedWith).toBeUndefined();
    expect(v2.closedWith).toBeUndefined();
    const cols = compatColumns(compat);
    expect(cols.nSeq.length).toBeGreaterThan(1000);
    const v2gaps = v2Of<GapEvent>(v2, 'gap');
    expect(v2gaps).toContainEqual({ type: 'gap', device: gap.device, from: gap.from, to: gap.to, reason: 'link_lost' });
    await waitFor(() => v2Of<V2Data>(v2, 'data').some((d) => d.index >= gap.to), 10_000, '/v2 data after the gap');
    const v2states = v2Of<{ state: string }>(v2, 'status').map((s) => s.state);
    expect(v2states).toContain('reconnecting');
    expect(v2states[v2states.length - 1]).toBe('streaming');

    console.log(
      `[link lost] detected after ${detectedAt - droppedAt} ms; streaming ${streamingAt - pluggedAt} ms after the device came back ` +
        `(${streamingAt - droppedAt} ms outage); gap ${gap.from}..${gap.to} (${gap.to - gap.from} samples)`,
    );
  }, 60_000);
});

describe('link errors on a TCP device (host:port)', () => {
  it('a connection reset (ECONNRESET) mid-stream: reported, reconnected, gap reported; the compat client stays', async () => {
    const dev = await TcpBitalino.create(cleanup);
    const app = await startApp(dev.address, { channels: [1, 2, 3, 4, 5, 6] });
    const hub = recordHub(app.acquisition.hub);
    cleanup.add(() => hub.stop());
    const statuses: DeviceStatus[] = [];
    firstDevice(app).onStatus((s) => statuses.push(s));
    const compat = await openClient(app.url, cleanup);
    await waitFor(() => hub.samples >= 500, 10_000, 'samples');
    const lastBefore = () => hub.next - 1;

    dev.reset();
    await waitFor(() => statuses.some((s) => s.state === 'reconnecting'), 10_000, 'reconnecting');
    const before = lastBefore();
    const lost = statuses.find((s) => s.state === 'reconnecting')!.error!;
    expect(lost.code).toBe('DEVICE_DISCONNECTED');
    expect(lost.message).toContain(dev.address);
    expect(lost.hint).toBeTruthy();
    await waitFor(() => firstDevice(app).status.state === 'streaming' && hub.next > before + 200, 15_000, 'streaming again');
    expect(dev.connections).toBe(2);
    expect(dev.emu.mask).toBe(0b111111);
    const gap = hub.gaps.find((g) => g.reason === 'link_lost')!;
    expect(gap.from).toBe(before + 1);
    expect(gap.to).toBe(hub.batches.find((b) => b.index > before)!.index);
    expect(compat.closedWith).toBeUndefined();
  }, 40_000);
});

describe('device missing or unplugged while idle', () => {
  /** The real device opener, counting attempts (time of each call). */
  function countingOpener() {
    const real = createDeviceOpener();
    const calls: number[] = [];
    const open: DeviceOpener = (device, options) => {
      calls.push(Date.now());
      return real(device, options);
    };
    return { open, calls };
  }

  it('missing at start: start-up is not held up, the state says why with a hint, it retries with growing delays, and streams once the device appears', async () => {
    const dev = await EmulatedBitalino.create(cleanup, {}, false);
    const opener = countingOpener();
    const app = createServerBit({ config: testConfig({ device: dev.path }), openDevice: opener.open });
    cleanup.add(() => app.close());
    const t0 = Date.now();
    await app.start();
    expect(Date.now() - t0).toBeLessThan(5000); // the first attempt fails at once: nothing to wait for
    const st = firstDevice(app).status;
    expect(st.state).toBe('reconnecting');
    expect(st.error).toMatchObject({ code: 'DEVICE_OPEN_FAILED' });
    expect(st.error!.message).toContain(dev.path);
    expect(st.error!.hint).toContain(`Check that ${dev.path} exists`);
    // A client can connect, and is told the state.
    const v2 = await openClient(`${app.url}v2`, cleanup);
    await waitFor(() => v2Of(v2, 'status').length > 0, 5000, 'a /v2 status');
    expect(v2Of<DeviceStatus>(v2, 'status')[0]).toMatchObject({ state: 'reconnecting', error: { code: 'DEVICE_OPEN_FAILED' } });

    // Backoff: 0.5 s, then 1 s, then 2 s… (DEFAULT_BACKOFF; at most 10 s). Lower bounds only: a loaded machine is late, never early.
    await waitFor(() => opener.calls.length >= 4, 15_000, 'four attempts');
    const gaps = opener.calls.slice(1).map((t, i) => t - opener.calls[i]);
    expect(gaps[0]).toBeGreaterThanOrEqual(DEFAULT_BACKOFF.initialMs - 20);
    expect(gaps[1]).toBeGreaterThanOrEqual(2 * DEFAULT_BACKOFF.initialMs - 20);
    expect(gaps[2]).toBeGreaterThanOrEqual(4 * DEFAULT_BACKOFF.initialMs - 20);
    expect(gaps[2]).toBeLessThan(4 * DEFAULT_BACKOFF.initialMs + 5000); // and it does come (generous: a loaded machine)

    await dev.plug();
    await waitFor(() => firstDevice(app).status.state === 'streaming', 20_000, 'streaming once plugged');
    expect(firstDevice(app).status.error).toBeUndefined();
    await waitFor(() => v2Of<DeviceStatus>(v2, 'status').some((s) => s.state === 'streaming'), 5000, '/v2 status streaming');
    expect(v2.closedWith).toBeUndefined();
  }, 40_000);

  it('the backoff doubles up to its ceiling and never gives up on a missing device', async () => {
    const dev = await EmulatedBitalino.create(cleanup, {}, false);
    const opener = countingOpener();
    const service = new DeviceRunner({ settings: runnerSettingsOf(testConfig({ device: dev.path }))[0], hub: new Hub(), openDevice: opener.open, backoff: { initialMs: 40, maxMs: 160 } });
    cleanup.add(() => service.stop());
    await service.start();
    await waitFor(() => opener.calls.length >= 8, 15_000, 'eight attempts');
    const gaps = opener.calls.slice(1).map((t, i) => t - opener.calls[i]);
    // 40, 80, 160, 160, …: each at least its planned delay; the ceiling holds (generous upper bound).
    [40, 80, 160, 160, 160, 160, 160].forEach((ms, i) => expect(gaps[i], `delay ${i}`).toBeGreaterThanOrEqual(ms - 5));
    expect(Math.min(...gaps.slice(3))).toBeLessThan(160 + 1000);
    expect(service.status.state).toBe('reconnecting');
    // stop() wakes the backoff sleep at once.
    const t = Date.now();
    await service.stop();
    expect(Date.now() - t).toBeLessThan(1000);
    expect(service.status.state).toBe('stopped');
    const n = opener.calls.length;
    await sleep(400);
    expect(opener.calls.length).toBe(n);
  }, 30_000);

  it('unplugged while stopped: start() reports the missing port with a hint and retries; no crash; plugged back, it streams', async () => {
    const dev = await EmulatedBitalino.create(cleanup);
    const app = await startApp(dev.path);
    const compat = await openClient(app.url, cleanup);
    expect(firstDevice(app).status.state).toBe('streaming');
    await firstDevice(app).stop();
    expect(firstDevice(app).status.state).toBe('stopped');
    await waitFor(() => dev.emu.state === 'idle', 5000, 'the device to get the stop command'); // stop told the device to stop

    await dev.unplug('SIGTERM'); // socat removes its links: the port is gone
    await sleep(200);
    expect(firstDevice(app).status.state).toBe('stopped'); // nothing to notice while stopped
    await firstDevice(app).start();
    const st = firstDevice(app).status;
    expect(st.state).toBe('reconnecting');
    expect(st.error?.code).toBe('DEVICE_OPEN_FAILED');
    expect(st.error?.hint).toContain(dev.path);

    await dev.plug();
    await waitFor(() => firstDevice(app).status.state === 'streaming', 20_000, 'streaming once plugged back');
    const n = compatSamples(compat);
    await waitFor(() => compatSamples(compat) > n + 200, 10_000, 'compat data after plugging back');
    expect(compat.closedWith).toBeUndefined();
  }, 40_000);

  it('unplugged while the service talks to the idle device (version request at connect): retried, no crash', async () => {
    // A device that is there but silent at connect: the link drops while the service waits for its version.
    const dev = await EmulatedBitalino.create(cleanup);
    dev.emu.silence(true);
    const opener = countingOpener();
    const app = createServerBit({ config: testConfig({ device: dev.path }), openDevice: opener.open });
    cleanup.add(() => app.close());
    const starting = app.start();
    await waitFor(() => opener.calls.length === 1, 5000, 'the first attempt');
    await sleep(300);
    await dev.unplug();
    await starting;
    await waitFor(() => firstDevice(app).status.state === 'reconnecting', 10_000, 'reconnecting');
    dev.emu.silence(false);
    await dev.plug();
    await waitFor(() => firstDevice(app).status.state === 'streaming', 20_000, 'streaming');
    expect(opener.calls.length).toBeGreaterThanOrEqual(2);
  }, 40_000);
});
