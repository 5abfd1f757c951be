/**
 * Client faults, part 1: clients that stop reading, for 60 s at 1000 Hz, beside normal ones.
 *
 * Ways to stop reading, on real sockets:
 * - frozen (here on /v2): the client reads nothing at all, not even pings (a hung script). The
 *   heartbeat (ping every 10 s) terminates it after at most two intervals.
 * - gone (a dead connection): the network between them vanishes without a FIN or RST (Wi-Fi
 *   dropped, laptop lid closed); here a proxy that stops forwarding. Found by the same heartbeat.
 * - stalled but alive: the client stops reading data yet keeps sending pongs, so the heartbeat
 *   keeps it. Its backlog grows once the kernel's socket buffers are full; on "/" it is closed
 *   with 1013 and a reason past 1 MiB (StreamServer highWaterBytes; the close frame waits behind
 *   the backlog, and ws cuts a peer that has not answered it within 30 s); on "/v2" data is
 *   dropped past 1 MiB and reported as one gap "client_too_slow" when it reads again
 *   (v2-endpoint.ts; closed with 1013 past 16 MiB).
 * The normal clients must receive every sample, and the process's memory must stay flat.
 *
 * batch_ms 1 (one sample per message) and long labels make the most bytes and messages per
 * second a config allows, so the stalled clients reach their bound well within the minute.
 */
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createServerBit } from '../../src/main/app.js';
import type { GapEvent } from '../../src/shared/acquisition.js';
import { DEFAULT_LABELS } from '../../src/shared/config.js';
import { Cleanup, sleep, testConfig, waitFor, firstDevice } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const MB = 1024 * 1024;

/** A full GC before each reading, so the heap figure is what is live, not what awaits collection. */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const RUN_MS = 60_000;
const LABELS = [...DEFAULT_LABELS.slice(0, 5), ...[1, 2, 3, 4, 5, 6].map((c) => `A${c}_a_rather_long_column_label_for_testing_${c}`)];

/** A client that checks continuity as it goes and keeps nothing else (its own memory stays flat). */
function normalClient(url: string) {
  const ws = new WebSocket(url);
  cleanup.add(() => ws.terminate());
  const state = { samples: 0, lastSeq: -1, lastIndex: -1, seqBreaks: 0, indexBreaks: [] as string[], gaps: [] as GapEvent[], closed: undefined as number | undefined };
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Record<string, unknown>;
    if (url.includes('/v2')) {
      if (m.type === 'gap') state.gaps.push(m as unknown as GapEvent);
      if (m.type !== 'data') return;
      const index = m.index as number;
      if (state.lastIndex >= 0 && index !== state.lastIndex + 1 && !state.gaps.some((g) => g.from === state.lastIndex + 1 && g.to === index)) {
        state.indexBreaks.push(`${state.lastIndex} → ${index}`);
      }
      state.lastIndex = index + (m.count as number) - 1;
      state.samples += m.count as number;
      return;
    }
    for (const s of m.nSeq as number[]) {
      if (state.lastSeq >= 0 && s !== ((state.lastSeq + 1) & 15)) state.seqBreaks++;
      state.lastSeq = s;
      state.samples++;
    }
  });
  ws.on('close', (code) => (state.closed = code));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, state, opened };
}

/** A TCP proxy to `port` whose cut() silently stops forwarding both ways, closing nothing (a half-open connection). */
async function blackholeProxy(port: number) {
  const pairs: [net.Socket, net.Socket][] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    for (const s of [client, upstream]) s.on('error', () => undefined);
    client.pipe(upstream);
    upstream.pipe(client);
    pairs.push([client, upstream]);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.add(() => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    server.close();
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
  };
}

