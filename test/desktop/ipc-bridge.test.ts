import { afterEach, describe, expect, it } from 'vitest';
import { createServerBit, type ServerBit } from '../../src/main/app.js';
import { IpcBridge, withProblem, type BridgeTarget, type V2SessionLike } from '../../src/main/desktop/ipc-bridge.js';
import { defaultConfig } from '../../src/shared/config.js';
import type { ServerMessage } from '../../src/shared/v2.js';
import { createV2Session } from '../../src/main/api/session.js';
import { status } from './helpers.js';

const PREFIX = 'file:///app/dist/renderer/';
const PAGE = `${PREFIX}index.html`;

function fakeSessions() {
  const made: { send: (m: ServerMessage) => void; received: string[]; closed: number }[] = [];
  const createSession = (send: (m: ServerMessage) => void): V2SessionLike => {
    const s = { send, received: [] as string[], closed: 0 };
    made.push(s);
    return { receive: (raw: string) => s.received.push(raw), close: () => s.closed++ };
  };
  return { made, createSession };
}

function target(id: number): BridgeTarget & { got: ServerMessage[] } {
  const got: ServerMessage[] = [];
  return { id, got, send: (m) => got.push(m) };
}

describe('IpcBridge', () => {
  it('forwards messages from the app window to its session, as JSON text', () => {
    const { made, createSession } = fakeSessions();
    const bridge = new IpcBridge({ createSession, rendererUrlPrefix: PREFIX });
    bridge.open(target(1));
    expect(bridge.receive({ targetId: 1, frameUrl: PAGE, isMainFrame: true }, { type: 'command', id: 'a', command: 'start' })).toBe('forwarded');
    expect(made[0].received).toEqual(['{"type":"command","id":"a","command":"start"}']);
  });

  it('drops messages from other frames and pages without an answer', () => {
    const { made, createSession } = fakeSessions();
    const t = target(1);
    const warnings: string[] = [];
    const bridge = new IpcBridge({ createSession, rendererUrlPrefix: PREFIX, log: { debug: () => undefined, warn: (f) => void warnings.push(f) } });
    bridge.open(t);
    const msg = { type: 'command', id: 1, command: 'stop' };
    expect(bridge.receive({ targetId: 1, frameUrl: 'https://evil.example/', isMainFrame: true }, msg)).toBe('untrusted-sender');
    expect(bridge.receive({ targetId: 1, frameUrl: PAGE, isMainFrame: false }, msg)).toBe('untrusted-sender');
    expect(bridge.receive({ targetId: 1, frameUrl: undefined, isMainFrame: true }, msg)).toBe('untrusted-sender');
    expect(made[0].received).toEqual([]);
    expect(t.got).toEqual([]);
    expect(warnings).toHaveLength(3);
  });

  it('answers a malformed message from the app with BAD_MESSAGE and does not forward it', () => {
    const { made, createSession } = fakeSessions();
    const t = target(1);
    const bridge = new IpcBridge({ createSession, rendererUrlPrefix: PREFIX });
    bridge.open(t);
    expect(bridge.receive({ targetId: 1, frameUrl: PAGE, isMainFrame: true }, { id: 9, command: 'start' })).toBe('malformed');
    expect(bridge.receive({ targetId: 1, frameUrl: PAGE, isMainFrame: true }, 'start')).toBe('malformed');
    expect(made[0].received).toEqual([]);
    expect(t.got).toMatchObject([
      { type: 'reply', id: 9, ok: false, error: { code: 'BAD_MESSAGE' } },
      { type: 'reply', id: null, ok: false, error: { code: 'BAD_MESSAGE' } },
    ]);
  });

  it('one session per window; a reload replaces it; late output of a closed session goes nowhere', () => {
    const { made, createSession } = fakeSessions();
    const a = target(1);
    const b = target(2);
    const bridge = new IpcBridge({ createSession, rendererUrlPrefix: PREFIX });
    bridge.open(a);
    bridge.open(b);
    expect(bridge.openCount).toBe(2);
    made[0].send({ type: 'status', state: 'idle', rate: 1000, channels: [1], counters: status('idle').counters });
    expect(a.got).toHaveLength(1);
    expect(b.got).toHaveLength(0);
    bridge.open(a); // reload
    expect(made[0].closed).toBe(1);
    made[0].send({ type: 'status', state: 'idle', rate: 1000, channels: [1], counters: status('idle').counters });
    expect(a.got).toHaveLength(1);
    bridge.closeAll();
    expect(made.map((m) => m.closed)).toEqual([1, 1, 1]);
    expect(bridge.receive({ targetId: 1, frameUrl: PAGE, isMainFrame: true }, { type: 'subscribe' })).toBe('no-session');
  });

  it('adds the app problem to status messages that carry no error', () => {
    const problem = { code: 'CONFIG_INVALID_JSON', message: 'config.json is not valid JSON', hint: 'Fix it.' };
    const st: ServerMessage = { type: 'status', state: 'streaming', rate: 1000, channels: [1], counters: status('idle').counters };
    expect(withProblem(st, problem)).toEqual({ ...st, error: problem });
    const own = { ...st, error: { code: 'DEVICE_STALLED', message: 'no data' } };
    expect(withProblem(own, problem)).toBe(own);
    const reply: ServerMessage = { type: 'reply', id: 1, ok: true, result: null };
    expect(withProblem(reply, problem)).toBe(reply);
    expect(withProblem(st, undefined)).toBe(st);
  });
});

describe('IpcBridge with the real /v2 session', () => {
  let app: ServerBit | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('the window gets hello (with control, no token), status and replies to its commands', async () => {
    app = createServerBit({ config: { ...defaultConfig(), port: 0, token: 'secret-token' } });
    await app.start();
    const serverbit = app;
    const t = target(7);
    const problem = { code: 'CONFIG_INVALID_JSON', message: 'config.json is not valid JSON' };
    const bridge = new IpcBridge({
      createSession: (send) => createV2Session({ context: serverbit.api, send, trusted: true }),
      rendererUrlPrefix: PREFIX,
      problem: () => problem,
    });
    bridge.open(t);
    expect(bridge.receive({ targetId: 7, frameUrl: PAGE, isMainFrame: true }, { type: 'command', id: 'cfg', command: 'get_config' })).toBe('forwarded');
    const until = async (pred: () => boolean) => {
      for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(pred()).toBe(true);
    };
    await until(() => t.got.some((m) => m.type === 'reply' && m.id === 'cfg'));
    const hello = t.got.find((m) => m.type === 'hello');
    expect(hello).toMatchObject({ type: 'hello', control: true });
    const reply = t.got.find((m) => m.type === 'reply' && m.id === 'cfg');
    expect(reply).toMatchObject({ ok: true });
    await until(() => t.got.some((m) => m.type === 'status'));
    const st = t.got.find((m) => m.type === 'status');
    expect(st).toMatchObject({ error: problem });
    bridge.closeAll();
  });
});
