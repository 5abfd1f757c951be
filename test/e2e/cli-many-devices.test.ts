/**
 * Many devices through the real CLI (`node dist/main/cli.js`, a child process): the simulator,
 * the emulator as a (r)evolution on one socat pty and as a legacy board on another, at
 * 1000 Hz × 6 channels. Every client of each device gets every sample in order — checked by
 * index, and by value for the emulated boards, whose signals the test defines (adcAt,
 * digitalAt) — a device unplugged mid-stream costs the others nothing, and devices are added
 * and removed by command while the others stream.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, EmulatedBitalino, freePort, openClient, slotValueAt, digitalAt, waitFor, type Client, type V2Data } from '../reliability/helpers.js';
import { startCli } from '../helpers/cli.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const TOKEN = 'many-devices-token-0123456789';
const CHANNELS = [1, 2, 3, 4, 5, 6];

async function configFile(content: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'serverbit-many-'));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'config.json');
  await writeFile(file, JSON.stringify(content));
  return file;
}

/** /v2 data of one device, in arrival order. */
const dataOf = (c: Client, device: string): V2Data[] => c.messages.filter((m) => m.type === 'data' && m.device === device) as unknown as V2Data[];
const gapsOf = (c: Client, device: string) => c.messages.filter((m) => m.type === 'gap' && m.device === device) as unknown as { from: number; to: number; reason: string }[];

/** Checks one device's /v2 data: contiguous indices except across announced gaps; values (if `byValue`) as the emulator sent them. */
function checkDevice(c: Client, device: string, byValue: boolean, columns: string[]): { samples: number; first: number; next: number } {
  const gaps = gapsOf(c, device);
  let next = -1;
  let first = -1;
  let samples = 0;
  // The session starts at index 0 with tick 0; after a link_lost gap the device restarted its count at the gap's end.
  let base = 0;
  for (const d of dataOf(c, device)) {
    if (next !== -1 && d.index !== next) {
      const g = gaps.find((x) => x.from === next && x.to === d.index);
      expect(g, `${device}: jump ${next} → ${d.index} without a gap`).toBeDefined();
      base = d.index;
    }
    if (first === -1) first = d.index;
    for (let i = 0; i < d.count; i++) {
      const k = d.index + i - base;
      expect(d.raw.nSeq[i], `${device} seq at ${d.index + i}`).toBe(k & 15);
      if (byValue) {
        expect((d.raw[columns[0]][i] << 3) | (d.raw[columns[1]][i] << 2), `${device} digital at ${d.index + i}`).toBe(digitalAt(k));
        CHANNELS.forEach((ch, s) => expect(d.raw[`A${ch}`][i], `${device} A${ch} at ${d.index + i}`).toBe(slotValueAt(ch, s, k)));
      }
    }
    samples += d.count;
    next = d.index + d.count;
  }
  return { samples, first, next };
}

