/**
 * A real pseudo-terminal pair made by socat (Debian package `socat`): bytes written to one
 * path come out of the other, and serialport opens both like serial ports. Killing socat drops
 * the link the way an unplugged adapter or an out-of-range BITalino does.
 *
 *   const pty = await ptyPair();   // pty.a, pty.b: symlinks to /dev/pts/N in a fresh temp dir
 *   ...
 *   await pty.killSocat();         // simulate the link dropping (links stay, dangling)
 *   await pty.close();             // kill socat if alive, remove the temp dir; idempotent
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  a: string;
  b: string;
  /** Kills socat (default SIGKILL: an abrupt drop) and waits for it to exit. Idempotent. */
  killSocat(signal?: 'SIGKILL' | 'SIGTERM' | 'SIGINT' | 'SIGHUP'): Promise<void>;
  /** Kills socat if still running and removes the temp dir. Idempotent. */
  close(): Promise<void>;
}

const SOCAT = existsSync('/usr/bin/socat') ? '/usr/bin/socat' : 'socat';
const READY_TIMEOUT_MS = 5000;

/**
 * socat runs under a tiny shell that kills it when its stdin (a pipe from this process) gives a
 * signal name or reaches EOF. EOF comes also when this process dies without cleaning up (a test
 * runner worker killed on timeout does not run 'exit' handlers), so no socat outlives its test.
 */
const GUARD = '"$SOCAT" "$@" & pid=$!; echo "$pid"; read sig || sig=TERM; kill -"$sig" "$pid" 2>/dev/null; wait "$pid"';

export async function ptyPair(): Promise<PtyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'serverbit-pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const guard = spawn('/bin/sh', ['-c', GUARD, 'pty-guard', '-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, SOCAT },
  });
  let stderr = '';
  guard.stderr.setEncoding('utf8').on('data', (s: string) => {
    if (stderr.length < 10_000) stderr += s;
  });
  guard.stdin.on('error', () => undefined); // EPIPE if the guard is already gone
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    guard.once('exit', () => resolve());
    guard.once('error', (err) => {
      spawnError = err;
      resolve();
    });
  });
  const guardRunning = () => guard.exitCode === null && guard.signalCode === null && spawnError === undefined;
  const socatPid = new Promise<number | undefined>((resolve) => {
    guard.stdout.setEncoding('utf8').once('data', (s: string) => resolve(Number.parseInt(s, 10)));
    void exited.then(() => resolve(undefined));
  });

  let killed: Promise<void> | undefined;
  const killSocat = (signal: 'SIGKILL' | 'SIGTERM' | 'SIGINT' | 'SIGHUP' = 'SIGKILL'): Promise<void> => {
    killed ??= (async () => {
      if (guardRunning()) guard.stdin.end(`${signal.slice(3)}\n`);
      await exited;
    })();
    return killed;
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
  const pid = await socatPid;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (pid === undefined || !alive(pid)) {
      await close();
      throw new Error(`socat failed to start: ${spawnError?.message ?? (stderr.trim() || 'it exited')}`);
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

/** True while socat runs; a socat that exited stays a zombie until the guard reaps it. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..." — state Z means it has exited.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (macOS): kill(pid, 0) is all we have
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
