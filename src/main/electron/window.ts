/**
 * The ServerBIT window and the hardening every web page of the app gets. The settings themselves
 * are in src/main/desktop/window-options.ts (tested); this file only hands them to Electron.
 */
import { BrowserWindow, type Session, type WebContents } from 'electron';
import { createLogger } from '../log.js';
import type { DesktopPaths } from '../desktop/paths.js';
import { CONTENT_SECURITY_POLICY, isAllowedRequest, windowOptions, withCsp } from '../desktop/window-options.js';

const log = createLogger('serverbit:window');

/**
 * Session-wide: our CSP on every response (a file:// response included), requests limited to
 * the app's own files, and every permission and device chooser (serial, HID, USB, Bluetooth)
 * refused: the page reaches the device through the service, never directly.
 */
export function hardenSession(ses: Session, paths: Pick<DesktopPaths, 'rendererUrlPrefix'>, platform: NodeJS.Platform): void {
  const caseInsensitive = platform === 'win32';
  ses.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isAllowedRequest(details.url, paths.rendererUrlPrefix, { caseInsensitive });
    if (!allowed) log.warn('blocked a request to %s', details.url.slice(0, 200));
    callback({ cancel: !allowed });
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withCsp(details.responseHeaders, CONTENT_SECURITY_POLICY) });
  });
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.on('select-serial-port', (event, _ports, _contents, callback) => {
    event.preventDefault();
    callback('');
  });
  ses.on('select-hid-device', (event, _details, callback) => {
    event.preventDefault();
    callback();
  });
  ses.on('select-usb-device', (event, _details, callback) => {
    event.preventDefault();
    callback();
  });
}

/** For every web contents the app creates: no navigation away, no new windows, no webviews. */
export function hardenContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-frame-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.on('select-bluetooth-device', (event, _devices, callback) => {
    event.preventDefault();
    callback('');
  });
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

export interface MainWindowOptions {
  paths: Pick<DesktopPaths, 'preload' | 'appIcon' | 'packaged' | 'rendererIndex'>;
  platform: NodeJS.Platform;
  /** True while quitting: then closing really closes. */
  isQuitting: () => boolean;
  /** Connects the page to its /v2 session (ipc.ts attachWindow). */
  attach: (contents: WebContents) => void;
}

/** Creates the (hidden) window and loads the renderer. Closing it hides it: the app lives in the tray. */
export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const { paths } = options;
  // Electronegativity reads option literals only; these come from windowOptions() (contextIsolation,
  // sandbox, no Auxclick, a preload exposing two functions), checked by test/desktop/window-options.test.ts.
  const settings = windowOptions({ preload: paths.preload, icon: paths.appIcon, platform: options.platform, packaged: paths.packaged }); /* eng-disable PRELOAD_JS_CHECK */
  const win = new BrowserWindow(settings); /* eng-disable CONTEXT_ISOLATION_JS_CHECK SANDBOX_JS_CHECK AUXCLICK_JS_CHECK PRELOAD_JS_CHECK */
  options.attach(win.webContents);
  win.on('close', (event) => {
    if (options.isQuitting()) return;
    event.preventDefault();
    win.hide();
  });
  win.webContents.on('render-process-gone', (_event, details) => log.warn('the window renderer is gone (%s); reload it with Ctrl+R or reopen it', details.reason));
  win.loadFile(paths.rendererIndex).catch((error: unknown) => log.warn('could not load %s: %O (did `npm run build` build the renderer?)', paths.rendererIndex, error));
  return win;
}

/** Shows and focuses the window (after its first paint, so no white flash). */
export function revealWindow(win: BrowserWindow): void {
  if (win.isMinimized()) win.restore();
  if (win.webContents.isLoading()) win.once('ready-to-show', () => focus(win));
  else focus(win);
}

function focus(win: BrowserWindow): void {
  if (win.isDestroyed()) return;
  win.show();
  win.focus();
}
