/**
 * The outputs that follow the config (OSC, the OSC control input, LSL, MQTT): each kind says
 * from the config whether it is on and with which settings; `apply(config)` starts what was
 * turned on, closes what was turned off and restarts what changed (settings compare as JSON),
 * each on its own — one output failing to start never stops another, nor acquisition.
 *
 * The recorder is not here: a recording starts and stops at run time (RecordingController).
 */
import type { ServerBitConfig } from '../../shared/config.js';
import type { OutputStatus } from '../../shared/outputs.js';
import { toWireError } from '../../shared/errors.js';
import { createLogger } from '../log.js';
import type { Output } from './output.js';

const log = createLogger('serverbit:outputs');

export interface OutputKind<S = unknown> {
  /** The output's name ("osc", "osc-in", "lsl", "mqtt"). */
  readonly name: string;
  /** The settings this config gives the output, or undefined when it is off. Throws ConfigError for a bad value. */
  settings(config: ServerBitConfig): S | undefined;
  /** May load the output's module only now (an output nobody turns on costs no memory). */
  create(settings: S): Output | Promise<Output>;
}

interface Running {
  output: Output;
  key: string;
  off: () => void;
}

export class OutputsController {
  private readonly kinds: readonly OutputKind[];
  private readonly running = new Map<string, Running>();
  /** The last status of every kind, also of those off or failed. */
  private readonly last = new Map<string, OutputStatus>();
  private readonly listeners = new Set<(s: OutputStatus) => void>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(kinds: readonly OutputKind[]) {
    this.kinds = kinds;
    for (const k of kinds) this.last.set(k.name, { output: k.name, state: 'off', counters: {} });
  }

  /** Every kind's status, in the order the kinds were given. */
  statuses(): OutputStatus[] {
    return this.kinds.map((k) => this.last.get(k.name)!);
  }

  status(name: string): OutputStatus | undefined {
    return this.last.get(name);
  }

  /** The running output of a kind (tests, the CLI's start-up line). */
  output(name: string): Output | undefined {
    return this.running.get(name)?.output;
  }

  onStatus(listener: (s: OutputStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Makes the running outputs match `config`. Never rejects: a failure shows in that output's status. */
  apply(config: ServerBitConfig): Promise<void> {
    const run = this.queue.then(() => this.applyNow(config));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Closes every output. Never rejects. */
  close(): Promise<void> {
    const run = this.queue.then(async () => {
      await Promise.all([...this.running.keys()].map((name) => this.stop(name)));
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async applyNow(config: ServerBitConfig): Promise<void> {
    await Promise.all(
      this.kinds.map(async (kind) => {
        let settings: unknown;
        try {
          settings = kind.settings(config);
        } catch (e) {
          await this.stop(kind.name);
          this.publish({ output: kind.name, state: 'error', error: toWireError(e), counters: {} });
          return;
        }
        const key = settings === undefined ? '' : JSON.stringify(settings);
        const cur = this.running.get(kind.name);
        if (cur && cur.key === key) return;
        if (cur) await this.stop(kind.name);
        if (settings === undefined) {
          this.publish({ output: kind.name, state: 'off', counters: {} });
          return;
        }
        let output: Output | undefined;
        let off: (() => void) | undefined;
        try {
          output = await kind.create(settings);
          const o = output;
          off = o.onStatus((s) => this.publish(s));
          this.running.set(kind.name, { output: o, key, off });
          await o.start();
          this.publish(o.status());
        } catch (e) {
          log.warn('output %s did not start: %s', kind.name, e instanceof Error ? e.message : String(e));
          this.running.delete(kind.name);
          off?.();
          await output?.close();
          this.publish({ output: kind.name, state: 'error', error: toWireError(e), counters: {} });
        }
      }),
    );
  }

  private async stop(name: string): Promise<void> {
    const cur = this.running.get(name);
    if (!cur) return;
    this.running.delete(name);
    await cur.output.close();
    cur.off();
    this.publish({ output: name, state: 'off', counters: {} });
  }

  private publish(s: OutputStatus): void {
    this.last.set(s.output, s);
    for (const l of this.listeners) {
      try {
        l(s);
      } catch (err) {
        log.warn('an output status listener threw: %O', err);
      }
    }
  }
}
