/**
 * Issue 9, finding 3: `null` and `file://` are no longer allowed origins by default. Any web site
 * can make a sandboxed frame, which sends `Origin: null`; with the old defaults that frame read
 * the live signals (and sent the message that killed the service). Replayed in Debian's Chromium
 * against `serverbit`: the frame is refused, and the user is told how to open ClientBIT.html
 * instead (served by ServerBIT, same origin) or how to allow pages from disk and what that permits.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createServerBit } from '../../src/main/app.js';
import type { OriginRefusal } from '../../src/main/server/ws-server.js';
import { DEFAULT_ALLOWED_ORIGINS } from '../../src/shared/config.js';
import { ROOT } from '../e2e/harness.js';
import { testConfig } from '../reliability/helpers.js';
import { Cleanup, TOKEN, bystanders, get, launchChromium, otherSite, sleep, startCli, waitFor } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

interface Attempt {
  opened: boolean;
  messages: number;
  replies: { code?: string; message?: string }[];
  closeCode?: number;
}

/**
 * A page on another site that embeds a sandboxed frame (Origin "null"). The frame opens "/" and
 * "/v2" (with the token, even: the origin check comes first), sends the 5000-deep message from
 * issue 9 on /v2, and posts what happened to the page, which keeps it in `window.results`.
 */
function framingPage(port: number): string {
  const frame = `<script>
    const attempt = (url, send) => new Promise((resolve) => {
      const r = { opened: false, messages: 0, replies: [] };
      const ws = new WebSocket(url);
      ws.onopen = () => { r.opened = true; if (send) ws.send(send); };
      ws.onmessage = (e) => { r.messages++; const m = JSON.parse(e.data); if (m.type === 'reply') r.replies.push(m.error || {}); };
      ws.onclose = (e) => { r.closeCode = e.code; resolve(r); };
      setTimeout(() => { ws.close(); resolve(r); }, 2500);
    });
    (async () => {
      const deep = '{"type": ' + '['.repeat(5000) + ']'.repeat(5000) + '}';
      const compat = await attempt('ws://127.0.0.1:${port}/');
      const v2 = await attempt('ws://127.0.0.1:${port}/v2?token=${TOKEN}', deep);
      parent.postMessage({ origin: String(self.origin), compat, v2 }, '*');
    })();
  <\/script>`;
  return `<!doctype html><title>some site</title><p>a page with an embedded frame</p>
    <script>window.results = new Promise((resolve) => addEventListener('message', (e) => resolve(e.data)));</script>
    <iframe sandbox="allow-scripts" srcdoc="${frame.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"></iframe>`;
}

async function runFrame(port: number): Promise<{ origin: string; compat: Attempt; v2: Attempt }> {
  const site = await otherSite(cleanup, { '/': framingPage(port) });
  const browser = await launchChromium(cleanup, ['--host-resolver-rules=MAP some-site.example 127.0.0.1']);
  const tab = await browser.newPage();
  await tab.goto(`http://some-site.example:${site}/`);
  return tab.evaluate(() => (window as unknown as { results: Promise<{ origin: string; compat: Attempt; v2: Attempt }> }).results);
}

