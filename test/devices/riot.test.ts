/**
 * The R-IoT driver: played by liblo's oscsendfile/oscsend in a private network namespace (the
 * real OSC sender), and its lifecycle and errors on 127.0.0.1 in process.
 */
import dgram from 'node:dgram';
import { Message, encode } from 'node-osc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceRunner } from '../../src/main/acquisition/device-runner.js';
import { Hub } from '../../src/main/acquisition/hub.js';
import { Riot, riotColumns, riotStreamMeta } from '../../src/main/devices/riot.js';
import type { DeviceStatus, StreamMeta } from '../../src/shared/acquisition.js';
import type { SampleBatch } from '../../src/shared/acquisition.js';
import { RIOT_LABELS, defaultRiotDeviceSettings, type RiotDeviceSettings } from '../../src/shared/outputs/osc-config.js';
import { dumpLines, parseDumpLine, startNetns, type Netns } from '../outputs/osc/netns.js';
import { defaultOscOutputSettings } from '../../src/shared/outputs/osc-config.js';

interface Collected {
  samples: { index: number; values: number[]; t: number }[];
  activity: number;
  closed: number;
  stats: { samples: number; badMessages: number; lastBad?: { code: string; message: string; hint?: string } };
  state: string;
}

/** The 22 values of played sample k: exact in float32 (multiples of 1/8, small). */
const valuesOf = (k: number): number[] => RIOT_LABELS.map((_, c) => (c % 2 === 0 ? 1 : -1) * (k + c / 8));

