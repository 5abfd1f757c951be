/**
 * Stopping ServerBIT stops the BITalino. The original ServerBIT left the process alive on Ctrl-C
 * and never told the device to stop on SIGTERM (docs/original-serverbit.md §3), so the BITalino
 * kept acquiring. Here the CLI (`node dist/main/cli.js --device <pty>`) streams from the emulator
 * over a socat pty; after SIGINT or SIGTERM it must have sent the stop byte and left the device
 * idle before it exits. The emulator runs in CTS mode, where a lost link does not stop
 * acquisition, so only the stop byte can make it idle.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emulatorOnPty, type EmulatorOnPty } from '../helpers/emulator-on-pty.js';

const CLI = path.resolve('dist/main/cli.js');
const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  while (cleanups.length) await cleanups.pop()!();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function streamingCli(device: EmulatorOnPty): Promise<{ child: ChildProcess; stderr: () => string; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }> }> {
  const home = await mkdtemp(path.join(tmpdir(), 'serverbit-cli-stop-'));
  cleanups.push(() => rm(home, { recursive: true, force: true }));
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, '--device', device.path, '--port', String(port)], {
    env: { ...process.env, HOME: home, USERPROFILE: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  let stdout = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  await waitFor(() => /^ServerBIT LISTENING /m.test(stdout) || child.exitCode !== null, 'the LISTENING line');
  expect(stdout, stderr).toMatch(new RegExp(`^ServerBIT LISTENING on ws://127\\.0\\.0\\.1:${port}/ — ${device.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `, 'm'));
  // Acquiring, and frames flowing: the emulator's sequence number moves.
  await waitFor(() => device.emu.state === 'live', 'the emulator to be acquiring');
  const seq = device.emu.seq;
  await waitFor(() => device.emu.seq !== seq, 'frames');
  return { child, stderr: () => stderr, exit };
}

describe('stopping the CLI stops the BITalino', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: the device gets the stop byte and is idle before the process exits`, async () => {
      const device = await emulatorOnPty();
      cleanups.push(() => device.close());
      const { child, stderr, exit } = await streamingCli(device);
      expect(device.emu.state).toBe('live');

      const sentAt = Date.now();
      child.kill(signal);
      const { code, at } = await exit;
      expect(code, stderr()).toBe(0);
      expect(stderr()).toContain(`${signal}: stopping the device`);

      // The stop byte (00 while acquiring, docs/bitalino-protocol.md §4.1) was sent before the
      // exit: it may still be crossing the pty when the exit is seen, but nothing else is left
      // to send it, and in CTS mode nothing else idles the device.
      await waitFor(() => device.emu.state === 'idle', 'the emulator to be idle after the exit', 10_000);
      const stops = device.received.filter((r) => r.byte === 0x00 && r.at >= sentAt);
      expect(stops.length).toBeGreaterThan(0);
      expect(at).toBeGreaterThanOrEqual(sentAt);
      // Nothing starts it again once ServerBIT is gone.
      await sleep(300);
      expect(device.emu.state).toBe('idle');
    }, 60_000);
  }
});
