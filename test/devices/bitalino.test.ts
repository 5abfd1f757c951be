import { afterEach, describe, expect, it } from 'vitest';
import type { GapEvent, SampleBatch } from '../../src/shared/acquisition.js';
import { DeviceError } from '../../src/shared/errors.js';
import { Bitalino } from '../../src/main/devices/bitalino.js';
import { BitalinoEmulator } from '../../src/main/devices/emulator.js';
import { createMemoryPair } from '../../src/main/devices/memory-transport.js';
import { SerialTransport } from '../../src/main/devices/serial-transport.js';
import { ptyPair, type PtyPair } from '../helpers/pty.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function rig(firmware = 'BITalino_v5.2', opts: Partial<ConstructorParameters<typeof BitalinoEmulator>[0]> = {}) {
  const [host, dev] = createMemoryPair({ pathA: 'memory:host', pathB: 'memory:dev' });
  const emu = new BitalinoEmulator({ firmware, inputs: (ch, i) => (ch * 100 + i) % 1024, ...opts });
  void dev.open();
  emu.attach(dev);
  const driver = new Bitalino(host, { versionTimeoutMs: 1500, byteGapMs: 1 });
  const samples: SampleBatch[] = [];
  const gaps: GapEvent[] = [];
  driver.setListener({ samples: (b) => samples.push({ ...b, seq: b.seq.slice(0, b.count), digital: b.digital.slice(0, b.count), analog: b.analog.map((a) => a.slice(0, b.count)) }), gap: (g) => gaps.push(g) });
  cleanups.push(async () => {
    emu.halt();
    await driver.close();
    await dev.close();
  });
  return { driver, emu, samples, gaps };
}

