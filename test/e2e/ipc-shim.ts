/**
 * The Electron window's IPC path, in Chromium (issue 10 item 19): the page gets a
 * `window.serverbit` like the preload's (src/main/electron/preload.cts: `send` and `onMessage`,
 * arguments structured-cloned), wired through Playwright's exposeBinding to the real IpcBridge
 * (src/main/desktop/ipc-bridge.ts) and a trusted /v2 session, exactly as src/main/electron/ipc.ts
 * wires ipcMain: each message carries the sending frame's URL and whether it is the main frame,
 * the session opens when the page has loaded (Electron's did-finish-load), a navigation closes it.
 * Only Electron itself is missing (it cannot run here).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { createV2Session } from '../../src/main/api/session.js';
import { IpcBridge, type IpcBridgeOptions, type ReceiveResult } from '../../src/main/desktop/ipc-bridge.js';
import type { ServerMessage } from '../../src/shared/v2.js';
import { RENDERER_DIR, type Service } from './harness.js';

/** Where Electron loads the window from: dist/renderer/index.html, as a file:// URL (paths.ts). */
export const RENDERER_URL_PREFIX = pathToFileURL(RENDERER_DIR + path.sep).href;
export const RENDERER_INDEX_URL = `${RENDERER_URL_PREFIX}index.html`;

/** Chromium flags the IPC runs need: the page's module script from file://, as Electron allows. */
export const IPC_BROWSER_ARGS = ['--allow-file-access-from-files'];

export interface IpcShim {
  bridge: IpcBridge;
  /** What the bridge answered for each message the page sent. */
  results: ReceiveResult[];
}

let nextId = 1;

/** Installs the shim on `page` (before it navigates to RENDERER_INDEX_URL) for `service`; `desktop` answers the window's desktop requests as main.ts does. */
export async function installIpcShim(page: Page, service: Service, desktop?: IpcBridgeOptions['desktop']): Promise<IpcShim> {
  const id = nextId++;
  const bridge = new IpcBridge({
    ...(desktop ? { desktop } : {}),
    createSession: (send: (m: ServerMessage) => void) => createV2Session({ context: service.app.api, send, trusted: true }),
    // As in the app: only the page loaded from dist/renderer/ (file://) may talk to the session.
    rendererUrlPrefix: RENDERER_URL_PREFIX,
  });
  const results: ReceiveResult[] = [];
  await page.exposeBinding('__serverbitIpcSend', (source, payload: unknown) => {
    results.push(bridge.receive({ targetId: id, frameUrl: source.frame.url(), isMainFrame: source.frame === source.page.mainFrame() }, payload));
  });
  await page.addInitScript(() => {
    const listeners = new Set<(m: unknown) => void>();
    const w = window as unknown as { __serverbitIpcSend(m: unknown): Promise<void>; __serverbitIpcPush(m: unknown): void; serverbit: unknown };
    w.__serverbitIpcPush = (m) => {
      for (const l of listeners) l(m);
    };
    // The preload's two functions (contextBridge clones what crosses; so does exposeBinding).
    w.serverbit = Object.freeze({
      send: (message: unknown) => void w.__serverbitIpcSend(message),
      onMessage: (listener: (m: unknown) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    });
  });
  // main → renderer, in order (webContents.send keeps the order: so does one chain of evaluates).
  let chain: Promise<unknown> = Promise.resolve();
  const target = {
    id,
    send(message: ServerMessage) {
      chain = chain.then(() => page.evaluate((m) => (window as unknown as { __serverbitIpcPush(m: unknown): void }).__serverbitIpcPush(m), message).catch(() => undefined));
    },
  };
  page.on('load', () => bridge.open(target));
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) bridge.close(id);
  });
  page.on('close', () => bridge.closeAll());
  return { bridge, results };
}
