import { describe, expect, it } from 'vitest';
import { checkRendererMessage, isAppFrameUrl, MAX_IPC_MESSAGE_CHARS } from '../../src/main/desktop/ipc-guard.js';
import { desktopPaths } from '../../src/main/desktop/paths.js';
import path from 'node:path';

const posix = desktopPaths({ mainFile: '/opt/ServerBIT/resources/app.asar/dist/main/electron/main.js', homeDir: '/home/u', pathApi: path.posix });
const PREFIX = posix.rendererUrlPrefix;

describe('sender frame URL', () => {
  it('accepts the app’s own pages under dist/renderer, with query or fragment', () => {
    expect(PREFIX).toBe('file:///opt/ServerBIT/resources/app.asar/dist/renderer/');
    expect(isAppFrameUrl(`${PREFIX}index.html`, PREFIX)).toBe(true);
    expect(isAppFrameUrl(`${PREFIX}index.html?tab=settings#live`, PREFIX)).toBe(true);
    expect(isAppFrameUrl(`${PREFIX}sub/page.html`, PREFIX)).toBe(true);
  });

  it('rejects other pages, other schemes, hosts and escapes from the folder', () => {
    for (const url of [
      'https://evil.example/index.html',
      'http://127.0.0.1:9001/',
      'file:///opt/ServerBIT/resources/app.asar/dist/renderer',
      'file:///opt/ServerBIT/resources/app.asar/dist/renderer-evil/index.html',
      'file:///opt/ServerBIT/resources/app.asar/dist/main/index.html',
      'file:///tmp/index.html',
      `${PREFIX}../index.html`,
      `${PREFIX}%2E%2E/x.html`,
      'file://evil/opt/ServerBIT/resources/app.asar/dist/renderer/index.html',
      'devtools://devtools/bundled/inspector.html',
      'about:blank',
      'data:text/html,<script>1</script>',
      `javascript:location='${PREFIX}index.html'`,
      PREFIX,
      '',
      'not a url',
      `${PREFIX}${'a'.repeat(10_000)}`,
    ]) {
      expect(isAppFrameUrl(url, PREFIX), url).toBe(false);
    }
  });

  it('rejects what is not a string (a destroyed frame has no URL)', () => {
    for (const v of [undefined, null, 42, {}, ['file:///x']]) expect(isAppFrameUrl(v, PREFIX)).toBe(false);
  });

  it('refuses to work with a prefix that is not a file:/// folder URL', () => {
    expect(isAppFrameUrl('https://a/b/index.html', 'https://a/b/')).toBe(false);
    expect(isAppFrameUrl('file:///a/bc/index.html', 'file:///a/b')).toBe(false);
  });

  it('percent-encodes like Chromium (spaces in the install path)', () => {
    const p = desktopPaths({ mainFile: '/Applications/Server BIT.app/Contents/Resources/app.asar/dist/main/electron/main.js', homeDir: '/Users/u', pathApi: path.posix });
    expect(p.rendererUrlPrefix).toBe('file:///Applications/Server%20BIT.app/Contents/Resources/app.asar/dist/renderer/');
    expect(isAppFrameUrl('file:///Applications/Server%20BIT.app/Contents/Resources/app.asar/dist/renderer/index.html', p.rendererUrlPrefix)).toBe(true);
  });

  it('Windows: drive letters and case compare case-insensitively when asked', () => {
    const w = desktopPaths({ mainFile: 'C:\\Program Files\\ServerBIT\\resources\\app.asar\\dist\\main\\electron\\main.js', homeDir: 'C:\\Users\\u', pathApi: path.win32 });
    expect(w.rendererUrlPrefix).toBe('file:///C:/Program%20Files/ServerBIT/resources/app.asar/dist/renderer/');
    const reported = 'file:///c:/Program%20Files/ServerBIT/resources/app.asar/dist/renderer/index.html';
    expect(isAppFrameUrl(reported, w.rendererUrlPrefix)).toBe(false);
    expect(isAppFrameUrl(reported, w.rendererUrlPrefix, { caseInsensitive: true })).toBe(true);
  });
});

describe('renderer message payload', () => {
  it('accepts an object with a string type and returns its JSON', () => {
    const msg = { type: 'command', id: 1, command: 'start' };
    expect(checkRendererMessage(msg)).toEqual({ ok: true, type: 'command', raw: JSON.stringify(msg) });
    expect(checkRendererMessage({ type: 'subscribe', batch: 10 })).toMatchObject({ ok: true, type: 'subscribe' });
  });

  it('rejects everything else with a reason', () => {
    for (const bad of [null, undefined, 'start', 42, true, [], [{ type: 'command' }], {}, { type: 7 }, { type: '' }, { type: 'x'.repeat(65) }, { command: 'start' }]) {
      const r = checkRendererMessage(bad);
      expect(r.ok, JSON.stringify(bad)).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/must/);
    }
  });

  it('rejects oversized messages and values JSON cannot encode', () => {
    const big = { type: 'command', id: 1, command: 'set_config', args: { config: { device: 'x'.repeat(MAX_IPC_MESSAGE_CHARS) } } };
    expect(checkRendererMessage(big)).toMatchObject({ ok: false, reason: expect.stringContaining('larger') });
    expect(checkRendererMessage({ type: 'command', n: 1n })).toMatchObject({ ok: false, reason: expect.stringContaining('JSON') });
  });
});
