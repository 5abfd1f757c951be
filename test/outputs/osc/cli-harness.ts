/**
 * Runs inside a network namespace of the test's own (netns.ts, `startNetns({ harness:
 * 'cli-harness.ts' })`): the real headless service (`node dist/main/cli.js --config FILE`), liblo's
 * tools beside it (liblo-ops.ts) and a /v2 WebSocket client, all on the namespace's private
 * loopback, so oscdump (which binds every interface) and the service's ports meet nobody else's.
 * The parent test drives it with one JSON request per stdin line (liblo-ops.ts `serve`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { libloOps, serve, sleep, type Ops } from './liblo-ops.js';

const liblo = libloOps();

interface Cli {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}
let cli: Cli | undefined;

/** What a /v2 client saw: every message but `data`, which is counted per device (and its first few kept). */
interface V2 {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  data: Record<string, { messages: number; samples: number; first: Record<string, unknown>[]; columns: Record<string, number[]>; timestamps: number }>;
  replies: Map<number, (m: Record<string, unknown>) => void>;
  nextId: number;
}
let v2: V2 | undefined;

async function stopCli(): Promise<{ code: number | null; stdout: string; stderr: string } | undefined> {
  const c = cli;
  if (!c) return undefined;
  cli = undefined;
  if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGTERM');
  const kill = setTimeout(() => c.child.kill('SIGKILL'), 20_000);
  const code = await c.exit;
  clearTimeout(kill);
  return { code, stdout: c.stdout, stderr: c.stderr };
}

function closeV2(): void {
  v2?.ws.terminate();
  v2 = undefined;
}

const ops: Ops = {
  ...liblo.ops,
  /** Starts the CLI with `config` (a file path); resolves once it printed its LISTENING line (or rejects with its output if it exited). */
  'cli.start': async (a) => {
    if (cli) throw new Error('a CLI is already running');
    const child = spawn(process.execPath, [String(a.cli), '--config', String(a.config), ...((a.args as string[] | undefined) ?? [])], {
      env: { ...process.env, ...((a.env as Record<string, string> | undefined) ?? {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const c: Cli = { child, stdout: '', stderr: '', exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
    cli = c;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (c.stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (c.stderr += d));
    const deadline = Date.now() + 20_000;
    while (!/^ServerBIT LISTENING .*$/m.test(c.stdout)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        cli = undefined;
        child.kill('SIGKILL');
        throw new Error(`the CLI did not print LISTENING (exit ${child.exitCode}); stdout: ${c.stdout} stderr: ${c.stderr}`);
      }
      await sleep(50);
    }
    await sleep(200); // the lines after LISTENING (status page, OSC) follow at once
    return { stdout: c.stdout, stderr: c.stderr, pid: child.pid };
  },
  'cli.output': () => ({ stdout: cli?.stdout ?? '', stderr: cli?.stderr ?? '', running: cli !== undefined && cli.child.exitCode === null }),
  'cli.stop': async () => {
    closeV2();
    return stopCli();
  },
  /** Opens a /v2 client on `url` (ws://127.0.0.1:<port>/v2?token=…). */
  'v2.open': async (a) => {
    closeV2();
    const ws = new WebSocket(String(a.url));
    const client: V2 = { ws, messages: [], data: {}, replies: new Map(), nextId: 1 };
    ws.on('message', (raw) => {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(String(raw));
      } catch {
        return;
      }
      if (m.type === 'data') {
        const d = (client.data[String(m.device)] ??= { messages: 0, samples: 0, first: [], columns: {}, timestamps: 0 });
        d.messages++;
        d.samples += Number(m.count);
        if (d.first.length < 3) d.first.push(m);
        // Every raw value, up to 100 000 per column (a few seconds at 1000 Hz is far less).
        for (const [name, values] of Object.entries((m.raw ?? {}) as Record<string, number[]>)) {
          const col = (d.columns[name] ??= []);
          if (col.length < 100_000) col.push(...values);
        }
        if (Array.isArray(m.timestamps)) d.timestamps += m.timestamps.length;
        return;
      }
      client.messages.push(m);
      if (m.type === 'reply' && typeof m.id === 'number') client.replies.get(m.id)?.(m);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    v2 = client;
    return true;
  },
  'v2.command': async (a) => {
    const c = v2;
    if (!c) throw new Error('no /v2 client: call v2.open first');
    const id = c.nextId++;
    const reply = new Promise<Record<string, unknown>>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no reply to ${String(a.command)} in 15 s`)), 15_000);
      c.replies.set(id, (m) => {
        clearTimeout(t);
        c.replies.delete(id);
        resolve(m);
      });
    });
    c.ws.send(JSON.stringify({ type: 'command', id, command: a.command, ...(a.args ? { args: a.args } : {}) }));
    return reply;
  },
  /** Messages of `type` (all but data) from index `from`; and the data counts. */
  'v2.messages': (a) => {
    const c = v2;
    if (!c) return { messages: [], data: {} };
    const from = Number(a.from ?? 0);
    const data = Object.fromEntries(Object.entries(c.data).map(([k, d]) => [k, { messages: d.messages, samples: d.samples, first: d.first }]));
    return { messages: c.messages.slice(from).filter((m) => a.type === undefined || m.type === a.type), total: c.messages.length, data };
  },
  /** Every raw value of one column of a device's data so far, and how many samples carried a timestamp. */
  'v2.column': (a) => {
    const d = v2?.data[String(a.device)];
    return { values: d?.columns[String(a.column)] ?? [], timestamps: d?.timestamps ?? 0 };
  },
};

serve(ops, async () => {
  liblo.cleanup();
  closeV2();
  await stopCli();
});