describe('serverbit with three devices at once', () => {
  it('streams the simulator, a (r)evolution and a legacy board side by side; an unplugged one costs the others nothing; add and remove by command', async () => {
    const rev = await EmulatedBitalino.create(cleanup, { firmware: 'BITalino_v5.2' });
    const leg = await EmulatedBitalino.create(cleanup, { firmware: 'BITalino_v4.0' });
    const port = await freePort();
    const file = await configFile({
      port,
      token: TOKEN,
      sampling_rate: 1000,
      channels: CHANNELS,
      devices: [
        { id: 'sim', address: 'simulator', name: 'Simulated' },
        { id: 'rev', address: rev.path, name: 'Left arm' },
        { id: 'leg', address: leg.path, name: 'Old board' },
      ],
    });
    const cli = await startCli(['--config', file]);
    cleanup.add(() => cli.child.kill('SIGKILL'));
    expect(cli.line).toBe(`ServerBIT LISTENING on ws://127.0.0.1:${port}/ — 3 devices`);
    await waitFor(() => /device leg:/.test(cli.stdout.join('')), 5000, 'the device lines');
    const lines = cli.stdout.join('').split('\n');
    expect(lines.find((l) => l.includes('device sim:'))).toMatch(/device sim: simulator \(BITalino \(r\)evolution\), A1\.\.A6 @ 1000 Hz — ws:\/\/127\.0\.0\.1:\d+\/devices\/sim$/);
    expect(lines.find((l) => l.includes('device rev:'))).toContain('(BITalino (r)evolution, BITalino_v5.2)');
    expect(lines.find((l) => l.includes('device leg:'))).toContain('(BITalino (legacy), BITalino_v4.0)');

    const v2 = await openClient(`ws://127.0.0.1:${port}/v2?token=${TOKEN}`, cleanup);
    const compatRev = await openClient(`ws://127.0.0.1:${port}/devices/rev`, cleanup);
    const compatRoot = await openClient(`ws://127.0.0.1:${port}/`, cleanup);
    await waitFor(() => dataOf(v2, 'leg').length > 25 && dataOf(v2, 'rev').length > 25 && dataOf(v2, 'sim').length > 25, 15_000, 'data from all three');

    // The hello lists them; each has its meta (board, columns) and status.
    const hello = v2.messages.find((m) => m.type === 'hello') as { devices: string[] };
    expect(hello.devices).toEqual(['sim', 'rev', 'leg']);
    const metas = v2.messages.filter((m) => m.type === 'meta') as { device: string; board: string; column: string[]; name: string }[];
    expect(metas.find((m) => m.device === 'leg')).toMatchObject({ board: 'legacy', name: 'Old board', column: ['nSeq', 'I1', 'I2', 'I3', 'I4', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6'] });
    expect(metas.find((m) => m.device === 'rev')).toMatchObject({ board: 'revolution', name: 'Left arm' });

    // Unplug the (r)evolution for a while: the others go on without a gap.
    const before = { leg: checkDevice(v2, 'leg', true, ['I1', 'I2']).next, sim: checkDevice(v2, 'sim', false, []).next };
    await rev.unplug();
    await waitFor(() => v2.messages.some((m) => m.type === 'status' && m.device === 'rev' && m.state === 'reconnecting'), 10_000, 'rev reconnecting');
    await new Promise((r) => setTimeout(r, 1500));
    await rev.plug();
    await waitFor(() => v2.messages.filter((m) => m.type === 'status' && m.device === 'rev' && m.state === 'streaming').length >= 2, 20_000, 'rev streaming again');

    // A fourth device, added while streaming, then removed.
    const add = await command(v2, 'add_device', { device: { id: 'extra', address: 'simulator', channels: [1] } });
    expect(add).toMatchObject({ ok: true, result: { device: 'extra', state: 'streaming' } });
    await waitFor(() => dataOf(v2, 'extra').length > 10, 10_000, 'data from the added device');
    const removed = await command(v2, 'remove_device', { device: 'extra' });
    expect(removed).toMatchObject({ ok: true, result: { device: 'extra' } });
    await waitFor(() => v2.messages.some((m) => m.type === 'server' && !(m.devices as string[]).includes('extra')), 5000, 'the device set without "extra"');
    await waitFor(() => dataOf(v2, 'rev').length > 0 && dataOf(v2, 'rev').at(-1)!.index > 3000, 15_000, 'more data from rev');

    // Every sample, in order, by value for the emulated boards; the unplugged one's loss is one announced gap.
    const leg1 = checkDevice(v2, 'leg', true, ['I1', 'I2']);
    const sim1 = checkDevice(v2, 'sim', false, []);
    checkDevice(v2, 'rev', true, ['I1', 'I2']);
    checkDevice(v2, 'extra', false, []);
    expect(gapsOf(v2, 'leg')).toEqual([]);
    expect(gapsOf(v2, 'sim')).toEqual([]);
    expect(leg1.next).toBeGreaterThan(before.leg + 1500);
    expect(sim1.next).toBeGreaterThan(before.sim + 1500);
    expect(gapsOf(v2, 'rev').map((g) => g.reason)).toEqual(['link_lost']);

    // Compat: /devices/rev and / (the first device, the simulator) never interleave devices.
    const revSeq = compatRev.messages.flatMap((m) => m.nSeq as number[]);
    expect(revSeq.length).toBeGreaterThan(1000);
    const rootLen = compatRoot.messages.reduce((n, m) => n + (m.nSeq as number[]).length, 0);
    expect(rootLen).toBeGreaterThan(1000);
    // The simulator's compat stream is contiguous (no gap ever): nSeq steps by one.
    const rootSeq = compatRoot.messages.flatMap((m) => m.nSeq as number[]);
    rootSeq.forEach((q, i) => i > 0 && expect(q, `/ nSeq at ${i}`).toBe((rootSeq[i - 1] + 1) & 15));

    cli.child.kill('SIGTERM');
    await new Promise((r) => cli.child.once('exit', r));
  }, 90_000);

  it('the compatible stream of a one-device config is byte for byte the original shape', async () => {
    const rev = await EmulatedBitalino.create(cleanup, { firmware: 'BITalino_v5.2' });
    const port = await freePort();
    const file = await configFile({ device: rev.path, port, token: TOKEN, sampling_rate: 1000, channels: [1, 2, 6], labels: ['nSeq', 'I1', 'I2', 'O1', 'O2', 'EMG', 'ECG', 'A3', 'A4', 'A5', 'LUX'] });
    const cli = await startCli(['--config', file]);
    cleanup.add(() => cli.child.kill('SIGKILL'));
    expect(cli.line).toMatch(/^ServerBIT LISTENING on ws:\/\/127\.0\.0\.1:\d+\/ — \S+ \(BITalino \(r\)evolution, BITalino_v5\.2\), A1,A2,A6 @ 1000 Hz$/);
    const raw: string[] = [];
    const c = await openClient(`ws://127.0.0.1:${port}/`, cleanup);
    c.ws.on('message', (d) => raw.push(String(d)));
    await waitFor(() => raw.length >= 10, 10_000, 'ten messages');
    // Each message, written out by hand from what the device sent: 40 samples (≈ 40 ms), keys by label.
    for (const text of raw.slice(1, 10)) {
      const m = JSON.parse(text) as { nSeq: number[] };
      expect(m.nSeq).toHaveLength(40);
      // Find the tick of the first sample from its values (the device's first frame after connect is tick 0).
      const k0 = findTick(m as unknown as Record<string, number[]>);
      const ticks = Array.from({ length: 40 }, (_, i) => k0 + i);
      const col = (f: (k: number) => number) => `[${ticks.map(f).join(',')}]`;
      const expected =
        `{"nSeq":${col((k) => k & 15)},"I1":${col((k) => (digitalAt(k) >> 3) & 1)},"I2":${col((k) => (digitalAt(k) >> 2) & 1)},` +
        `"O1":${col(() => 0)},"O2":${col(() => 0)},"EMG":${col((k) => slotValueAt(1, 0, k))},"ECG":${col((k) => slotValueAt(2, 1, k))},"LUX":${col((k) => slotValueAt(6, 2, k))}}`;
      expect(text).toBe(expected);
    }
  }, 60_000);
});

/** The device tick of a compat message's first sample (its A1 value and nSeq pin it down among the first 100 000 ticks). */
function findTick(m: Record<string, number[]>): number {
  for (let k = m.nSeq[0]; k < 100_000; k += 16) if (slotValueAt(1, 0, k) === m.EMG[0] && slotValueAt(2, 1, k) === m.ECG[0] && slotValueAt(1, 0, k + 1) === m.EMG[1]) return k;
  throw new Error('no tick matches');
}

let nextId = 1;
/** Sends a /v2 command and waits for its reply. */
async function command(c: Client, name: string, args: unknown): Promise<Record<string, unknown>> {
  const id = `t${nextId++}`;
  c.ws.send(JSON.stringify({ type: 'command', id, command: name, args }));
  let reply: Record<string, unknown> | undefined;
  await waitFor(() => (reply = c.messages.find((m) => m.type === 'reply' && m.id === id)) !== undefined, 15_000, `the reply to ${name}`);
  return reply!;
}