describe('Origin null (sandboxed frames, pages opened from disk)', () => {
  it('a sandboxed frame on another site is refused on "/" and "/v2" by default; stderr says what to do instead', { timeout: 60_000 }, async () => {
    const cli = await startCli(cleanup);
    const watch = await bystanders(cleanup, cli.port);
    const r = await runFrame(cli.port);
    expect(r.origin).toBe('null');
    for (const a of [r.compat, r.v2]) {
      expect(a.opened).toBe(false);
      expect(a.messages).toBe(0);
    }
    // The guidance, once (not once per retry): where to open the page, how to allow it, what that permits.
    await waitFor(() => /Origin "null"\) was refused/.test(cli.stderr()), 5000, 'the guidance on stderr');
    const said = cli.stderr();
    expect(said).toContain(`Open it from ServerBIT instead: http://127.0.0.1:${cli.port}/ClientBIT.html`);
    expect(said).toContain('add "null" to "allowed_origins"');
    expect(said).toMatch(/then any web site can read the signals too, through a sandboxed frame/);
    expect(said.match(/Origin "null"\) was refused/g)).toHaveLength(1);
    // A program sees the same text in the refusal.
    const refusal = await get(cli.port, '/v2', { Host: `127.0.0.1:${cli.port}`, Origin: 'null' }, true);
    expect(refusal.status).toBe(403);
    expect(refusal.body).toContain('add "null" to "allowed_origins"');
    expect(refusal.headers['x-content-type-options']).toBe('nosniff');
    expect(cli.alive()).toBe(true);
    expect(watch.problems()).toEqual([]);
  });

  it('with "null" allowed (the opt-in), the same frame reads the stream: what the guidance warns about; its 5000-deep message is answered, not fatal', { timeout: 60_000 }, async () => {
    const cli = await startCli(cleanup, { config: { allowed_origins: [...DEFAULT_ALLOWED_ORIGINS, 'null'] } });
    const watch = await bystanders(cleanup, cli.port);
    const r = await runFrame(cli.port);
    expect(r.compat.opened).toBe(true);
    expect(r.compat.messages).toBeGreaterThan(0);
    expect(r.v2.opened).toBe(true);
    expect(r.v2.replies).toContainEqual(expect.objectContaining({ code: 'BAD_MESSAGE', message: 'the message nests more than 32 levels deep; allowed: at most 32' }));
    await sleep(300);
    expect(cli.alive()).toBe(true);
    expect(watch.problems()).toEqual([]);
  });

  it('ClientBIT.html: copied next to config.json; opened from there it is refused and says why; served by ServerBIT it plots', { timeout: 60_000 }, async () => {
    const cli = await startCli(cleanup);
    const copy = path.join(cli.home, 'ServerBIT', 'ClientBIT.html');
    expect(existsSync(copy)).toBe(true);
    expect(readFileSync(copy, 'utf8')).toBe(readFileSync(path.join(ROOT, 'examples/ClientBIT.html'), 'utf8'));
    expect(cli.stderr()).toContain(`Put the example client ClientBIT.html in ${path.dirname(copy)}`);

    const browser = await launchChromium(cleanup);
    const tab = await browser.newPage();
    await tab.goto(`${pathToFileURL(copy).href}?port=${cli.port}`);
    await tab.waitForFunction(() => /refused unless "allowed_origins"/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 15_000 });
    expect(await tab.locator('#status').textContent()).toContain(`open http://127.0.0.1:${cli.port}/ClientBIT.html instead`);
    expect(await tab.locator('#info').textContent()).toMatch(/^0 samples/);
    await waitFor(() => /Origin "null"\) was refused/.test(cli.stderr()), 5000, 'the guidance on stderr');

    await tab.goto(`http://127.0.0.1:${cli.port}/ClientBIT.html`);
    await tab.waitForFunction(() => parseInt(document.getElementById('info')?.textContent ?? '0', 10) > 500, undefined, { timeout: 20_000 });
    expect(await tab.locator('#status').textContent()).toBe(`Connected to ws://127.0.0.1:${cli.port}/ — plotting A1`);
  });

  it('the server reports each refusal as an event (for the tray and the window): opaque origins with the guidance', async () => {
    const app = createServerBit({ config: testConfig({ token: TOKEN }) });
    cleanup.add(() => app.close());
    await app.start();
    const port = app.server.address!.port;
    const seen: OriginRefusal[] = [];
    app.server.onOriginRefused((e) => seen.push(e));
    for (const origin of ['null', 'file://', 'http://evil.example']) expect((await get(port, '/', { Host: `127.0.0.1:${port}`, Origin: origin }, true)).status).toBe(403);
    expect(seen.map((e) => [e.origin, e.opaque])).toEqual([
      ['null', true],
      ['file://', true],
      ['http://evil.example', false],
    ]);
    expect(seen[0].guidance).toContain(`http://127.0.0.1:${port}/ClientBIT.html`);
    expect(seen[0].remote).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(app.server.stats).toMatchObject({ rejectedOrigins: 3, rejectedOpaqueOrigins: 2 });
  });
});
