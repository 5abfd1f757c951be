/**
 * OSC through the real headless service: `node dist/main/cli.js --config <the test's file>` in a
 * network namespace of the test's own (test/outputs/osc/netns.ts), beside liblo's oscdump (to
 * capture), oscsend and oscsendfile (to control and to play an R-IoT): an OSC implementation that
 * is not ours. The BITalino is the project's byte-exact emulator on a socat pty, with a known
 * signal, so every value that arrives can be checked; its digital outputs and PWM show what the
 * control input did.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OutputStatus } from '../../src/shared/outputs.js';
import { emulatorOnPty, type EmulatorOnPty } from '../helpers/emulator-on-pty.js';
import { parseDumpLine, startNetns, type DumpLine, type Netns } from '../outputs/osc/netns.js';

const CLI = path.resolve('dist/main/cli.js');
const TOKEN = 'cli-osc-e2e-token-0123456789';
const RIOT_LABELS = ['ACC_X', 'ACC_Y', 'ACC_Z', 'GYRO_X', 'GYRO_Y', 'GYRO_Z', 'MAG_X', 'MAG_Y', 'MAG_Z', 'TEMP', 'IO', 'A1', 'A2', 'C', 'Q1', 'Q2', 'Q3', 'Q4', 'PITCH', 'YAW', 'ROLL', 'HEAD'];
const fixture = path.resolve('test/fixtures/osc/revolution-osc.json');

let ns: Netns;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
beforeAll(async () => {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  ns = await startNetns({ harness: 'cli-harness.ts' });
}, 60_000);
afterAll(async () => {
  await ns?.close();
});
afterEach(async () => {
  await ns.call('cli.stop', {}, 40_000).catch(() => undefined);
  for (const c of cleanups.splice(0).reverse()) await c();
});

// --- the known signal ---------------------------------------------------------------------------

/** The emulator's 10-bit input on channel c at sample k: a function of the index alone. */
const input = (c: number, k: number): number => (k * 7 * c + 37 * c) % 1024;
/** Sample k as ServerBIT must send it, consolidated: nSeq, I1 I2 (pulled up: 1), O1 O2, A1..A6 (slots 5 and 6 carry the top 6 bits). */
const expected = (k: number, o1 = 0, o2 = 0): number[] => [k % 16, 1, 1, o1, o2, ...[1, 2, 3, 4, 5, 6].map((c, s) => (s >= 4 ? input(c, k) >> 4 : input(c, k)))];

async function emulator(): Promise<EmulatorOnPty> {
  const e = await emulatorOnPty({ inputs: input });
  cleanups.push(() => e.close());
  return e;
}

// --- the service ------------------------------------------------------------------------------

