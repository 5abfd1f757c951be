/**
 * The small lifecycle every output shares (docs/architecture.md "Outputs"): the recorder, OSC,
 * LSL and MQTT each subscribe to the hub, own a bounded queue, and report what they could not
 * deliver. The desktop tray, the window, the CLI and /v2 show `status()` and follow `onStatus`.
 *
 * Lifecycle: created → start() → running → close() → closed. `start()` twice is harmless (the
 * second resolves at once); `close()` twice is harmless and never rejects. After close() the
 * output may not be started again: create a new one (settings changed).
 *
 * An output never makes acquisition or another output wait: hub callbacks only enqueue (bounded),
 * and whatever does not fit becomes a counted loss, announced where the output's protocol can
 * say so (a `gap` on MQTT, a gap in a recording's events file).
 */
import type { OutputStatus } from '../../shared/outputs.js';
import { createLogger } from '../log.js';

const log = createLogger('serverbit:outputs');

export type { OutputState, OutputStatus } from '../../shared/outputs.js';

export interface Output {
  readonly name: string;
  /** Subscribes to the hub and opens what it needs (socket, files). Rejects with a ServerBitError naming the problem. */
  start(): Promise<void>;
  /** Flushes what it can, unsubscribes, closes sockets and files. Idempotent, never rejects. */
  close(): Promise<void>;
  status(): OutputStatus;
  /** Called on every change of state, and at most about once a second for counters; returns the unsubscribe function. */
  onStatus(listener: (status: OutputStatus) => void): () => void;
}

/**
 * The listeners of one output's status (every output has the same needs): each is called in
 * turn, and one that throws is logged, never breaks the output or the listeners after it.
 */
export class StatusListeners {
  readonly #listeners = new Set<(status: OutputStatus) => void>();
  /** The last status emitted, as JSON: what `emitIfChanged` compares with. */
  #last = '';

  /** `what` names the output in the log line of a listener that throws ("an OSC output"). */
  constructor(private readonly what: string) {}

  get size(): number {
    return this.#listeners.size;
  }

  /** Adds a listener; returns the function that removes it (Output.onStatus). */
  add(listener: (status: OutputStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  clear(): void {
    this.#listeners.clear();
  }

  emit(status: OutputStatus): void {
    this.#last = JSON.stringify(status);
    for (const l of this.#listeners) {
      try {
        l(status);
      } catch (err) {
        log.warn('%s status listener threw: %O', this.what, err);
      }
    }
  }

  /** Emits unless `status` is the one emitted last (periodic ticks: counters that did not move). */
  emitIfChanged(status: OutputStatus): void {
    if (JSON.stringify(status) !== this.#last) this.emit(status);
  }
}
