/**
 * The window's security settings in one place (docs/desktop.md "Security settings"; Electron's
 * security checklist): an isolated, sandboxed renderer without Node, a strict Content Security Policy,
 * and requests limited to the app's own files. src/main/electron/window.ts applies them; the
 * test checks every flag here, since no Electron runs in our tests.
 */
import { isAppFrameUrl, type FrameUrlOptions } from './ipc-guard.js';

/**
 * The renderer's CSP. Everything is denied unless listed: scripts, styles, images and fonts come
 * from the app's own files (no inline script or style, no eval); `data:` images for canvas
 * exports; no network at all (the window talks to the service over IPC, not WebSockets); no
 * plugins, frames, workers, forms or <base>. The same text belongs in a
 * `<meta http-equiv="Content-Security-Policy">` of src/renderer/index.html: a header set on a
 * file:// response is honoured by current Electron, the meta tag covers versions that do not.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "media-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
  "manifest-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The subset of Electron's BrowserWindowConstructorOptions we set (window.ts passes it as-is, so tsc checks it against Electron's type). */
export interface WindowOptions {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  show: boolean;
  title: string;
  icon?: string;
  backgroundColor: string;
  autoHideMenuBar: boolean;
  webPreferences: {
    preload: string;
    contextIsolation: true;
    sandbox: true;
    nodeIntegration: false;
    nodeIntegrationInWorker: false;
    nodeIntegrationInSubFrames: false;
    webSecurity: true;
    allowRunningInsecureContent: false;
    webviewTag: false;
    experimentalFeatures: false;
    navigateOnDragDrop: false;
    safeDialogs: true;
    spellcheck: false;
    devTools: boolean;
    /** Middle-click opens no new window (Electronegativity AUXCLICK check); navigation is denied anyway. */
    disableBlinkFeatures: 'Auxclick';
  };
}

export interface WindowOptionsInput {
  /** Absolute path of preload.cjs (paths.ts). */
  preload: string;
  /** App icon PNG; used on Linux and Windows (macOS takes the bundle's icon). */
  icon?: string;
  platform: NodeJS.Platform;
  /** Packaged builds ship without DevTools. */
  packaged: boolean;
}

export function windowOptions(input: WindowOptionsInput): WindowOptions {
  const options: WindowOptions = {
    width: 1100,
    height: 760,
    minWidth: 720,
    minHeight: 480,
    // Shown on 'ready-to-show' or when the user asks: the app starts in the tray.
    show: false,
    title: 'ServerBIT',
    backgroundColor: '#ffffff',
    autoHideMenuBar: true,
    webPreferences: {
      preload: input.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: !input.packaged,
      disableBlinkFeatures: 'Auxclick',
    },
  };
  if (input.icon && input.platform !== 'darwin') options.icon = input.icon;
  return options;
}

/**
 * Response headers with our CSP in force: any Content-Security-Policy the response carried is
 * replaced (header names compare case-insensitively), the rest is kept.
 */
export function withCsp(headers: Record<string, string | string[]> | undefined, csp: string = CONTENT_SECURITY_POLICY): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() === 'content-security-policy') continue;
    out[name] = Array.isArray(value) ? value : [value];
  }
  out['Content-Security-Policy'] = [csp];
  return out;
}

/**
 * Which requests the window's session lets through: the app's own files under dist/renderer,
 * and the in-memory schemes a page uses for its own content (data:, blob:) plus devtools: in
 * development. Everything else (http, https, ws, other files on disk) is cancelled, so even a
 * script that slipped past the CSP cannot reach the network or read the disk.
 */
export function isAllowedRequest(url: string, rendererUrlPrefix: string, options: FrameUrlOptions = {}): boolean {
  if (url.startsWith('data:') || url.startsWith('blob:') || url.startsWith('devtools:')) return true;
  return isAppFrameUrl(url, rendererUrlPrefix, options);
}
