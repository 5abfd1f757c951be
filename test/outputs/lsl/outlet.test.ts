import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { lslClock } from '../../../src/main/outputs/lsl/clock.js';
import { Discovery } from '../../../src/main/outputs/lsl/discovery.js';
import { shortinfoXml } from '../../../src/main/outputs/lsl/info-xml.js';
import { LslOutlet, defaultBacklogSamples, type LslStreamSpec } from '../../../src/main/outputs/lsl/outlet.js';
import { sampleBytes } from '../../../src/main/outputs/lsl/sample-encoder.js';
import { sendDatagram, tcpExchange, udpListener, waitFor } from './helpers.js';

const spec: LslStreamSpec = {
  name: 'Test device',
  type: 'EEG',
  channelCount: 2,
  channelFormat: 'float32',
  sourceId: 'AA:BB',
  nominalSrate: 100,
  desc: [{ name: 'channels', children: [{ name: 'channel', children: [{ name: 'label', text: 'A1' }] }] }],
};

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function outlet(options: Parameters<typeof LslOutlet.open>[1] = {}, s: LslStreamSpec = spec): Promise<LslOutlet> {
  const o = await LslOutlet.open(s, { basePort: 0, discovery: false, ...options });
  cleanup.push(() => o.close());
  return o;
}

async function listener() {
  const l = await udpListener();
  cleanup.push(() => l.close());
  return l;
}

/** A free block of `n` ports: bind one listener per port of a random high range, then release them. */
async function freeRange(n: number): Promise<number> {
  for (;;) {
    const base = 40000 + Math.floor(Math.random() * 20000);
    const servers: net.Server[] = [];
    let ok = true;
    for (let p = base; p < base + n && ok; p++) {
      const srv = net.createServer();
      ok = await new Promise<boolean>((resolve) => {
        srv.once('error', () => resolve(false));
        srv.listen(p, '127.0.0.1', () => resolve(true));
      });
      if (ok) servers.push(srv);
    }
    await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
    if (ok) return base;
  }
}

