/**
 * The renderer end to end: the real service (simulator, or an emulated BITalino on a real pty)
 * serves dist/renderer and /v2; Debian's Chromium loads the page. Every test of the first suite
 * runs twice: over the WebSocket (the status page in a browser) and over the Electron window's
 * IPC path (window.serverbit wired to the real IpcBridge: ipc-shim.ts, issue 10 item 19).
 * Screenshots (WebSocket runs only) go to test-results/screenshots/ (docs/screenshots/ with
 * UPDATE_SCREENSHOTS=1).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BitalinoEmulator } from '../../src/main/devices/emulator.js';
import { SerialTransport } from '../../src/main/devices/serial-transport.js';
import { ptyPair } from '../helpers/pty.js';
import { E2E_TOKEN, SCREENSHOTS, buildRenderer, launchBrowser, plotStats, startService, tracePixels, type Browser, type Service } from './harness.js';
import { IPC_BROWSER_ARGS, RENDERER_INDEX_URL, installIpcShim } from './ipc-shim.js';

type Mode = 'websocket' | 'ipc';
const MODES: Mode[] = ['websocket', 'ipc'];
let mode: Mode = 'websocket';

const tid = (id: string) => `[data-testid="${id}"]`;

/** Things to close after each test, last opened first. */
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

let browser: Browser;

async function open(service: Service): Promise<{ page: Page; consoleErrors: string[] }> {
  const p = await browser.newPage();
  cleanups.push(() => p.page.close());
  if (mode === 'ipc') {
    // As the Electron window: no token, IPC to a trusted session.
    await installIpcShim(p.page, service);
    await p.page.goto(RENDERER_INDEX_URL);
    return p;
  }
  // As a user opens it: with the address serverbit prints (the token in the fragment).
  await p.page.goto(service.controlUrl);
  return p;
}

async function service(...args: Parameters<typeof startService>): Promise<Service> {
  const s = await startService(...args);
  cleanups.push(() => s.close());
  return s;
}

async function shot(page: Page, name: string): Promise<void> {
  if (mode === 'websocket') await page.screenshot({ path: path.join(SCREENSHOTS, name) });
}

/** CSP violations the page reported, and console errors that are not the test's own doing. */
async function problems(page: Page, consoleErrors: string[]): Promise<string[]> {
  const csp = await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
  return [...csp.map((v) => `CSP: ${v}`), ...consoleErrors];
}

beforeAll(async () => {
  buildRenderer();
  browser = await launchBrowser(undefined, IPC_BROWSER_ARGS);
});
afterAll(async () => {
  await browser?.close();
});

describe('renderer in Chromium over the WebSocket only', { timeout: 60_000 }, () => {
  it('serves the page with its security headers, and nothing outside dist/renderer', async () => {
    const s = await service();
    const page = await browser.context.newPage();
    cleanups.push(() => page.close());
    const res = await page.request.get(s.url);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers()['x-content-type-options']).toBe('nosniff');
    expect((await page.request.get(`${s.url}app.js`)).headers()['content-type']).toBe('text/javascript; charset=utf-8');
    for (const bad of ['..%2F..%2Fpackage.json', '%2e%2e/%2e%2e/package.json', 'nothing.js', '.hidden.js']) {
      expect((await page.request.get(`${s.url}${bad}`)).status(), bad).toBe(404);
    }
  });

});

