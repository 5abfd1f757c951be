/**
 * What `serverbit` says about LSL at start (docs/lsl.md §11), without liblsl: on or not, how many
 * streams and for whom; a stream that cannot bind shows its error and hint; a bad `lsl` value in
 * the config is named. Ports the system picks (`base_port: 0`) and no discovery socket
 * (`multicast_port: 0`), so these runs never meet the LSL ports of another test or program.
 * (The real liblsl reading the CLI's streams: test/interop/lsl/cli.test.ts, `npm run test:lsl`.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

const CLI = path.resolve('dist/main/cli.js');
const TOKEN = 'lsl-cli-token-0123456789';
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }
  }
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Runs the CLI with this config until `done(stdout, stderr)` holds (30 s at most). */
async function run(config: Record<string, unknown>, done: (out: string, err: string) => boolean): Promise<{ out: () => string; err: () => string; port: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serverbit-lsl-cli-'));
  dirs.push(dir);
  const port = await freePort();
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify({ device: 'simulator', port, token: TOKEN, ...config }));
  const child = spawn(process.execPath, [CLI, '--config', file], { env: { ...process.env, HOME: dir, USERPROFILE: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const end = Date.now() + 30_000;
  while (!done(out, err)) {
    if (child.exitCode !== null) throw new Error(`serverbit exited with ${child.exitCode}: ${out}\n${err}`);
    if (Date.now() > end) throw new Error(`serverbit did not print what was expected in 30 s: ${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { out: () => out, err: () => err, port };
}

/** Started: the LISTENING line and the status page's; the LSL line, if any, follows at once. */
const started = (out: string, err: string): boolean => /^ServerBIT LISTENING/m.test(out) && /^Status page/m.test(err);
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 500));

describe('serverbit says what LSL does', () => {
  it('LSL on: for whom, how many streams, and which; the /v2 status says the same', async () => {
    const r = await run({ lsl: { enabled: true, base_port: 0, multicast_port: 0 } }, (o) => /^LSL on/m.test(o));
    // Right after the LISTENING line, on stdout.
    const lines = r.out().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ServerBIT LISTENING on ws:\/\/127\.0\.0\.1:\d+\/ — simulator/);
    expect(lines).toContain('LSL on for this computer only (127.0.0.1): 1 stream — "simulator" (Biosignals)');
    const ws = new WebSocket(`ws://127.0.0.1:${r.port}/v2?token=${TOKEN}`);
    const messages: { type: string; id?: string; ok?: boolean; outputs?: { output: string; state: string; detail: string }[] }[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const until = async (cond: () => boolean, what: string): Promise<void> => {
      for (const end = Date.now() + 15_000; !cond(); await new Promise((res) => setTimeout(res, 20))) if (Date.now() > end) throw new Error(`no ${what}: ${r.err()}`);
    };
    await until(() => messages.some((m) => m.type === 'server'), 'server message');
    const lsl = messages.find((m) => m.type === 'server')!.outputs!.find((o) => o.output === 'lsl');
    expect(lsl).toMatchObject({ state: 'running', detail: '1 stream · 0 inlets · this computer only' });

    // Turned off and on over /v2: each change is a line on stderr.
    ws.send(JSON.stringify({ type: 'command', id: 'off', command: 'lsl_disable' }));
    await until(() => /^LSL off$/m.test(r.err()), '"LSL off"');
    ws.send(JSON.stringify({ type: 'command', id: 'on', command: 'lsl_enable' }));
    await until(() => r.err().split('\n').includes('LSL on for this computer only (127.0.0.1): 1 stream — "simulator" (Biosignals)'), 'the LSL line again');
    expect(messages.filter((m) => m.type === 'reply').map((m) => [m.id, m.ok])).toEqual([['off', true], ['on', true]]);
    ws.terminate();
  });

  it('a stream that cannot bind: the error and what to do, on stderr', async () => {
    // A documentation address (RFC 5737) that is not one of this computer's.
    const own = new Set(Object.values(os.networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address)));
    const host = ['192.0.2.123', '198.51.100.123', '203.0.113.123'].find((a) => !own.has(a))!;
    const r = await run({ lsl: { enabled: true, host, base_port: 0, multicast_port: 0 } }, (o, e) => /^LSL on/m.test(o) && /→ Set lsl\.host/.test(e));
    const [out, err] = [r.out(), r.err()];
    expect(out.split('\n')).toContain(`LSL on for the network of ${host}: no stream yet; 1 could not open (below)`);
    expect(err.split('\n')).toContain(`LSL: cannot serve on ${host}: it is not an address of this computer (EADDRNOTAVAIL) — stream "simulator"`);
    expect(err).toMatch(/^ {2}→ Set lsl\.host to "127\.0\.0\.1" \(this computer only\), "0\.0\.0\.0" \(every network\)/m);
  });

  it('a bad lsl value in the config is named; the file is not used (and LSL stays off)', async () => {
    const r = await run({ lsl: { enabled: true, backlog_s: 0 } }, started);
    await settle();
    const [out, err] = [r.out(), r.err()];
    expect(err).toMatch(/lsl\.backlog_s is 0; allowed: seconds of samples kept for an inlet that falls behind, from 1 to 3600/);
    expect(out).not.toMatch(/^LSL/m);
  });

  it('LSL off (the default): not a word about it', async () => {
    const r = await run({}, started);
    await settle();
    const [out, err] = [r.out(), r.err()];
    expect(out + err).not.toMatch(/LSL/);
  });
});
