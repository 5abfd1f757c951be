/**
 * The real thing (docs/lsl.md §14): `serverbit` as a user runs it, with a config of the test's own
 * that turns LSL on for three devices — the simulator, and the project's byte-exact emulator as a
 * BITalino (r)evolution on one socat pty and as a legacy BITalino on another — read by the real
 * liblsl. Each stream is resolved by name, type and source_id; 10 s at 1000 Hz × 6 channels are
 * checked value by value against what each device sent, and timestamp by timestamp against the
 * stream's rate; time_correction() on loopback; two inlets on one stream; one device unplugged
 * (its socat killed) and plugged back; hostile datagrams and TCP clients; `lsl_disable` and
 * `lsl_enable` over /v2, the streams leaving and coming back for liblsl and its inlets recovering.
 *
 * The tests of this file run in order on one service and share its inlets: the collectors started
 * in the third run to the end, so each later step also proves the streams stayed gapless.
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MULTICAST_PORT } from '../../../src/main/outputs/lsl/protocol.js';
import { Cleanup, EmulatedBitalino } from '../../reliability/helpers.js';
import { Collector, V2, checkRun, emulatorSource, findTick, simulatorSource, sleep, startCli, until, type Cli, type RawSource } from './cli-harness.js';
import { Inlet, destroyInfoHandle, liblsl, resolveByprop, resolveHandles, summarize } from './liblsl.js';

interface Device {
  id: string;
  name: string;
  /** The sensor configured on all six channels: the stream's type. */
  sensor: 'EMG' | 'ECG' | 'EEG';
  source: RawSource;
  address: string;
  uid: string;
  inlet?: Inlet;
  collector?: Collector;
}

const cleanup = new Cleanup();
let rev: EmulatedBitalino;
let leg: EmulatedBitalino;
let cli: Cli;
let v2: V2;
const devices: Device[] = [];
const extraInlets: Inlet[] = [];
let revSecond: Collector;

const byId = (id: string): Device => devices.find((d) => d.id === id)!;

beforeAll(async () => {
  rev = await EmulatedBitalino.create(cleanup, { firmware: 'BITalino_v5.2' });
  leg = await EmulatedBitalino.create(cleanup, { firmware: 'BITalino_v4.0' });
  devices.push(
    { id: 'sim', name: 'ServerBIT sim', sensor: 'EMG', source: simulatorSource, address: 'simulator', uid: '' },
    { id: 'rev', name: 'ServerBIT rev', sensor: 'ECG', source: emulatorSource, address: rev.path, uid: '' },
    { id: 'leg', name: 'ServerBIT leg', sensor: 'EEG', source: emulatorSource, address: leg.path, uid: '' },
  );
  cli = await startCli({
    device: 'simulator',
    devices: devices.map((d) => ({ id: d.id, address: d.address, name: d.name, sensors: Array(6).fill(d.sensor) })),
    lsl: { enabled: true },
  });
  cleanup.add(() => cli.stop());
  v2 = await V2.open(cli.port);
  cleanup.add(() => v2.close());
}, 60_000);

afterAll(async () => {
  for (const d of devices) d.collector?.stop();
  revSecond?.stop();
  for (const i of [...devices.map((d) => d.inlet), ...extraInlets]) await i?.destroy();
  v2?.close();
  const code = await cli?.stop();
  await cleanup.run();
  expect(code).toBe(0);
  expect(cli.stderr()).not.toMatch(/unexpected error|INTERNAL/);
}, 60_000);

/** Opens an inlet on the stream with this uid, found by `pred`. */
async function openInlet(pred: string, uid: string): Promise<Inlet> {
  const handles = await resolveHandles(pred, 1, 15);
  const h = handles.find((x) => summarize(x).uid === uid);
  if (!h) throw new Error(`liblsl did not resolve ${pred} with uid ${uid}`);
  const inlet = new Inlet(h, 360, true);
  for (const x of handles) destroyInfoHandle(x);
  await inlet.open(15);
  return inlet;
}

/** Where a collector's timestamps jump by more than `s` seconds (a segment boundary). */
function jumps(c: Collector, from = 1, s = 0.5): number[] {
  const out: number[] = [];
  for (let i = Math.max(1, from); i < c.count; i++) if (c.stamps[i] - c.stamps[i - 1] > s) out.push(i);
  return out;
}