describe('LslOutlet', () => {
  it('publishes its info with the ports it bound, a fresh uid and the LSL clock', async () => {
    const before = lslClock();
    const o = await outlet({ hostname: 'host-x', sessionId: 'lab7' });
    const after = lslClock();
    expect(o.info.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(o.info.createdAt).toBeGreaterThanOrEqual(before);
    expect(o.info.createdAt).toBeLessThanOrEqual(after);
    expect(o.info).toMatchObject({ hostname: 'host-x', sessionId: 'lab7', v4address: '', v6address: '', v6dataPort: 0, v6servicePort: 0, version: 110 });
    const full = (await tcpExchange(o.info.v4dataPort, 'LSL:fullinfo\r\n')).toString();
    expect(full).toContain(`<v4data_port>${o.info.v4dataPort}</v4data_port>`);
    expect(full).toContain(`<v4service_port>${o.info.v4servicePort}</v4service_port>`);
    expect(full).toContain('<label>A1</label>');
  });

  it('answers a matching query on its service port, to the return port, and ignores others', async () => {
    const o = await outlet();
    const l = await listener();
    await sendDatagram(o.info.v4servicePort, `LSL:shortinfo\r\ntype='ECG'\r\n${l.port} 1\r\n`);
    await sendDatagram(o.info.v4servicePort, `LSL:shortinfo\r\nsession_id='default' and source_id='AA:BB'\r\n${l.port} 2\r\n`);
    expect((await l.next()).toString()).toBe(`2\r\n${shortinfoXml(o.info)}`);
    expect(o.counters.service.answered).toBe(1);
  });

  it('answers time probes with its clock readings (t1 on arrival, t2 on departure)', async () => {
    const o = await outlet();
    const l = await listener();
    const before = lslClock();
    await sendDatagram(o.info.v4servicePort, 'LSL:timedata\r\n42 1234.5\r\n', l.socket);
    const reply = (await l.next()).toString();
    const after = lslClock();
    const [empty, wave, t0, t1, t2] = reply.split(' ');
    expect(empty).toBe('');
    expect(wave).toBe('42');
    expect(t0).toBe('1234.5');
    expect(Number(t1)).toBeGreaterThanOrEqual(before);
    expect(Number(t2)).toBeGreaterThanOrEqual(Number(t1));
    expect(Number(t2)).toBeLessThanOrEqual(after);
  });

  it('keeps answering after hostile datagrams, and counts them', async () => {
    const o = await outlet();
    const l = await listener();
    const junk = [Buffer.alloc(0), Buffer.alloc(60_000, 0x27), Buffer.from('LSL:shortinfo\r\n' + '('.repeat(50_000) + '\r\n1 1\r\n'), Buffer.from('LSL:timedata\r\nNaN NaN\r\n'), Buffer.from([0xff, 0xfe, 0x0a])];
    for (const j of junk) await sendDatagram(o.info.v4servicePort, j);
    await sendDatagram(o.info.v4servicePort, `LSL:shortinfo\r\n\r\n${l.port} ok\r\n`);
    expect((await l.next()).toString().startsWith('ok\r\n<?xml')).toBe(true);
    expect(o.counters.service.ignored).toBe(junk.length);
  });

  it('streams pushed samples to a connected inlet, nothing to later ones, and closes them on close()', async () => {
    const o = await outlet();
    const size = sampleBytes('float32', 2);
    const header = `LSL/110 200 OK\r\nUID: ${o.info.uid}\r\nByte-Order: 1234\r\nSuppress-Subnormals: 0\r\nData-Protocol-Version: 110\r\n\r\n`.length;
    o.push(Float32Array.of(9, 9), Float64Array.of(1)); // no inlet yet: not kept
    const feed = tcpExchange(o.info.v4dataPort, `LSL:streamfeed/110 ${o.info.uid}\r\nMax-Buffer-Length: 100\r\n\r\n`, { timeoutMs: 10_000 });
    await waitFor(() => o.consumerCount === 1, 'the inlet');
    o.push(Float32Array.of(1.5, -2, 3, 4), Float64Array.of(10, 10.01));
    await new Promise((r) => setTimeout(r, 50));
    await o.close();
    const got = await feed;
    expect(got.length).toBe(header + 4 * size);
    expect(got.readFloatLE(header + 2 * size + 9)).toBe(1.5);
    expect(got.readDoubleLE(header + 3 * size + 1)).toBe(10.01);
    expect(o.counters.samples).toBe(3);
    await expect(tcpExchange(o.info.v4dataPort, 'LSL:fullinfo\r\n')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('takes the first free ports of its range, separately for TCP and UDP', async () => {
    const base = await freeRange(4);
    const a = await outlet({ basePort: base, portRange: 4 });
    const b = await outlet({ basePort: base, portRange: 4 });
    expect([a.info.v4dataPort, b.info.v4dataPort]).toEqual([base, base + 1]);
    expect([a.info.v4servicePort, b.info.v4servicePort]).toEqual([base, base + 1]);
  });

  it('uses an OS-picked port when its range is full, or fails with LSL_LISTEN_FAILED when that is not allowed', async () => {
    const base = await freeRange(1);
    await outlet({ basePort: base, portRange: 1 });
    const b = await outlet({ basePort: base, portRange: 1 });
    expect(b.info.v4dataPort).not.toBe(base);
    await expect(LslOutlet.open(spec, { basePort: base, portRange: 1, allowRandomPorts: false, discovery: false })).rejects.toMatchObject({ code: 'LSL_LISTEN_FAILED' });
  });

  it('answers on a shared discovery socket while open, and leaves it on close', async () => {
    const d = await Discovery.open({ host: '127.0.0.1', port: 0 });
    cleanup.push(() => d.close());
    const l = await listener();
    const a = await outlet({ discovery: d });
    const b = await outlet({ discovery: d }, { ...spec, name: 'Other', sourceId: 'CC' });
    await sendDatagram(d.port, `LSL:shortinfo\r\nsession_id='default'\r\n${l.port} q1\r\n`);
    const replies = [(await l.next()).toString(), (await l.next()).toString()].sort();
    expect(replies).toEqual([`q1\r\n${shortinfoXml(a.info)}`, `q1\r\n${shortinfoXml(b.info)}`].sort());
    await a.close();
    await sendDatagram(d.port, `LSL:shortinfo\r\nsession_id='default'\r\n${l.port} q2\r\n`);
    expect((await l.next()).toString()).toBe(`q2\r\n${shortinfoXml(b.info)}`);
    // The discovery socket answers no time probes (as liblsl's multicast responders).
    await sendDatagram(d.port, 'LSL:timedata\r\n1 2\r\n');
    await sendDatagram(d.port, `LSL:shortinfo\r\nsource_id='CC'\r\n${l.port} q3\r\n`);
    expect((await l.next()).toString().startsWith('q3\r\n')).toBe(true);
    expect(d.counters.ignored).toBe(1);
  });

  it('sizes the default backlog as liblsl: 360 s of samples, 36 000 for irregular streams', () => {
    expect(defaultBacklogSamples(1000)).toBe(360_000);
    expect(defaultBacklogSamples(0)).toBe(36_000);
    expect(defaultBacklogSamples(100, 10)).toBe(1000);
  });

  it('refuses a spec liblsl would refuse', async () => {
    await expect(LslOutlet.open({ ...spec, name: '' }, { basePort: 0, discovery: false })).rejects.toThrow(TypeError);
    await expect(LslOutlet.open({ ...spec, channelCount: 0 }, { basePort: 0, discovery: false })).rejects.toThrow(RangeError);
    await expect(LslOutlet.open({ ...spec, nominalSrate: -1 }, { basePort: 0, discovery: false })).rejects.toThrow(RangeError);
  });
});
