/** OscOutput's lifecycle, status and bounds, with real sockets on 127.0.0.1 and a real Hub. */
import dgram from 'node:dgram';
import { decode } from 'node-osc';
import { describe, expect, it } from 'vitest';
import { Hub } from '../../../src/main/acquisition/hub.js';
import { OscOutput } from '../../../src/main/outputs/osc/osc-output.js';
import type { OutputStatus } from '../../../src/main/outputs/output.js';
import { defaultOscOutputSettings, type OscOutputSettings } from '../../../src/shared/outputs/osc-config.js';
import { feedMeta, sampleValues, signalBatch } from './signal.js';

async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const settings = (port: number, over: Partial<OscOutputSettings> = {}): OscOutputSettings => ({ ...defaultOscOutputSettings(), enabled: true, destinations: [{ host: '127.0.0.1', port }], ...over });

async function waitFor<T>(get: () => T, pred: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = get();
    if (pred(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('OscOutput', () => {
  it('refuses invalid settings with a TypeError naming them', () => {
    const hub = new Hub();
    expect(() => new OscOutput({ hub, settings: { ...settings(9000), destinations: [] } })).toThrow(/destinations has 0 items/);
    expect(() => new OscOutput({ hub, settings: { ...settings(9000), maxDatagramBytes: 64 } })).toThrow(/maxDatagramBytes is 64/);
    expect(() => new OscOutput({ hub, settings: { ...settings(9000), addresses: 'all' as never } })).toThrow(/addresses is "all"/);
  });

  it('lifecycle: start is idempotent, close is idempotent, a closed output cannot start again; states are announced', async () => {
    const hub = new Hub();
    const out = new OscOutput({ hub, settings: settings(await freePort()) });
    const states: string[] = [];
    out.onStatus((s) => {
      if (states[states.length - 1] !== s.state) states.push(s.state);
    });
    expect(out.status().state).toBe('off');
    const a = out.start();
    const b = out.start();
    expect(a).toBe(b);
    await a;
    expect(hub.subscriberCount).toBe(1);
    await out.close();
    await out.close();
    expect(hub.subscriberCount).toBe(0);
    await expect(out.start()).rejects.toThrow(/closed; create a new one/);
    expect(states).toEqual(['starting', 'running', 'stopped']);
  });

  it('a host name that does not resolve: start rejects with OSC_HOST_UNRESOLVED and the status says what to check', async () => {
    const out = new OscOutput({ hub: new Hub(), settings: settings(9000, { destinations: [{ host: 'no-such-host.invalid', port: 9000 }] }) });
    await expect(out.start()).rejects.toMatchObject({ code: 'OSC_HOST_UNRESOLVED', message: expect.stringContaining('no-such-host.invalid') });
    const s = out.status();
    expect(s.state).toBe('error');
    expect(s.error?.hint).toContain('IP address');
    await out.close();
  });

  it('picks up devices already on the hub (catch-up), skips batches before a meta, and survives batches that do not match their meta', async () => {
    const port = await freePort();
    const rx = dgram.createSocket('udp4');
    const got: number[][] = [];
    rx.on('message', (m) => {
      for (const e of (decode(m) as { elements: { args: { value: number }[] }[] }).elements) got.push(e.args.map((a) => a.value));
    });
    await new Promise<void>((r) => rx.bind(port, '127.0.0.1', () => r()));
    const hub = new Hub();
    hub.publishMeta(feedMeta('0', 1000, 0));
    const out = new OscOutput({ hub, settings: settings(port) });
    await out.start();
    hub.publishBatch(signalBatch('1', 0, 10, 1000, 0)); // device 1 has no meta yet
    hub.publishBatch(signalBatch('0', 0, 10, 1000, 0));
    const odd = signalBatch('0', 10, 2, 1000, 0);
    odd.analog = [];
    odd.channels = [];
    hub.publishBatch(odd);
    hub.publishBatch({ ...signalBatch('0', 12, 0, 1000, 0) });
    await waitFor(() => got.length, (n) => n >= 12);
    expect(got.slice(0, 10)).toEqual([...Array(10).keys()].map(sampleValues));
    expect(got[10].slice(0, 5)).toEqual(sampleValues(10).slice(0, 5));
    expect(got[10].slice(5).every(Number.isNaN)).toBe(true);
    const s = out.status();
    expect(s.counters.noMeta).toBe(1);
    expect(s.counters.internalErrors).toBe(0);
    expect(hub.subscriberErrors).toBe(0);
    await out.close();
    rx.close();
  });

  it('goes to "error" while nothing listens (ICMP port unreachable) and back to "running" once a receiver is there, sending all along', async () => {
    const port = await freePort();
    const hub = new Hub();
    hub.publishMeta(feedMeta('0', 1000, 0));
    const out = new OscOutput({ hub, settings: settings(port), statusIntervalMs: 100 });
    await out.start();
    let index = 0;
    const feed = setInterval(() => {
      hub.publishBatch(signalBatch('0', index, 10, 1000, 0));
      index += 10;
    }, 10);
    try {
      const failing = await waitFor(() => out.status(), (s) => s.state === 'error');
      expect(failing.error).toMatchObject({ code: 'OSC_UNREACHABLE', message: expect.stringContaining(`127.0.0.1:${port}`) });
      const rx = dgram.createSocket('udp4');
      let received = 0;
      rx.on('message', () => received++);
      await new Promise<void>((r) => rx.bind(port, '127.0.0.1', () => r()));
      const back = await waitFor(() => out.status(), (s) => s.state === 'running');
      expect(back.state).toBe('running');
      expect(back.error).toBeUndefined();
      await waitFor(() => received, (n) => n > 0);
      expect(received).toBeGreaterThan(0);
      expect(back.counters.datagramsPerSecond).toBeGreaterThan(0);
      rx.close();
    } finally {
      clearInterval(feed);
      await out.close();
    }
  });

  it('drops (and counts) datagrams instead of queueing past maxQueueBytes', async () => {
    const port = await freePort();
    const hub = new Hub();
    hub.publishMeta(feedMeta('0', 1000, 0));
    // A bound below one datagram: nothing may be queued, so everything is dropped.
    const out = new OscOutput({ hub, settings: settings(port), maxQueueBytes: 10 });
    await out.start();
    hub.publishBatch(signalBatch('0', 0, 40, 1000, 0));
    const s = out.status();
    expect(s.counters.bundles).toBe(3);
    expect(s.counters.dropped).toBe(3);
    expect(s.counters.datagrams).toBe(0);
    await out.close();
  });

  it('a status listener that throws is contained', async () => {
    const out = new OscOutput({ hub: new Hub(), settings: settings(await freePort()) });
    const seen: OutputStatus[] = [];
    out.onStatus(() => {
      throw new Error('listener bug');
    });
    out.onStatus((s) => seen.push(s));
    await out.start();
    expect(seen.map((s) => s.state)).toEqual(['starting', 'running']);
    await out.close();
  });
});
