/**
 * Quitting the tray app: stop the device cleanly (the BITalino is told to stop and the port is
 * closed, so the next start finds it idle), close the clients and the server, then exit. Bounded:
 * a device that does not answer cannot keep the app alive forever.
 */

export interface QuitOptions {
  /** Stops acquisition and the server (ServerBit.close, plus closing the window sessions). */
  shutdown: () => Promise<void>;
  /** app.exit(code) in Electron. */
  exit: (code: number) => void;
  /** Longest wait for `shutdown`, ms, before exiting anyway with code 1. Default 5000. */
  timeoutMs?: number;
  log?: { warn(format: string, ...args: unknown[]): void };
}

export interface Quitter {
  /** Starts quitting (idempotent: later calls return the same promise). */
  quit(): Promise<void>;
  /** True once quit() was called: the window's close handler stops hiding and lets it close. */
  readonly quitting: boolean;
}

export function createQuitter(options: QuitOptions): Quitter {
  const timeoutMs = options.timeoutMs ?? 5000;
  let done: Promise<void> | undefined;
  return {
    get quitting() {
      return done !== undefined;
    },
    quit() {
      done ??= (async () => {
        let code = 0;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), timeoutMs);
        });
        try {
          const outcome = await Promise.race([options.shutdown().then(() => 'done' as const), timeout]);
          if (outcome === 'timeout') {
            options.log?.warn('the device did not stop within %d ms; exiting anyway', timeoutMs);
            code = 1;
          }
        } catch (error) {
          options.log?.warn('stopping failed: %O', error);
          code = 1;
        } finally {
          clearTimeout(timer);
        }
        options.exit(code);
      })();
      return done;
    },
  };
}
