/**
 * The original documentation's configuration test: ClientBIT.html connects to the compatible
 * stream and plots A1. Served by ServerBIT itself (same origin, allowed by default), and opened
 * from disk once the user has allowed "null" (refused by default: test/security/origins.test.ts).
 */
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_ORIGINS } from '../../src/shared/config.js';
import { ROOT, buildRenderer, launchBrowser, startService, type Browser, type Service } from './harness.js';

let service: Service | undefined;
let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  await service?.close();
  browser = service = undefined;
});

/** Waits for more than 2000 samples, then counts the plot colour's pixels on the canvas. */
async function plotted(page: Page): Promise<number> {
  await page.waitForFunction(() => /samples/.test(document.getElementById('info')?.textContent ?? '') && parseInt(document.getElementById('info')!.textContent!, 10) > 2000, undefined, { timeout: 20_000 });
  return page.evaluate(() => {
    const c = document.getElementById('plot') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 150 && d[i] < 80) n++;
    return n;
  });
}

describe('ClientBIT.html', () => {
  it('served by ServerBIT at /ClientBIT.html, connects back to it and plots A1 (its inline script allowed by hash)', { timeout: 60_000 }, async () => {
    buildRenderer(); // copies examples/ClientBIT.html into dist/renderer
    service = await startService();
    browser = await launchBrowser({ width: 1000, height: 520 });
    const { page, consoleErrors } = await browser.newPage();
    const port = new URL(service.url).port;
    await page.goto(`${service.url}ClientBIT.html`);
    expect(await plotted(page)).toBeGreaterThan(1000);
    expect(await page.locator('#status').textContent()).toBe(`Connected to ws://127.0.0.1:${port}/ — plotting A1`);
    expect(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations)).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('opened from disk, connects and plots A1 once "null" is in allowed_origins', { timeout: 60_000 }, async () => {
    service = await startService({ allowed_origins: [...DEFAULT_ALLOWED_ORIGINS, 'null'] });
    browser = await launchBrowser({ width: 1000, height: 520 });
    const { page, consoleErrors } = await browser.newPage();
    const port = new URL(service.url).port;
    await page.goto(`${pathToFileURL(path.join(ROOT, 'examples/ClientBIT.html')).href}?port=${port}`);
    expect(await plotted(page)).toBeGreaterThan(1000);
    expect(await page.locator('#status').textContent()).toBe(`Connected to ws://localhost:${port}/ — plotting A1`);
    expect(consoleErrors).toEqual([]);
  });
});

describe('ClientBIT.html asked for a column the stream does not have (issue 10 item 10)', () => {
  it('says so and lists the columns the stream has, instead of "plotting A9" with 0 samples', { timeout: 60_000 }, async () => {
    buildRenderer();
    service = await startService({ channels: [1, 2] });
    browser = await launchBrowser({ width: 1000, height: 520 });
    const { page, consoleErrors } = await browser.newPage();
    await page.goto(`${service.url}ClientBIT.html?column=A9`);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 15_000 }).toMatch(/has no column A9/);
    const text = (await page.locator('#status').textContent())!;
    expect(text).toContain('Its columns: nSeq, I1, I2, O1, O2, A1, A2.');
    expect(text).not.toContain('plotting');
    expect(consoleErrors).toEqual([]);
  });
});
