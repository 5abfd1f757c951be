import { afterEach, describe, expect, it } from 'vitest';
import { createQuitter } from '../../src/main/desktop/lifecycle.js';
import { createServerBit } from '../../src/main/app.js';
import { defaultConfig } from '../../src/shared/config.js';
import { emulatorOnPty } from '../helpers/emulator-on-pty.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
const waitFor = async (cond: () => boolean, what: string, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('quit', () => {
  it('stops first, then exits 0; a second quit does not stop twice', async () => {
    const calls: string[] = [];
    const q = createQuitter({
      shutdown: async () => {
        calls.push('shutdown');
        await new Promise((r) => setTimeout(r, 20));
        calls.push('stopped');
      },
      exit: (code) => calls.push(`exit ${code}`),
    });
    expect(q.quitting).toBe(false);
    const first = q.quit();
    expect(q.quitting).toBe(true);
    const second = q.quit();
    expect(second).toBe(first);
    await first;
    expect(calls).toEqual(['shutdown', 'stopped', 'exit 0']);
  });

  it('exits 1 when stopping fails or hangs past the timeout', async () => {
    const codes: number[] = [];
    await createQuitter({ shutdown: () => Promise.reject(new Error('port gone')), exit: (c) => codes.push(c), log: { warn: () => undefined } }).quit();
    const started = Date.now();
    await createQuitter({ shutdown: () => new Promise(() => undefined), exit: (c) => codes.push(c), timeoutMs: 50, log: { warn: () => undefined } }).quit();
    expect(codes).toEqual([1, 1]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('with the real service: the device is stopped and the server closed before exit', async () => {
    const app = createServerBit({ config: { ...defaultConfig(), port: 0 } });
    await app.start();
    const states: string[] = [];
    app.acquisition.hub.subscribe({ status: (s) => states.push(s.state) });
    let exitedWith: number | undefined;
    let stateAtExit: string | undefined;
    await createQuitter({
      shutdown: () => app.close(),
      exit: (code) => {
        exitedWith = code;
        stateAtExit = app.acquisition.status('0').state;
      },
    }).quit();
    expect(exitedWith).toBe(0);
    expect(stateAtExit).toBe('stopped');
    expect(states).toContain('stopped');
  });

  it('quitting the app with a BITalino streaming over a pty: the device is idle when the app exits', async () => {
    // The path Quit takes in src/main/electron/main.ts (the tray's Quit, Cmd+Q, logout), with
    // the real service and the emulator on a socat pty; only Electron itself is left out. The
    // emulator runs in CTS mode, where the port closing does not stop it: only a stop byte can.
    const device = await emulatorOnPty();
    cleanups.push(() => device.close());
    const app = createServerBit({ config: { ...defaultConfig(), device: device.path, port: 0 } });
    cleanups.push(() => app.close());
    await app.start();
    await waitFor(() => app.acquisition.status('0').state === 'streaming', 'streaming');
    await waitFor(() => device.emu.state === 'live', 'the emulator to acquire');
    const quitAt = Date.now();
    let exit: { code: number; service: string } | undefined;
    await createQuitter({
      shutdown: () => app.close(),
      exit: (code) => (exit = { code, service: app.acquisition.status('0').state }),
    }).quit();
    expect(exit).toEqual({ code: 0, service: 'stopped' });
    // The stop byte was written before exit(); it may still be crossing the pty (in the real
    // app the OS delivers it after the process is gone). Nothing else can idle a CTS-mode
    // device, and the service is closed.
    await waitFor(() => device.emu.state === 'idle', 'the emulator to be idle after the exit', 10_000);
    const stops = device.received.filter((r) => r.byte === 0x00 && r.at >= quitAt);
    expect(stops.length).toBeGreaterThan(0);
  }, 60_000);
});
