/**
 * Cross-site: a web page from a foreign origin, in a real browser (Debian's Chromium via
 * playwright-core), tries to read the stream and to control the device through both endpoints
 * ("/" and "/v2") and over plain HTTP. It must get nothing and change nothing. The same page from
 * an allowed origin (http://localhost:*) is the control: it does read, so the refusals are the
 * server's doing, not the browser's.
 *
 * The foreign origin is http://evil.example:<port>, resolved to 127.0.0.1 by Chromium's
 * --host-resolver-rules, so the page is served from this machine like a local attacker's page.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { createServerBit } from '../../src/main/app.js';
import { Cleanup, sleep, testConfig, waitFor, firstDevice } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** What the page reports for each attempt. */
interface Probe {
  ws: Record<string, { opened: boolean; messages: number; closeCode?: number }>;
  fetchGet: string;
  fetchPost: string;
}

/** Runs in the page: try to read "/" and "/v2" (and to send a stop command), then to read over HTTP. */
async function probe(args: { port: number; token: string }): Promise<Probe> {
  const out: Probe = { ws: {}, fetchGet: '', fetchPost: '' };
  const attempt = (url: string) =>
    new Promise<{ opened: boolean; messages: number; closeCode?: number }>((resolve) => {
      const r: { opened: boolean; messages: number; closeCode?: number } = { opened: false, messages: 0 };
      let ws: WebSocket;
      try {
        ws = new WebSocket(url);
      } catch {
        resolve(r);
        return;
      }
      ws.onopen = () => {
        r.opened = true;
        ws.send(JSON.stringify({ type: 'command', id: 1, command: 'stop', token: args.token }));
      };
      ws.onmessage = () => r.messages++;
      ws.onclose = (e) => {
        r.closeCode = e.code;
        resolve(r);
      };
      setTimeout(() => {
        ws.close();
        resolve(r);
      }, 2500);
    });
  out.ws['/'] = await attempt(`ws://127.0.0.1:${args.port}/`);
  out.ws['/v2'] = await attempt(`ws://127.0.0.1:${args.port}/v2?token=${args.token}`);
  out.ws['/v2 via localhost'] = await attempt(`ws://localhost:${args.port}/v2`);
  try {
    const r = await fetch(`http://127.0.0.1:${args.port}/`);
    out.fetchGet = `read ${r.status} ${(await r.text()).length} bytes`;
  } catch (e) {
    out.fetchGet = `refused: ${String(e)}`;
  }
  try {
    const r = await fetch(`http://127.0.0.1:${args.port}/v2`, { method: 'POST', mode: 'no-cors', body: JSON.stringify({ type: 'command', id: 2, command: 'stop' }) });
    out.fetchPost = `${r.type} ${r.status}`;
  } catch (e) {
    out.fetchPost = `refused: ${String(e)}`;
  }
  return out;
}

describe('a page from a foreign origin', () => {
  it('can neither read nor control through "/", "/v2" or HTTP; the same page from an allowed origin can read', async () => {
    // The service, streaming the simulator. The attacker even knows the token: the origin check comes first.
    const app = createServerBit({ config: testConfig({ token: 'secret-token' }) });
    cleanup.add(() => app.close());
    await app.start();
    const port = app.server.address!.port;
    let stopped = 0;
    firstDevice(app).onStatus((s) => s.state === 'stopped' && stopped++);

    // The attacker's page server.
    const page = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>a page</title><p>hello</p>');
    });
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
    cleanup.add(() => new Promise<void>((r) => (page as Server).close(() => r())));
    const pagePort = (page.address() as { port: number }).port;

    const profile = await mkdtemp(path.join(tmpdir(), 'serverbit-xsite-'));
    cleanup.add(() => rm(profile, { recursive: true, force: true }));
    const context: BrowserContext = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--host-resolver-rules=MAP evil.example 127.0.0.1'],
    });
    cleanup.add(() => context.close().catch(() => undefined));
    const tab = await context.newPage();

    await tab.goto(`http://evil.example:${pagePort}/`);
    const foreign = await tab.evaluate(probe, { port, token: 'secret-token' });
    for (const [endpoint, r] of Object.entries(foreign.ws)) {
      expect(r.opened, `${endpoint} opened from a foreign origin`).toBe(false);
      expect(r.messages, `${endpoint} delivered data to a foreign origin`).toBe(0);
    }
    expect(foreign.fetchGet).toMatch(/^refused/); // no CORS header: the browser keeps the response from the page
    expect(foreign.fetchPost).toMatch(/^opaque 0|^refused/); // sent blind, acts on nothing
    await sleep(200);
    expect(firstDevice(app).status.state).toBe('streaming');
    expect(stopped).toBe(0);
    expect(app.server.stats.rejectedOrigins).toBeGreaterThanOrEqual(3);

    // Control: the same page from an allowed origin reads both endpoints.
    await tab.goto(`http://localhost:${pagePort}/`);
    const allowed = await tab.evaluate(probe, { port, token: 'wrong-token' });
    expect(allowed.ws['/'].opened).toBe(true);
    expect(allowed.ws['/'].messages).toBeGreaterThan(0);
    expect(allowed.ws['/v2'].opened).toBe(true);
    expect(allowed.ws['/v2'].messages).toBeGreaterThan(0);
    // …and still cannot control without the token.
    await waitFor(() => firstDevice(app).status.state === 'streaming', 2000, 'still streaming');
    expect(stopped).toBe(0);
  }, 60_000);
});
