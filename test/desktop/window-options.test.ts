import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, isAllowedRequest, windowOptions, withCsp } from '../../src/main/desktop/window-options.js';

const PREFIX = 'file:///opt/ServerBIT/resources/app.asar/dist/renderer/';

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name, ...values] = d.split(/\s+/);
        return [name, values] as [string, string[]];
      }),
  );
}

describe('window options', () => {
  const o = windowOptions({ preload: '/app/dist/main/electron/preload.cjs', icon: '/app/assets/icon.png', platform: 'linux', packaged: true });

  it('isolate and sandbox the renderer, without Node', () => {
    expect(o.webPreferences).toMatchObject({
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
      disableBlinkFeatures: 'Auxclick',
    });
    expect(o.webPreferences.preload).toBe('/app/dist/main/electron/preload.cjs');
    expect(o.webPreferences.preload.endsWith('.cjs')).toBe(true);
    expect(o.webPreferences).not.toHaveProperty('enableBlinkFeatures');
    expect(o.webPreferences).not.toHaveProperty('additionalArguments');
  });

  it('start hidden (the app lives in the tray)', () => {
    expect(o.show).toBe(false);
  });

  it('DevTools only in development', () => {
    expect(o.webPreferences.devTools).toBe(false);
    expect(windowOptions({ preload: '/p.cjs', platform: 'linux', packaged: false }).webPreferences.devTools).toBe(true);
  });

  it('set the window icon except on macOS (the bundle has it)', () => {
    expect(o.icon).toBe('/app/assets/icon.png');
    expect(windowOptions({ preload: '/p.cjs', icon: '/i.png', platform: 'darwin', packaged: true })).not.toHaveProperty('icon');
  });
});

describe('content security policy', () => {
  const d = directives(CONTENT_SECURITY_POLICY);

  it('denies by default and allows only the app’s own scripts, styles, images and fonts', () => {
    expect(d.get('default-src')).toEqual(["'none'"]);
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(d.get('style-src')).toEqual(["'self'"]);
    expect(d.get('img-src')).toEqual(["'self'", 'data:']);
    expect(d.get('font-src')).toEqual(["'self'"]);
  });

  it('no inline code, no eval, no network, no plugins, frames, workers, forms or <base>', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|unsafe-hashes|wasm-unsafe-eval|\*|http:|https:|ws:/);
    for (const name of ['connect-src', 'object-src', 'frame-src', 'worker-src', 'media-src', 'base-uri', 'form-action', 'frame-ancestors']) {
      expect(d.get(name), name).toEqual(["'none'"]);
    }
  });

  it('withCsp replaces any CSP header, whatever its case, and keeps the others', () => {
    const h = withCsp({ 'content-security-policy': ["default-src *"], 'Content-Type': 'text/html', 'X-Other': ['a', 'b'] });
    expect(h).toEqual({ 'Content-Type': ['text/html'], 'X-Other': ['a', 'b'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
    expect(withCsp(undefined)).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });
});

describe('requests the window may make', () => {
  it('its own files, and data:/blob:/devtools:', () => {
    expect(isAllowedRequest(`${PREFIX}index.html`, PREFIX)).toBe(true);
    expect(isAllowedRequest(`${PREFIX}app.js`, PREFIX)).toBe(true);
    expect(isAllowedRequest('data:image/png;base64,AAAA', PREFIX)).toBe(true);
    expect(isAllowedRequest('blob:file:///1234-5678', PREFIX)).toBe(true);
    expect(isAllowedRequest('devtools://devtools/bundled/inspector.html', PREFIX)).toBe(true);
  });

  it('nothing else: network, other files, escapes from the folder', () => {
    for (const url of [
      'https://example.com/x.js',
      'http://127.0.0.1:9001/',
      'ws://127.0.0.1:9001/v2',
      'file:///etc/passwd',
      'file:///opt/ServerBIT/resources/app.asar/dist/main/electron/main.js',
      `${PREFIX}../../package.json`,
      `${PREFIX}%2e%2e/%2e%2e/package.json`,
      'file://evil-host/opt/ServerBIT/resources/app.asar/dist/renderer/index.html',
      'chrome://settings',
    ]) {
      expect(isAllowedRequest(url, PREFIX), url).toBe(false);
    }
  });
});

describe('the renderer page', () => {
  const index = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'renderer', 'index.html');

  // The header CSP covers current Electron; the page's own <meta> policy covers the rest and the
  // browser host. Both apply (a resource must pass both), so the meta one must be strict too.
  it('carries a CSP <meta> without inline script or eval', () => {
    const html = readFileSync(index, 'utf8');
    const meta = /<meta\s+http-equiv=["']Content-Security-Policy["']\s+content=(?:"([^"]+)"|'([^']+)')/i.exec(html);
    expect(meta, 'src/renderer/index.html needs <meta http-equiv="Content-Security-Policy" …>').not.toBeNull();
    const d = directives(meta![1] ?? meta![2]);
    const scripts = d.get('script-src') ?? d.get('default-src') ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.join(' ')).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
    expect(d.get('object-src') ?? d.get('default-src')).toEqual(["'none'"]);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i); // no inline <script>
  });
});
