/** The UI's static file handler on a real HTTP server (port 0) over a temp dir. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UI_CONTENT_SECURITY_POLICY, createStaticHandler, resolveUiPath } from '../../src/main/server/static-ui.js';

let dir: string;
let server: Server;
let port: number;

/** A raw request (fetch would normalise "..", which is the point of some tests). */
function get(rawPath: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: rawPath, method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'serverbit-static-'));
  dir = path.join(root, 'renderer');
  await mkdir(path.join(dir, 'img'), { recursive: true });
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>x</title>');
  await writeFile(path.join(dir, 'app.js'), 'console.log(1)');
  await writeFile(path.join(dir, 'img', 'a.png'), 'png');
  await writeFile(path.join(dir, '.secret.js'), 'no');
  await writeFile(path.join(dir, 'notes.txt'), 'no');
  await writeFile(path.join(root, 'outside.js'), 'no');
  const handler = createStaticHandler(dir);
  server = createServer((req, res) => {
    if (!handler(req, res)) {
      res.writeHead(426);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(path.dirname(dir), { recursive: true, force: true });
});

describe('static UI handler', () => {
  it('serves index.html at / with its content type and the security headers', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>x</title>');
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect((await get('/app.js?v=1')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get('/img/a.png')).headers['content-type']).toBe('image/png');
  });

  it('HEAD answers headers only; other methods are not its business', async () => {
    const r = await get('/app.js', 'HEAD');
    expect(r.status).toBe(200);
    expect(r.body).toBe('');
    expect(r.headers['content-length']).toBe('14');
    expect((await get('/', 'POST')).status).toBe(426);
  });

  it('refuses traversal, dotfiles, unknown types and directories', async () => {
    for (const p of ['/../outside.js', '/%2e%2e/outside.js', '/img/..%2F..%2Foutside.js', '/..%5Coutside.js', '/.secret.js', '/notes.txt', '/img', '/img/', '//app.js', '/app.js%00.png', '/missing.js', `/${'a'.repeat(600)}.js`]) {
      const r = await get(p);
      expect(r.status, p).toBe(404);
      expect(r.body, p).not.toBe('no');
    }
  });

  it('resolveUiPath stays inside the root', () => {
    expect(resolveUiPath('/srv/ui', '/')).toBe(path.resolve('/srv/ui/index.html'));
    expect(resolveUiPath('/srv/ui', '/a/b.css')).toBe(path.resolve('/srv/ui/a/b.css'));
    expect(resolveUiPath('/srv/ui', '/a/../../etc/passwd.js')).toBeUndefined();
    expect(resolveUiPath('/srv/ui', '/%E0%A4%A')).toBeUndefined(); // malformed escape
  });
});