const until = async (cond: () => boolean, ms = 3000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

const flat = (samples: SampleBatch[]) => {
  const rows: { index: number; seq: number; digital: number; analog: number[] }[] = [];
  for (const b of samples) for (let i = 0; i < b.count; i++) rows.push({ index: b.index + i, seq: b.seq[i], digital: b.digital[i], analog: b.analog.map((a) => a[i]) });
  return rows;
};

describe('Bitalino driver against the emulator (in-memory)', () => {
  it('connects, detects the board and streams with sample indices and device time', async () => {
    const { driver, emu, samples } = rig();
    const info = await driver.connect();
    expect(info).toMatchObject({ firmware: 'BITalino_v5.2', board: 'revolution', stateLength: 17 });
    expect(await driver.connect()).toBe(info); // idempotent
    await driver.start(1000, [3, 1]);
    await until(() => emu.state === 'live'); // bytes cross the in-memory link asynchronously
    expect(emu.rate).toBe(1000);
    emu.tick(20);
    await until(() => flat(samples).length === 20);
    emu.tick(20);
    await until(() => flat(samples).length === 40);
    const rows = flat(samples);
    rows.forEach((r, i) => {
      expect(r.index).toBe(i);
      expect(r.seq).toBe(i & 15);
      expect(r.analog).toEqual([(100 + i) % 1024, (300 + i) % 1024]);
    });
    expect(samples[0].channels).toEqual([1, 3]);
    expect(samples[1].time - samples[0].time).toBeCloseTo((samples[1].index - samples[0].index) * 1, 6);
    await driver.stop();
    expect(emu.state).toBe('idle');
    expect(driver.state).toBe('idle');
    await driver.stop(); // idempotent
  });

  it('refuses calls in the wrong state with a specific error', async () => {
    const { driver } = rig();
    await expect(driver.start(1000, [1])).rejects.toMatchObject({ code: 'DEVICE_BAD_STATE' });
    await driver.connect();
    await driver.start(100, [1]);
    await expect(driver.start(100, [1])).rejects.toThrow(/already acquiring/);
    await expect(driver.readState()).rejects.toMatchObject({ code: 'DEVICE_BAD_STATE' });
    await expect(driver.setBatteryThreshold(10)).rejects.toMatchObject({ code: 'DEVICE_BAD_STATE' });
    await driver.stop();
    await expect(driver.start(500, [1])).rejects.toMatchObject({ code: 'DEVICE_BAD_ARGUMENT' });
    await expect(driver.start(1000, [7])).rejects.toMatchObject({ code: 'DEVICE_BAD_ARGUMENT' });
    await driver.close();
    await driver.close();
    expect(driver.state).toBe('closed');
  });

  it('outputs, PWM, battery threshold and state round-trip on (r)evolution 5.2', async () => {
    const { driver, emu, samples } = rig();
    await driver.connect();
    await driver.setPwm(200);
    await driver.setBatteryThreshold(30);
    await driver.setOutputs([1, 0]);
    const st = await driver.readState();
    expect(st).toMatchObject({ pwm: 200, batteryThreshold: 30 });
    expect(st.digital.slice(2)).toEqual([1, 0]);
    expect(emu.pwm).toBe(200);
    await driver.start(100, [1]);
    await driver.setOutputs([0, 1]);
    await until(() => emu.state === 'live' && emu.outputs[1] === 1);
    emu.tick(3);
    await until(() => flat(samples).length === 3);
    expect(flat(samples).every((r) => (r.digital & 3) === 0b01)).toBe(true);
  });

  it('reads the 16-byte state of firmware 5.1', async () => {
    const { driver } = rig('BITalino_v5.1');
    expect((await driver.connect()).stateLength).toBe(16);
    const st = await driver.readState();
    expect(st.pwm).toBeUndefined();
    expect(st.analog).toHaveLength(6);
  });

  it('legacy board: outputs only while acquiring, no PWM or state', async () => {
    const { driver, emu, samples } = rig('BITalino_v4.0');
    expect((await driver.connect()).board).toBe('legacy');
    await expect(driver.setPwm(1)).rejects.toMatchObject({ code: 'DEVICE_UNSUPPORTED' });
    await expect(driver.readState()).rejects.toMatchObject({ code: 'DEVICE_UNSUPPORTED' });
    await expect(driver.setOutputs([1, 0, 1, 0])).rejects.toMatchObject({ code: 'DEVICE_BAD_STATE' });
    await driver.start(10, [1, 2, 3, 4, 5, 6]);
    await driver.setOutputs([1, 0, 1, 0]);
    await until(() => emu.outputs.join() === '1,0,1,0');
    emu.tick(2);
    await until(() => flat(samples).length === 2);
    await driver.stop();
    expect(emu.state).toBe('idle');
  });

  it('stop flushes the frame a CTS-mode (r)evolution holds back at 1000 Hz; the next start sees no error (§7.2)', async () => {
    const { driver, emu, samples, gaps } = rig('BITalino_v5.2', { ctsMode: true });
    await driver.connect();
    await driver.start(1000, [1, 2, 3, 4, 5, 6]);
    await until(() => emu.state === 'live');
    emu.tick(6); // frames 0..4 go out, seq 5 (odd) is held back
    await until(() => flat(samples).length >= 5);
    expect(emu.holding).toBe(true);
    await driver.stop();
    samples.length = 0;
    expect(emu.holding).toBe(false); // the version request made it transmit
    await driver.start(1000, [1]);
    await until(() => emu.state === 'live');
    emu.tick(21); // an even count would leave the last (odd) frame held
    await until(() => flat(samples).length === 21);
    expect(flat(samples).map((r) => r.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i & 15));
    expect(gaps).toEqual([]);
    expect(driver.stats!.crcErrors).toBe(0);
  });

  it('times out on a device that never answers, with what to check', async () => {
    const [host, dev] = createMemoryPair();
    void dev.open(); // nobody answers
    const driver = new Bitalino(host, { versionTimeoutMs: 300 });
    cleanups.push(() => dev.close());
    const err = await driver.connect().catch((e) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect(err.code).toBe('DEVICE_NO_ANSWER');
    expect(err.message).toMatch(/is the BITalino on and paired\? is another program using/);
    expect(driver.state).toBe('closed');
  });

  it('stops a device another program left acquiring, then connects', async () => {
    const { driver, emu } = rig();
    emu.receive(Uint8Array.from([0xc3, 0xfd])); // acquiring before we connect
    emu.run();
    const info = await driver.connect();
    expect(info.board).toBe('revolution');
    expect(emu.state).toBe('idle');
  });

  it('reports frames the device dropped as a gap with their index range', async () => {
    const drop = new Set([10, 11, 12]);
    const { driver, emu, samples, gaps } = rig('BITalino_v5.2', { corrupt: (f, seq) => (drop.has(seq) && !(drop.delete(seq) && false) ? new Uint8Array(0) : f) });
    await driver.connect();
    await driver.start(1000, [1, 2]);
    await until(() => emu.state === 'live');
    emu.tick(30);
    await until(() => flat(samples).length === 27);
    expect(gaps).toEqual([{ device: 'memory:host', from: 10, to: 13, reason: 'device_overflow' }]);
    expect(flat(samples).map((r) => r.index)).toEqual([...Array(10).keys(), ...Array.from({ length: 17 }, (_, i) => 13 + i)]);
  });

  it('reports the link lost mid-stream once, with a typed error', async () => {
    const [host, dev] = createMemoryPair();
    const emu = new BitalinoEmulator({ firmware: 'BITalino_v5.2' });
    void dev.open();
    emu.attach(dev);
    const driver = new Bitalino(host, { byteGapMs: 1 });
    const closes: (DeviceError | undefined)[] = [];
    driver.setListener({ close: (e) => closes.push(e) });
    await driver.connect();
    await driver.start(100, [1]);
    (dev as any).fail(new Error('pty closed'));
    await until(() => closes.length > 0);
    await new Promise((r) => setTimeout(r, 20));
    expect(closes).toHaveLength(1);
    expect(closes[0]).toBeInstanceOf(DeviceError);
    expect(driver.state).toBe('closed');
  });
});

describe('Bitalino driver over a real pty pair (socat + serialport)', () => {
  let pty: PtyPair;
  it('streams 1000 Hz × 6 channels from the emulator with nothing lost', async () => {
    pty = await ptyPair();
    cleanups.push(() => pty.close());
    const devEnd = new SerialTransport(pty.b);
    await devEnd.open();
    const emu = new BitalinoEmulator({ firmware: 'BITalino_v5.2', inputs: (ch, i) => (i * 7 + ch) % 1024 });
    emu.attach(devEnd);
    emu.run();
    const driver = new Bitalino(new SerialTransport(pty.a));
    const samples: SampleBatch[] = [];
    const gaps: GapEvent[] = [];
    driver.setListener({ samples: (b) => samples.push({ ...b, seq: b.seq.slice(0, b.count), analog: b.analog.map((a) => a.slice(0, b.count)) }), gap: (g) => gaps.push(g) });
    cleanups.push(async () => {
      emu.halt();
      await driver.close();
      await devEnd.close();
    });
    expect((await driver.connect()).firmware).toBe('BITalino_v5.2');
    await driver.start(1000, [1, 2, 3, 4, 5, 6]);
    await until(() => flat(samples).length >= 1500, 5000);
    await driver.stop();
    const rows = flat(samples);
    expect(gaps).toEqual([]);
    rows.forEach((r, i) => {
      expect(r.index).toBe(i);
      expect(r.analog[0]).toBe((i * 7 + 1) % 1024);
      expect(r.analog[5]).toBe(((i * 7 + 6) % 1024) >> 4); // 6th slot is 6-bit: ADC >> 4 (§6.2)
    });
    expect(emu.state).toBe('idle');
  });
});
