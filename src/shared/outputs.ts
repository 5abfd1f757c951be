/**
 * What every output (recorder, OSC, OSC control input, LSL, MQTT) reports of itself, on every
 * surface: the tray, the window, the CLI, /v2 `server` messages (docs/protocol.md "server").
 */
import type { WireError } from './acquisition.js';

/** The outputs the service knows, by name. */
export type OutputName = 'recorder' | 'osc' | 'osc-in' | 'lsl' | 'mqtt' | 'mqtt-relay';
export const OUTPUT_NAMES: readonly OutputName[] = ['recorder', 'osc', 'osc-in', 'lsl', 'mqtt', 'mqtt-relay'];

export type OutputState = 'off' | 'starting' | 'running' | 'error' | 'stopped';

export interface OutputStatus {
  /** The output's name. */
  output: string;
  state: OutputState;
  /** One line for the tray and the window, e.g. "→ 127.0.0.1:9000 · 1000 bundles/s". */
  detail?: string;
  /** In state "error": why, and what to do. */
  error?: WireError;
  /** Output-specific numbers (datagrams sent, bytes written, consumers, drops…), all integers. */
  counters: Record<string, number>;
}
