/**
 * The transport-agnostic /v2 session (what the WebSocket endpoint and the Electron IPC both use),
 * driven directly against a real service streaming the simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createV2Session, type V2SessionOptions } from '../../src/main/api/session.js';
import { validateServerMessage } from '../../src/shared/v2-schemas.js';
import type { DataMessage, GapMessage, ReplyMessage, ServerMessage } from '../../src/shared/v2.js';
import { checkContiguous, expectContiguous, sleep, startServerBit, type Cleanup } from './helpers.js';

const cleanups: Cleanup[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function session(over: Partial<V2SessionOptions> = {}, config = {}) {
  const started = await startServerBit(cleanups, config);
  const msgs: ServerMessage[] = [];
  const s = createV2Session({
    context: started.app.api,
    trusted: false,
    send: (m) => {
      const issues = validateServerMessage(JSON.parse(JSON.stringify(m)));
      if (issues.length > 0) throw new Error(`invalid ${m.type}: ${issues.map((i) => i.message).join('; ')}`);
      msgs.push(m);
    },
    ...over,
  });
  cleanups.push(() => s.close());
  const data = () => msgs.filter((m): m is DataMessage => m.type === 'data');
  const replies = () => msgs.filter((m): m is ReplyMessage => m.type === 'reply');
  return { ...started, s, msgs, data, replies };
}

describe('/v2 session', () => {
  it('drops data for a backed-up client and reports exactly what it missed as one client_too_slow gap once it drains', async () => {
    let backed = false;
    const { msgs, data } = await session({ subscription: { batch: 10 }, isBackedUp: () => backed });
    await until(() => data().length >= 10);
    backed = true;
    const n = data().length;
    await sleep(300);
    expect(data().length).toBe(n); // nothing delivered while backed up
    backed = false;
    await until(() => msgs.some((m) => m.type === 'gap'));
    await until(() => data().length > n + 10);
    const gaps = msgs.filter((m): m is GapMessage => m.type === 'gap' && m.reason === 'client_too_slow');
    expect(gaps).toHaveLength(1);
    expect(gaps[0].to - gaps[0].from).toBeGreaterThan(200);
    expectContiguous(msgs, ['client_too_slow', 'device_overflow']); // device_overflow only if the machine stalls
  });

  it('reports a missed range even when no more data comes (acquisition stopped while backed up)', async () => {
    let backed = false;
    const { msgs, data, app } = await session({ subscription: { batch: 10 }, isBackedUp: () => backed });
    await until(() => data().length >= 3);
    backed = true;
    await sleep(100);
    await app.acquisition.stop('0');
    backed = false;
    await until(() => msgs.some((m) => m.type === 'gap'), 1000, 'the gap');
    expect(msgs.find((m) => m.type === 'gap')).toMatchObject({ reason: 'client_too_slow' });
    expect(checkContiguous(msgs).next).toBe(app.acquisition.status('0').counters.frames);
  });

  it('waits for a first subscribe message before sending data when none was given at connect', async () => {
    const { s, msgs, data } = await session({ settleMs: 60_000 });
    expect(msgs.map((m) => m.type)).toEqual(['hello', 'meta', 'status', 'server']);
    await sleep(300);
    expect(data()).toHaveLength(0);
    s.receive(JSON.stringify({ type: 'subscribe', batch: 5, format: 'converted', columns: ['A2'] }));
    await until(() => data().length >= 5);
    expect(data().every((d) => (d.index + d.count) % 5 === 0 && d.raw === undefined && Object.keys(d.converted!).join() === 'A2')).toBe(true);
    expect(data().slice(1).every((d) => d.count === 5)).toBe(true); // the first, joined mid-stream, ends at the first boundary
  });

  it('refuses a converted subscription without analog columns, and keeps the defaults', async () => {
    const { msgs, replies } = await session({ subscription: { format: 'converted', columns: ['nSeq', 'I1'] } });
    expect(replies()[0]).toMatchObject({ id: null, ok: false, error: { code: 'BAD_ARGUMENTS', message: expect.stringMatching(/analog columns only/) } });
    expect(msgs[0]).toMatchObject({ type: 'hello', subscription: { columns: 'all', format: 'raw' } });
  });

  it('takes already-parsed messages (Electron IPC), refuses binary ones, and sends nothing after close', async () => {
    const { s, msgs, replies, app } = await session({ trusted: true, subscription: { batch: 50 } });
    s.receive({ type: 'command', id: 'a', command: 'get_config' });
    s.receive(Buffer.from('{"type":"command","id":"b","command":"get_config"}'));
    s.receive({ type: 'command', id: 'c', command: 'get_config', args: { x: 1 } });
    await until(() => replies().length >= 3);
    expect(replies().find((r) => r.id === 'a')).toMatchObject({ ok: true, result: { config: { token: 't0k-0123456789abcdef' } } });
    expect(replies().find((r) => r.id === null)).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE', message: expect.stringMatching(/binary/) } });
    expect(replies().find((r) => r.id === 'c')).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENTS' } });
    const subscribers = app.acquisition.hub.subscriberCount;
    s.close();
    s.close();
    expect(app.acquisition.hub.subscriberCount).toBe(subscribers - 1);
    const n = msgs.length;
    s.receive({ type: 'command', id: 'd', command: 'get_config' });
    await sleep(200);
    expect(msgs.length).toBe(n);
  });

  it('shares one hub subscription (batcher and encoding) between sessions with the same subscription', async () => {
    const { app } = await startServerBit(cleanups);
    const base = app.acquisition.hub.subscriberCount;
    const open = (sub: V2SessionOptions['subscription']) => {
      const s = createV2Session({ context: app.api, trusted: false, send: () => undefined, subscription: sub });
      cleanups.push(() => s.close());
      return s;
    };
    const a = open({ batch: 10, columns: ['A1', 'nSeq'] });
    open({ batch: 10, columns: ['nSeq', 'A1'] });
    expect(app.acquisition.hub.subscriberCount).toBe(base + 1);
    open({ batch: 11 });
    expect(app.acquisition.hub.subscriberCount).toBe(base + 2);
    a.close();
    expect(app.acquisition.hub.subscriberCount).toBe(base + 2);
  });
});
