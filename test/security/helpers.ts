/**
 * The rig for the security suite (issue 9): the real service as a user runs it (`serverbit`, the
 * built CLI, as a child process with its own HOME), WebSocket clients that record everything and
 * check that they got every sample, raw HTTP over a TCP socket (to send the headers an attacker
 * sends, which fetch would not), and Debian's Chromium for the cross-site cases.
 *
 * Everything started here is registered with a Cleanup and stopped by the test's afterEach.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { WebSocket, type ClientOptions } from 'ws';
import { CHROMIUM, CHROMIUM_ARGS, ROOT } from '../e2e/harness.js';
import { Cleanup, freePort, waitFor } from '../reliability/helpers.js';

export { Cleanup, freePort, sleep, waitFor } from '../reliability/helpers.js';

export const CLI = path.join(ROOT, 'dist/main/cli.js');
/** The control token of every service started here (the config requires 16 characters or more). */
export const TOKEN = 'security-suite-token-0123456789';
/** Where the suite writes the numbers it measures, one file per figure (not asserted: the machine is shared). */
export const FIGURES = path.join(ROOT, 'test-results/security');

export interface Cli {
  child: ChildProcess;
  port: number;
  /** The HOME the service runs with; its config is HOME/ServerBIT/config.json. */
  home: string;
  configPath: string;
  stdout: () => string;
  stderr: () => string;
  /** True while the process runs. */
  alive: () => boolean;
}

export interface CliOptions {
  /** Keys written to config.json before start (merged over device simulator, the token). Null: no file. */
  config?: Record<string, unknown> | null;
  /** Extra arguments (after --port). */
  args?: string[];
  /** The file's mode, when a test needs one (e.g. world-readable); set with chmod, past the umask. */
  mode?: number;
  /** Other files to put in HOME/ServerBIT before start: name → content. */
  files?: Record<string, string>;
}

/** Starts `serverbit --port <free>` with a fresh HOME; resolves once it printed LISTENING and its status-page line. */
export async function startCli(cleanup: Cleanup, options: CliOptions = {}): Promise<Cli> {
  const home = await mkdtemp(path.join(tmpdir(), 'serverbit-sec-'));
  cleanup.add(() => rm(home, { recursive: true, force: true }));
  const configPath = path.join(home, 'ServerBIT', 'config.json');
  if (options.config !== null) {
    mkdirSync(path.dirname(configPath), { recursive: true });
    writeFileSync(configPath, JSON.stringify({ device: 'simulator', token: TOKEN, ...options.config }, null, 2), { mode: 0o600 });
    if (options.mode !== undefined) chmodSync(configPath, options.mode);
  }
  for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(path.join(home, 'ServerBIT', name), content);
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, '--port', String(port), ...(options.args ?? [])], {
    env: { ...process.env, HOME: home, USERPROFILE: home, DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanup.add(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const cli: Cli = { child, port, home, configPath, stdout: () => out, stderr: () => err, alive: () => child.exitCode === null && child.signalCode === null };
  await waitFor(() => (/LISTENING/.test(out) && /Status page/.test(err)) || !cli.alive(), 20_000, 'LISTENING and the status-page line');
  if (!cli.alive()) throw new Error(`serverbit exited (${child.exitCode}); stderr: ${err}`);
  return cli;
}

// ---------------------------------------------------------------------------------------------
// WebSocket clients

export interface Client {
  ws: WebSocket;
  /** Every text message, parsed. */
  messages: Record<string, unknown>[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first message from index `from` on that matches. */
  next(match: (m: Record<string, unknown>) => boolean, from?: number, timeoutMs?: number, what?: string): Promise<Record<string, unknown>>;
}

export async function openClient(cleanup: Cleanup, url: string, options: ClientOptions = {}): Promise<Client> {
  const ws = new WebSocket(url, options);
  const messages: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (d) => {
    messages.push(JSON.parse(String(d)) as Record<string, unknown>);
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: String(reason) })));
  cleanup.add(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    closed,
    next(match, from = 0, timeoutMs = 10_000, what = 'a message') {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          for (let i = from; i < messages.length; i++) {
            if (match(messages[i])) {
              waiters.delete(waiter);
              clearTimeout(timer);
              resolve(messages[i]);
              return true;
            }
          }
          return false;
        };
        const waiter = () => void check();
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        if (!check()) waiters.add(waiter);
      });
    },
  };
}

