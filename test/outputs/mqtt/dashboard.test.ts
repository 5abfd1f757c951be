/**
 * examples/mqtt-dashboard.html parses what ServerBIT really publishes: its parsing script (the
 * page's <script id="serverbit-mqtt">, run here as the browser would run it, without the page)
 * is fed every message a real mosquitto delivered from `serverbit --mqtt`, and then the same
 * messages with one data message missing, a resend, garbage and a removed device.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, cleanup, mosquittoSub, startBroker, startCli, waitFor } from './harness.js';

afterEach(cleanup);

type Event = { kind: string; device?: string; index?: number; count?: number; columns?: Record<string, number[]>; lost?: [number, number]; reason?: string; meta?: { column: string[] }; status?: { state: string } };
type Tracker = { handle(topic: string, text: string): Event };

function loadTracker(filter: string): Tracker {
  const html = readFileSync(path.join(ROOT, 'examples/mqtt-dashboard.html'), 'utf8');
  const m = /<script id="serverbit-mqtt">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('no <script id="serverbit-mqtt"> in the page');
  const ctx = vm.createContext({});
  vm.runInContext(`${m[1]}\nthis.make = createServerBitTracker;`, ctx);
  return (ctx as unknown as { make: (f: string) => Tracker }).make(filter);
}

describe('examples/mqtt-dashboard.html', () => {
  it('parses the meta, status and data a real ServerBIT publishes, and notices what goes missing', async () => {
    const broker = await startBroker();
    const svc = await startCli(['--mqtt', broker.url, '--prefix', 'serverbit/lab-pc']);
    await svc.waitStderr('mqtt: connected');
    const sub = await mosquittoSub(broker.port, ['serverbit/+/+/meta', 'serverbit/+/+/status', 'serverbit/+/+/data', 'serverbit/+/+/gap']);
    await waitFor(() => sub.of('data').length >= 40, 20_000, '40 data messages');
    await sub.stop();

    const tracker = loadTracker('serverbit/+');
    const events = sub.messages.map((m) => tracker.handle(m.topic, m.payload));
    expect(events.filter((e) => e.kind === 'ignored')).toEqual([]);
    const meta = events.find((e) => e.kind === 'meta')!;
    expect(meta.device).toBe('lab-pc.0');
    expect(meta.meta!.column).toEqual(['nSeq', 'I1', 'I2', 'O1', 'O2', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6']);
    expect(events.find((e) => e.kind === 'status')!.status!.state).toBe('streaming');
    const data = events.filter((e) => e.kind === 'data');
    expect(data.length).toBeGreaterThanOrEqual(40);
    expect(data.every((e) => !e.lost && e.columns!.A1.length === e.count)).toBe(true);

    // The same stream with one message missing, one repeated, and garbage: a fresh tracker notices.
    const again = loadTracker('serverbit/+');
    const msgs = sub.messages.filter((m) => m.topic.endsWith('/meta') || m.topic.endsWith('/data'));
    const dataAt = msgs.map((m, i) => (m.topic.endsWith('/data') ? i : -1)).filter((i) => i >= 0);
    const dropped = JSON.parse(msgs[dataAt[10]].payload) as { index: number; count: number };
    const replay = msgs.filter((_, i) => i !== dataAt[10]);
    replay.splice(dataAt[20], 0, msgs[dataAt[15]]);
    replay.push({ topic: 'serverbit/lab-pc/0/data', payload: '{"type":"data"' }, { topic: 'elsewhere/x/0/data', payload: '{}' });
    const ev = replay.map((m) => again.handle(m.topic, m.payload));
    expect(ev.filter((e) => e.lost).map((e) => e.lost)).toEqual([[dropped.index, dropped.index + dropped.count]]);
    expect(ev.filter((e) => e.kind === 'ignored').map((e) => e.reason)).toEqual(['repeated', 'not JSON', 'topic elsewhere/x/0/data']);
    expect(again.handle('serverbit/lab-pc/0/status', '')).toEqual({ kind: 'removed', device: 'lab-pc.0' });
  });
});
