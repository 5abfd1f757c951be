import { afterEach, describe, expect, it, vi } from 'vitest';
import { CommandClient, CommandError, toWireError } from '../../src/renderer/commands.js';
import type { ServerBitChannel } from '../../src/shared/api.js';
import type { ClientMessage, ServerMessage } from '../../src/shared/v2.js';

function fakeChannel(withConnection = true) {
  const sent: ClientMessage[] = [];
  let onMsg: (m: ServerMessage) => void = () => undefined;
  let onConn: (s: 'connecting' | 'open' | 'closed') => void = () => undefined;
  const channel: ServerBitChannel = {
    host: withConnection ? 'browser' : 'electron',
    send: (m) => sent.push(m),
    onMessage: (l) => {
      onMsg = l;
      return () => undefined;
    },
    ...(withConnection
      ? {
          onConnection: (l: typeof onConn) => {
            onConn = l;
            return () => undefined;
          },
        }
      : {}),
  };
  return { channel, sent, reply: (m: ServerMessage) => onMsg(m), connection: (s: 'connecting' | 'open' | 'closed') => onConn(s) };
}

afterEach(() => vi.useRealTimers());

describe('CommandClient', () => {
  it('sends a command with an id and resolves with its result', async () => {
    const f = fakeChannel(false);
    const c = new CommandClient(f.channel);
    const p = c.call('test_device', { device: '/dev/pts/3' });
    expect(f.sent).toEqual([{ type: 'command', id: 'ui-1', command: 'test_device', args: { device: '/dev/pts/3' } }]);
    f.reply({ type: 'reply', id: 'ui-1', ok: true, result: { ok: true, firmware: 'BITalino_v5.2' } });
    await expect(p).resolves.toEqual({ ok: true, firmware: 'BITalino_v5.2' });
    expect(c.inFlight).toBe(0);
  });

  it('rejects with the server’s error, code and hint kept', async () => {
    const f = fakeChannel(false);
    const c = new CommandClient(f.channel);
    const p = c.call('start');
    f.reply({ type: 'reply', id: 'ui-1', ok: false, error: { code: 'UNAUTHORIZED', message: 'no token', hint: 'send it' } });
    const e = await p.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CommandError);
    expect(toWireError(e)).toEqual({ code: 'UNAUTHORIZED', message: 'no token', hint: 'send it' });
  });

  it('refuses while disconnected and fails pending commands when the connection drops', async () => {
    const f = fakeChannel(true);
    const c = new CommandClient(f.channel);
    await expect(c.call('state')).rejects.toMatchObject({ code: 'DISCONNECTED' });
    f.connection('open');
    const p = c.call('state');
    f.connection('closed');
    await expect(p).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('times out, and bounds the commands in flight', async () => {
    vi.useFakeTimers();
    const f = fakeChannel(false);
    const c = new CommandClient(f.channel, 2);
    const a = c.call('state');
    c.call('state').catch(() => undefined);
    await expect(c.call('state')).rejects.toMatchObject({ code: 'BUSY' });
    vi.advanceTimersByTime(10_001);
    await expect(a).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(c.inFlight).toBe(0);
  });

  it('reports an error reply with id null (the server could not read a message)', () => {
    const f = fakeChannel(false);
    const c = new CommandClient(f.channel);
    const seen: string[] = [];
    c.onOrphanError = (e) => seen.push(e.code);
    f.reply({ type: 'reply', id: null, ok: false, error: { code: 'BAD_MESSAGE', message: 'x' } });
    f.reply({ type: 'reply', id: 'unknown', ok: true, result: null });
    expect(seen).toEqual(['BAD_MESSAGE']);
  });
});