describe.each(MODES)('renderer in Chromium against the real service, over %s', { timeout: 60_000 }, (m) => {
  beforeAll(() => {
    mode = m;
  });

  it('reaches "streaming" and draws the live plot smoothly', async () => {
    const s = await service();
    const { page, consoleErrors } = await open(s);
    await expect.poll(() => page.locator(tid('state')).textContent(), { timeout: 15_000 }).toBe('streaming');
    await expect.poll(async () => (await plotStats(page)).draws, { timeout: 10_000 }).toBeGreaterThan(30);
    // Let a few seconds of history build up, then check what the user sees.
    await page.waitForTimeout(3000);
    expect(await tracePixels(page)).toBeGreaterThan(500);
    expect(await page.locator(tid('plot-channel')).inputValue()).toBe('A1');
    expect(await page.locator(tid('device')).textContent()).toContain('simulator');
    expect(await page.locator(tid('firmware')).textContent()).toContain('BITalino_v5.2');
    expect(await page.locator(tid('rate')).textContent()).toBe('1000 Hz');
    expect(await page.locator(tid('channels')).textContent()).toBe('A1–A6');
    expect(await page.locator(tid('address')).textContent()).toBe(`ws://127.0.0.1:${new URL(s.url).port}/`);
    // WebSocket clients: this page over the WebSocket; none over IPC.
    expect(await page.locator(tid('clients')).textContent()).toBe(mode === 'websocket' ? '1' : '0');
    const sps = Number((await page.locator(tid('sps')).textContent())!.replace(/,/g, ''));
    expect(sps).toBeGreaterThan(500); // ~1000; the meter reads device time, but a loaded machine delays messages
    expect(sps).toBeLessThan(1100);
    expect(await page.locator(tid('crc')).textContent()).toBe('0');
    const stats = await plotStats(page);
    expect(stats.lastPoints).toBeLessThanOrEqual(2 * 1000); // decimated: ≤ 2 points per pixel column
    await shot(page, 'live.png');

    // Every acquired channel is offered; converted units follow the meta unit.
    const options = await page.locator(`${tid('plot-channel')} option`).allTextContents();
    expect(options).toEqual(['A1 · EMG', 'A2 · ECG', 'A3 · EDA', 'A4 · EEG', 'A5 · ACC', 'A6 · LUX', 'All channels']);
    await page.locator(tid('plot-channel')).selectOption('A2');
    await page.locator('label[for="units-converted"]').click();
    await expect.poll(() => page.locator(tid('plot-legend')).textContent()).toContain('A2 · ECG (mV)');
    await page.waitForTimeout(500);
    expect(await tracePixels(page)).toBeGreaterThan(500);
    await shot(page, 'live-converted-a2.png');
    await page.locator(tid('plot-channel')).selectOption('*');
    await page.locator('label[for="units-raw"]').click();
    await page.waitForTimeout(500);
    await shot(page, 'live-all-channels.png');

    // The window's own size.
    await page.setViewportSize({ width: 900, height: 640 });
    await page.locator(tid('plot-channel')).selectOption('A1');
    await page.waitForTimeout(500);
    await shot(page, 'live-900x640.png');
    expect(await problems(page, consoleErrors)).toEqual([]);
  });

  it('Stop and Start control acquisition', async () => {
    const s = await service();
    const { page } = await open(s);
    await expect.poll(() => page.locator(tid('state')).textContent(), { timeout: 15_000 }).toBe('streaming');
    await page.locator(tid('startstop')).click();
    await expect.poll(() => page.locator(tid('state')).textContent(), { timeout: 10_000 }).toBe('stopped');
    expect(await page.locator(tid('startstop')).textContent()).toBe('Start');
    await page.locator(tid('startstop')).click();
    await expect.poll(() => page.locator(tid('state')).textContent(), { timeout: 10_000 }).toBe('streaming');
  });

  it('a config change round-trips to the file on disk and to the stream', async () => {
    const s = await service();
    const { page, consoleErrors } = await open(s);
    await page.locator('#tab-settings').click();
    await expect.poll(() => page.locator(tid('cfg-device')).inputValue(), { timeout: 10_000 }).toBe('simulator');
    expect(await page.locator(tid('cfg-port')).inputValue()).toBe(new URL(s.url).port);
    for (const ch of [3, 4, 5, 6]) await page.locator(tid(`cfg-ch${ch}`)).uncheck();
    await page.locator(tid('cfg-rate')).selectOption('100');
    await page.locator(tid('cfg-label6')).fill('ECG-chest');
    expect(await page.locator(tid('cfg-save')).isEnabled()).toBe(true);
    await shot(page, 'settings.png');
    await page.locator(tid('cfg-save')).click();
    await expect.poll(() => page.locator(tid('cfg-result')).textContent(), { timeout: 15_000 }).toContain('Saved.');

    const onDisk = JSON.parse(readFileSync(s.configPath, 'utf8')) as Record<string, unknown>;
    expect(onDisk).toMatchObject({ device: 'simulator', channels: [1, 2], sampling_rate: 100, token: E2E_TOKEN });
    expect((onDisk.labels as string[])[6]).toBe('ECG-chest');

    await expect.poll(() => page.locator(tid('rate')).textContent(), { timeout: 10_000 }).toBe('100 Hz');
    expect(await page.locator(tid('channels')).textContent()).toBe('A1, A2');
    await expect.poll(() => page.locator(tid('state')).textContent(), { timeout: 10_000 }).toBe('streaming');
    await page.locator('#tab-live').click();
    // meta: two analog columns, the new label included.
    await expect.poll(() => page.locator(`${tid('plot-channel')} option`).allTextContents(), { timeout: 10_000 }).toEqual(['A1 · EMG', 'ECG-chest (A2) · ECG', 'All channels']);
    // Measured from the data received, now at the new rate.
    await expect
      .poll(
        async () => {
          const sps = Number(await page.locator(tid('sps')).textContent());
          return sps > 80 && sps < 120;
        },
        { timeout: 10_000 },
      )
      .toBe(true);
    expect(await problems(page, consoleErrors)).toEqual([]);
  });

  it('an invalid value shows its message next to the field and disables Save', async () => {
    const s = await service();
    const { page } = await open(s);
    await page.locator('#tab-settings').click();
    await expect.poll(() => page.locator(tid('cfg-device')).inputValue(), { timeout: 10_000 }).toBe('simulator');
    await page.locator(tid('cfg-port')).fill('70000');
    await expect.poll(() => page.locator(tid('error-port')).textContent()).toBe('The port is 70000; allowed: an integer from 1 to 65535');
    expect(await page.locator(tid('cfg-save')).isDisabled()).toBe(true);
    expect(await page.locator(tid('cfg-port')).getAttribute('aria-invalid')).toBe('true');
    for (const ch of [1, 2, 3, 4, 5, 6]) await page.locator(tid(`cfg-ch${ch}`)).uncheck();
    await expect.poll(() => page.locator(tid('error-channels')).textContent()).toContain('Channels has 0 items');
    await shot(page, 'settings-invalid.png');
    await page.locator(tid('cfg-port')).fill('9001');
    await page.locator(tid('cfg-ch1')).check();
    await expect.poll(() => page.locator(tid('cfg-save')).isEnabled()).toBe(true);
    expect(await page.locator(tid('error-port')).textContent()).toBe('');
  });

  it('the device picker tests a BITalino on a pty given by address and shows its firmware', async () => {
    const pty = await ptyPair();
    cleanups.push(() => pty.close());
    const deviceEnd = new SerialTransport(pty.b);
    await deviceEnd.open();
    cleanups.push(() => deviceEnd.close());
    const emu = new BitalinoEmulator({ firmware: 'BITalino_v5.2' });
    const detach = emu.attach(deviceEnd);
    cleanups.push(() => {
      emu.halt();
      detach();
    });

    const s = await service();
    const { page, consoleErrors } = await open(s);
    await expect.poll(() => page.locator(tid('state')).textContent(), { timeout: 15_000 }).toBe('streaming');
    await page.locator('#tab-devices').click();
    await expect.poll(() => page.locator(tid('picker-status')).textContent(), { timeout: 15_000 }).toMatch(/ports?,/);
    expect(await page.locator(`${tid('device-list')} li[data-address="simulator"]`).count()).toBe(1);

    await page.locator(tid('picker-manual')).fill(pty.a);
    await page.locator(tid('picker-manual-test')).click();
    await expect.poll(() => page.locator(tid('picker-manual-result')).textContent(), { timeout: 20_000 }).toBe('Found: firmware BITalino_v5.2 ((r)evolution)');
    await shot(page, 'devices.png');

    // A port that does not exist: the error and what to check.
    await page.locator(tid('picker-manual')).fill('/dev/serverbit-no-such-port');
    await page.locator(tid('picker-manual-test')).click();
    await expect.poll(() => page.locator(`${tid('picker-manual-result')}.failed`).count(), { timeout: 20_000 }).toBe(1);
    expect(await page.locator(`${tid('picker-manual-result')} li`).count()).toBeGreaterThan(1);
    await shot(page, 'devices-test-failed.png');

    // "Use" fills the config editor.
    await page.locator(tid('picker-manual')).fill(pty.a);
    await page.locator(tid('picker-manual-use')).click();
    expect(await page.locator('#panel-settings').isVisible()).toBe(true);
    expect(await page.locator(tid('cfg-device')).inputValue()).toBe(pty.a);
    expect(await problems(page, consoleErrors)).toEqual([]);
  });

  it('a device that cannot be reached puts up the banner with what to check', async () => {
    const s = await service();
    const { page } = await open(s);
    await page.locator('#tab-settings').click();
    await expect.poll(() => page.locator(tid('cfg-device')).inputValue(), { timeout: 10_000 }).toBe('simulator');
    await page.locator(tid('cfg-device')).fill('/dev/serverbit-missing');
    await page.locator(tid('cfg-save')).click();
    await expect.poll(() => page.locator(tid('cfg-result')).textContent(), { timeout: 15_000 }).toContain('Saved.');
    const banner = page.locator('#banner');
    await expect.poll(() => banner.isVisible(), { timeout: 15_000 }).toBe(true);
    const text = (await banner.textContent()) ?? '';
    expect(text).toContain('Could not open the device');
    expect(text).toContain('/dev/serverbit-missing');
    for (const step of ['switched on', 'PIN 1234', 'address right', 'another program']) expect(text).toContain(step);
    expect(['reconnecting', 'error']).toContain(await page.locator(tid('state')).textContent());
    await page.locator('#tab-live').click();
    await shot(page, 'error-banner.png');
    await page.setViewportSize({ width: 900, height: 640 });
    await shot(page, 'error-banner-900x640.png');
  });

});

describe('renderer in Chromium, the connection (WebSocket only: IPC has none to lose)', { timeout: 60_000 }, () => {
  beforeAll(() => {
    mode = 'websocket';
  });

  it('a lost connection to the service shows, and the page reconnects when it is back', async () => {
    const s = await service();
    const { page } = await open(s);
    await expect.poll(() => page.locator(tid('state')).textContent(), { timeout: 15_000 }).toBe('streaming');
    await s.close();
    await expect.poll(() => page.locator('#banner').textContent(), { timeout: 10_000 }).toContain('Lost the connection to ServerBIT');
    expect(await page.locator(tid('state')).textContent()).toBe('offline');
    expect(await page.locator(tid('startstop')).isDisabled()).toBe(true);
    await shot(page, 'connection-lost.png');
    // The service comes back on the same port: the page reconnects by itself.
    await service({ port: Number(new URL(s.url).port) });
    await expect.poll(() => page.locator(tid('state')).textContent(), { timeout: 15_000 }).toBe('streaming');
    expect(await page.locator('#banner').isHidden()).toBe(true);
  });
});