/**
 * Two bystanders, one per endpoint, that must keep every sample whatever an attacker does:
 * on "/" the 4-bit nSeq steps by one from message to message; on "/v2" each `data` starts where
 * the previous one ended and no `gap` arrives.
 */
export async function bystanders(cleanup: Cleanup, port: number): Promise<{ samples: () => { compat: number; v2: number }; problems: () => string[] }> {
  const compat = await openClient(cleanup, `ws://127.0.0.1:${port}/`);
  const v2 = await openClient(cleanup, `ws://127.0.0.1:${port}/v2?format=raw&columns=nSeq`);
  await waitFor(() => compat.messages.length > 2 && v2.messages.some((m) => m.type === 'data'), 10_000, 'bystanders receiving');
  return {
    samples: () => ({
      compat: compat.messages.reduce((n, m) => n + ((m.nSeq as number[] | undefined)?.length ?? 0), 0),
      v2: v2.messages.reduce((n, m) => n + (m.type === 'data' ? (m.count as number) : 0), 0),
    }),
    problems: () => {
      const out: string[] = [];
      let prev: number | undefined;
      for (const m of compat.messages) {
        for (const s of m.nSeq as number[]) {
          if (prev !== undefined && s !== (prev + 1) % 16) out.push(`compat: nSeq ${prev} then ${s}`);
          prev = s;
        }
      }
      let end: number | undefined;
      for (const m of v2.messages) {
        if (m.type === 'gap') out.push(`v2: gap ${JSON.stringify(m)}`);
        if (m.type !== 'data') continue;
        if (end !== undefined && m.index !== end) out.push(`v2: data at ${String(m.index)} after ${end}`);
        end = (m.index as number) + (m.count as number);
      }
      for (const [name, c] of [['compat', compat], ['v2', v2]] as const) if (c.ws.readyState !== WebSocket.OPEN) out.push(`${name}: closed`);
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP

export interface RawResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes `request` as-is on a TCP socket and parses the answer: after a 101 (an accepted
 * upgrade) it stops at the headers; otherwise it reads until the body is complete or the server
 * closes. Rejects when nothing complete arrives within `timeoutMs`.
 */
export function rawRequest(port: number, request: string, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (r: RawResponse | Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (r instanceof Error) reject(r);
      else resolve(r);
    };
    const parse = (final: boolean): void => {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (final) finish(new Error(`no complete answer: ${JSON.stringify(buf.toString('latin1').slice(0, 200))}`));
        return;
      }
      const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const body = buf.subarray(end + 4);
      const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
      if (status === 101 || (length !== undefined && body.length >= length) || final) finish({ status, headers, body: body.toString('utf8') });
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      parse(false);
    });
    socket.on('end', () => parse(true));
    socket.on('close', () => parse(true));
    socket.on('error', (e) => finish(e));
    socket.write(request);
  });
}

/** A GET (or a WebSocket upgrade, with `upgrade`) with exactly these headers. */
export function get(port: number, pathname: string, headers: Record<string, string>, upgrade = false): Promise<RawResponse> {
  const h = { ...headers, ...(upgrade ? { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' } : {}) };
  return rawRequest(port, `GET ${pathname} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
}

// ---------------------------------------------------------------------------------------------
// Browsers and other sites

/** Chromium (headless, fresh profile) with extra flags, e.g. --host-resolver-rules. */
export async function launchChromium(cleanup: Cleanup, extraArgs: string[] = []): Promise<BrowserContext> {
  const profile = await mkdtemp(path.join(tmpdir(), 'serverbit-sec-chromium-'));
  cleanup.add(() => rm(profile, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
  cleanup.add(() => context.close().catch(() => undefined));
  return context;
}

/** Another web site: serves `pages[path]` as HTML on 127.0.0.1 (reach it by any name Chromium maps there). */
export async function otherSite(cleanup: Cleanup, pages: Record<string, string>): Promise<number> {
  const server: Server = createServer((req, res) => {
    const page = pages[new URL(req.url ?? '/', 'http://x').pathname];
    res.writeHead(page === undefined ? 404 : 200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(page ?? 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.add(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as { port: number }).port;
}

/** Writes a figure this suite measured to test-results/security/<name>.json (and prints it). */
export function recordFigure(name: string, figure: Record<string, unknown>): void {
  mkdirSync(FIGURES, { recursive: true });
  writeFileSync(path.join(FIGURES, `${name}.json`), `${JSON.stringify(figure, null, 2)}\n`);
  console.log(`[security figure] ${name}: ${JSON.stringify(figure)}`);
}
