/**
 * The window with many devices (issue 11) and what it says about a config file, a save, a
 * stopped device and a narrow window (issue 10 items 1, 2, 4–8), end to end: the real service,
 * real config files on disk, Debian's Chromium. The device-list test runs over the WebSocket and
 * over the Electron IPC path (ipc-shim.ts); the others over the WebSocket. Screenshots as in
 * renderer.e2e.test.ts.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { E2E_TOKEN, SCREENSHOTS, buildRenderer, freePort, launchBrowser, startService, startServiceFromFile, type Browser, type Service } from './harness.js';
import { IPC_BROWSER_ARGS, RENDERER_INDEX_URL, installIpcShim } from './ipc-shim.js';

const tid = (id: string) => `[data-testid="${id}"]`;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

let browser: Browser;
beforeAll(async () => {
  buildRenderer();
  browser = await launchBrowser({ width: 1100, height: 720 }, IPC_BROWSER_ARGS);
});
afterAll(async () => {
  await browser?.close();
});

type Mode = 'websocket' | 'ipc';

async function open(service: Service, mode: Mode = 'websocket'): Promise<{ page: Page; consoleErrors: string[] }> {
  const p = await browser.newPage();
  cleanups.push(() => p.page.close());
  if (mode === 'ipc') {
    await installIpcShim(p.page, service);
    await p.page.goto(RENDERER_INDEX_URL);
  } else await p.page.goto(service.controlUrl);
  return p;
}

async function track<T extends Service>(s: Promise<T>): Promise<T> {
  const service = await s;
  cleanups.push(() => service.close());
  return service;
}

async function shot(page: Page, name: string, mode: Mode = 'websocket'): Promise<void> {
  if (mode === 'websocket') await page.screenshot({ path: path.join(SCREENSHOTS, name) });
}

const file = (s: Service) => JSON.parse(readFileSync(s.configPath, 'utf8')) as Record<string, unknown>;
const text = (page: Page, id: string) => page.locator(tid(id)).textContent();

describe.each<Mode>(['websocket', 'ipc'])('many devices in the window, over %s', { timeout: 90_000 }, (mode) => {
  it('lists every device with its state; status, plot and Settings follow the selected one; add and remove from the Devices tab', async () => {
    const s = await track(startService({ devices: [{ id: '0', address: 'simulator', name: 'Left arm' }, { id: '1', address: 'simulator', name: 'Right arm', channels: [1, 2], sampling_rate: 100 }], device: 'simulator' }));
    const { page, consoleErrors } = await open(s, mode);
    const rows = page.locator(`${tid('devices')} li`);
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
    await expect.poll(() => page.locator(`${tid('device-0')} ${tid('device-state')}`).textContent(), { timeout: 15_000 }).toBe('streaming');
    await expect.poll(() => page.locator(`${tid('device-1')} ${tid('device-state')}`).textContent(), { timeout: 15_000 }).toBe('streaming');
    expect(await page.locator(`${tid('device-0')} ${tid('device-name')}`).textContent()).toBe('Left arm');
    expect(await page.locator(`${tid('device-1')} ${tid('device-address')}`).textContent()).toBe('simulator');
    expect(await text(page, 'status-title')).toBe('Left arm');
    expect(await text(page, 'rate')).toBe('1000 Hz');
    await page.waitForTimeout(1500);
    await shot(page, 'devices-two.png', mode);

    // The second device: its status, its compatible stream, its channels in the plot.
    await page.locator(tid('device-1')).click();
    expect(await page.locator(tid('device-1')).getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => text(page, 'rate')).toBe('100 Hz');
    expect(await text(page, 'status-title')).toBe('Right arm');
    expect(await text(page, 'channels')).toBe('A1, A2');
    expect(await text(page, 'address')).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/devices\/1$/);
    await expect.poll(() => page.locator(`${tid('plot-channel')} option`).allTextContents()).toEqual(['A1 · EMG', 'A2 · ECG', 'All channels']);

    // Its settings, with a sensor per channel: saved into the devices list.
    await page.locator('#tab-settings').click();
    await expect.poll(() => page.locator(tid('cfg-name')).inputValue(), { timeout: 10_000 }).toBe('Right arm');
    expect(await page.locator(tid('cfg-rate')).inputValue()).toBe('100');
    expect(await page.locator(tid('cfg-sensor1')).inputValue()).toBe('EMG');
    await page.locator(tid('cfg-sensor1')).selectOption('ECG');
    await page.locator(tid('cfg-sensor2')).selectOption('RAW');
    await page.locator(tid('cfg-ch3')).check();
    await shot(page, 'settings-sensors.png', mode);
    await page.locator(tid('cfg-save')).click();
    await expect.poll(() => text(page, 'cfg-result'), { timeout: 15_000 }).toBe('Saved.');
    expect(await page.locator(tid('cfg-result')).getAttribute('class')).toBe('form-result ok');
    expect(file(s).devices).toEqual([
      { id: '0', address: 'simulator', name: 'Left arm' },
      { id: '1', address: 'simulator', name: 'Right arm', channels: [1, 2, 3], sampling_rate: 100, sensors: ['ECG', 'RAW', 'EDA', 'EEG', 'ACC', 'LUX'] },
    ]);
    await page.locator('#tab-live').click();
    await expect.poll(() => page.locator(`${tid('plot-channel')} option`).allTextContents(), { timeout: 15_000 }).toEqual(['A1 · ECG', 'A2 · RAW', 'A3 · EDA', 'All channels']);
    // The first device did not move.
    await page.locator(tid('device-0')).click();
    await expect.poll(() => text(page, 'channels')).toBe('A1–A6');

    // Devices tab: add the simulator as a third device, then remove it.
    await page.locator('#tab-devices').click();
    await expect.poll(() => page.locator(`${tid('configured-devices')} li`).count(), { timeout: 10_000 }).toBe(2);
    await page.locator(`${tid('device-list')} li[data-address="simulator"] ${tid('picker-add')}`).click();
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(3);
    await expect.poll(() => (file(s).devices as unknown[]).length, { timeout: 10_000 }).toBe(3);
    expect((file(s).devices as { address: string }[])[2]).toMatchObject({ id: '2', address: 'simulator' });
    // The new device is selected.
    await expect.poll(() => page.locator(tid('device-2')).getAttribute('aria-selected')).toBe('true');
    await shot(page, 'devices-tab.png', mode);
    // A typed address that is not one is refused in the page, with what an address looks like; nothing is added.
    await page.locator(tid('picker-manual')).fill('hello world');
    await page.locator(tid('picker-manual-add')).click();
    await expect.poll(() => text(page, 'picker-manual-result'), { timeout: 10_000 }).toContain('"hello world" is not a device address; allowed: "simulator", a MAC address');
    await page.locator(tid('picker-manual')).fill('mqtt://broker.local/only-a-prefix');
    await page.locator(tid('picker-manual-add')).click();
    await expect.poll(() => text(page, 'picker-manual-result'), { timeout: 10_000 }).toContain('A remote device looks like mqtt://broker.local:1883/serverbit/lab-pc/0');
    expect((file(s).devices as unknown[]).length).toBe(3);
    await page.locator(`${tid('configured-devices')} li[data-device="2"] ${tid('picker-remove')}`).click();
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
    await expect.poll(() => (file(s).devices as unknown[]).length).toBe(2);
    expect(consoleErrors).toEqual([]);
  });
});

describe('the window over the WebSocket', { timeout: 90_000 }, () => {
  it('one device keeps the classic file shape; a sensor goes in the top-level "sensors"', async () => {
    const s = await track(startService());
    const { page } = await open(s);
    await page.locator('#tab-settings').click();
    await expect.poll(() => page.locator(tid('cfg-device')).inputValue(), { timeout: 10_000 }).toBe('simulator');
    expect(await page.locator(tid('cfg-remove')).isHidden()).toBe(true);
    await page.locator(tid('cfg-sensor6')).selectOption('PZT');
    await page.locator(tid('cfg-save')).click();
    await expect.poll(() => text(page, 'cfg-result'), { timeout: 15_000 }).toBe('Saved.');
    const onDisk = file(s);
    expect(onDisk).not.toHaveProperty('devices');
    expect(onDisk).toMatchObject({ device: 'simulator', sensors: ['EMG', 'ECG', 'EDA', 'EEG', 'ACC', 'PZT'] });
  });

  it('issue 10 item 1: a partly bad config file — banner naming the key and the file, the file\'s values in Settings, Save only once fixed', async () => {
    const s = await track(startServiceFromFile(`{"device": "simulator", "sampling_rate": 500, "port": {{PORT}}, "channels": [1, 2], "token": "${E2E_TOKEN}", "my_key": "kept"}`));
    // The valid keys are in use: it listens on the file's port, with the file's channels.
    expect(new URL(s.url).port).toBe(String(s.filePort));
    const { page, consoleErrors } = await open(s);
    const banner = page.locator(tid('banner-problem'));
    await expect.poll(() => banner.isVisible(), { timeout: 15_000 }).toBe(true);
    const said = (await banner.textContent())!;
    expect(said).toContain('sampling_rate');
    expect(said).toContain(s.configPath);
    expect(said).toContain('500');
    await expect.poll(() => text(page, 'channels'), { timeout: 15_000 }).toBe('A1, A2');
    await expect.poll(async () => Number((await text(page, 'sps'))!.replace(/,/g, '')), { timeout: 10_000 }).toBeGreaterThan(500);
    await expect.poll(() => page.locator(tid('plot-stale')).isHidden()).toBe(true);
    await page.waitForTimeout(1500);
    await shot(page, 'config-banner.png');

    await page.locator('#tab-settings').click();
    await expect.poll(() => page.locator(tid('cfg-rate')).inputValue(), { timeout: 10_000 }).toBe('500');
    expect(await page.locator(`${tid('cfg-rate')} option:checked`).textContent()).toBe('500 Hz (not allowed)');
    expect(await page.locator(tid('cfg-rate')).getAttribute('aria-invalid')).toBe('true');
    expect(await text(page, 'error-sampling_rate')).toMatch(/^The sampling rate is 500; allowed: 1, 10, 100 or 1000/);
    expect(await page.locator(tid('cfg-port')).inputValue()).toBe(String(s.filePort));
    expect(await page.locator(tid('cfg-save')).isDisabled()).toBe(true);
    await shot(page, 'settings-config-invalid.png');
    // Another edit alone does not make it saveable: the bad value would be replaced silently.
    await page.locator(tid('cfg-ch3')).check();
    expect(await page.locator(tid('cfg-save')).isDisabled()).toBe(true);
    const before = readFileSync(s.configPath, 'utf8');

    // A command that leaves the bad setting as it is: refused, and why.
    const refused = await page.evaluate(async (token) => {
      const ws = new WebSocket(`ws://${location.host}/v2?token=${encodeURIComponent(token)}`);
      return new Promise<unknown>((resolve) => {
        ws.onopen = () => ws.send(JSON.stringify({ type: 'command', id: 1, command: 'set_config', args: { config: { channels: [1] } } }));
        ws.onmessage = (e) => {
          const m = JSON.parse(String(e.data)) as { type: string; id?: unknown };
          if (m.type === 'reply' && m.id === 1) resolve(m);
        };
      });
    }, E2E_TOKEN);
    expect(refused).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID_VALUE' } });
    expect(JSON.stringify(refused)).toContain('sampling_rate is 500');
    expect(readFileSync(s.configPath, 'utf8')).toBe(before);

    await page.locator(tid('cfg-rate')).selectOption('100');
    await expect.poll(() => page.locator(tid('cfg-save')).isEnabled()).toBe(true);
    await page.locator(tid('cfg-save')).click();
    await expect.poll(() => text(page, 'cfg-result'), { timeout: 15_000 }).toBe('Saved.');
    expect(file(s)).toMatchObject({ sampling_rate: 100, port: s.filePort, channels: [1, 2, 3], my_key: 'kept', token: E2E_TOKEN });
    await expect.poll(() => banner.count(), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => text(page, 'rate'), { timeout: 10_000 }).toBe('100 Hz');
    expect(consoleErrors).toEqual([]);
  });

  it('issue 10 item 1: a config file that is not JSON — the banner says so with line and column, Settings says it cannot save', async () => {
    // The file cannot be parsed, so its port is unknown: a flag gives a free one (the default 9001 may be taken).
    const s = await track(startServiceFromFile(`{\n  "device": "simulator",\n  "channels": [1, 2,],\n  "port": {{PORT}}\n}`, { port: await freePort() }));
    const { page } = await open(s);
    const banner = page.locator(tid('banner-problem'));
    await expect.poll(() => banner.isVisible(), { timeout: 15_000 }).toBe(true);
    const said = (await banner.textContent())!;
    expect(said).toContain('The config file cannot be used: it is not valid JSON');
    expect(said).toContain(`${s.configPath} is not valid JSON: a trailing comma before ] (JSON allows none) at line 3, column 21.`);
    // Nothing can be saved into a file that cannot be parsed: Settings says so and why.
    await page.locator('#tab-settings').click();
    await expect.poll(() => page.locator(tid('cfg-unsaveable')).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await text(page, 'cfg-unsaveable')).toMatch(/^Settings cannot be saved: .* is not valid JSON: a trailing comma before \] \(JSON allows none\) at line 3, column 21\. Fix the file first/);
    expect(await page.locator(tid('cfg-save')).isDisabled()).toBe(true);
    await shot(page, 'settings-config-broken.png');
  });

  it('issue 10 item 2: a one-run flag (--port) never reaches the file, whatever is saved from the page', async () => {
    const flagPort = await freePort();
    const s = await track(startServiceFromFile(`{"device": "simulator", "port": {{PORT}}, "token": "${E2E_TOKEN}"}`, { port: flagPort }));
    expect(new URL(s.url).port).toBe(String(flagPort));
    const { page } = await open(s);
    await page.locator('#tab-settings').click();
    // Settings shows the file's port, not the flag's.
    await expect.poll(() => page.locator(tid('cfg-port')).inputValue(), { timeout: 10_000 }).toBe(String(s.filePort));
    for (const rate of ['100', '10']) {
      await page.locator(tid('cfg-rate')).selectOption(rate);
      await page.locator(tid('cfg-save')).click();
      await expect.poll(() => text(page, 'cfg-result'), { timeout: 15_000 }).toBe('Saved.');
      expect(file(s)).toMatchObject({ sampling_rate: Number(rate), port: s.filePort });
      expect(await page.locator(tid('cfg-port')).inputValue()).toBe(String(s.filePort));
    }
  });

  it('issue 10 item 4: nothing said when the port stays; a new port is a warning, and one in use is said to be', async () => {
    const s = await track(startService());
    const { page } = await open(s);
    await page.locator('#tab-settings').click();
    const port = new URL(s.url).port;
    await expect.poll(() => page.locator(tid('cfg-port')).inputValue(), { timeout: 10_000 }).toBe(port);
    const result = page.locator(tid('cfg-result'));

    await page.locator(tid('cfg-network')).check();
    await page.locator(tid('cfg-network')).uncheck();
    await page.locator(tid('cfg-save')).click();
    await expect.poll(() => result.textContent(), { timeout: 15_000 }).toBe('Saved.');
    expect(await result.getAttribute('class')).toBe('form-result ok');

    // A port another program holds.
    const holder: Server = createServer();
    const taken = await freePort();
    await new Promise<void>((resolve) => holder.listen(taken, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => holder.close(resolve)));
    await page.locator(tid('cfg-port')).fill(String(taken));
    await page.locator(tid('cfg-save')).click();
    await expect.poll(() => result.textContent(), { timeout: 15_000 }).toContain(`Port ${taken} is in use by another program`);
    expect(await result.getAttribute('class')).toBe('form-result warning');
    expect(await result.textContent()).toContain('until it restarts');

    // A free one: saved, and a warning that it applies after a restart.
    const free = await freePort();
    await page.locator(tid('cfg-port')).fill(String(free));
    await page.locator(tid('cfg-save')).click();
    await expect.poll(() => result.textContent(), { timeout: 15_000 }).toContain('until it restarts');
    expect(await result.textContent()).not.toContain('in use');
    expect(await result.getAttribute('class')).toBe('form-result warning');
    expect(file(s).port).toBe(free);
  });

  it('issue 10 items 5 and 6: a stopped device reads 0 samples/s, its plot says it is not live and since when, its last values are greyed; a new address clears them', async () => {
    const s = await track(startService());
    const { page } = await open(s);
    await expect.poll(() => text(page, 'state'), { timeout: 15_000 }).toBe('streaming');
    await expect.poll(async () => Number((await text(page, 'sps'))!.replace(/,/g, '')), { timeout: 10_000 }).toBeGreaterThan(500);
    // Every time the panel changes, what it says: a stopped device must never show a rate.
    await page.evaluate(() => {
      const w = window as unknown as { __seen: [string, string][] };
      w.__seen = [];
      const q = (id: string) => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? '';
      new MutationObserver(() => w.__seen.push([q('state'), q('sps')])).observe(document.getElementById('status')!, { subtree: true, childList: true, characterData: true });
    });
    await page.locator(tid('startstop')).click();
    await expect.poll(() => text(page, 'state'), { timeout: 10_000 }).toBe('stopped');
    await expect.poll(() => page.locator(tid('plot-stale')).isVisible(), { timeout: 5000 }).toBe(true);
    await page.waitForTimeout(2500);
    const seen = await page.evaluate(() => (window as unknown as { __seen: [string, string][] }).__seen);
    const stopped = seen.filter(([state]) => state === 'stopped');
    expect(stopped.length).toBeGreaterThan(0);
    expect(stopped.filter(([, sps]) => sps !== '0')).toEqual([]);
    expect(await text(page, 'plot-stale')).toMatch(/^Not live — stopped, last sample \d+(\.\d)? s ago$/);
    expect(await page.locator('.plot-box').getAttribute('class')).toContain('stale');
    expect(await page.locator(tid('firmware')).getAttribute('class')).toContain('stale');
    expect(await page.locator(tid(`device-0`)).textContent()).not.toMatch(/\/s/);
    await shot(page, 'plot-stale.png');

    // Another address: the old firmware and battery belong to another device.
    await page.locator('#tab-settings').click();
    await expect.poll(() => page.locator(tid('cfg-device')).inputValue(), { timeout: 10_000 }).toBe('simulator');
    await page.locator(tid('cfg-device')).fill('/dev/serverbit-missing');
    await page.locator(tid('cfg-save')).click();
    await expect.poll(() => text(page, 'cfg-result'), { timeout: 15_000 }).toContain('Saved.');
    await expect.poll(() => text(page, 'device'), { timeout: 15_000 }).toBe('/dev/serverbit-missing');
    expect(await text(page, 'firmware')).toBe('—');
    expect(await text(page, 'battery')).toBe('unknown');
  });

  it('issue 10 item 7: all channels converted are stacked lanes, each with its unit; colours follow the channel', async () => {
    const s = await track(startService());
    const { page } = await open(s);
    await expect.poll(() => text(page, 'state'), { timeout: 15_000 }).toBe('streaming');
    await page.locator(tid('plot-channel')).selectOption('*');
    await page.locator('label[for="units-converted"]').click();
    const axes = () => page.evaluate(() => (window as unknown as { __serverbitDebug: { axes(): string[] } }).__serverbitDebug.axes());
    await expect.poll(axes, { timeout: 10_000 }).toEqual(['A1 (mV)', 'A2 (mV)', 'A3 (µS)', 'A4 (µV)', 'A5 (g)', 'A6 (%)']);
    expect(await text(page, 'plot-legend')).toBe('A1 · EMG (mV)A2 · ECG (mV)A3 · EDA (µS)A4 · EEG (µV)A5 · ACC (g)A6 · LUX (%)');
    await page.waitForTimeout(1500);
    await shot(page, 'live-all-converted.png');
    const swatchOfA3 = () => page.locator(`${tid('plot-legend')} .legend-item`, { hasText: 'A3' }).locator('.swatch').getAttribute('data-color');
    expect(await swatchOfA3()).toBe('2');

    // With only A2 and A3 acquired, A3 keeps its colour.
    await page.locator('#tab-settings').click();
    await expect.poll(() => page.locator(tid('cfg-device')).inputValue(), { timeout: 10_000 }).toBe('simulator');
    for (const ch of [1, 4, 5, 6]) await page.locator(tid(`cfg-ch${ch}`)).uncheck();
    await page.locator(tid('cfg-save')).click();
    await expect.poll(() => text(page, 'cfg-result'), { timeout: 15_000 }).toBe('Saved.');
    await page.locator('#tab-live').click();
    await expect.poll(() => page.locator(`${tid('plot-channel')} option`).allTextContents(), { timeout: 15_000 }).toEqual(['A2 · ECG', 'A3 · EDA', 'All channels']);
    await page.locator(tid('plot-channel')).selectOption('*');
    await expect.poll(axes, { timeout: 10_000 }).toEqual(['A2 (mV)', 'A3 (µS)']);
    expect(await swatchOfA3()).toBe('2');
  });

  it('issue 10 item 8: a 420 px wide window fits, every tab', async () => {
    const s = await track(startService({ devices: [{ id: '0', address: 'simulator', name: 'Left arm' }, { id: '1', address: 'simulator', name: 'Right arm' }], device: 'simulator' }));
    const { page } = await open(s);
    await page.setViewportSize({ width: 420, height: 860 });
    await expect.poll(() => page.locator(`${tid('devices')} li`).count(), { timeout: 15_000 }).toBe(2);
    await expect.poll(() => text(page, 'state'), { timeout: 15_000 }).toBe('streaming');
    await page.waitForTimeout(1000);
    for (const tab of ['live', 'settings', 'devices']) {
      await page.locator(`#tab-${tab}`).click();
      await page.waitForTimeout(300);
      const width = await page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
      expect(width, tab).toBeLessThanOrEqual(420);
      if (tab === 'live') await shot(page, 'narrow-420.png');
      if (tab === 'settings') await page.screenshot({ path: path.join(SCREENSHOTS, 'narrow-420-settings.png'), fullPage: true });
    }
  });
});