/** Stops reading its socket; with `alive`, keeps sending (unsolicited) pongs so the heartbeat keeps it. */
function stalledClient(url: string, alive: boolean) {
  const ws = new WebSocket(url, { autoPong: !alive });
  cleanup.add(() => ws.terminate());
  /** /v2 events (gap, status…) and the extent of the data, not the data itself (memory is measured). */
  const messages: Record<string, unknown>[] = [];
  const data: { index: number; count: number }[] = [];
  let closed: { code: number; reason: string } | undefined;
  ws.on('message', (d, isBinary) => {
    if (isBinary) return;
    const m = JSON.parse(String(d)) as Record<string, unknown>;
    if (m.type === 'data') data.push({ index: m.index as number, count: m.count as number });
    else if (typeof m.type === 'string') messages.push(m);
  });
  ws.on('close', (code, reason) => (closed = { code, reason: reason.toString() }));
  ws.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const opened = new Promise<void>((resolve) =>
    ws.once('open', () => {
      ws.pause();
      if (alive) timer = setInterval(() => ws.readyState === WebSocket.OPEN && ws.pong(), 1000);
      resolve();
    }),
  );
  cleanup.add(() => clearInterval(timer));
  return {
    ws,
    messages,
    data,
    opened,
    get closed() {
      return closed;
    },
    resume() {
      clearInterval(timer);
      ws.resume();
    },
  };
}

