/**
 * Outputs through /v2 against the real service: a recording started and stopped by command,
 * with a marker in it; an output turned on and off by command (saved in the config), its state
 * in the `server` message.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigStore } from '../../src/main/config/config-store.js';
import type { RecordingResult, ServerStatusMessage } from '../../src/shared/v2.js';
import { TOKEN, V2Client, cleanupAfterEach, startServerBit } from './helpers.js';

const cleanups = cleanupAfterEach();

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serverbit-outputs-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function ok(reply: unknown): unknown {
  expect(reply).toMatchObject({ ok: true });
  return (reply as { result: unknown }).result;
}

describe('/v2 outputs', () => {
  it('record_start and record_stop record the stream to the folder asked for; a marker goes into the events file', async () => {
    const dir = tempDir();
    const { v2 } = await startServerBit(cleanups);
    const c = await V2Client.open(`${v2}?token=${TOKEN}`);
    await c.until(() => c.data.length >= 2);
    const started = ok(await c.command('record_start', { folder: dir, formats: ['txt', 'csv'] })) as RecordingResult;
    expect(started.state).toBe('running');
    expect(started.files.map((f) => path.basename(f)).sort()).toEqual(expect.arrayContaining([expect.stringMatching(/\.txt$/), expect.stringMatching(/\.csv$/)]));
    const server = await c.next((m) => m.type === 'server' && m.outputs.some((o) => o.output === 'recorder' && o.state === 'running'), 5000);
    expect((server as ServerStatusMessage).outputs[0].output).toBe('recorder');
    ok(await c.command('marker', { label: 'eyes closed' }));
    await new Promise((r) => setTimeout(r, 500));
    expect(await c.command('record_start', { folder: dir })).toMatchObject({ ok: false, error: { code: 'RECORDING_ALREADY_RUNNING' } });
    const stopped = ok(await c.command('record_stop')) as RecordingResult;
    expect(stopped.samples).toBeGreaterThan(300);
    const txt = stopped.files.find((f) => f.endsWith('.txt'))!;
    const lines = fs.readFileSync(txt, 'utf8').split('\n');
    expect(lines[0]).toBe('# OpenSignals Text File Format');
    expect(lines.length - 4).toBeGreaterThan(300);
    const events = stopped.files.find((f) => f.endsWith('events.json'))!;
    expect(fs.readFileSync(events, 'utf8')).toContain('eyes closed');
    expect(await c.command('record_stop')).toMatchObject({ ok: false, error: { code: 'RECORDING_NOT_RUNNING' } });
    // Without the token, no recording.
    const anon = await V2Client.open(v2);
    expect(await anon.command('record_start', { folder: dir })).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
  });

  it('lsl_enable turns the LSL output on and saves it; lsl_disable turns it off; the server message follows', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ device: 'simulator', port: await freePort(), token: TOKEN }));
    const store = ConfigStore.open({ path: file });
    const { config } = store.load();
    const { v2, app } = await startServerBit(cleanups, { port: config.port }, { configStore: store });
    const c = await V2Client.open(`${v2}?token=${TOKEN}`);
    const on = ok(await c.command('lsl_enable')) as { output: string; state: string };
    expect(on).toMatchObject({ output: 'lsl', state: 'running' });
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).lsl).toEqual({ enabled: true });
    await c.next((m) => m.type === 'server' && m.outputs.some((o) => o.output === 'lsl' && o.state === 'running'), 5000);
    expect(app.outputs.status('lsl')?.state).toBe('running');
    const off = ok(await c.command('lsl_disable')) as { state: string };
    expect(off.state).toBe('off');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).lsl).toEqual({ enabled: false });
  });
});
