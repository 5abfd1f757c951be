/**
 * `serverbit` (dist/main/cli.js) as a child process, for end-to-end tests: started with its
 * arguments, resolved at its LISTENING line; the caller kills it (or the afterEach of the file
 * that uses it does, through `children`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const CLI = path.resolve('dist/main/cli.js');
/** Every child started here (a test file's afterEach may kill what is left). */
export const children: ChildProcess[] = [];

export async function startCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; line: string; stdout: string[]; stderr: string[] }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`no LISTENING line in 10 s; stderr: ${stderr.join('')}`)), 10_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout.push(d);
      buf += d;
      const m = /^ServerBIT LISTENING .*$/m.exec(buf);
      if (m) {
        clearTimeout(t);
        resolve(m[0]);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code} before LISTENING; stderr: ${stderr.join('')}`)));
  });
  return { child, line, stdout, stderr };
}

