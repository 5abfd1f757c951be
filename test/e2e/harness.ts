/**
 * What the renderer's end-to-end tests and the plot benchmark share: the real service started
 * in-process (createServerBit + a ConfigStore on a temp dir, serving dist/renderer), and Debian's
 * Chromium driven by playwright-core (Playwright refuses --user-data-dir in launch(), hence
 * launchPersistentContext on a fresh temp dir).
 *
 * Everything returned has an idempotent close(); call it in afterEach/afterAll.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createServerBit, type ServerBit } from '../../src/main/app.js';
import { ConfigStore } from '../../src/main/config/config-store.js';
import { Settings } from '../../src/main/config/settings.js';
import type { CliOverrides } from '../../src/main/config/cli-args.js';
import { createStaticHandler } from '../../src/main/server/static-ui.js';
import { defaultConfig, type ServerBitConfig } from '../../src/shared/config.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const RENDERER_DIR = path.join(ROOT, 'dist/renderer');
/**
 * Where the end-to-end tests put their screenshots: test-results/screenshots (ignored by git),
 * or docs/screenshots, the README's pictures, when run with UPDATE_SCREENSHOTS=1.
 */
export const SCREENSHOTS = path.join(ROOT, process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : 'test-results/screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Chromium flags for CI: no sandbox (containers), no GPU, nothing phoning home. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Bundles src/renderer into dist/renderer (esbuild: well under a second). */
export function buildRenderer(): void {
  const r = spawnSync(process.execPath, ['scripts/build-renderer.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build-renderer failed: ${r.stderr || r.stdout}`);
}

/** A TCP port that was free a moment ago (the form needs a real port: 0 is not a valid setting). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** The control token of every service startService starts (at least 16 characters, as the config requires). */
export const E2E_TOKEN = 'e2e-token-0123456789abcdef';

export interface Service {
  app: ServerBit;
  /** http://127.0.0.1:<port>/ — the page without the token: view only. */
  url: string;
  /** The address the CLI prints, with the token in the fragment: the page with control. */
  controlUrl: string;
  configPath: string;
  close(): Promise<void>;
}

/** The real service (simulator by default) with its config file in a fresh temp dir, serving the UI. */
export async function startService(over: Partial<ServerBitConfig> = {}): Promise<Service> {
  const dir = await mkdtemp(path.join(tmpdir(), 'serverbit-e2e-'));
  const configPath = path.join(dir, 'config.json');
  const store = ConfigStore.open({ path: configPath });
  const config: ServerBitConfig = { ...defaultConfig(), port: await freePort(), device: 'simulator', token: E2E_TOKEN, ...over };
  store.save(config);
  const app = createServerBit({ config, configStore: store, http: createStaticHandler(RENDERER_DIR) });
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    })());
  try {
    await app.start();
  } catch (e) {
    await close();
    throw e;
  }
  const url = `http://127.0.0.1:${app.server.address!.port}/`;
  return { app, url, controlUrl: `${url}#token=${encodeURIComponent(config.token)}`, configPath, close };
}

/**
 * The service as the CLI starts it from a config file it did not write: the file's text as
 * given (valid, partly invalid or broken), loaded with ConfigStore.loadPartial, with `flags`
 * laid over it for this run (as `serverbit --port …`). `text` may use {{PORT}}, replaced by a free port.
 */
export async function startServiceFromFile(text: string, flags: CliOverrides = {}): Promise<Service & { filePort: number }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'serverbit-e2e-'));
  const configPath = path.join(dir, 'config.json');
  const filePort = await freePort();
  writeFileSync(configPath, text.replaceAll('{{PORT}}', String(filePort)));
  const store = ConfigStore.open({ path: configPath });
  const loaded = store.loadPartial();
  const settings = new Settings({ file: loaded.config, ...(loaded.saveable ? { store } : {}), overrides: flags, ...(loaded.problem ? { problem: loaded.problem } : {}) });
  const app = createServerBit({ settings, http: createStaticHandler(RENDERER_DIR) });
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    })());
  try {
    await app.start();
  } catch (e) {
    await close();
    throw e;
  }
  const url = `http://127.0.0.1:${app.server.address!.port}/`;
  const token = settings.config.token;
  return { app, url, controlUrl: `${url}#token=${encodeURIComponent(token)}`, configPath, close, filePort };
}

export interface Browser {
  context: BrowserContext;
  /** A new page that records CSP violations (window.__cspViolations) and console errors. */
  newPage(): Promise<{ page: Page; consoleErrors: string[] }>;
  close(): Promise<void>;
}

/**
 * @param extraArgs more Chromium flags: the IPC runs (ipc-shim.ts) load the page from file:// as
 *   Electron does, which needs --allow-file-access-from-files for its module script.
 */
export async function launchBrowser(viewport = { width: 1280, height: 800 }, extraArgs: string[] = []): Promise<Browser> {
  const profile = await mkdtemp(path.join(tmpdir(), 'serverbit-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs], viewport, deviceScaleFactor: 1 });
  } catch (e) {
    await rm(profile, { recursive: true, force: true });
    throw e;
  }
  await context.addInitScript(() => {
    const w = window as unknown as { __cspViolations: string[] };
    w.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  let closed: Promise<void> | undefined;
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      const consoleErrors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => consoleErrors.push(String(e)));
      return { page, consoleErrors };
    },
    close: () =>
      (closed ??= (async () => {
        await context.close().catch(() => undefined);
        await rm(profile, { recursive: true, force: true });
      })()),
  };
}

/** The renderer's debug numbers (src/renderer/main.ts). */
export interface DebugStats {
  draws: number;
  drawMs: number;
  lastDrawMs: number;
  lastPoints: number;
}

export function plotStats(page: Page): Promise<DebugStats> {
  return page.evaluate(() => ({ ...(window as unknown as { __serverbitDebug: { plot: DebugStats } }).__serverbitDebug.plot }));
}

/**
 * Pixels of the plot canvas drawn in a trace colour (not white, not grid grey): > 0 means a line
 * was drawn. Reads the canvas back in the page.
 */
export function tracePixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('canvas[data-testid="plot"]')!;
    const ctx = c.getContext('2d')!;
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
      // Saturated colour: the traces (#1f6feb, #d1242f, …); axes, text and grid are grey.
      if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
    }
    return n;
  });
}
