/**
 * OscOutput, fed by a real Hub at 1000 Hz × 6 channels, captured by liblo's oscdump (an OSC
 * implementation that is not ours) in a private network namespace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultOscOutputSettings, type OscOutputSettings } from '../../../src/shared/outputs/osc-config.js';
import type { OutputStatus } from '../../../src/main/outputs/output.js';
import { dumpLines, parseDumpLine, startNetns, type DumpLine, type Netns } from './netns.js';
import { sampleValues } from './signal.js';

let ns: Netns;
beforeAll(async () => {
  ns = await startNetns();
}, 60_000);
afterAll(async () => {
  await ns?.close();
});

function settings(port: number, over: Partial<OscOutputSettings> = {}): OscOutputSettings {
  return { ...defaultOscOutputSettings(), enabled: true, destinations: [{ host: '127.0.0.1', port }], ...over };
}

/** Feeds `seconds` at 1000 Hz through an OscOutput into oscdump; returns the parsed lines. */
async function capture(id: string, port: number, over: Partial<OscOutputSettings>, seconds: number, expectedLines: number): Promise<{ lines: DumpLine[]; t0: number; status: OutputStatus }> {
  await ns.call('oscdump.start', { id, target: port });
  await ns.call('output.start', { settings: settings(port, over) });
  const fed = await ns.call<{ samples: number; t0: number; subscriberErrors: number }>('feed', { device: '0', rate: 1000, seconds }, 60_000);
  expect(fed.subscriberErrors).toBe(0);
  const raw = await dumpLines(ns, id, expectedLines);
  const status = await ns.call<OutputStatus>('output.status');
  await ns.call('output.close');
  await ns.call('oscdump.stop', { id });
  return { lines: raw.map(parseDumpLine), t0: fed.t0, status };
}

