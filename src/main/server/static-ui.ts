/**
 * Serves the renderer (dist/renderer: index.html, app.js, style.css, source maps, images) on the
 * service's own HTTP port, so a browser at http://127.0.0.1:<port>/ gets the same UI as the
 * Electron window; the page then opens /v2 on the same origin.
 *
 * Plug it into StreamServer's `http` hook (app.ts `configureServer`). It answers GET and HEAD
 * only (other methods fall through: the server answers 426), and only files directly in `dir`
 * or below with a known extension: no directory listings, no dotfiles, no `..` (checked after
 * decoding, and again on the resolved path), and no way out through a symbolic link (the file's
 * real path must lie under the folder's real path). Every answer carries the UI's Content
 * Security Policy and `X-Content-Type-Options: nosniff`.
 *
 * An HTML page with inline `<script>`/`<style>` (ClientBIT.html, one file that also works opened
 * from disk) gets those exact blocks allowed by their SHA-256 in its policy; nothing else inline
 * runs.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

/** The page's CSP: the same text as the <meta> in src/renderer/index.html, plus frame-ancestors (header-only). */
export const UI_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Longest request path considered, characters; longer ones get 404 without touching the disk. */
const MAX_PATH = 512;
/** HTML files are read whole to hash their inline blocks; larger ones are not pages of ours. */
const MAX_HTML_BYTES = 1024 * 1024;

function securityHeaders(csp = UI_CONTENT_SECURITY_POLICY): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-cache',
  };
}

function answer(res: ServerResponse, status: number, text: string, head: boolean): void {
  const body = `${text}\n`;
  res.writeHead(status, { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

/**
 * The file under `root` a request path names, or undefined when it names nothing we serve.
 * Pure (no file system access); exported for tests.
 */
export function resolveUiPath(root: string, urlPath: string): string | undefined {
  if (urlPath.length > MAX_PATH) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const rel = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\//, '');
  const parts = rel.split('/');
  // No "..", no ".", no empty segments ("a//b"), no dotfiles.
  if (parts.some((p) => p === '' || p.startsWith('.'))) return undefined;
  if (!Object.hasOwn(CONTENT_TYPES, path.extname(rel).toLowerCase())) return undefined;
  const base = path.resolve(root);
  const file = path.resolve(base, ...parts);
  if (!file.startsWith(base + path.sep)) return undefined;
  return file;
}

/**
 * The page's policy with its inline `<script>` (those without `src`) and `<style>` blocks allowed
 * by hash. Pure; exported for tests.
 */
export function pageContentSecurityPolicy(html: string): string {
  const hash = (text: string) => `'sha256-${crypto.createHash('sha256').update(text, 'utf8').digest('base64')}'`;
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)].filter((m) => !/\bsrc\s*=/i.test(m[1])).map((m) => hash(m[2]));
  const styles = [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi)].map((m) => hash(m[1]));
  let csp = UI_CONTENT_SECURITY_POLICY;
  if (scripts.length > 0) csp = csp.replace("script-src 'self'", `script-src 'self' ${scripts.join(' ')}`);
  if (styles.length > 0) csp = csp.replace("style-src 'self'", `style-src 'self' ${styles.join(' ')}`);
  return csp;
}

/** The real path of `file` if it lies under the real path of `root`, else undefined. */
function realFileUnder(root: string, file: string): string | undefined {
  try {
    const realRoot = fs.realpathSync(root);
    const real = fs.realpathSync(file);
    return real.startsWith(realRoot + path.sep) ? real : undefined;
  } catch {
    return undefined;
  }
}

export function createStaticHandler(dir: string): (req: IncomingMessage, res: ServerResponse) => boolean {
  const root = path.resolve(dir);
  const pages = new Map<string, { key: string; body: Buffer; csp: string }>();
  return (req, res) => {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') return false;
    const head = method === 'HEAD';
    let pathname: string;
    try {
      // Prefixed, not resolved against a base: "//x" must stay a path, not become a host.
      const raw = req.url ?? '/';
      pathname = new URL(`http://localhost${raw.startsWith('/') ? raw : `/${raw}`}`).pathname;
    } catch {
      answer(res, 400, 'Bad request', head);
      return true;
    }
    const named = resolveUiPath(root, pathname);
    const file = named === undefined ? undefined : realFileUnder(root, named);
    let stat: fs.Stats | undefined;
    try {
      stat = file ? fs.statSync(file) : undefined;
    } catch {
      stat = undefined;
    }
    if (!file || !stat?.isFile()) {
      answer(res, 404, 'Not found', head);
      return true;
    }
    const type = CONTENT_TYPES[path.extname(named!).toLowerCase()];
    if (type.startsWith('text/html') && stat.size <= MAX_HTML_BYTES) {
      const key = `${stat.mtimeMs}:${stat.size}`;
      let page = pages.get(file);
      if (page?.key !== key) {
        let body: Buffer;
        try {
          body = fs.readFileSync(file);
        } catch {
          answer(res, 404, 'Not found', head);
          return true;
        }
        page = { key, body, csp: pageContentSecurityPolicy(body.toString('utf8')) };
        pages.set(file, page);
      }
      res.writeHead(200, { ...securityHeaders(page.csp), 'Content-Type': type, 'Content-Length': page.body.length });
      res.end(head ? undefined : page.body);
      return true;
    }
    res.writeHead(200, { ...securityHeaders(), 'Content-Type': type, 'Content-Length': stat.size });
    if (head) {
      res.end();
      return true;
    }
    const stream = fs.createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
    return true;
  };
}
