/**
 * The outputs in the window (issues 12–15, and issue 9 point 3), end to end: the real service
 * (simulator) with its config file on disk, Debian's Chromium, over the WebSocket (the status
 * page) and over the Electron window's IPC path (ipc-shim.ts, with the real "Open folder"
 * decision and a recorded stand-in for shell.openPath). OSC goes to liblo's oscdump in a network
 * namespace of the test's own (oscdump binds every interface): the service sends to a socat
 * bound to 127.0.0.1 here, which hands each datagram through a Unix socket to the namespace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openRecordingsFolder } from '../../src/main/desktop/recordings-folder.js';
import { SCREENSHOTS, buildRenderer, launchBrowser, startService, type Browser, type Service } from './harness.js';
import { IPC_BROWSER_ARGS, RENDERER_INDEX_URL, installIpcShim } from './ipc-shim.js';

const tid = (id: string) => `[data-testid="${id}"]`;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

let browser: Browser;
beforeAll(async () => {
  buildRenderer();
  browser = await launchBrowser({ width: 1100, height: 760 }, IPC_BROWSER_ARGS);
});
afterAll(async () => {
  await browser?.close();
});

type Mode = 'websocket' | 'ipc';

async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'serverbit-e2e-out-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

async function track(s: Promise<Service>): Promise<Service> {
  const service = await s;
  cleanups.push(() => service.close());
  return service;
}

async function open(service: Service, mode: Mode, opened: string[] = []): Promise<{ page: Page; consoleErrors: string[] }> {
  const p = await browser.newPage();
  cleanups.push(() => p.page.close());
  if (mode === 'ipc') {
    // As main.ts: the folder decided from the recording and the config; shell.openPath recorded.
    const facts = () => ({ recording: service.app.recording.summary(), configured: service.app.settings.config.record?.folder ?? '', isFolder: (f: string) => existsSync(f) });
    await installIpcShim(p.page, service, () => openRecordingsFolder(facts(), async (f) => (opened.push(f), '')));
    await p.page.goto(RENDERER_INDEX_URL);
  } else await p.page.goto(service.controlUrl);
  return p;
}

async function shot(page: Page, name: string, mode: Mode = 'websocket', fullPage = false): Promise<void> {
  if (mode === 'websocket') await page.screenshot({ path: path.join(SCREENSHOTS, name), fullPage });
}

const text = (page: Page, id: string) => page.locator(tid(id)).textContent();

describe.each<Mode>(['websocket', 'ipc'])('recording from the window, over %s', { timeout: 90_000 }, (mode) => {
  it('Record writes real files, Mark reaches the events file, Stop names the files; Open folder only in the desktop app', async () => {
    const folder = path.join(await tempDir(), 'recordings');
    const s = await track(startService({ sampling_rate: 100, record: { folder, formats: ['txt'] } }));
    const opened: string[] = [];
    const { page, consoleErrors } = await open(s, mode, opened);
    await page.locator('#tab-outputs').click();
    await expect.poll(() => text(page, 'rec-state'), { timeout: 15_000 }).toBe('Not recording');
    await expect.poll(() => page.locator(tid('out-record-formats-txt')).isChecked(), { timeout: 10_000 }).toBe(true);
    expect(await text(page, 'rec-folder')).toBe(folder);
    expect(await page.locator(tid('rec-open-folder')).isVisible()).toBe(mode === 'ipc');
    // Also CSV, for this recording (the box is the record_start's formats).
    await page.locator(tid('out-record-formats-csv')).check();
    await page.locator(tid('rec-button')).click();
    await expect.poll(() => text(page, 'rec-state'), { timeout: 15_000 }).toBe('Recording');
    expect(await text(page, 'rec-button')).toBe('Stop');
    expect(await text(page, 'quick-rec-button')).toBe('Stop');
    await expect.poll(async () => (await text(page, 'rec-size')) ?? '', { timeout: 15_000 }).toMatch(/ in 3 files$/);
    await page.locator(tid('mark-label')).fill('eyes closed');
    await page.locator(tid('mark-button')).click();
    await expect.poll(() => text(page, 'mark-result'), { timeout: 10_000 }).toMatch(/^Marked “eyes closed” at \d\d:\d\d:\d\d\.$/);
    await expect.poll(() => text(page, 'last-marker'), { timeout: 10_000 }).toMatch(/^Last marker: “eyes closed” at/);
    await expect.poll(() => text(page, 'rec-elapsed'), { timeout: 15_000 }).toMatch(/^0:0[2-9]$/);
    await shot(page, 'outputs-recording.png', mode);
    await page.locator(tid('quick-rec-button')).click();
    await expect.poll(() => text(page, 'rec-state'), { timeout: 15_000 }).toBe('Stopped');
    expect(await text(page, 'rec-button')).toBe('Record');
    const names = await page.locator(`${tid('rec-files')} li`).allTextContents();
    // The files on disk are the ones named, and they hold what was recorded.
    expect(names.sort()).toEqual(readdirSync(folder).sort());
    expect(names.some((n) => n.endsWith('.txt')) && names.some((n) => n.endsWith('.csv')) && names.some((n) => n.endsWith('.events.json'))).toBe(true);
    const txt = readFileSync(path.join(folder, names.find((n) => n.endsWith('.txt'))!), 'utf8');
    expect(txt.startsWith('# OpenSignals Text File Format')).toBe(true);
    expect(txt.split('\n').filter((l) => /^\d/.test(l)).length).toBeGreaterThan(100);
    const events = JSON.parse(readFileSync(path.join(folder, names.find((n) => n.endsWith('.events.json'))!), 'utf8')) as { markers: { label: string; source: string }[] };
    // The window over IPC is the app's own window; the page in a browser is a /v2 client like any other.
    expect(events.markers.map((m) => [m.label, m.source])).toEqual([['eyes closed', mode === 'ipc' ? 'window' : 'v2']]);
    if (mode === 'ipc') {
      await page.locator(tid('rec-open-folder')).click();
      await expect.poll(() => text(page, 'rec-open-result'), { timeout: 10_000 }).toBe(`Opened ${folder}.`);
      expect(opened).toEqual([folder]);
    }
    await shot(page, 'outputs-recorded.png', mode);
    expect(consoleErrors).toEqual([]);
  });
});

describe('the outputs over the WebSocket', { timeout: 90_000 }, () => {
  it('a Record that fails shows the service\'s error and hint; the button never claims to record', async () => {
    const dir = await tempDir();
    writeFileSync(path.join(dir, 'a-file'), 'x');
    const s = await track(startService({ record: { folder: path.join(dir, 'a-file', 'recordings') } }));
    const { page } = await open(s, 'websocket');
    await page.locator('#tab-outputs').click();
    await expect.poll(() => text(page, 'rec-state'), { timeout: 15_000 }).toBe('Not recording');
    await page.locator(tid('rec-button')).click();
    await expect.poll(() => page.locator(tid('rec-command-error')).isVisible(), { timeout: 15_000 }).toBe(true);
    const said = (await text(page, 'rec-command-error'))!;
    const e = s.app.recording.recorder!.status().error!;
    expect(said).toBe(`Record failed: ${e.message} — ${e.hint}`);
    expect(said).toContain('a file (not a folder) is in the way');
    expect(await text(page, 'rec-button')).toBe('Record');
    // What the service says of the recorder that could not start.
    await expect.poll(() => text(page, 'rec-state')).toBe('Stopped on an error');
    expect(await text(page, 'rec-error-message')).toBe(e.message);
  });

  it('OSC on from its switch: oscdump receives every column; the state and counters are the service\'s; off again', async () => {
    const dump = await startOscdump();
    cleanups.push(() => dump.close());
    const s = await track(startService({ sampling_rate: 100, channels: [1, 2] }));
    const { page, consoleErrors } = await open(s, 'websocket');
    await page.locator('#tab-outputs').click();
    const sw = page.locator(tid('output-osc-switch'));
    await expect.poll(() => sw.getAttribute('aria-checked'), { timeout: 15_000 }).toBe('false');
    expect(await text(page, 'output-osc-state')).toBe('off');
    // Settings first: where OSC goes, validated as typed.
    const host = page.locator(tid('out-osc-destinations-0-host'));
    const port = page.locator(tid('out-osc-destinations-0-port'));
    await port.fill('70000');
    await expect.poll(() => text(page, 'out-osc-error-destinations.0.port')).toMatch(/osc\.destinations\[0\]\.port is 70000/);
    expect(await page.locator(tid('out-osc-save')).isDisabled()).toBe(true);
    await host.fill('127.0.0.1');
    await port.fill(String(dump.port));
    await expect.poll(() => page.locator(tid('out-osc-save')).isEnabled()).toBe(true);
    await page.locator(tid('out-osc-save')).click();
    await expect.poll(() => text(page, 'out-osc-result'), { timeout: 15_000 }).toBe('Saved.');
    expect(JSON.parse(readFileSync(s.configPath, 'utf8')).osc).toEqual({ destinations: [{ host: '127.0.0.1', port: dump.port }] });
    // Nothing claims "on" before the service says so.
    await sw.click();
    await expect.poll(() => text(page, 'output-osc-state'), { timeout: 15_000 }).toBe('on');
    expect(await sw.getAttribute('aria-checked')).toBe('true');
    await expect.poll(() => dump.lines().filter((l) => l.includes('/0/bitalino')).length, { timeout: 20_000 }).toBeGreaterThan(50);
    const line = dump.lines().find((l) => l.includes('/0/bitalino'))!;
    // nSeq I1 I2 O1 O2 A1 A2 as floats.
    expect(line).toMatch(/\/0\/bitalino f{7} /);
    await expect.poll(() => text(page, 'output-osc-detail'), { timeout: 10_000 }).toContain(`127.0.0.1:${dump.port}`);
    await expect.poll(async () => (await text(page, 'output-osc-counters')) ?? '', { timeout: 10_000 }).not.toBe('');
    expect(await text(page, 'quick-osc-state')).toBe('on');
    await shot(page, 'outputs-osc-on.png', 'websocket', true);
    await sw.click();
    await expect.poll(() => text(page, 'output-osc-state'), { timeout: 15_000 }).toBe('off');
    expect(await sw.getAttribute('aria-checked')).toBe('false');
    expect(JSON.parse(readFileSync(s.configPath, 'utf8')).osc.enabled).toBe(false);
    expect(consoleErrors).toEqual([]);
  });

  it('MQTT to a broker that cannot be reached: the switch is on, the state and the service\'s message and hint are shown', async () => {
    const closed = await closedPort();
    const s = await track(startService({ mqtt: { url: `mqtt://127.0.0.1:${closed}` } }));
    const { page } = await open(s, 'websocket');
    await page.locator('#tab-outputs').click();
    await expect.poll(() => page.locator(tid('output-mqtt-switch')).getAttribute('aria-checked'), { timeout: 15_000 }).toBe('false');
    await page.locator(tid('output-mqtt-switch')).click();
    await expect.poll(() => page.locator(tid('output-mqtt-error')).isVisible(), { timeout: 20_000 }).toBe(true);
    const st = s.app.outputs.status('mqtt')!;
    expect(await text(page, 'output-mqtt-error-message')).toBe(st.error!.message);
    expect(await text(page, 'output-mqtt-error-hint')).toBe(st.error!.hint);
    expect(await page.locator(tid('output-mqtt-switch')).getAttribute('aria-checked')).toBe('true');
    expect(await text(page, 'output-mqtt-state')).toBe(st.state === 'running' ? 'on' : st.state);
    await page.locator(tid('output-mqtt')).scrollIntoViewIfNeeded();
    await shot(page, 'outputs-mqtt-error.png');
  });

  it('issue 9: a page opened from disk is refused — the banner says so and exactly how to allow it', async () => {
    const s = await track(startService());
    const { page } = await open(s, 'websocket');
    await expect.poll(() => text(page, 'state'), { timeout: 15_000 }).toBe('streaming');
    // What a page opened from disk sends: Origin "null".
    const { WebSocket } = await import('ws');
    const port = new URL(s.url).port;
    await new Promise<void>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { Origin: 'null' } });
      ws.on('error', () => resolve());
      ws.on('close', () => resolve());
    });
    const banner = page.locator(tid('banner-origin'));
    await expect.poll(() => banner.isVisible(), { timeout: 15_000 }).toBe(true);
    const said = (await banner.textContent())!;
    expect(said).toContain('ServerBIT refused a page opened from disk');
    expect(said).toContain(s.app.originNotices.current()!.guidance);
    expect(said).toContain('add "null" to "allowed_origins"');
    await shot(page, 'origin-refused.png');
    await banner.locator('.banner-close').click();
    await expect.poll(() => banner.count()).toBe(0);
  });

  it('a 420 px wide window: the Outputs tab and the sidebar panel fit', async () => {
    const s = await track(startService());
    const { page } = await open(s, 'websocket');
    await page.setViewportSize({ width: 420, height: 900 });
    await expect.poll(() => text(page, 'state'), { timeout: 15_000 }).toBe('streaming');
    await page.locator('#tab-outputs').click();
    await expect.poll(() => text(page, 'rec-state'), { timeout: 15_000 }).toBe('Not recording');
    await page.waitForTimeout(300);
    const width = await page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
    expect(width).toBeLessThanOrEqual(420);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'narrow-420-outputs.png'), fullPage: true });
  });
});

/** A TCP port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** A UDP port free a moment ago on 127.0.0.1. */
async function freeUdpPort(): Promise<number> {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  const { port } = sock.address();
  await new Promise<void>((resolve) => sock.close(() => resolve()));
  return port;
}