describe('clients that stop reading', () => {
  it(
    'are bounded, told or closed with a reason; the normal clients get every sample; memory stays flat (60 s at 1000 Hz)',
    async () => {
      // The sixth client comes through a TCP proxy on another port: its Host names the proxy, as
      // through a tunnel (ssh -L 8000:127.0.0.1:9001), so that address is in allowed_hosts.
      const app = createServerBit({ config: testConfig({ sampling_rate: 1000, channels: [1, 2, 3, 4, 5, 6], batch_ms: 1, labels: LABELS, allowed_hosts: ['127.0.0.1'] }) });
      cleanup.add(() => app.close());
      await app.start();
      await firstDevice(app).stop(); // every client connects first, so each sees the session from index 0
      const base = app.url;
      const events: { t: number; id: number; type: string; code?: number; reason?: string }[] = [];
      let t0 = Date.now();
      app.server.onClientChange((e) => events.push({ t: Date.now() - t0, id: e.id, type: e.type, code: e.code, reason: e.reason }));
      // One after the other, so the server's client ids are 1..5 in this order.
      const compat = normalClient(base);
      await compat.opened;
      const v2 = normalClient(`${base}v2?format=raw`);
      await v2.opened;
      const frozen = stalledClient(`${base}v2?format=raw`, false);
      await frozen.opened;
      const slowCompat = stalledClient(base, true);
      await slowCompat.opened;
      const slowV2 = stalledClient(`${base}v2?format=raw`, true);
      await slowV2.opened;
      const proxy = await blackholeProxy(app.server.address!.port);
      const gone = normalClient(`ws://127.0.0.1:${proxy.port}/`);
      await gone.opened;
      await waitFor(() => events.length === 6, 5000, 'six clients');
      expect(events.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6]);
      proxy.cut();
      // Counted, not kept: the test's own memory must stay flat too. Gaps can only be the device's
      // (the simulator skips frames, as a device with a full buffer does, if this process stalls).
      const hub = { samples: 0, gaps: [] as GapEvent[] };
      cleanup.add(app.acquisition.hub.subscribe({ batch: (b) => (hub.samples += b.count), gap: (g) => hub.gaps.push(g) }));
      t0 = Date.now();
      await firstDevice(app).start();

      // Memory every 2 s; baseline once the stream is warm (after 5 s).
      const mem: { t: number; rss: number; heap: number }[] = [];
      let slowAt: number | undefined;
      while (Date.now() - t0 < RUN_MS) {
        await sleep(2000);
        gc();
        const m = process.memoryUsage();
        mem.push({ t: Date.now() - t0, rss: m.rss, heap: m.heapUsed });
        if (slowAt === undefined && app.server.stats.slowClients > 0) {
          slowAt = Date.now() - t0;
          slowCompat.resume(); // reads its backlog, then the close frame with its reason
        }
        expect(compat.state.closed).toBeUndefined();
        expect(v2.state.closed).toBeUndefined();
      }
      await firstDevice(app).stop(); // flush, then compare totals
      await waitFor(() => compat.state.samples === hub.samples && v2.state.samples === hub.samples, 10_000, 'the normal clients to catch up');

      // The normal clients: every sample, in order, nothing skipped.
      expect(hub.samples).toBeGreaterThan(RUN_MS * 0.9); // ≈ 1000 per second
      expect(hub.gaps.filter((g) => g.reason !== 'device_overflow')).toEqual([]);
      expect(compat.state.seqBreaks).toBeLessThanOrEqual(hub.gaps.length); // a jump in nSeq only where the device skipped
      expect(v2.state.indexBreaks).toEqual([]);
      expect(v2.state.gaps).toEqual(hub.gaps.filter((g) => g.from > 0).map((g) => ({ type: 'gap', ...g })));

      // The frozen client is gone within two heartbeat intervals: cut (1006), as it answers no ping.
      const frozenGone = events.find((e) => e.type === 'disconnect' && e.id === 3);
      expect(frozenGone, JSON.stringify(events)).toBeDefined();
      expect(frozenGone!.code).toBe(1006);
      expect(frozenGone!.t).toBeLessThan(2 * 10_000 + 10_000); // two intervals, and slack for a loaded machine
      // The half-open one too; and both are gone from the status' client count.
      const goneGone = events.find((e) => e.type === 'disconnect' && e.id === 6);
      expect(goneGone, JSON.stringify(events)).toBeDefined();
      expect(goneGone!.code).toBe(1006);
      expect(goneGone!.t).toBeLessThan(2 * 10_000 + 10_000);
      expect(app.server.stats.deadClients).toBeGreaterThanOrEqual(2);
      expect(app.clients.clients()).toBe(app.server.clientCount);
      expect(events.filter((e) => e.type === 'disconnect' && ![3, 4, 6].includes(e.id))).toEqual([]);

      // The stalled compat client was closed with 1013 and a reason naming the bound. (The
      // half-open one, a compat client too, may reach the bound before the heartbeat finds it.)
      expect(app.server.stats.slowClients).toBeGreaterThanOrEqual(1);
      await waitFor(() => slowCompat.closed !== undefined, 30_000, 'the stalled "/" client to read its close frame');
      expect(slowCompat.closed).toEqual({ code: 1013, reason: 'too slow: fell more than 1024 KiB behind' });

      // The stalled /v2 client is still connected; reading again, it is told exactly what it missed.
      expect(slowV2.closed).toBeUndefined();
      slowV2.resume();
      await waitFor(() => slowV2.messages.some((m) => m.type === 'gap' && m.reason === 'client_too_slow'), 30_000, 'a client_too_slow gap');
      const gap = slowV2.messages.find((m) => m.type === 'gap' && m.reason === 'client_too_slow')! as unknown as GapEvent;
      const before = slowV2.data.filter((d) => d.index < gap.from);
      expect(before[before.length - 1].index + before[before.length - 1].count).toBe(gap.from);
      expect(gap.to).toBeGreaterThan(gap.from);
      expect(gap.to).toBeLessThanOrEqual(hub.samples);

      // Memory: flat. Growth over the run, after warm-up, well under 30 MB (RSS and live heap).
      const warm = mem.filter((m) => m.t >= 5000);
      const rssGrowth = Math.max(...warm.map((m) => m.rss)) - warm[0].rss;
      const heapGrowth = Math.max(...warm.map((m) => m.heap)) - warm[0].heap;
      console.log(
        `[slow clients] ${hub.samples} samples in ${RUN_MS / 1000} s; frozen client dropped at ${frozenGone!.t} ms, half-open one at ${goneGone!.t} ms; ` +
          `"/" closed 1013 at ≈ ${slowAt} ms; /v2 missed ${gap.to - gap.from} samples; ` +
          `RSS ${(warm[0].rss / MB).toFixed(1)} → max ${(Math.max(...warm.map((m) => m.rss)) / MB).toFixed(1)} MB (+${(rssGrowth / MB).toFixed(1)}), live heap ${(warm[0].heap / MB).toFixed(1)} → max ${(Math.max(...warm.map((m) => m.heap)) / MB).toFixed(1)} MB (+${(heapGrowth / MB).toFixed(1)}); ` +
          `readings: ${warm.map((m) => `${Math.round(m.rss / MB)}/${Math.round(m.heap / MB)}`).join(' ')}`,
      );
      expect(rssGrowth).toBeLessThan(30 * MB);
      expect(heapGrowth).toBeLessThan(30 * MB);
    },
    RUN_MS + 90_000,
  );
});
