/**
 * /v2 access and robustness: who may read, who may control, and what bad input gets (an error
 * reply with a stable code, the connection staying usable).
 */
import { describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_BYTES } from '../../src/main/server/ws-server.js';
import { V2_MAX_MESSAGE_BYTES } from '../../src/shared/v2-schemas.js';
import type { HelloMessage, ReplyMessage } from '../../src/shared/v2.js';
import { TOKEN, V2Client, checkContiguous, cleanupAfterEach, refusedStatus, sleep, startServerBit } from './helpers.js';

const cleanups = cleanupAfterEach();

const hello = (c: V2Client) => c.messages[0] as HelloMessage;

describe('/v2 access', () => {
  it('refuses a foreign Origin at the upgrade: it can neither read nor control', async () => {
    const { v2 } = await startServerBit(cleanups);
    expect(await refusedStatus(v2, 'http://evil.example')).toBe(403);
    expect(await refusedStatus(`${v2}?token=${TOKEN}`, 'https://evil.example')).toBe(403);
    expect(await refusedStatus(v2, 'http://localhost.evil.example:9001')).toBe(403);
  });

  it('lets allowed origins and programs read, but commands need the token', async () => {
    const { v2 } = await startServerBit(cleanups);
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:5173', undefined]) {
      const c = await V2Client.open(v2, origin === undefined ? {} : { origin });
      await c.until(() => c.data.length > 0);
      expect(hello(c).control).toBe(false);
      const r = await c.command('stop');
      expect(r).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
      const err = (r as Extract<ReplyMessage, { ok: false }>).error;
      expect(err.message).toMatch(/presented none/);
      expect(err.hint).toMatch(/serverbit --show-token/);
      // An untrusted client learns no path on this computer (the home folder names the user).
      expect(err.hint).not.toMatch(/config\.json|\/home|\/root|\/tmp|Users/);
      // get_config holds the token itself: no control, no config.
      expect(await c.command('get_config')).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
      expect(await c.command('stop', undefined, { token: 'wrong' })).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED', message: expect.stringMatching(/not the right one/) } });
    }
  });

  it('accepts the token at connect, in a subscribe message or per command', async () => {
    const { v2 } = await startServerBit(cleanups);
    const atConnect = await V2Client.open(`${v2}?token=${TOKEN}`, { origin: 'http://localhost:5173' });
    await atConnect.until(() => atConnect.messages.length >= 3);
    expect(hello(atConnect).control).toBe(true);
    expect(await atConnect.command('get_config')).toMatchObject({ ok: true, result: { config: { token: TOKEN } } });

    const perCommand = await V2Client.open(v2);
    expect(await perCommand.command('list_ports', undefined, { token: TOKEN })).toMatchObject({ ok: true });
    expect(await perCommand.command('list_ports')).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });

    const bySubscribe = await V2Client.open(v2);
    bySubscribe.send({ type: 'subscribe', token: TOKEN });
    const h = await bySubscribe.next((m) => m.type === 'hello' && m.control, 3000, 1, 'a hello with control');
    expect(h).toMatchObject({ control: true });
    expect(await bySubscribe.command('list_ports')).toMatchObject({ ok: true });
  });

  it('gives no control for claiming the UI’s own origin: any program can send that header', async () => {
    const { v2, port } = await startServerBit(cleanups);
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      const c = await V2Client.open(v2, { origin });
      await c.until(() => c.messages.length >= 3);
      expect(hello(c).control).toBe(false);
      expect(await c.command('get_config')).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    }
    // With the token, the page it serves has control (it gets it from the address the CLI prints).
    const page = await V2Client.open(`${v2}?token=${TOKEN}`, { origin: `http://127.0.0.1:${port}` });
    await page.until(() => page.messages.length >= 3);
    expect(hello(page).control).toBe(true);
  });

  it('never matches an empty configured token', async () => {
    const { v2 } = await startServerBit(cleanups, { token: '' });
    const c = await V2Client.open(`${v2}?token=`);
    await c.until(() => c.messages.length >= 3);
    expect(hello(c).control).toBe(false);
    expect(await c.command('stop', undefined, { token: '' })).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
  });
});

