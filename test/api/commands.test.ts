/**
 * Every /v2 command round-trips against the emulator (the simulator's BitalinoEmulator, kept by
 * the opener so the device side can be checked too), through a real service and real sockets.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigStore } from '../../src/main/config/config-store.js';
import { openedOver } from '../../src/main/devices/open-device.js';
import type { ReplyMessage, StateResult, TestDeviceResult } from '../../src/shared/v2.js';
import { TOKEN, V2Client, checkContiguous, cleanupAfterEach, emulatorOpener, expectContiguous, sleep, startServerBit } from './helpers.js';

const cleanups = cleanupAfterEach();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function ok(r: ReplyMessage): unknown {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.result;
}

async function rig(config = {}) {
  const { openDevice, emulators } = emulatorOpener();
  const s = await startServerBit(cleanups, config, { openDevice });
  const c = await V2Client.open(`${s.v2}?token=${TOKEN}&batch=10`);
  await c.until(() => c.data.length >= 3, 5000, 'data');
  return { ...s, c, emulators, emu: () => emulators.at(-1)! };
}

describe('/v2 commands against the emulator', () => {
  it('outputs: the new O1/O2 show in the digital bits of the next frames', async () => {
    const { c, emu } = await rig();
    expect(c.data.at(-1)!.raw!.O1.every((v) => v === 0)).toBe(true);
    for (const [o1, o2] of [[1, 0], [0, 1], [1, 1], [0, 0]] as const) {
      const from = c.messages.length;
      expect(ok(await c.command('outputs', { outputs: [o1, o2] }))).toEqual({ device: '0', state: 'streaming', outputs: [o1, o2] });
      await c.until(() => emu().outputs.join() === `${o1},${o2}`, 2000, 'the outputs byte to reach the device');
      // Frames already in flight keep the old state (docs/bitalino-protocol.md §4.5); from some sample on, all show the new one.
      const hit = await c.next((m) => m.type === 'data' && m.raw!.O1.at(-1) === o1 && m.raw!.O2.at(-1) === o2, 2000, from, `O1=${o1} O2=${o2}`);
      await c.until(() => c.data.filter((d) => d.index > (hit as { index: number }).index).length >= 5);
      for (const d of c.data.filter((x) => x.index > (hit as { index: number }).index)) {
        expect(d.raw!.O1.every((v) => v === o1) && d.raw!.O2.every((v) => v === o2)).toBe(true);
      }
    }
  });

  it('pwm and battery_threshold show in state; state while streaming pauses and reports the pause as a gap', async () => {
    const { c, emu } = await rig();
    expect(ok(await c.command('pwm', { duty: 100 }))).toEqual({ device: '0', state: 'streaming', duty: 100 });
    await c.until(() => emu().pwm === 100, 2000, 'the PWM byte to reach the device'); // the in-memory link is asynchronous
    expect(ok(await c.command('battery_threshold', { value: 30 }))).toEqual({ device: '0', state: 'streaming', value: 30 });
    await c.until(() => emu().batteryThreshold === 30, 2000, 'the threshold byte to reach the device');
    const st = ok(await c.command('state')) as StateResult;
    expect(st).toMatchObject({ pwm: 100, batteryThreshold: 30, batteryVolts: 3.7, battery: 574 });
    expect(st.analog).toHaveLength(6);
    expect(st.digital).toHaveLength(4);
    // The firmware answers state / takes the threshold only while idle: each pause is a "paused" gap.
    await c.until(() => c.gaps.filter((g) => g.reason === 'paused').length >= 2);
    const n = c.data.length;
    await c.until(() => c.data.length > n + 5);
    const seen = checkContiguous(c.messages);
    expect(seen.lost).toBeGreaterThan(0);
    expect(c.of('status').at(-1)).toMatchObject({ state: 'streaming', battery: 3.7 });
  });

  it('stop and start: status follows, a new meta (new t0) comes before the new acquisition\'s data', async () => {
    const { c } = await rig();
    expect(ok(await c.command('stop'))).toEqual({ device: '0', state: 'stopped' });
    await c.next((m) => m.type === 'status' && m.state === 'stopped');
    const from = c.messages.length;
    const t0Before = c.metas.at(-1)!.t0;
    expect(ok(await c.command('start'))).toEqual({ device: '0', state: 'streaming' });
    const firstData = await c.next((m) => m.type === 'data', 3000, from);
    const after = c.messages.slice(from);
    const metaAt = after.findIndex((m) => m.type === 'meta' && m.t0 !== t0Before);
    expect(metaAt).toBeGreaterThanOrEqual(0);
    expect(metaAt).toBeLessThan(after.indexOf(firstData));
    expect(firstData).toMatchObject({ index: 0 });
    await c.until(() => c.data.length > 20);
    expectContiguous(c.messages.slice(from));
  });

  it('get_config and set_config: validated, saved atomically to the file, applied without a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serverbit-v2-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ device: 'simulator', channels: [1, 2, 3, 4, 5, 6], sampling_rate: 1000, port: 9001, labels: ['nSeq', 'I1', 'I2', 'O1', 'O2', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6'], keep_me: 42 }));
    const store = ConfigStore.open({ path: file });
    const { openDevice } = emulatorOpener();
    // A real port number: set_config validates the whole merged config, and port 0 is not a valid setting.
    const { v2 } = await startServerBit(cleanups, { port: await freePort() }, { openDevice, configStore: store });
    const c = await V2Client.open(`${v2}?token=${TOKEN}`);
    await c.until(() => c.data.length >= 1);

    const got = ok(await c.command('get_config')) as { config: { token: string; channels: number[] }; path: string };
    expect(got.config).toMatchObject({ token: TOKEN, channels: [1, 2, 3, 4, 5, 6] });
    expect(got.path).toBe(file);

    const from = c.messages.length;
    const set = ok(await c.command('set_config', { config: { channels: [4, 2], labels: ['nSeq', 'I1', 'I2', 'O1', 'O2', 'EMG', 'ECG', 'EDA', 'EEG', 'ACC', 'LUX'] } })) as Record<string, unknown>;
    expect(set).toMatchObject({ saved: true, path: file, restartRequired: [] }); // labels apply live
    const onDisk = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(onDisk).toMatchObject({ channels: [2, 4], keep_me: 42, token: TOKEN });
    expect((onDisk.labels as string[])[6]).toBe('ECG');

    // The stream changes: a meta for channels [2, 4] with the new labels, then data with those columns.
    const meta = await c.next((m) => m.type === 'meta' && m.channels.join() === '2,4', 5000, from);
    expect(meta).toMatchObject({ label: ['ECG', 'EEG'], sensor: ['ECG', 'EEG'], resolution: [4, 1, 1, 1, 1, 10, 10] });
    const d = await c.next((m) => m.type === 'data', 5000, c.messages.indexOf(meta));
    expect(Object.keys((d as { raw: object }).raw)).toEqual(['nSeq', 'I1', 'I2', 'O1', 'O2', 'ECG', 'EEG']);

    // Listener settings are saved but need a restart, and the reply says so.
    const port = ok(await c.command('set_config', { config: { port: 9123 } })) as { restartRequired: string[]; note: string };
    expect(port.restartRequired).toEqual(['port']);
    expect(port.note).toMatch(/restart/);

    // Invalid values: nothing is written, nothing changes.
    const before = fs.readFileSync(file, 'utf8');
    const bad = await c.command('set_config', { config: { sampling_rate: 500 } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENTS' } });
    expect((bad as { error: { message: string } }).error.message).toMatch(/sampling_rate is 500; allowed: 1, 10, 100 or 1000/);
    const badKey = await c.command('set_config', { config: { nope: 1 } });
    expect(badKey).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENTS' } });
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  it('list_ports includes the simulator; test_device answers for the simulator and explains a missing port', async () => {
    const { c } = await rig();
    const { ports } = ok(await c.command('list_ports')) as { ports: { path: string; isBitalino: boolean; label: string }[] };
    expect(ports[0]).toMatchObject({ path: 'simulator', isBitalino: true });

    const sim = ok(await c.command('test_device', { device: 'simulator' })) as TestDeviceResult;
    expect(sim).toEqual({ ok: true, firmware: 'BITalino_v5.2', board: 'revolution' });

    const missing = ok(await c.command('test_device', { device: '/dev/serverbit-no-such-port' })) as TestDeviceResult;
    expect(missing.ok).toBe(false);
    expect(missing.error).toMatchObject({ code: 'DEVICE_OPEN_FAILED' });
    expect(missing.error!.message).toMatch(/serverbit-no-such-port/);
    expect(missing.steps!.join(' ')).toMatch(/exists/);
    expect(missing.steps!.join(' ')).toMatch(/another program|other program/i);

    const bad = ok(await c.command('test_device', { device: 'not a device' })) as TestDeviceResult;
    expect(bad).toMatchObject({ ok: false, error: { code: 'DEVICE_BAD_ARGUMENT' } });

    // The running acquisition was not disturbed by testing another simulator.
    const n = c.data.length;
    await c.until(() => c.data.length > n + 5);
    expectContiguous(c.messages);
  });

  it('outputs with the wrong count for the board, and device commands without a device, fail with stable codes', async () => {
    const { c } = await rig();
    expect(await c.command('outputs', { outputs: [1, 0, 1, 0] })).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENTS' } });
    await c.command('stop');
    expect(await c.command('pwm', { duty: 5 })).toMatchObject({ ok: false, error: { code: 'DEVICE_BAD_STATE' } });
    await sleep(10);
  });

  it('the legacy board takes four outputs and has no state command', async () => {
    const { createSimulator } = await import('../../src/main/devices/simulator.js');
    const { v2 } = await startServerBit(cleanups, {}, {
      openDevice: async (_address, options) => {
        const sim = createSimulator({ firmware: 'BITalino_v4.0' });
        return openedOver(sim.transport, options, { simulated: true, dispose: () => sim.close() });
      },
    });
    const c = await V2Client.open(`${v2}?token=${TOKEN}`);
    await c.until(() => c.data.length >= 2);
    expect(c.metas[0]).toMatchObject({ board: 'legacy', column: ['nSeq', 'I1', 'I2', 'I3', 'I4', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6'], sensor: ['EMG', 'EDA', 'ECG', 'ACC', 'LUX', 'BAT'] });
    expect(ok(await c.command('outputs', { outputs: [1, 0, 1, 0] }))).toEqual({ device: '0', state: 'streaming', outputs: [1, 0, 1, 0] });
    expect(await c.command('outputs', { outputs: [1, 0] })).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENTS' } });
    expect(await c.command('state')).toMatchObject({ ok: false, error: { code: 'DEVICE_UNSUPPORTED' } });
  });
});
