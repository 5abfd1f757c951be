/**
 * Device faults, part 2: a device that goes silent, and one that never answers.
 *
 * The original ServerBIT read the port with no timeout: a silent BITalino froze every client and
 * every new handshake (docs/original-serverbit.md §3). Here the stall watchdog (config `stall_timeout_s`) marks the
 * device stalled and reconnects, the version request at connect times out, and the server keeps
 * accepting and serving clients throughout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServerBit } from '../../src/main/app.js';
import type { DeviceStatus } from '../../src/shared/acquisition.js';
import { defaultConfig } from '../../src/shared/config.js';
import { Cleanup, EmulatedBitalino, compatSamples, openClient, recordHub, sleep, testConfig, v2Of, waitFor, firstDevice } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('silent device', () => {
  it('the default stall timeout is a few seconds', () => {
    expect(defaultConfig().stall_timeout_s).toBeGreaterThanOrEqual(2);
    expect(defaultConfig().stall_timeout_s).toBeLessThanOrEqual(10);
  });

  it('no bytes for stall_timeout_s: the watchdog marks it stalled, reconnects, and the gap is reported; clients are served throughout', async () => {
    const dev = await EmulatedBitalino.create(cleanup);
    const app = createServerBit({ config: testConfig({ device: dev.path, stall_timeout_s: 1 }) });
    cleanup.add(() => app.close());
    await app.start();
    const hub = recordHub(app.acquisition.hub);
    cleanup.add(() => hub.stop());
    const statuses: DeviceStatus[] = [];
    firstDevice(app).onStatus((s) => statuses.push(s));
    const compat = await openClient(app.url, cleanup);
    await waitFor(() => compatSamples(compat) >= 200, 10_000, 'data');

    const silentAt = Date.now();
    dev.emu.silence(true); // the link stays up; nothing comes through it (out of range, asleep, flat battery)
    const lastBefore = () => hub.next - 1;
    await waitFor(() => statuses.some((s) => s.state === 'stalled'), 10_000, 'stalled');
    const stalledAt = Date.now();
    const before = lastBefore();
    const stalled = statuses.find((s) => s.state === 'stalled')!;
    expect(stalledAt - silentAt).toBeGreaterThanOrEqual(900); // not before the timeout
    await waitFor(() => firstDevice(app).status.state === 'reconnecting', 10_000, 'reconnecting');
    const st = firstDevice(app).status;
    expect(st.error?.code).toBe('DEVICE_STALLED');
    expect(st.error?.message).toMatch(/no data from .* for 1 s/);
    expect(st.error?.hint).toMatch(/reconnects by itself/);
    expect(stalled.state).toBe('stalled');

    // While the device is silent: reconnect attempts time out (no version reply), and a new
    // client's handshake is answered at once.
    await waitFor(() => statuses.some((s) => s.error?.code === 'DEVICE_NO_ANSWER'), 15_000, 'a version timeout');
    // (A blocking read, as in the original, would hold the handshake until the device answers: never.)
    const t = Date.now();
    const late = await openClient(`${app.url}v2`, cleanup);
    expect(Date.now() - t).toBeLessThan(5000);
    await waitFor(() => v2Of(late, 'hello').length === 1, 5000, 'hello');

    dev.emu.silence(false);
    await waitFor(() => firstDevice(app).status.state === 'streaming' && hub.next > before + 200, 20_000, 'streaming again');
    expect(hub.states.join(' → ')).toMatch(/streaming → stalled → reconnecting( → \w+)* → streaming/);
    const gap = hub.gaps.find((g) => g.reason === 'link_lost')!;
    expect(gap.from).toBe(before + 1);
    expect(gap.to).toBe(hub.batches.find((b) => b.index > before)!.index);
    const n = compatSamples(compat);
    await waitFor(() => compatSamples(compat) > n + 200, 10_000, 'compat data after the stall');
    expect(compat.closedWith).toBeUndefined();
    console.log(`[stall] stalled ${stalledAt - silentAt} ms after the device went silent (stall_timeout_s = 1)`);
  }, 60_000);

  it('a device that never answers the version request times out with a hint; start-up and clients are never blocked', async () => {
    const dev = await EmulatedBitalino.create(cleanup);
    dev.emu.silence(true); // the port opens, nothing ever answers
    const app = createServerBit({ config: testConfig({ device: dev.path }) });
    cleanup.add(() => app.close());
    const t0 = Date.now();
    const starting = app.start();
    // Clients are served while the connect waits for its version reply.
    await waitFor(() => app.url !== '', 5000, 'listening');
    const c = await openClient(`${app.url}v2`, cleanup);
    const during = Date.now() - t0;
    await waitFor(() => v2Of(c, 'hello').length === 1, 5000, 'hello while connecting');
    await starting;
    const startedIn = Date.now() - t0;
    // Start-up waits for the first attempt at most (the 3 s version timeout), never for the device.
    expect(startedIn).toBeLessThan(3000 + 5000);
    expect(during).toBeLessThan(5000);
    const st = firstDevice(app).status;
    expect(st.state).toBe('reconnecting');
    expect(st.error?.code).toBe('DEVICE_NO_ANSWER');
    expect(st.error?.message).toContain(dev.path);
    expect(st.error?.hint).toMatch(/switched on/);
    // Still trying; still serving.
    const other = await openClient(app.url, cleanup);
    await sleep(200);
    expect(other.closedWith).toBeUndefined();
    dev.emu.silence(false);
    await waitFor(() => firstDevice(app).status.state === 'streaming', 20_000, 'streaming once the device answers');
    await waitFor(() => compatSamples(other) > 100, 10_000, 'data');
  }, 60_000);
});