function configFile(config: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serverbit-cli-osc-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

function classic(over: Record<string, unknown>): Record<string, unknown> {
  return { device: 'simulator', channels: [1, 2, 3, 4, 5, 6], sampling_rate: 1000, port: 9301, token: TOKEN, ...over };
}

async function startCli(file: string): Promise<{ stdout: string; stderr: string }> {
  return ns.call('cli.start', { cli: CLI, config: file }, 40_000);
}

async function stopCli(): Promise<{ code: number; stdout: string; stderr: string }> {
  return ns.call('cli.stop', {}, 40_000);
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; CLI stderr: ${(await ns.call<{ stderr: string }>('cli.output')).stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface V2Messages {
  messages: Record<string, unknown>[];
  data: Record<string, { messages: number; samples: number; first: Record<string, unknown>[] }>;
}
const v2 = (type?: string) => ns.call<V2Messages>('v2.messages', type ? { type } : {});
const command = (cmd: string, args?: Record<string, unknown>) => ns.call<{ ok: boolean; result?: Record<string, unknown>; error?: { code: string; message: string } }>('v2.command', { command: cmd, ...(args ? { args } : {}) }, 20_000);

/** The latest status of `output` in the server messages seen so far, if it matches `test`. */
async function outputStatus(output: string, test: (s: OutputStatus) => boolean): Promise<OutputStatus | undefined> {
  const servers = (await v2('server')).messages as unknown as { outputs: OutputStatus[] }[];
  const s = servers.at(-1)?.outputs.find((o) => o.output === output);
  return s && test(s) ? s : undefined;
}

async function deviceStatus(device: string, state: string): Promise<Record<string, unknown> | undefined> {
  const all = (await v2('status')).messages.filter((m) => m.device === device);
  const last = all.at(-1);
  return last && last.state === state ? last : undefined;
}

/** oscdump-format lines (hex NTP seconds.fraction) 5 ms apart, for oscsendfile: R-IoT module messages with 22 floats. */
const riotValues = (k: number): number[] => RIOT_LABELS.map((_, c) => (c % 2 === 0 ? 1 : -1) * (k + c / 8));
function riotRecording(module: number, from: number, count: number): string {
  const lines: string[] = [];
  for (let k = from; k < from + count; k++) {
    const t = (k - from) * 0.005;
    const sec = 0xeeb90000 + Math.floor(t);
    const frac = Math.floor((t - Math.floor(t)) * 2 ** 32);
    lines.push(`${sec.toString(16).padStart(8, '0')}.${frac.toString(16).padStart(8, '0')} /${module}/raw ${'f'.repeat(22)} ${riotValues(k).map((x) => x.toFixed(3)).join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Plays R-IoT messages until the device is streaming: like a BITalino's connect waits for its
 * version reply, an R-IoT device's waits for its first message. These messages carry values from
 * 10 000 on, so they are told apart from the ones a test checks.
 */
async function wakeRiot(device: string, port: number, host = '127.0.0.1'): Promise<void> {
  await until(`R-IoT ${device} streaming`, async () => {
    await ns.call('riot.play', { host, port, text: riotRecording(0, 10_000, 40) }, 30_000);
    return deviceStatus(device, 'streaming');
  });
}
const played = (l: DumpLine) => l.values[0] < 10_000;

async function dump(id: string, port: number): Promise<void> {
  await ns.call('oscdump.start', { id, target: port });
  cleanups.push(() => ns.call('oscdump.stop', { id }));
}
async function lines(id: string, from = 0): Promise<string[]> {
  return (await ns.call<{ lines: string[] }>('oscdump.lines', { id, from })).lines;
}

// --- the tests --------------------------------------------------------------------------------

describe('OSC through the CLI (liblo in a network namespace)', () => {
  it('consolidated: every sample of 1000 Hz × 6 channels reaches oscdump once and in order, as /0/bitalino with 11 floats; the start-up output says where OSC goes', async () => {
    const emu = await emulator();
    await dump('all', 9201);
    const file = configFile(classic({ device: emu.path, osc: { enabled: true, destinations: [{ host: '127.0.0.1', port: 9201 }] } }));
    const started = await startCli(file);
    expect(started.stdout).toMatch(/^ServerBIT LISTENING on ws:\/\/127\.0\.0\.1:9301\/ — .*A1\.\.A6 @ 1000 Hz$/m);
    expect(started.stderr).toContain('OSC → 127.0.0.1:9201: /<id>/bitalino, one message per sample (its columns as floats), every sample, raw values');
    await ns.call('v2.open', { url: `ws://127.0.0.1:9301/v2?token=${TOKEN}` });
    const running = await until('the OSC status with datagrams/s', () => outputStatus('osc', (s) => s.state === 'running' && /datagrams\/s/.test(s.detail ?? '') && !/ 0 datagrams\/s/.test(s.detail ?? '')));
    // 75 bundles/s at 1000 Hz: 18 samples fit a 1400-byte datagram (docs/osc.md "Datagram size"); the rate is measured, so only its form is checked.
    expect(running.detail).toMatch(/^→ 127\.0\.0\.1:9201 · \d+ datagrams\/s$/);
    await until('3000 samples at oscdump', async () => (await lines('all')).length >= 3000, 30_000);
    await stopCli();
    const got = (await lines('all')).map(parseDumpLine);
    expect(got.length).toBeGreaterThanOrEqual(3000);
    got.forEach((l, k) => {
      expect(l.address).toBe('/0/bitalino');
      expect(l.types).toBe('fffffffffff');
      expect(l.values, `sample ${k}`).toEqual(expected(k));
    });
    // As a patch sees it: nSeq steps by one, mod 16, on every message.
    for (let k = 1; k < got.length; k++) expect(got[k].values[0]).toBe((got[k - 1].values[0] + 1) % 16);
  }, 120_000);

  it('per-label with decimation to 100 Hz: /0/bitalino/<label> for every column of exactly samples 0, 10, 20, …, named by the config\'s labels', async () => {
    const emu = await emulator();
    await dump('labels', 9202);
    const labels = ['nSeq', 'I1', 'I2', 'O1', 'O2', 'EMG', 'ECG', 'EDA', 'EEG', 'ACC', 'LUX'];
    const file = configFile(classic({ device: emu.path, labels, osc: { enabled: true, addresses: 'per-label', maxRate: 100, destinations: [{ host: '127.0.0.1', port: 9202 }] } }));
    const started = await startCli(file);
    expect(started.stderr).toContain('OSC → 127.0.0.1:9202: /<id>/bitalino/<column>, one message per column and sample, at most 100 samples/s per device, raw values');
    await until('200 decimated samples', async () => (await lines('labels')).length >= 200 * 11, 30_000);
    await stopCli();
    const got = (await lines('labels')).map(parseDumpLine);
    const samples = Math.floor(got.length / 11);
    expect(samples).toBeGreaterThanOrEqual(200);
    for (let j = 0; j < samples; j++) {
      const want = expected(10 * j);
      for (let c = 0; c < 11; c++) {
        const l = got[j * 11 + c];
        expect([l.address, l.types, l.values], `sample ${10 * j}, ${labels[c]}`).toEqual([`/0/bitalino/${labels[c]}`, 'f', [want[c]]]);
      }
    }
  }, 120_000);

  it('a config file of the original (r)evolution with protocol "OSC" works unchanged: OSC to its ip_address:port, the WebSocket server on 9001, its R-IoT pair received on OSC_config\'s address and forwarded', async () => {
    const emu = await emulator();
    await dump('original', 9203);
    const original = JSON.parse(fs.readFileSync(fixture, 'utf8')) as Record<string, unknown>;
    // The fixture as the original wrote it, pointed at this test's emulator and receiver.
    const raw = { ...original, device: [[emu.path, 'bitalino'], ['/0/raw', 'R-IoT (OSC)']], channels: [1, 2, 3, 4, 5, 6], ip_address: 'localhost', port: 9203 };
    const file = configFile(raw);
    const started = await startCli(file);
    expect(started.stdout).toMatch(/^ServerBIT LISTENING on ws:\/\/127\.0\.0\.1:9001\/ — 2 devices$/m);
    expect(started.stderr).toContain('OSC → 127.0.0.1:9203: /<id>/bitalino, one message per sample');
    expect(started.stderr).not.toMatch(/WebSockets only/);
    const token = (JSON.parse(fs.readFileSync(file, 'utf8')) as { token: string }).token; // generated and saved at first start, as for any file
    await ns.call('v2.open', { url: `ws://127.0.0.1:9001/v2?token=${token}` });
    await wakeRiot('1', 8888, '192.168.1.100');
    const play = await ns.call<{ code: number; stderr: string }>('riot.play', { host: '192.168.1.100', port: 8888, text: riotRecording(0, 0, 200) }, 30_000);
    expect(play.code, play.stderr).toBe(0);
    await until('R-IoT samples at oscdump', async () => (await lines('original')).map(parseDumpLine).filter((l) => l.address === '/1/bitalino' && played(l)).length >= 200, 20_000);
    await stopCli();
    const got = (await lines('original')).map(parseDumpLine);
    const bitalino = got.filter((l) => l.address === '/0/bitalino');
    expect(bitalino.length).toBeGreaterThan(500);
    bitalino.forEach((l, k) => expect(l.values, `sample ${k}`).toEqual(expected(k)));
    const riot = got.filter((l) => l.address === '/1/bitalino' && played(l));
    expect(riot.map((l) => l.values)).toEqual(Array.from({ length: 200 }, (_, k) => riotValues(k)));
    expect(riot[0].types).toBe('f'.repeat(22));
    // The original's keys are as it wrote them.
    const after = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const k of Object.keys(raw)) expect(after[k], k).toEqual(raw[k]);
  }, 120_000);

  it('the control input: /0/trigger, /0/pwm, /0/marker, /0/stop and /0/start from oscsend change the emulator\'s outputs and acquisition through the same path as /v2', async () => {
    const emu = await emulator();
    await dump('control', 9204);
    const file = configFile(classic({ device: emu.path, osc: { enabled: true, destinations: [{ host: '127.0.0.1', port: 9204 }], control: { enabled: true, port: 12001 } } }));
    const started = await startCli(file);
    expect(started.stderr).toContain('OSC control: listening on 127.0.0.1:12001 for /<id>/trigger, /<id>/pwm, /<id>/start, /<id>/stop, /<id>/marker and /marker');
    await ns.call('v2.open', { url: `ws://127.0.0.1:9301/v2?token=${TOKEN}` });
    await until('streaming', () => deviceStatus('0', 'streaming'));
    const send = async (...args: string[]) => {
      const r = await ns.call<{ code: number; stderr: string }>('run', { cmd: 'oscsend', args: ['127.0.0.1', '12001', ...args] });
      expect(r.code, r.stderr).toBe(0);
    };

    await send('/0/trigger', 'ii', '1', '0');
    await until('O1 on in the emulator', async () => emu.emu.outputs.join() === '1,0');
    // …and in the frames the service streams: O1 = 1, O2 = 0 from some sample on.
    await until('O1 in the OSC stream', async () => (await lines('control')).map(parseDumpLine).some((l) => l.values[3] === 1 && l.values[4] === 0));
    await send('/0/trigger', 'TT');
    await until('both outputs on', async () => emu.emu.outputs.join() === '1,1');
    await send('/0/pwm', 'f', '128.4');
    await until('PWM 128', async () => emu.emu.pwm === 128);
    await send('/0/marker', 's', 'eyes closed');
    const marker = await until('the marker on /v2', async () => (await v2('marker')).messages.find((m) => m.label === 'eyes closed'));
    expect(marker).toMatchObject({ type: 'marker', label: 'eyes closed', device: '0', source: 'osc' });
    await send('/0/stop');
    await until('stopped', () => deviceStatus('0', 'stopped'));
    await until('the emulator idle', async () => emu.emu.state === 'idle');
    await send('/0/start');
    await until('streaming again', () => deviceStatus('0', 'streaming'));
    const status = await until('the control counters', () => outputStatus('osc-in', (s) => s.counters.succeeded >= 6));
    expect(status).toMatchObject({ state: 'running', counters: { failed: 0, rejected: 0 } });
    expect(status.detail).toMatch(/^listening on 127\.0\.0\.1:12001 · \d+ commands$/);
  }, 120_000);

  it('hostile datagrams (garbage, wrong types, huge, deeply nested, a flood) to the control input and to an R-IoT port leave the service running and answering', async () => {
    const file = configFile(
      classic({
        device: 'simulator',
        devices: [{ address: 'simulator' }, { address: 'riot:127.0.0.1:9888/0' }],
        osc: { enabled: true, destinations: [{ host: '127.0.0.1', port: 9205 }], control: { enabled: true, port: 12002, maxCommandsPerSecond: 1000 } },
      }),
    );
    await dump('hostile', 9205);
    await startCli(file);
    await ns.call('v2.open', { url: `ws://127.0.0.1:9301/v2?token=${TOKEN}` });
    await wakeRiot('1', 9888);
    const osc = (s: string) => Buffer.from(s + '\0'.repeat(4 - (s.length % 4)));
    const i32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
    let nested = Buffer.concat([osc('/0/stop'), osc(',')]);
    for (let d = 0; d < 200; d++) nested = Buffer.concat([osc('#bundle'), Buffer.alloc(8), i32(nested.length), nested]);
    const hostile = [
      Buffer.from('not osc at all'),
      Buffer.alloc(0),
      Buffer.concat([osc('/0/trigger'), osc(',ss'), osc('a'), osc('b')]), // wrong types
      Buffer.concat([osc('/0/pwm'), osc(',i'), i32(0x7fffffff)]), // out of range
      Buffer.concat([osc('/0/pwm'), osc(',i')]), // truncated
      Buffer.concat([osc('/9/start'), osc(',')]), // no such device
      Buffer.concat([osc('/*/stop'), osc(',')]), // a pattern
      Buffer.concat([osc('/0/raw'), osc(',' + 's'.repeat(22)), ...Array.from({ length: 22 }, () => osc('x'))]), // an R-IoT message of strings
      Buffer.alloc(60_000, 0x2f), // huge
      nested, // 200 bundles deep
      Buffer.concat([osc('#bundle'), Buffer.alloc(8), i32(0x7fffffff)]), // an element size past the end
    ].map((b) => b.toString('hex'));
    for (const port of [12002, 9888]) {
      await ns.call('udp.send', { port, hex: hostile });
      // A flood: 3000 garbage datagrams as fast as they go.
      await ns.call('udp.send', { port, hex: Array.from({ length: 3000 }, (_, k) => Buffer.from(`junk ${k}`).toString('hex')) }, 60_000);
    }
    // Still running and answering: /v2 replies, the simulator streams, the control input obeys, the R-IoT is received and forwarded.
    expect((await ns.call<{ running: boolean }>('cli.output')).running).toBe(true);
    expect(await command('state', { device: '0' })).toMatchObject({ ok: true });
    expect(await deviceStatus('0', 'streaming')).toBeDefined();
    await ns.call('run', { cmd: 'oscsend', args: ['127.0.0.1', '12002', '/1/marker', 's', 'after the storm'] });
    await until('the marker after the storm', async () => (await v2('marker')).messages.some((m) => m.label === 'after the storm'));
    if (!(await deviceStatus('1', 'streaming'))) await wakeRiot('1', 9888); // a flood of junk is no sign of life: it may have stalled
    await ns.call('riot.play', { port: 9888, text: riotRecording(0, 0, 50) }, 30_000);
    await until('the R-IoT forwarded', async () => (await lines('hostile')).map(parseDumpLine).filter((l) => l.address === '/1/bitalino' && played(l)).length >= 50);
    const input = await until('the counters of what was refused', () => outputStatus('osc-in', (s) => s.counters.malformed >= 4 && s.counters.rejected >= 4));
    expect(input.state).toBe('running');
    expect(input.detail).toMatch(/last problem: /);
    const out = await stopCli();
    expect(out.code).toBe(0);
  }, 120_000);

  it('an R-IoT device ("riot:<host>:<port>/<module>") played by oscsendfile is a device on /v2 (its 22 columns, irregular) and is forwarded; when it goes silent it stalls with an R-IoT hint', async () => {
    await dump('riot', 9206);
    const file = configFile(classic({ device: 'riot:127.0.0.1:9889/0', stall_timeout_s: 2, osc: { enabled: true, destinations: [{ host: '127.0.0.1', port: 9206 }] } }));
    const started = await startCli(file);
    // Nothing sends yet: the device waits for a first message, as a BITalino's connect waits for its version.
    expect(started.stdout).toMatch(/^ServerBIT LISTENING on ws:\/\/127\.0\.0\.1:9301\/ — riot:127\.0\.0\.1:9889\/0 \(R-IoT, waiting for its first message\)$/m);
    expect(started.stderr).toContain('device: not streaming yet');
    await ns.call('v2.open', { url: `ws://127.0.0.1:9301/v2?token=${TOKEN}` });
    const waiting = await until('the status', () => deviceStatus('0', 'reconnecting'));
    expect(waiting).toMatchObject({ device: '0', state: 'reconnecting', error: { code: 'DEVICE_NO_ANSWER', message: 'no OSC message /0/raw arrived on 127.0.0.1:9889 in 3 s' } });
    expect((waiting.error as { hint: string }).hint).toMatch(/^Is the R-IoT switched on, on the same Wi-Fi network, sending to 127\.0\.0\.1, UDP port 9889, with module id 0\?/);
    await wakeRiot('0', 9889);
    await ns.call('riot.play', { port: 9889, text: riotRecording(0, 0, 200) }, 30_000);
    await until('200 samples at oscdump', async () => (await lines('riot')).map(parseDumpLine).filter(played).length >= 200);
    const got = (await lines('riot')).map(parseDumpLine).filter(played);
    expect(got.map((l) => [l.address, l.types])).toEqual(Array.from({ length: 200 }, () => ['/0/bitalino', 'f'.repeat(22)]));
    expect(got.map((l) => l.values)).toEqual(Array.from({ length: 200 }, (_, k) => riotValues(k)));
    const meta = (await v2('meta')).messages.at(-1)!;
    expect(meta).toMatchObject({ device: '0', irregular: true });
    expect((meta.columns as { name: string }[]).map((c) => c.name)).toEqual(RIOT_LABELS);
    // On /v2 as floats, each with its arrival time (the R-IoT sends no clock).
    const acc = await until('the played samples on /v2', async () => {
      const r = await ns.call<{ values: number[]; timestamps: number }>('v2.column', { device: '0', column: 'ACC_Y' });
      return r.values.filter((v) => v > -10_000).length >= 200 ? r : undefined;
    });
    expect(acc.values.filter((v) => v > -10_000)).toEqual(Array.from({ length: 200 }, (_, k) => riotValues(k)[1]));
    expect(acc.timestamps).toBe(acc.values.length);
    // Silent now: declared stalled, then reconnecting with why.
    await until('stalled', async () => (await v2('status')).messages.find((m) => m.device === '0' && m.state === 'stalled'), 10_000);
    const stalled = await until('the stall', async () => (await v2('status')).messages.find((m) => m.device === '0' && (m.error as { code?: string } | undefined)?.code === 'DEVICE_STALLED'));
    expect(stalled.error).toMatchObject({ code: 'DEVICE_STALLED', message: 'no data from 127.0.0.1:9889 for 2 s' });
    expect((stalled.error as { hint: string }).hint).toMatch(/^The R-IoT may be switched off, out of Wi-Fi range, or sending to another address or port/);
    const out = await stopCli();
    expect(out.stderr).toContain('device: streaming — riot:127.0.0.1:9889/0 (R-IoT, receiving on 127.0.0.1:9889)');
    expect(out.stderr).toMatch(/device: reconnecting — no data from 127\.0\.0\.1:9889 for 2 s\n {2}→ The R-IoT may be switched off/);
  }, 120_000);

  it('osc_enable and osc_disable over /v2 turn the output on and off and save osc.enabled in the file; the server message follows', async () => {
    await dump('toggle', 8000); // the default destination
    const file = configFile(classic({}));
    await startCli(file);
    await ns.call('v2.open', { url: `ws://127.0.0.1:9301/v2?token=${TOKEN}` });
    const on = await command('osc_enable');
    expect(on).toMatchObject({ ok: true, result: { output: 'osc', state: 'running' } });
    expect(on.result!.detail).toMatch(/^→ 127\.0\.0\.1:8000 · \d+ datagrams\/s$/);
    expect((JSON.parse(fs.readFileSync(file, 'utf8')) as { osc: unknown }).osc).toEqual({ enabled: true });
    await until('samples at oscdump', async () => (await lines('toggle')).length >= 500);
    await until('the server message', () => outputStatus('osc', (s) => s.state === 'running'));
    const off = await command('osc_disable');
    expect(off).toMatchObject({ ok: true, result: { output: 'osc', state: 'off' } });
    expect((JSON.parse(fs.readFileSync(file, 'utf8')) as { osc: unknown }).osc).toEqual({ enabled: false });
    await until('the server message', () => outputStatus('osc', (s) => s.state === 'off'));
    await new Promise((r) => setTimeout(r, 300));
    const settled = (await lines('toggle')).length;
    await new Promise((r) => setTimeout(r, 1000));
    expect((await lines('toggle')).length).toBe(settled);
    // Without the token, no.
    await ns.call('v2.open', { url: 'ws://127.0.0.1:9301/v2' });
    expect(await command('osc_enable')).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
  }, 120_000);

  it('errors: nothing listening at the destination is said once on stderr with the fix, and shown in the status; a host without a route fails the output, not the service', async () => {
    const file = configFile(classic({ osc: { enabled: true, destinations: [{ host: '127.0.0.1', port: 9299 }] } }));
    await startCli(file);
    await ns.call('v2.open', { url: `ws://127.0.0.1:9301/v2?token=${TOKEN}` });
    const error = await until('the OSC error in the status', () => outputStatus('osc', (s) => s.state === 'error'));
    expect(error.error).toMatchObject({ code: 'OSC_UNREACHABLE', message: 'OSC to 127.0.0.1:9299 is not arriving: the port is closed (ICMP port unreachable)' });
    expect(error.detail).toContain('— Nothing receives on UDP port 9299 at 127.0.0.1: start the receiving program (Pd, Max, TouchDesigner…) or check the port.');
    await new Promise((r) => setTimeout(r, 2500)); // a few hundred more datagrams refused
    const out = await stopCli();
    const said = out.stderr.split('\n').filter((l) => l.startsWith('OSC: '));
    expect(said).toEqual(['OSC: OSC to 127.0.0.1:9299 is not arriving: the port is closed (ICMP port unreachable)']);
    expect(out.stderr).toContain('OSC: OSC to 127.0.0.1:9299 is not arriving: the port is closed (ICMP port unreachable)\n  → Nothing receives on UDP port 9299 at 127.0.0.1: start the receiving program');
    expect(out.code).toBe(0);

    // No route to 10.9.9.9 in this namespace: the output cannot open its socket; the devices and the WebSocket server run on.
    const file2 = configFile(classic({ osc: { enabled: true, destinations: [{ host: '10.9.9.9', port: 8000 }] } }));
    const started = await startCli(file2);
    expect(started.stderr).toMatch(/OSC: cannot open a UDP socket to 10\.9\.9\.9:8000: ENETUNREACH[^\n]*\n {2}→ There is no route to 10\.9\.9\.9: check the address and that this computer is on the same network\./);
    await ns.call('v2.open', { url: `ws://127.0.0.1:9301/v2?token=${TOKEN}` });
    await until('streaming', () => deviceStatus('0', 'streaming'));
  }, 120_000);
});