describe('OscOutput → oscdump (liblo), 1000 Hz × 6 channels', () => {
  it('consolidated: every sample arrives once, in order, as /0/bitalino with the 11 columns as floats, in bundles that fit 1400 bytes', async () => {
    const seconds = 3;
    const n = 1000 * seconds;
    const { lines, t0, status } = await capture('consolidated', 9101, {}, seconds, n);
    expect(lines.length).toBe(n);
    lines.forEach((l, j) => {
      expect(l.address).toBe('/0/bitalino');
      expect(l.types).toBe('fffffffffff');
      expect(l.values, `sample ${j}`).toEqual(sampleValues(j));
    });
    // Index continuity through nSeq as a receiver sees it: +1 mod 16 on every line.
    for (let j = 1; j < n; j++) expect(lines[j].values[0]).toBe((lines[j - 1].values[0] + 1) % 16);
    // Bundles: consecutive lines with one time tag. Each bundle's tag is the device time of its
    // first sample (t0 + j ms); a 76-byte sample in a 1400-byte datagram fits 18 times.
    const groups: { first: number; size: number; tag: number }[] = [];
    lines.forEach((l, j) => {
      const g = groups[groups.length - 1];
      if (g && g.tag === l.tag) g.size++;
      else groups.push({ first: j, size: 1, tag: l.tag });
    });
    for (const g of groups) {
      expect(g.size).toBeLessThanOrEqual(18);
      expect(Math.abs(g.tag * 1000 - (t0 + g.first))).toBeLessThan(0.01);
    }
    expect(groups.some((g) => g.size === 18)).toBe(true);
    expect(status.state).toBe('running');
    expect(status.counters.samples).toBe(n);
    expect(status.counters.bundles).toBe(groups.length);
    expect(status.counters.errors).toBe(0);
  }, 90_000);

  it('per-label: /0/bitalino/<label> for every column of every sample, with renamed analog labels', async () => {
    const seconds = 2;
    const n = 1000 * seconds;
    const labels = ['EMG', 'ECG', 'EDA', 'EEG', 'ACC', 'LUX'];
    await ns.call('oscdump.start', { id: 'labels', target: 9102 });
    await ns.call('output.start', { settings: settings(9102, { addresses: 'per-label' }) });
    const fed = await ns.call<{ t0: number }>('feed', { device: '0', rate: 1000, seconds, labels }, 60_000);
    const raw = await dumpLines(ns, 'labels', n * 11);
    await ns.call('output.close');
    await ns.call('oscdump.stop', { id: 'labels' });
    expect(fed.t0).toBeGreaterThan(0);
    expect(raw.length).toBe(n * 11);
    const names = ['nSeq', 'I1', 'I2', 'O1', 'O2', ...labels];
    const lines = raw.map(parseDumpLine);
    for (let j = 0; j < n; j++) {
      const expected = sampleValues(j);
      for (let c = 0; c < 11; c++) {
        const l = lines[j * 11 + c];
        expect(l.address).toBe(`/0/bitalino/${names[c]}`);
        expect(l.types).toBe('f');
        expect(l.values, `sample ${j} ${names[c]}`).toEqual([expected[c]]);
      }
    }
  }, 90_000);

  it('decimation to 100 Hz keeps exactly samples 0, 10, 20, … (nSeq steps by 10 mod 16)', async () => {
    const seconds = 2;
    const { lines } = await capture('decimated', 9103, { maxRate: 100 }, seconds, 200);
    expect(lines.length).toBe(200);
    lines.forEach((l, k) => expect(l.values, `kept sample ${k}`).toEqual(sampleValues(10 * k)));
    for (let k = 1; k < lines.length; k++) expect(lines[k].values[0]).toBe((lines[k - 1].values[0] + 10) % 16);
  }, 90_000);

  it('converted: analog values in the sensor units (EMG, ECG mV; EDA µS; EEG µV; ACC g; LUX %), fixed columns unchanged', async () => {
    const { lines } = await capture('converted', 9104, { values: 'converted' }, 1, 1000);
    expect(lines.length).toBe(1000);
    // The transfer functions, written out here (docs/osc.md "Converted values"), at 3.3 V.
    const f = (raw: number, bits: number) => raw / 2 ** bits;
    const expected = (j: number): number[] => {
      const v = sampleValues(j);
      const [a1, a2, a3, a4, a5, a6] = v.slice(5);
      return [
        ...v.slice(0, 5),
        ((f(a1, 10) - 0.5) * 3300) / 1009,
        ((f(a2, 10) - 0.5) * 3300) / 1100,
        (f(a3, 10) * 3.3) / 0.132,
        ((f(a4, 10) - 0.5) * 3.3e6) / 41782,
        (2 * (a5 * 16 - 400)) / (608 - 400) - 1, // (r)evolution ACC: Cmin 400, Cmax 608 (docs/sensors.md)
        100 * f(a6, 6),
      ];
    };
    lines.forEach((l, j) => {
      const want = expected(j);
      l.values.forEach((v, c) => expect(Math.abs(v - Math.fround(want[c])), `sample ${j} column ${c}: ${v} vs ${want[c]}`).toBeLessThanOrEqual(1e-6 + 1e-6 * Math.abs(want[c])));
    });
  }, 60_000);

  it('several destinations get the same datagrams; one that nothing listens on puts the output in "error" (OSC_UNREACHABLE) while the other keeps receiving', async () => {
    await ns.call('oscdump.start', { id: 'multi', target: 9105 });
    await ns.call('output.start', { settings: settings(9105, { destinations: [{ host: '127.0.0.1', port: 9105 }, { host: '127.0.0.1', port: 9199 }] }) });
    await ns.call('feed', { device: '0', rate: 1000, seconds: 1 }, 60_000);
    const lines = await dumpLines(ns, 'multi', 1000);
    const status = await ns.call<OutputStatus>('output.status');
    await ns.call('output.close');
    await ns.call('oscdump.stop', { id: 'multi' });
    expect(lines.length).toBe(1000);
    expect(lines.map(parseDumpLine).every((l, j) => l.values[5] === sampleValues(j)[5])).toBe(true);
    expect(status.state).toBe('error');
    expect(status.error?.code).toBe('OSC_UNREACHABLE');
    expect(status.error?.message).toContain('127.0.0.1:9199');
    expect(status.error?.hint).toContain('Nothing receives on UDP port 9199');
    expect(status.counters.errors).toBeGreaterThan(0);
    expect(status.detail).toContain('127.0.0.1:9105, 127.0.0.1:9199');
  }, 60_000);

  it('multicast: a group destination reaches an oscdump that joined the group', async () => {
    await ns.call('oscdump.start', { id: 'mcast', target: 'osc.udp://239.1.2.3:9106' });
    await ns.call('output.start', { settings: settings(9106, { destinations: [{ host: '239.1.2.3', port: 9106 }], multicastTtl: 1 }) });
    await ns.call('feed', { device: '0', rate: 1000, seconds: 0.5 }, 60_000);
    const lines = (await dumpLines(ns, 'mcast', 500)).map(parseDumpLine);
    await ns.call('output.close');
    await ns.call('oscdump.stop', { id: 'mcast' });
    expect(lines.length).toBe(500);
    lines.forEach((l, j) => expect(l.values).toEqual(sampleValues(j)));
  }, 60_000);

  it('broadcast: refused without the "broadcast" setting (OSC_SEND_FAILED, says which setting), delivered with it', async () => {
    const err = await ns.call('output.start', { settings: settings(9107, { destinations: [{ host: '127.255.255.255', port: 9107 }] }) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'OSC_SEND_FAILED', message: expect.stringContaining('127.255.255.255:9107') });
    expect(String((err as Error).message)).toContain('EACCES');
    expect((err as { hint: string }).hint).toBe('Sending to a broadcast address needs the "broadcast" setting.');
    await ns.call('output.close');
    await ns.call('oscdump.start', { id: 'bcast', target: 9107 });
    await ns.call('output.start', { settings: settings(9107, { destinations: [{ host: '127.255.255.255', port: 9107 }], broadcast: true }) });
    await ns.call('feed', { device: '0', rate: 1000, seconds: 0.5 }, 60_000);
    const lines = (await dumpLines(ns, 'bcast', 500)).map(parseDumpLine);
    await ns.call('output.close');
    await ns.call('oscdump.stop', { id: 'bcast' });
    expect(lines.length).toBe(500);
    lines.forEach((l, j) => expect(l.values).toEqual(sampleValues(j)));
  }, 60_000);
});
