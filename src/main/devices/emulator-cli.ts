#!/usr/bin/env node
/**
 * serverbit-emulator: a virtual BITalino on a pseudo-terminal, so any BITalino client (the
 * official Python API, ServerBIT, OpenSignals-like tools) can open a serial path and talk to the
 * byte-exact emulator as to a real device.
 *
 *   serverbit-emulator [--firmware 5.2|5.1|4.0] [--link PATH] [--seed N] [--cts]
 *
 * socat makes a pty pair; the emulator opens one end as a serial port (115200 8N1,
 * docs/bitalino-protocol.md §1) and the other end is printed, in exactly one line on stdout, as
 * the pty's real path and the symlink socat made to it:
 *   BITalino emulator on /dev/pts/7, also at /tmp/serverbit-emulator-…/bitalino (BITalino_v5.2, live inputs: synthetic)
 * Both work for ServerBIT; the official Python API accepts only paths under /dev/ on Linux and
 * macOS (docs/bitalino-protocol.md §1.1), hence the real path first.
 * Ctrl-C / SIGTERM stop socat (which removes its links) and exit 0.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { lstat, mkdtemp, realpath, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BitalinoEmulator } from './emulator.js';
import { SerialTransport } from './serial-transport.js';
import { createSignalSource, type SignalSource } from './signals.js';

const FIRMWARES: Record<string, string> = { '5.2': 'BITalino_v5.2', '5.1': 'BITalino_v5.1', '4.0': 'BITalino_v4.0' };
const SOCAT_READY_TIMEOUT_MS = 5000;
const USAGE = 'usage: serverbit-emulator [--firmware 5.2|5.1|4.0] [--link PATH] [--seed N] [--cts]';

interface CliOptions {
  firmware: string;
  link: string | undefined;
  seed: number;
  cts: boolean;
}

function fail(message: string): never {
  process.stderr.write(`serverbit-emulator: ${message}\n`);
  process.exit(1);
}

function parseCli(argv: string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        firmware: { type: 'string', default: '5.2' },
        link: { type: 'string' },
        seed: { type: 'string', default: '1' },
        cts: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const firmware = FIRMWARES[values.firmware];
  if (!firmware) fail(`--firmware must be 5.2, 5.1 or 4.0, got "${values.firmware}"`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) fail(`--seed must be an integer, got "${values.seed}"`);
  if (values.cts && firmware === FIRMWARES['4.0']) fail('--cts applies to the BITalino (r)evolution (firmware 5.x) only');
  return { firmware, link: values.link === undefined ? undefined : path.resolve(values.link), seed, cts: values.cts };
}

/** The one stdout line: the pty's real path (what every BITalino client accepts), then the symlink. */
function emulatorLine(device: string, link: string, firmware: string): string {
  return `BITalino emulator on ${device}, also at ${link} (${firmware}, live inputs: synthetic)`;
}

function hasSocat(): boolean {
  const r = spawnSync('socat', ['-V'], { stdio: 'ignore' });
  return r.error === undefined;
}

/** Removes a symlink left at `link` by an earlier run (so readiness is not judged by it); refuses anything else. */
async function clearLink(link: string): Promise<void> {
  const st = await lstat(link).catch(() => undefined);
  if (!st) return;
  if (!st.isSymbolicLink()) fail(`${link} exists and is not a symlink: choose another --link`);
  await unlink(link);
}

/** Starts socat and resolves once both ptys exist and it is relaying ("starting data transfer loop"). */
function startSocat(clientLink: string, emulatorLink: string): Promise<ChildProcess> {
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${clientLink}`, `pty,raw,echo=0,link=${emulatorLink}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`socat did not start within ${SOCAT_READY_TIMEOUT_MS} ms: ${log.trim()}`)), SOCAT_READY_TIMEOUT_MS);
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      if (log.length < 10_000) log += s;
      if (log.includes('starting data transfer loop')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`socat exited (${signal ?? `code ${String(code)}`}) before it was ready: ${log.trim()}`));
    });
  });
}

async function main(): Promise<void> {
  const opts = parseCli(process.argv.slice(2));
  if (!hasSocat()) fail('install socat (apt install socat / brew install socat)');

  const dir = await mkdtemp(path.join(tmpdir(), 'serverbit-emulator-'));
  const clientLink = opts.link ?? path.join(dir, 'bitalino');
  const emulatorLink = path.join(dir, 'emulator');
  if (opts.link) await clearLink(opts.link);

  let socat: ChildProcess | undefined;
  let shuttingDown = false;
  let transport: SerialTransport | undefined;
  let emulator: BitalinoEmulator | undefined;

  const shutdown = async (code: number, message?: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    if (message) process.stderr.write(`serverbit-emulator: ${message}\n`);
    emulator?.halt();
    await Promise.race([transport?.close(), new Promise((r) => setTimeout(r, 1000))]);
    if (socat && socat.exitCode === null && socat.signalCode === null) {
      const exited = new Promise((r) => socat!.once('exit', r));
      socat.kill('SIGTERM'); // socat removes its links on SIGTERM
      await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
    }
    await rm(dir, { recursive: true, force: true });
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));

  try {
    socat = await startSocat(clientLink, emulatorLink);
  } catch (err) {
    return shutdown(1, `could not create the pty pair: ${(err as Error).message}`);
  }
  socat.once('exit', () => void shutdown(1, 'socat exited; the virtual port is gone'));

  // Signals are shaped in seconds: one source per sampling rate the client picks.
  const sources = new Map<number, SignalSource>();
  const sourceFor = (rate: number): SignalSource => {
    let s = sources.get(rate);
    if (!s) sources.set(rate, (s = createSignalSource({ seed: opts.seed, rate })));
    return s;
  };
  const emu: BitalinoEmulator = new BitalinoEmulator({
    firmware: opts.firmware,
    ctsMode: opts.cts,
    inputs: (channel, index) => sourceFor(emu.rate)(channel, index),
  });
  emulator = emu;
  transport = new SerialTransport(emulatorLink, { baudRate: 115200 });
  try {
    await transport.open();
  } catch (err) {
    return shutdown(1, (err as Error).message);
  }
  emu.attach(transport);
  // Our own end of the pty never closes on its own unless socat dies (handled above).
  transport.onClose((error) => {
    if (!shuttingDown) void shutdown(1, `the emulator's end of the pty closed${error ? `: ${error.message}` : ''}`);
  });
  emu.run();

  // socat's link points at the pty it opened (/dev/pts/N on Linux, /dev/ttysNNN on macOS).
  let device: string;
  try {
    device = await realpath(clientLink);
  } catch (err) {
    return shutdown(1, `cannot resolve the pty behind ${clientLink}: ${(err as Error).message}`);
  }
  process.stdout.write(`${emulatorLine(device, clientLink, opts.firmware)}\n`);
}

void main();
