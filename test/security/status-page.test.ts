/**
 * Issue 9, findings 4 and 6: control is no longer granted for an `Origin` header (any local
 * program can send `Origin: http://127.0.0.1:9001`). The page ServerBIT serves gets control from
 * a secret it holds: the CLI prints the status-page address with the token in the fragment; the
 * page keeps it in session storage, takes it out of the address bar and sends it. Without it the
 * page is view-only and says how to get control. And an UNAUTHORIZED reply names no local path.
 */
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { buildRenderer } from '../e2e/harness.js';
import { Cleanup, TOKEN, bystanders, launchChromium, openClient, startCli, waitFor } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const tid = (id: string) => `[data-testid="${id}"]`;

interface PageState {
  hello?: { control: boolean };
  connection: string;
}
const pageState = (tab: Page) => tab.evaluate(() => (window as unknown as { __serverbitDebug: { state: () => PageState } }).__serverbitDebug.state());
const helloOf = async (tab: Page) => {
  await tab.waitForFunction(() => (window as unknown as { __serverbitDebug?: { state: () => PageState } }).__serverbitDebug?.state().hello !== undefined, undefined, { timeout: 15_000 });
  return (await pageState(tab)).hello!;
};

describe('the status page and control', () => {
  it('the address the CLI prints gives the page control; the token leaves the address bar and lasts for reloads', { timeout: 90_000 }, async () => {
    buildRenderer();
    const cli = await startCli(cleanup);
    const printed = /Status page \(with control: keep this address to yourself\): (\S+)/.exec(cli.stderr())?.[1];
    expect(printed).toBe(`http://127.0.0.1:${cli.port}/#token=${TOKEN}`);

    const browser = await launchChromium(cleanup);
    const tab = await browser.newPage();
    await tab.goto(printed!);
    expect((await helloOf(tab)).control).toBe(true);
    expect(tab.url()).toBe(`http://127.0.0.1:${cli.port}/`);
    expect(await tab.evaluate(() => sessionStorage.getItem('serverbit.token'))).toBe(TOKEN);
    expect(await tab.locator(tid('view-only')).isHidden()).toBe(true);

    // Real control: Stop and Start from the page.
    await expect.poll(() => tab.locator(tid('state')).textContent(), { timeout: 15_000 }).toBe('streaming');
    await tab.locator(tid('startstop')).click();
    await expect.poll(() => tab.locator(tid('state')).textContent(), { timeout: 15_000 }).toBe('stopped');
    await tab.locator(tid('startstop')).click();
    await expect.poll(() => tab.locator(tid('state')).textContent(), { timeout: 15_000 }).toBe('streaming');

    await tab.reload();
    expect((await helloOf(tab)).control).toBe(true);
    expect(tab.url()).toBe(`http://127.0.0.1:${cli.port}/`);
  });

  it('without the token the page is view-only and says how to get control; commands from it are refused', { timeout: 90_000 }, async () => {
    buildRenderer();
    const cli = await startCli(cleanup);
    const watch = await bystanders(cleanup, cli.port);
    const browser = await launchChromium(cleanup);
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${cli.port}/`);
    expect((await helloOf(tab)).control).toBe(false);
    const note = tab.locator(tid('view-only'));
    await expect.poll(() => note.isVisible()).toBe(true);
    expect(await note.textContent()).toMatch(/^View only: this page may watch but not control ServerBIT\. For control, open the address serverbit printed .*#token=.*"serverbit --show-token" prints the token\.$/);
    await expect.poll(() => tab.locator(tid('state')).textContent(), { timeout: 15_000 }).toBe('streaming');
    expect(await tab.locator(tid('startstop')).isDisabled()).toBe(true);

    // The page's own origin does not help a script on it either.
    const reply = await tab.evaluate(
      (port) =>
        new Promise<{ code: string; hint: string }>((resolve) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/v2`);
          ws.onopen = () => ws.send(JSON.stringify({ type: 'command', id: 'x', command: 'stop' }));
          ws.onmessage = (e) => {
            const m = JSON.parse(String(e.data)) as { type: string; id?: string; error: { code: string; hint: string } };
            if (m.type === 'reply' && m.id === 'x') resolve(m.error);
          };
        }),
      cli.port,
    );
    expect(reply.code).toBe('UNAUTHORIZED');

    // A wrong token: still view-only, and the note says the token is the problem.
    await tab.goto(`http://127.0.0.1:${cli.port}/#token=not-the-token-0123456789`);
    expect((await helloOf(tab)).control).toBe(false);
    await expect.poll(() => note.textContent()).toMatch(/^View only: the token this page was opened with is not ServerBIT's current one/);
    expect(tab.url()).toBe(`http://127.0.0.1:${cli.port}/`);

    await waitFor(() => watch.samples().v2 > 2000, 15_000, 'the bystanders still streaming');
    expect(watch.problems()).toEqual([]);
  });

  it('a program claiming the page’s Origin gets no control, and UNAUTHORIZED names no path on this computer', async () => {
    const cli = await startCli(cleanup);
    for (const origin of [`http://127.0.0.1:${cli.port}`, `http://localhost:${cli.port}`]) {
      const c = await openClient(cleanup, `ws://127.0.0.1:${cli.port}/v2`, { origin });
      expect(await c.next((m) => m.type === 'hello')).toMatchObject({ control: false });
      c.ws.send(JSON.stringify({ type: 'command', id: 1, command: 'get_config' }));
      const r = (await c.next((m) => m.type === 'reply' && m.id === 1)) as { ok: boolean; error: { code: string; message: string; hint: string } };
      expect(r).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
      expect(r.error.hint).toContain('serverbit --show-token');
      expect(`${r.error.message} ${r.error.hint}`).not.toContain(cli.home);
      expect(r.error.hint).not.toMatch(/config\.json/);
      // The same connection with the token in a subscribe message gets control.
      c.ws.send(JSON.stringify({ type: 'subscribe', token: TOKEN }));
      await c.next((m) => m.type === 'hello' && m.control === true, 0, 5000, 'a hello with control');
    }
  });
});
