/**
 * A real pseudo-terminal pair made by socat (STACK.md "serialport 13"): bytes written to one
 * path come out of the other, and serialport opens both like serial ports. Killing socat drops
 * the link the way an unplugged adapter or an out-of-range BITalino does.
 *
 *   const pty = await ptyPair();   // pty.a, pty.b: symlinks to /dev/pts/N in a fresh temp dir
 *   ...
 *   await pty.killSocat();         // simulate the link dropping (links stay, dangling)
 *   await pty.close();             // kill socat if alive, remove the temp dir; idempotent
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  a: string;
  b: string;
  /** Kills socat (default SIGKILL: an abrupt drop) and waits for it to exit. Idempotent. */
  killSocat(signal?: NodeJS.Signals): Promise<void>;
  /** Kills socat if still running and removes the temp dir. Idempotent. */
  close(): Promise<void>;
}

const SOCAT = existsSync('/usr/bin/socat') ? '/usr/bin/socat' : 'socat';
const READY_TIMEOUT_MS = 5000;

/** socat processes still running, killed if the test process exits without closing them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export async function ptyPair(): Promise<PtyPair> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const child of live) child.kill('SIGKILL');
    });
  }
  const dir = await mkdtemp(join(tmpdir(), 'serverbit-pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const child = spawn(SOCAT, ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    if (stderr.length < 10_000) stderr += s;
  });
  let spawnError: Error | undefined;
  // 'error' (socat missing) comes without 'exit'; either means there is no process to wait for.
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      spawnError = err;
      resolve();
    });
  });
  void exited.then(() => live.delete(child));
  const running = () => child.exitCode === null && child.signalCode === null && spawnError === undefined;

  const killSocat = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (running()) child.kill(signal);
    await exited;
  };
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      await killSocat('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    })();
    return closed;
  };

  // Ready when both links exist: socat creates each after opening its pty.
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (!running()) {
      await close();
      throw new Error(`socat failed to start: ${spawnError?.message ?? (stderr.trim() || `exit ${String(child.exitCode)}`)}`);
    }
    if ((await exists(a)) && (await exists(b))) break;
    if (Date.now() > deadline) {
      await close();
      throw new Error(`socat did not create ${a} and ${b} within ${READY_TIMEOUT_MS} ms: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return { a, b, killSocat, close };
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
