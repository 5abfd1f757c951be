/**
 * A private network namespace for tests that use liblo's tools: oscdump binds every interface
 * (a host in its URL is taken as a multicast group), so it runs where the only interface is a
 * loopback of the test's own. `unshare --net --pid --fork --kill-child` gives the harness
 * (netns-harness.ts) its own network and PID namespaces: when the harness ends, or unshare is
 * killed, the kernel ends every process started inside, oscdump included.
 *
 * Its loopback also carries multicast (224.0.0.0/4 routed to it), has the usual
 * 127.255.255.255 broadcast route, so multicast and broadcast destinations can be tested, and
 * has the address 192.168.1.100, where a factory R-IoT sends (docs/osc.md "R-IoT devices").
 *
 * The harness is bundled from the TypeScript sources with esbuild (a dev dependency) into a temp
 * dir, so these tests do not depend on a prior build.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface Netns {
  call<T = unknown>(op: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
  /** stderr of the harness so far (for failure messages). */
  stderr(): string;
}

export interface NetnsOptions {
  /** The harness to run inside: a file beside this one, or an absolute path. Default netns-harness.ts (the outputs and the R-IoT in process); cli-harness.ts runs the real CLI. */
  harness?: string;
}

export async function startNetns(options: NetnsOptions = {}): Promise<Netns> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serverbit-osc-netns-'));
  const outfile = path.join(dir, 'harness.mjs');
  await build({
    entryPoints: [path.resolve(here, options.harness ?? 'netns-harness.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'silent',
    // CommonJS dependencies (ws) call require() for Node's own modules; an ES module has none.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  // As root, new namespaces directly; otherwise inside a user namespace where we are root
  // (needs unprivileged user namespaces, on by default on Debian and most distributions).
  const userns = process.getuid?.() === 0 ? [] : ['--user', '--map-root-user'];
  const child: ChildProcess = spawn(
    'unshare',
    [...userns, '--net', '--pid', '--fork', '--kill-child', 'sh', '-c', 'ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo && ip addr add 192.168.1.100/32 dev lo && exec "$0" "$1"', process.execPath, outfile],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let ready!: () => void;
  let failed!: (e: Error) => void;
  const readyP = new Promise<void>((res, rej) => ((ready = res), (failed = rej)));
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg: { id: number; ok: boolean; result?: unknown; error?: { message: string; code?: string; hint?: string } };
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg.id === 0) return ready();
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(Object.assign(new Error(msg.error!.message), { code: msg.error!.code, hint: msg.error!.hint }));
  });
  child.on('exit', (code) => {
    const e = new Error(`netns harness exited (${code}): ${stderr}`);
    failed(e);
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  });
  const timer = setTimeout(() => failed(new Error(`netns harness did not start: ${stderr}`)), 20_000);
  await readyP.finally(() => clearTimeout(timer));
  return {
    call<T>(op: string, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const t = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`netns op ${op} timed out; stderr: ${stderr}`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => (clearTimeout(t), resolve(v as T)),
          reject: (e) => (clearTimeout(t), reject(e)),
        });
        child.stdin!.write(JSON.stringify({ id, op, args }) + '\n');
      });
    },
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.stdin!.end();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(kill);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
    stderr: () => stderr,
  };
}

/** One line of `oscdump` output: `<sec>.<frac> <address> <types> <values…>` (time tag in hex). */
export interface DumpLine {
  /** The message's bundle time tag (or liblo's arrival time for a plain message), seconds since 1970. */
  tag: number;
  address: string;
  types: string;
  values: number[];
}

const NTP_EPOCH_OFFSET = 2_208_988_800;

export function parseDumpLine(line: string): DumpLine {
  const [tt, address, types, ...rest] = line.trim().split(/\s+/);
  const [sec, frac] = tt.split('.');
  return {
    tag: parseInt(sec, 16) - NTP_EPOCH_OFFSET + parseInt(frac, 16) / 2 ** 32,
    address,
    types: types ?? '',
    values: rest.map(Number),
  };
}

/** Polls the harness's oscdump `id` until `count` lines arrived (or the deadline). */
export async function dumpLines(ns: Netns, id: string, count: number, timeoutMs = 30_000): Promise<string[]> {
  const lines: string[] = [];
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let quietSince = Date.now();
  while (lines.length < count && Date.now() < deadline) {
    const r = await ns.call<{ lines: string[] }>('oscdump.lines', { id, from: lines.length });
    lines.push(...r.lines);
    if (lines.length !== last) {
      last = lines.length;
      quietSince = Date.now();
    } else if (Date.now() - quietSince > 5000) break; // nothing new for 5 s: it will not come
    if (lines.length < count) await new Promise((r) => setTimeout(r, 100));
  }
  return lines;
}
