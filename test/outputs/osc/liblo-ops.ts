/**
 * The liblo side of the network-namespace harnesses (netns-harness.ts, cli-harness.ts): liblo's
 * oscdump to capture, oscsend and oscsendfile to send (an OSC implementation that is not ours),
 * and raw UDP datagrams for hostile input. Runs inside the namespace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

export type Args = Record<string, unknown>;
export type Ops = Record<string, (a: Args) => Promise<unknown> | unknown>;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function runTool(cmd: string, args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  if (!['oscsend', 'oscsendfile'].includes(cmd)) throw new Error(`not allowed: ${cmd}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (stdin !== undefined) {
      child.stdin!.on('error', () => undefined); // the tool may exit before reading it all
      child.stdin!.end(stdin);
    }
  });
}

export async function sendUdp(port: number, datagrams: Buffer[], host = '127.0.0.1'): Promise<void> {
  const s = dgram.createSocket('udp4');
  for (const d of datagrams) await new Promise<void>((resolve) => s.send(d, port, host, () => resolve()));
  s.close();
}

export function libloOps(): { ops: Ops; dumps: Map<string, { child: ChildProcess; lines: string[]; stderr: string }>; cleanup(): void } {
  const dumps = new Map<string, { child: ChildProcess; lines: string[]; stderr: string }>();
  const ops: Ops = {
    'oscdump.start': async (a) => {
      const child = spawn('oscdump', ['-L', String(a.target)], { stdio: ['ignore', 'pipe', 'pipe'] });
      const entry = { child, lines: [] as string[], stderr: '' };
      readline.createInterface({ input: child.stdout! }).on('line', (l) => entry.lines.push(l));
      child.stderr!.on('data', (c) => (entry.stderr += c));
      dumps.set(String(a.id), entry);
      await sleep(300); // oscdump prints nothing when ready; give it time to bind
      return { pid: child.pid };
    },
    'oscdump.lines': (a) => {
      const d = dumps.get(String(a.id))!;
      const from = Number(a.from ?? 0);
      return { lines: d.lines.slice(from), total: d.lines.length, stderr: d.stderr };
    },
    'oscdump.stop': (a) => {
      dumps.get(String(a.id))?.child.kill();
      dumps.delete(String(a.id));
      return true;
    },
    run: (a) => runTool(String(a.cmd), a.args as string[], a.stdin as string | undefined),
    'udp.send': async (a) => {
      await sendUdp(Number(a.port), (a.hex as string[]).map((h) => Buffer.from(h, 'hex')), (a.host as string) ?? '127.0.0.1');
      return true;
    },
    /** Writes `text` to a temp file and plays it with oscsendfile (which replays oscdump's format at its recorded pace). */
    'riot.play': async (a) => {
      const file = path.join(os.tmpdir(), `riot-${process.pid}-${Date.now()}.txt`);
      fs.writeFileSync(file, String(a.text));
      try {
        return await runTool('oscsendfile', [String(a.host ?? '127.0.0.1'), String(a.port), file]);
      } finally {
        fs.rmSync(file, { force: true });
      }
    },
  };
  return {
    ops,
    dumps,
    cleanup() {
      for (const d of dumps.values()) d.child.kill();
    },
  };
}

/** Serves `ops` over stdin/stdout, one JSON request and one JSON reply per line; on stdin's end, `cleanup` then exit. */
export function serve(ops: Ops, cleanup: () => Promise<void>): void {
  const reply = (msg: object): void => void process.stdout.write(JSON.stringify(msg) + '\n');
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    let req: { id: number; op: string; args?: Args };
    try {
      req = JSON.parse(line);
    } catch {
      return;
    }
    Promise.resolve()
      .then(() => {
        const op = ops[req.op];
        if (!op) throw new Error(`unknown op ${req.op}`);
        return op(req.args ?? {});
      })
      .then(
        (result) => reply({ id: req.id, ok: true, result }),
        (err: unknown) => reply({ id: req.id, ok: false, error: { message: String((err as Error)?.message ?? err), code: (err as { code?: string })?.code, hint: (err as { hint?: string })?.hint } }),
      );
  });
  // The parent went away (or closed stdin): stop everything. As PID 1 of its own PID namespace,
  // our exit also ends every process we started.
  rl.on('close', () => {
    void cleanup().finally(() => process.exit(0));
  });
  reply({ id: 0, ok: true, result: 'ready' });
}
