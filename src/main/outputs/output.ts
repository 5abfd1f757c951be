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