/**
 * oscdump in a network namespace of its own, fed from 127.0.0.1:<port> here: socat receives each
 * datagram on this side and sends it through a Unix datagram socket to a socat in the namespace,
 * which sends it to oscdump on the namespace's loopback.
 */
async function startOscdump(): Promise<{ port: number; lines(): string[]; close(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'serverbit-oscdump-'));
  const sock = path.join(dir, 'osc.sock');
  const userns = process.getuid?.() === 0 ? [] : ['--user', '--map-root-user'];
  const inside: ChildProcess = spawn('unshare', [...userns, '--net', '--pid', '--fork', '--kill-child', 'sh', '-c', `ip link set lo up && socat -u UNIX-RECV:${sock} UDP4-SENDTO:127.0.0.1:9000 & exec oscdump -L 9000`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  inside.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  inside.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const end = Date.now() + 10_000;
  while (!existsSync(sock) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(sock)) throw new Error(`the namespace's socat did not start: ${err}`);
  const port = await freeUdpPort();
  const outside: ChildProcess = spawn('socat', ['-u', `UDP4-RECV:${port},bind=127.0.0.1`, `UNIX-SENDTO:${sock}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise((r) => setTimeout(r, 300));
  // SIGKILL: oscdump is PID 1 of its namespace and ignores SIGTERM; unshare's --kill-child ends it with unshare.
  const stop = (c: ChildProcess) => new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : (c.once('exit', () => resolve()), c.kill('SIGKILL'))));
  return {
    port,
    lines: () => out.split('\n').filter((l) => l.trim() !== ''),
    close: async () => {
      await stop(outside);
      await stop(inside);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
