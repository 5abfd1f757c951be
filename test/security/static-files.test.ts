/**
 * Issue 9, finding 7: the static UI followed symbolic links out of its folder. Now a file is
 * served only when its real path lies under the folder's real path. Over a real StreamServer
 * (port 0) with the UI handler on a temp folder. Also: an HTML page's inline blocks (ClientBIT.html)
 * are allowed by their hashes, nothing else inline.
 */
import crypto from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '../../src/main/acquisition/hub.js';
import { UI_CONTENT_SECURITY_POLICY, createStaticHandler } from '../../src/main/server/static-ui.js';
import { StreamServer } from '../../src/main/server/ws-server.js';
import { Cleanup, get } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function serve(dir: string): Promise<number> {
  const server = new StreamServer({ port: 0, hub: new Hub(), pingIntervalMs: 0, http: createStaticHandler(dir) });
  cleanup.add(() => server.close());
  return (await server.listen()).port;
}

function tree(): { root: string; ui: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'serverbit-sec-static-'));
  cleanup.add(() => rmSync(root, { recursive: true, force: true }));
  const ui = path.join(root, 'renderer');
  mkdirSync(ui);
  mkdirSync(path.join(root, 'private'));
  writeFileSync(path.join(root, 'private', 'secret.json'), '{"token": "do-not-serve"}');
  writeFileSync(path.join(root, 'private', 'secret.js'), 'do-not-serve');
  writeFileSync(path.join(ui, 'index.html'), '<!doctype html><title>ui</title>');
  writeFileSync(path.join(ui, 'real.js'), 'inside');
  return { root, ui };
}

describe('the static UI and symbolic links', () => {
  it('a link to a file or a folder outside the UI folder is 404; a link that stays inside is served', async () => {
    const { root, ui } = tree();
    symlinkSync(path.join(root, 'private', 'secret.json'), path.join(ui, 'leak.json'));
    symlinkSync(path.join(root, 'private'), path.join(ui, 'sub'));
    symlinkSync(path.join(ui, 'real.js'), path.join(ui, 'alias.js'));
    const port = await serve(ui);
    const at = (p: string) => get(port, p, { Host: `127.0.0.1:${port}` });
    for (const p of ['/leak.json', '/sub/secret.js', '/sub/secret.json']) {
      const r = await at(p);
      expect(r.status, p).toBe(404);
      expect(r.body).not.toContain('do-not-serve');
    }
    const inside = await at('/alias.js');
    expect(inside.status).toBe(200);
    expect(inside.body).toBe('inside');
  });

  it('a UI folder that is itself a link (a packaged or relinked dist) is served from its real path', async () => {
    const { root, ui } = tree();
    const link = path.join(root, 'current');
    symlinkSync(ui, link);
    const port = await serve(link);
    const r = await get(port, '/real.js', { Host: `127.0.0.1:${port}` });
    expect(r.status).toBe(200);
    expect(r.body).toBe('inside');
  });

  it('an HTML page with inline <script> and <style> gets exactly those blocks allowed by SHA-256; other pages the plain policy', async () => {
    const { ui } = tree();
    const script = "\n'use strict';\nconsole.log('plot');\n";
    const style = '\n body { margin: 0 }\n';
    writeFileSync(path.join(ui, 'Client.html'), `<!doctype html><style>${style}</style><script src="x.js"></script><script>${script}</script>`);
    const port = await serve(ui);
    const sha = (t: string) => `'sha256-${crypto.createHash('sha256').update(t).digest('base64')}'`;
    const page = await get(port, '/Client.html', { Host: `127.0.0.1:${port}` });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(
      UI_CONTENT_SECURITY_POLICY.replace("script-src 'self'", `script-src 'self' ${sha(script)}`).replace("style-src 'self'", `style-src 'self' ${sha(style)}`),
    );
    expect((await get(port, '/', { Host: `127.0.0.1:${port}` })).headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
  });
});