describe('/v2 bad input', () => {
  it('answers every bad message with an error reply and keeps the connection (and the stream) going', async () => {
    const { v2 } = await startServerBit(cleanups);
    const c = await V2Client.open(`${v2}?token=${TOKEN}&batch=20`);
    await c.until(() => c.data.length > 0);
    const errorFor = async (raw: string | Buffer | object, id: string | number | null = null) => {
      const from = c.messages.length;
      c.send(raw);
      const r = await c.next<Extract<ReplyMessage, { ok: false }>>((m) => m.type === 'reply' && m.id === id && !m.ok, 3000, from, `an error reply to ${String(raw).slice(0, 40)}`);
      return r.error;
    };
    expect(await errorFor({ type: 'command', id: 1, command: 'self_destruct' }, 1)).toMatchObject({ code: 'UNKNOWN_COMMAND' });
    expect(await errorFor({ type: 'command', id: 2, command: 'pwm', args: { duty: '100' } }, 2)).toMatchObject({ code: 'BAD_ARGUMENTS', message: expect.stringMatching(/duty/) });
    expect(await errorFor({ type: 'command', id: 3, command: 'pwm', args: { duty: 256 } }, 3)).toMatchObject({ code: 'BAD_ARGUMENTS' });
    expect(await errorFor({ type: 'command', id: 4, command: 'outputs', args: { outputs: [1, 'on'] } }, 4)).toMatchObject({ code: 'BAD_ARGUMENTS' });
    expect(await errorFor({ type: 'command', id: 5, command: 'state', args: 'now' }, 5)).toMatchObject({ code: 'BAD_ARGUMENTS' });
    expect(await errorFor({ type: 'command', id: 6, command: 'state', extra: true }, 6)).toMatchObject({ code: 'BAD_MESSAGE' });
    expect(await errorFor({ type: 'command', command: 'state' })).toMatchObject({ code: 'BAD_MESSAGE', message: expect.stringMatching(/id is missing/) });
    expect(await errorFor({ type: 'command', id: { x: 1 }, command: 'state' })).toMatchObject({ code: 'BAD_MESSAGE' });
    expect(await errorFor({ type: 'launch' })).toMatchObject({ code: 'BAD_MESSAGE' });
    expect(await errorFor('[1,2,3]')).toMatchObject({ code: 'BAD_MESSAGE' });
    expect(await errorFor('{"type": "command", "id": 7, ')).toMatchObject({ code: 'BAD_MESSAGE', message: expect.stringMatching(/not valid JSON/) });
    expect(await errorFor(Buffer.from([1, 2, 3]))).toMatchObject({ code: 'BAD_MESSAGE', message: expect.stringMatching(/binary/) });
    // Oversize for /v2 (but under the socket's own limit): refused, connection kept.
    const big = JSON.stringify({ type: 'command', id: 8, command: 'set_config', args: { config: { device: 'x'.repeat(V2_MAX_MESSAGE_BYTES) } } });
    expect(await errorFor(big)).toMatchObject({ code: 'BAD_MESSAGE', message: expect.stringMatching(/bytes; allowed: at most/) });

    expect(await c.command('state')).toMatchObject({ ok: true });
    const n = c.data.length;
    await c.until(() => c.data.length > n + 3);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    checkContiguous(c.messages);
  });

  it('a message past the socket limit (ws maxPayload) closes that connection with 1009, not the server', async () => {
    const { v2 } = await startServerBit(cleanups);
    const c = await V2Client.open(v2);
    c.send('x'.repeat(MAX_PAYLOAD_BYTES + 1));
    expect((await c.closed).code).toBe(1009);
    const d = await V2Client.open(v2);
    await d.until(() => d.data.length > 0);
  });

  it('answers a flood (> 200 messages/s) with RATE_LIMITED and recovers', async () => {
    const { v2 } = await startServerBit(cleanups);
    const c = await V2Client.open(`${v2}?token=${TOKEN}`);
    // A burst far beyond the limit, so the bucket runs dry even on a slow, loaded machine.
    for (let i = 0; i < 1000; i++) c.send({ type: 'command', id: i, command: 'get_config' });
    await c.until(() => c.of('reply').length >= 1000, 15000, '1000 replies');
    const replies = c.of('reply');
    const limited = replies.filter((r) => !r.ok && r.error.code === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThan(0);
    expect(replies.filter((r) => r.ok).length).toBeGreaterThanOrEqual(200);
    expect(limited.every((r) => typeof r.id === 'number')).toBe(true);
    await sleep(1100);
    expect(await c.command('get_config')).toMatchObject({ ok: true });
  });
});