/** oscdump-format lines (hex NTP seconds.fraction) 5 ms apart, for oscsendfile. */
function recording(module: number, from: number, count: number, values = valuesOf, startS = 0): string {
  const base = 0xeeb90000;
  const lines: string[] = [];
  for (let k = from; k < from + count; k++) {
    const t = startS + (k - from) * 0.005;
    const sec = base + Math.floor(t);
    const frac = Math.floor((t - Math.floor(t)) * 2 ** 32);
    const v = values(k);
    lines.push(`${sec.toString(16).padStart(8, '0')}.${frac.toString(16).padStart(8, '0')} /${module}/raw ${'f'.repeat(v.length)} ${v.map((x) => x.toFixed(3)).join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

async function collected(ns: Netns, id: string, count: number): Promise<Collected> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const c = await ns.call<Collected>('riot.samples', { id });
    if (c.samples.length >= count || Date.now() > deadline) return c;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('R-IoT ← liblo (oscsendfile, oscsend) in a private network namespace', () => {
  let ns: Netns;
  const base = (id: string, module: number): RiotDeviceSettings => ({ ...defaultRiotDeviceSettings(id), module, host: '127.0.0.1' });

  beforeAll(async () => {
    ns = await startNetns();
  }, 60_000);
  afterAll(async () => {
    await ns?.close();
  });

  it('receives every /0/raw message as one sample of 22 float columns, in order, with arrival times; a second R-IoT on the same port gets only its own', async () => {
    expect(await ns.call('riot.start', { settings: base('0', 0) })).toBe('acquiring');
    expect(await ns.call('riot.start', { settings: base('1', 1) })).toBe('acquiring');
    const played = await ns.call<{ code: number; stderr: string }>('riot.play', { port: 8888, text: recording(0, 0, 200) + recording(1, 1000, 50, valuesOf, 1) }, 60_000);
    expect(played.code, played.stderr).toBe(0);
    const c0 = await collected(ns, '0', 200);
    const c1 = await collected(ns, '1', 50);
    expect(c0.samples.length).toBe(200);
    c0.samples.forEach((s, k) => {
      expect(s.index).toBe(k);
      expect(s.values, `sample ${k}`).toEqual(valuesOf(k));
      if (k > 0) expect(s.t).toBeGreaterThanOrEqual(c0.samples[k - 1].t);
    });
    expect(c0.activity).toBeGreaterThanOrEqual(200);
    expect(c0.stats.badMessages).toBe(0);
    expect(c1.samples.map((s) => s.values)).toEqual(Array.from({ length: 50 }, (_, k) => valuesOf(1000 + k)));
    expect(c1.samples.map((s) => s.index)).toEqual(Array.from({ length: 50 }, (_, k) => k));
  }, 90_000);

  it('drops and explains a message with too few values, survives hostile datagrams, and keeps receiving', async () => {
    const before = await ns.call<Collected>('riot.samples', { id: '0' });
    const send = await ns.call<{ code: number }>('run', { cmd: 'oscsend', args: ['127.0.0.1', '8888', '/0/raw', 'f'.repeat(21), ...Array.from({ length: 21 }, (_, k) => String(k))] });
    expect(send.code).toBe(0);
    const strings = await ns.call<{ code: number }>('run', { cmd: 'oscsend', args: ['127.0.0.1', '8888', '/0/raw', 's'.repeat(22), ...RIOT_LABELS] });
    expect(strings.code).toBe(0);
    const hostile = [
      Buffer.from('garbage'),
      Buffer.alloc(0),
      Buffer.alloc(30_000, 0xff),
      encode(new Message('/0/raw', 1, 2)).subarray(0, 13),
      Buffer.from('#bundle\0\0\0\0\0\0\0\0\0\x7f\xff\xff\xff', 'latin1'),
    ];
    await ns.call('udp.send', { port: 8888, hex: hostile.map((b) => b.toString('hex')) });
    const played = await ns.call<{ code: number }>('riot.play', { port: 8888, text: recording(0, 500, 20) }, 60_000);
    expect(played.code).toBe(0);
    const after = await collected(ns, '0', before.samples.length + 20);
    expect(after.state).toBe('acquiring');
    expect(after.samples.slice(before.samples.length).map((s) => s.values)).toEqual(Array.from({ length: 20 }, (_, k) => valuesOf(500 + k)));
    expect(after.stats.badMessages - before.stats.badMessages).toBe(2);
    expect(after.stats.lastBad?.code).toBe('RIOT_BAD_MESSAGE');
    expect(after.stats.lastBad?.message).toContain('expected 22 numbers');
    await ns.call('riot.close', { id: '0' });
    await ns.call('riot.close', { id: '1' });
  }, 90_000);

  it('a 21-value firmware works once the device has 21 labels', async () => {
    const labels = RIOT_LABELS.slice(0, 21);
    await ns.call('riot.start', { settings: { ...base('0', 0), labels } });
    const v21 = (k: number) => valuesOf(k).slice(0, 21);
    await ns.call('riot.play', { port: 8888, text: recording(0, 0, 30, v21) }, 60_000);
    const c = await collected(ns, '0', 30);
    expect(c.samples.map((s) => s.values)).toEqual(Array.from({ length: 30 }, (_, k) => v21(k)));
    await ns.call('riot.close', { id: '0' });
  }, 60_000);

  it('is forwarded like any device: its samples go out as /<id>/bitalino with its 22 columns', async () => {
    await ns.call('oscdump.start', { id: 'riot', target: 9300 });
    await ns.call('output.start', { settings: { ...defaultOscOutputSettings(), enabled: true, destinations: [{ host: '127.0.0.1', port: 9300 }] } });
    await ns.call('riot.start', { settings: base('3', 0), publish: true });
    await ns.call('riot.play', { port: 8888, text: recording(0, 0, 40) }, 60_000);
    const lines = (await dumpLines(ns, 'riot', 40)).map(parseDumpLine);
    await ns.call('riot.close', { id: '3' });
    await ns.call('output.close');
    await ns.call('oscdump.stop', { id: 'riot' });
    expect(lines.length).toBe(40);
    lines.forEach((l, k) => {
      expect(l.address).toBe('/3/bitalino');
      expect(l.types).toBe('f'.repeat(22));
      expect(l.values).toEqual(valuesOf(k));
    });
  }, 60_000);
});

describe('R-IoT driver on 127.0.0.1', () => {
  async function freePort(): Promise<number> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const { port } = s.address();
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }
  const settings = (port: number, over: Partial<RiotDeviceSettings> = {}): RiotDeviceSettings => ({ ...defaultRiotDeviceSettings('r'), host: '127.0.0.1', port, ...over });

  it('follows the driver lifecycle: start before connect and a second start fail with DEVICE_BAD_STATE; stop while idle and close twice are harmless', async () => {
    const riot = new Riot(settings(await freePort()));
    expect(riot.state).toBe('closed');
    await expect(riot.start()).rejects.toMatchObject({ code: 'DEVICE_BAD_STATE', hint: 'Connect first.' });
    const info = await riot.connect();
    expect(info).toEqual({
      firmware: 'R-IoT',
      version: 0,
      stateLength: 0,
      source: { kind: 'riot', rate: 200, channels: Array.from({ length: 22 }, (_, c) => c + 1), labels: [...RIOT_LABELS], sensors: RIOT_LABELS.map(() => 'RAW'), irregular: true, float: true, analogOnly: true },
    });
    expect(riot.connection).toBe(`127.0.0.1:${riot.settings.port}`);
    expect(riot.state).toBe('idle');
    await riot.stop();
    await riot.start();
    await expect(riot.start()).rejects.toMatchObject({ code: 'DEVICE_BAD_STATE', message: expect.stringContaining('already acquiring') });
    expect(riot.acquisition?.rate).toBe(200);
    await riot.close();
    await riot.close();
    expect(riot.state).toBe('closed');
  });

  it('delivers batches with Float32Array columns, host timestamps and index mod 16 as seq; ignores messages while idle but still reports activity', async () => {
    const port = await freePort();
    const riot = new Riot(settings(port, { id: '5' }));
    const batches: SampleBatch[] = [];
    let activity = 0;
    riot.setListener({ samples: (b) => batches.push(b), activity: () => activity++ });
    await riot.connect();
    const tx = dgram.createSocket('udp4');
    const send = (k: number) => new Promise<void>((r) => tx.send(encode(new Message('/0/raw', ...valuesOf(k).map((value) => ({ type: 'f', value })))), port, '127.0.0.1', () => r()));
    await send(99);
    const waitFor = async (pred: () => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!pred() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    };
    await waitFor(() => activity >= 1);
    expect(activity).toBe(1);
    expect(batches.length).toBe(0);
    await riot.start();
    const t = Date.now();
    for (let k = 0; k < 20; k++) await send(k);
    await waitFor(() => batches.reduce((n, b) => n + b.count, 0) >= 20);
    tx.close();
    await riot.close();
    const all = batches.flatMap((b) => Array.from({ length: b.count }, (_, k) => ({ b, k })));
    expect(all.length).toBe(20);
    all.forEach(({ b, k }, i) => {
      expect(b.device).toBe('5');
      expect(b.analog.length).toBe(22);
      expect(b.analog[0]).toBeInstanceOf(Float32Array);
      expect(b.channels).toEqual(Array.from({ length: 22 }, (_, c) => c + 1));
      expect(b.index + k).toBe(i);
      expect(b.seq[k]).toBe(i & 15);
      expect(b.digital[k]).toBe(0);
      expect(b.timestamps![k]).toBeGreaterThanOrEqual(t - 1000);
      expect(b.analog.map((col) => col[k])).toEqual(valuesOf(i));
    });
  });

  it('says which program holds the port, and what to do when this computer lacks the address', async () => {
    const port = await freePort();
    const holder = dgram.createSocket('udp4');
    await new Promise<void>((r) => holder.bind({ port, address: '127.0.0.1', exclusive: true }, () => r()));
    try {
      await expect(new Riot(settings(port)).connect()).rejects.toMatchObject({ code: 'DEVICE_OPEN_FAILED', message: expect.stringContaining(`another program is using UDP port ${port}`) });
    } finally {
      holder.close();
    }
    // 192.0.2.1 is reserved for documentation: no computer has it.
    const err = await new Riot(settings(port, { host: '192.0.2.1' })).connect().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DEVICE_OPEN_FAILED', message: expect.stringContaining('this computer has no address 192.0.2.1') });
    expect((err as { hint: string }).hint).toContain('192.168.1.100');
  });

  it('refuses invalid settings with a TypeError naming them', () => {
    expect(() => new Riot({ ...settings(8888), labels: ['A', 'A'] })).toThrow(/labels has "A" more than once/);
    expect(() => new Riot({ ...settings(8888), module: 300 })).toThrow(/module is 300/);
  });

  it('describes its stream: one analog float column per label, irregular, kind riot', () => {
    const s = { ...defaultRiotDeviceSettings('2'), module: 4 };
    const meta = riotStreamMeta(s, { t0: 1000, segmentStart: 0 });
    expect(meta).toMatchObject({ device: '2', kind: 'riot', address: '/4/raw', connection: '192.168.1.100:8888', rate: 200, irregular: true, t0: 1000 });
    expect(meta.columns.map((c) => c.name)).toEqual([...RIOT_LABELS]);
    expect(meta.columns.every((c, k) => c.kind === 'analog' && c.channel === k + 1 && c.resolution === 32 && c.sensor === 'RAW')).toBe(true);
    expect(riotColumns(['X'])).toEqual([{ name: 'X', label: 'X', kind: 'analog', channel: 1, sensor: 'RAW', resolution: 32 }]);
  });

  it('under the real DeviceRunner: meta from its source description, batches on the hub, a silent R-IoT stalls and reconnects, and streams again', async () => {
    const port = await freePort();
    const hub = new Hub();
    const metas: StreamMeta[] = [];
    const states: string[] = [];
    let samples = 0;
    let stalled: DeviceStatus | undefined;
    hub.subscribe({
      meta: (m) => metas.push(m),
      batch: (b) => (samples += b.count),
      status: (st) => {
        if (states[states.length - 1] !== st.state) states.push(st.state);
        if (st.error?.code === 'DEVICE_STALLED') stalled ??= st;
      },
    });
    const riotSettings = settings(port, { id: 'r1' });
    const runner = new DeviceRunner({
      hub,
      settings: { id: 'r1', address: '/0/raw', channels: [1], sampling_rate: 1000, labels: ['nSeq', 'I1', 'I2', 'O1', 'O2', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6'], stall_timeout_s: 0.5 },
      openDevice: async () => ({ driver: new Riot(riotSettings), simulated: false }),
      backoff: { initialMs: 50, maxMs: 200 },
    });
    const tx = dgram.createSocket('udp4');
    let k = 0;
    const send = () => tx.send(encode(new Message('/0/raw', ...valuesOf(k++).map((value) => ({ type: 'f', value })))), port, '127.0.0.1');
    let timer = setInterval(send, 5);
    const until = async (pred: () => boolean) => {
      const deadline = Date.now() + 15_000;
      while (!pred() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    };
    try {
      await runner.start();
      await until(() => samples >= 50);
      expect(samples).toBeGreaterThanOrEqual(50);
      const meta = metas[0];
      expect(meta).toMatchObject({ device: 'r1', kind: 'riot', rate: 200, irregular: true, connection: `127.0.0.1:${port}`, firmware: 'R-IoT' });
      expect(meta.columns.map((c) => c.name)).toEqual([...RIOT_LABELS]);
      expect(meta.columns.every((c) => c.kind === 'analog' && c.resolution === 32)).toBe(true);
      clearInterval(timer); // the R-IoT goes silent
      await until(() => stalled !== undefined);
      expect(stalled?.error?.message).toContain(`no data from 127.0.0.1:${port}`);
      const before = samples;
      timer = setInterval(send, 5);
      await until(() => samples >= before + 50 && states[states.length - 1] === 'streaming');
      expect(samples).toBeGreaterThanOrEqual(before + 50);
      expect(states).toEqual(expect.arrayContaining(['connecting', 'streaming', 'stalled', 'reconnecting']));
      expect(states[states.length - 1]).toBe('streaming');
    } finally {
      clearInterval(timer);
      await runner.stop();
      tx.close();
    }
  }, 60_000);
});