/** Every sample of a collector from `from` on is the device's, tick after tick, stamped at the rate. */
function expectRun(d: Device, c: Collector, from: number, to: number, ticksFrom = 0): number {
  const k0 = findTick(c, d.source, d.sensor, from, ticksFrom);
  expect(k0, `${d.id}: the device tick of sample ${from}`).toBeDefined();
  const { badValue, badTime } = checkRun(c, d.source, d.sensor, from, to, k0!);
  expect(badValue, `${d.id}: samples whose values are not the device's`).toEqual([]);
  expect(badTime, `${d.id}: samples not stamped at 1 ms steps`).toEqual([]);
  return k0!;
}

describe('serverbit with LSL on, three devices, read by the real liblsl', () => {
  it('says at start that LSL is on, for this computer only, with the three streams', () => {
    const line = /^LSL on .*$/m.exec(cli.stdout())![0];
    expect(line).toMatch(/^LSL on for this computer only \(127\.0\.0\.1\): 3 streams — /);
    for (const d of devices) expect(line).toContain(`"${d.name}" (${d.sensor})`);
    expect(cli.stderr()).not.toMatch(/^LSL:/m);
  });

  it('liblsl resolves each device\'s stream by name, by type and by source_id', async () => {
    for (const d of devices) {
      const uids = new Set<string>();
      for (const [prop, value] of [['name', d.name], ['type', d.sensor], ['source_id', d.address]] as const) {
        const found = (await resolveByprop(prop, value, 1, 15)).filter((f) => f.name === d.name);
        expect(found, `${d.id} by ${prop}`).toHaveLength(1);
        expect(found[0]).toMatchObject({ type: d.sensor, sourceId: d.address, channelCount: 6, nominalSrate: 1000, channelFormat: 1 });
        uids.add(found[0].uid);
      }
      expect(uids.size, `${d.id}: one stream`).toBe(1);
      d.uid = [...uids][0];
    }
    expect(new Set(devices.map((d) => d.uid)).size).toBe(3);
    for (const d of devices) {
      d.inlet = await openInlet(`name='${d.name}'`, d.uid);
      const info = await d.inlet.fullinfo(10);
      expect(info.xml).toContain(`<type>${d.sensor}</type>`);
      expect(info.xml).toContain(d.sensor === 'EEG' ? '<unit>µV</unit>' : '<unit>mV</unit>');
      expect(info.xml).toContain(d.id === 'leg' ? '<model>BITalino</model>' : d.id === 'rev' ? '<model>BITalino (r)evolution</model>' : '<model>simulated BITalino (r)evolution</model>');
      expect(info.xml).toContain(`<firmware_version>${d.id === 'leg' ? 'BITalino_v4.0' : 'BITalino_v5.2'}</firmware_version>`);
    }
  });

  it('pulls 10 s at 1000 Hz × 6 channels from each: every value the device\'s, every timestamp at the rate; time_correction within 1 ms; two inlets at once', async () => {
    for (const d of devices) {
      const tc = await d.inlet!.timeCorrection(10);
      expect(Math.abs(tc.offset), `${d.id}: time_correction`).toBeLessThan(0.001);
    }
    for (const d of devices) d.collector = new Collector(d.inlet!, 6).start();
    const r = byId('rev');
    const second = await openInlet(`source_id='${r.address}'`, r.uid);
    extraInlets.push(second);
    revSecond = new Collector(second, 6).start();

    await until(() => devices.every((d) => d.collector!.count >= 10_000) && revSecond.count >= 10_000, '10 000 samples at every inlet', 90_000);
    const clock = liblsl.localClock();
    for (const d of devices) {
      const c = d.collector!;
      expect(jumps(c), `${d.id}: no gap`).toEqual([]);
      expectRun(d, c, 0, c.count);
      // Device time mapped onto the LSL clock: the newest sample is from about now.
      expect(Math.abs(c.stamps[c.count - 1] - clock), `${d.id}: timestamps on the LSL clock`).toBeLessThan(2);
    }
    // The second inlet on one stream got the same samples, stamped the same.
    const first = r.collector!;
    const at = first.stamps.indexOf(revSecond.stamps[0]);
    expect(at).toBeGreaterThanOrEqual(0);
    const n = Math.min(revSecond.count, first.count - at);
    expect(n).toBeGreaterThan(5000);
    expect(revSecond.stamps.slice(0, n)).toEqual(first.stamps.slice(at, at + n));
    expect(revSecond.values.slice(0, n * 6)).toEqual(first.values.slice(at * 6, (at + n) * 6));
  }, 150_000);

  it('unplugging one device leaves the other streams gapless; its inlets get its samples again once it is plugged back', async () => {
    const r = byId('rev');
    const before = r.collector!.count;
    const othersBefore = devices.map((d) => d.collector!.count);
    const unpluggedAt = performance.now();
    await rev.unplug();
    await until(() => /device rev: reconnecting/.test(cli.stderr()), 'serverbit to see the link lost', 20_000);
    await sleep(2000);
    const outageS = (performance.now() - unpluggedAt) / 1000;
    await rev.plug();
    await until(() => /device rev: reconnecting[\s\S]*device rev: streaming/.test(cli.stderr()), 'device rev streaming again', 30_000);
    await until(() => jumps(r.collector!, before).length === 1 && r.collector!.count - jumps(r.collector!, before)[0] >= 3000 && jumps(revSecond).length === 1, '3000 samples of rev after the gap, at both inlets', 60_000);

    // The others: every sample, through the whole outage.
    for (const [k, d] of devices.entries()) {
      if (d === r) continue;
      const c = d.collector!;
      expect(c.count - othersBefore[k], `${d.id}: samples during the outage`).toBeGreaterThan(outageS * 1000 * 0.9);
      expect(jumps(c), `${d.id}: no gap`).toEqual([]);
      expectRun(d, c, 0, c.count);
    }
    // The unplugged one: its samples up to the loss, a gap in time (nothing filled in), then the
    // device's samples again — counted from 0 by the device, which restarted acquiring.
    const c = r.collector!;
    const [g] = jumps(c, before);
    expect(jumps(c)).toEqual([g]);
    expect(c.stamps[g] - c.stamps[g - 1]).toBeGreaterThan(outageS * 0.8);
    expectRun(r, c, 0, g);
    const restart = expectRun(r, c, g, c.count);
    expect(restart).toBeLessThan(10_000);
    expect(jumps(revSecond).length).toBe(1);
  }, 150_000);

  it('hostile datagrams and TCP clients through the CLI do not stop it or its streams', async () => {
    const ports = await Promise.all(
      devices.map(async (d) => {
        const xml = (await d.inlet!.fullinfo(10)).xml;
        return { data: Number(/<v4data_port>(\d+)</.exec(xml)![1]), service: Number(/<v4service_port>(\d+)</.exec(xml)![1]) };
      }),
    );
    const counts = devices.map((d) => d.collector!.count);
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((res) => udp.bind(0, '127.0.0.1', res));
    const junk = [
      Buffer.alloc(0),
      Buffer.alloc(65_000, 0xff),
      Buffer.from('LSL:shortinfo\r\n' + '('.repeat(60_000) + "type='ECG'\r\n1 1\r\n"),
      Buffer.from(`LSL:shortinfo\r\n${"type='ECG' and ".repeat(3000)}type='ECG'\r\n0 1\r\n`),
      Buffer.from(`LSL:shortinfo\r\nname='ServerBIT rev' or 1=1\r\n${udp.address().port} x\r\n`),
      Buffer.from('LSL:timedata\r\n2147483648 -0 nan\r\n'),
      Buffer.from([0x4c, 0x53, 0x4c, 0x3a, 0x00, 0x0a, 0x0d, 0xc3, 0x28]),
    ];
    for (let round = 0; round < 10; round++) {
      for (const d of junk) for (const port of [MULTICAST_PORT, ...ports.map((p) => p.service)]) await new Promise<void>((res) => udp.send(d, port, '127.0.0.1', () => res()));
    }
    udp.close();
    const sockets: net.Socket[] = [];
    const tcp = (port: number, payload?: string | Buffer): void => {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      if (payload) s.write(payload);
      sockets.push(s);
    };
    for (const [k, p] of ports.entries()) {
      tcp(p.data, Buffer.alloc(50_000, 0));
      tcp(p.data, `LSL:streamfeed/110 ${devices[k].uid}\r\nMax-Buf`); // never finished
      for (let i = 0; i < 12; i++) tcp(p.data); // idle, past the limit of pending requests
      tcp(p.data, `LSL:streamfeed/110 ${devices[k].uid}\r\nMax-Buffer-Length: 10\r\nValue-Size: 4\r\n\r\n${'A'.repeat(100_000)}`); // a consumer that talks
      tcp(p.data, 'LSL:streamfeed/9999999999999 x\r\n\r\n');
      tcp(p.data, 'LSL:streamfeed/110 \r\n' + 'X: y\r\n'.repeat(4000));
    }
    await until(() => devices.every((d, k) => d.collector!.count >= counts[k] + 3000), '3 s more of every stream', 60_000);
    for (const s of sockets) s.destroy();

    expect(cli.child.exitCode).toBeNull();
    for (const d of devices) {
      const c = d.collector!;
      const from = d.id === 'rev' ? jumps(c)[0] : 0;
      expect(jumps(c, from + 1), `${d.id}: no new gap`).toEqual([]);
      expectRun(d, c, from, c.count);
      const found = (await resolveByprop('source_id', d.address, 1, 15)).filter((f) => f.name === d.name);
      expect(found.map((f) => f.uid), `${d.id}: still found`).toEqual([d.uid]);
    }
    // The status, here in /v2's server message: the hostile consumers are gone, the four inlets remain.
    await until(() => v2.lsl()?.detail === '3 streams · 4 inlets · this computer only', `the LSL status with 4 inlets (last: ${v2.lsl()?.detail})`, 20_000);
    expect(v2.lsl()?.state).toBe('running');
  }, 150_000);

  it('lsl_disable over /v2 takes the streams away from liblsl; lsl_enable brings them back and the inlets recover', async () => {
    const off = await v2.command('lsl_disable');
    expect(off).toMatchObject({ ok: true, result: { output: 'lsl', state: 'off' } });
    expect(JSON.parse(fs.readFileSync(cli.configPath, 'utf8')).lsl).toEqual({ enabled: false });
    await until(() => /^LSL off$/m.test(cli.stderr()), 'serverbit to say LSL is off', 10_000);
    const names = new Set(devices.map((d) => d.name));
    const gone = await resolveHandles("session_id='default'", 16, 3);
    expect(gone.map((h) => summarize(h).name).filter((n) => names.has(n))).toEqual([]);
    for (const h of gone) destroyInfoHandle(h);
    await sleep(300);
    for (const d of devices) d.collector!.drain();
    const stopped = devices.map((d) => d.collector!.count);
    await sleep(1500);
    for (const [k, d] of devices.entries()) {
      d.collector!.drain();
      expect(d.collector!.count, `${d.id}: nothing while LSL is off`).toBe(stopped[k]);
    }

    const on = await v2.command('lsl_enable');
    expect(on).toMatchObject({ ok: true, result: { output: 'lsl', state: 'running' } });
    expect(JSON.parse(fs.readFileSync(cli.configPath, 'utf8')).lsl).toEqual({ enabled: true });
    for (const d of devices) {
      const found = (await resolveByprop('name', d.name, 1, 15)).filter((f) => f.name === d.name);
      expect(found, `${d.id}: back`).toHaveLength(1);
      expect(found[0].uid, `${d.id}: a new outlet`).not.toBe(d.uid);
      expect(found[0].sourceId).toBe(d.address);
    }
    // The inlets opened before find their stream again by source_id (liblsl's recovery) and read on.
    await until(() => devices.every((d, k) => d.collector!.count >= stopped[k] + 2000), 'the inlets to recover', 60_000);
    for (const [k, d] of devices.entries()) {
      const c = d.collector!;
      const restart = jumps(c).at(-1)!;
      expect(restart, `${d.id}: a gap while LSL was off`).toBe(stopped[k]);
      expectRun(d, c, restart, c.count);
    }
    await until(() => /^LSL on for this computer only \(127\.0\.0\.1\): 3 streams/m.test(cli.stderr()), 'serverbit to say LSL is on again', 10_000);
  }, 150_000);
});
