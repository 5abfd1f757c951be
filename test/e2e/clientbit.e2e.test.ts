/**
 * The original documentation's configuration test: examples/ClientBIT.html opened from disk
 * (Origin "null", allowed by default) connects to the compatible stream and plots A1.
 */
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, launchBrowser, startService, type Browser, type Service } from './harness.js';

let service: Service | undefined;
let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  await service?.close();
  browser = service = undefined;
});

describe('examples/ClientBIT.html', () => {
  it('opened from disk, connects to the compatible stream and plots A1', { timeout: 60_000 }, async () => {
    service = await startService();
    browser = await launchBrowser({ width: 1000, height: 520 });
    const { page, consoleErrors } = await browser.newPage();
    const port = new URL(service.url).port;
    await page.goto(`${pathToFileURL(path.join(ROOT, 'examples/ClientBIT.html')).href}?port=${port}`);
    await page.waitForFunction(() => /samples/.test(document.getElementById('info')?.textContent ?? '') && parseInt(document.getElementById('info')!.textContent!, 10) > 2000, undefined, { timeout: 20_000 });
    expect(await page.locator('#status').textContent()).toBe(`Connected to ws://localhost:${port}/ — plotting A1`);
    // The trace is drawn: count the plot colour's pixels on the canvas.
    const blue = await page.evaluate(() => {
      const c = document.getElementById('plot') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 150 && d[i] < 80) n++;
      return n;
    });
    expect(blue).toBeGreaterThan(1000);
    expect(consoleErrors).toEqual([]);
  });
});
