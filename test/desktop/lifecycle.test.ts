import { describe, expect, it } from 'vitest';
import { createQuitter } from '../../src/main/desktop/lifecycle.js';
import { createServerBit } from '../../src/main/app.js';
import { defaultConfig } from '../../src/shared/config.js';

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
});
