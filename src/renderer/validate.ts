/**
 * Checks everything that arrives from the service before the UI uses it (the WebSocket in a
 * browser, IPC in Electron: both untrusted until checked); anything else is dropped.
 * Text is only ever shown with textContent, so strings need no escaping, only type checks.
 */
import type { DataMessage, ServerMessage } from '../shared/v2.js';
import { isServerMessage } from '../shared/v2-schemas.js';
import type { WireError } from './errors.js';

/** Upper bounds that no legitimate data message exceeds. */
const MAX_COLUMNS = 64;
const MAX_SAMPLES = 100_000;
const MAX_TEXT = 4096;

type Obj = Record<string, unknown>;

export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_TEXT;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function isWireError(v: unknown): v is WireError {
  return isObject(v) && isStr(v.code) && isStr(v.message) && (v.hint === undefined || isStr(v.hint));
}

/** Samples keyed by column: arrays of exactly `count` numbers (null, JSON's stand-in for NaN, plots as a gap). */
function isColumns(v: unknown, count: number): v is Record<string, number[]> {
  if (!isObject(v)) return false;
  const keys = Object.keys(v);
  if (keys.length > MAX_COLUMNS) return false;
  for (const k of keys) {
    const a = v[k];
    if (!Array.isArray(a) || a.length !== count) return false;
    for (let i = 0; i < a.length; i++) if (typeof a[i] !== 'number' && a[i] !== null) return false;
  }
  return true;
}

/**
 * Data messages, the only frequent ones (25–1000 a second), get a fast hand-written check of
 * what the plot reads, rather than the schema walking every value.
 */
export function isDataMessage(m: Obj): m is Obj & DataMessage {
  const count = m.count;
  if (m.type !== 'data' || !isStr(m.device) || !isNum(m.index) || m.index < 0 || !isNum(m.time)) return false;
  if (!Number.isInteger(count) || (count as number) < 0 || (count as number) > MAX_SAMPLES) return false;
  if (m.raw === undefined && m.converted === undefined) return false;
  if (m.raw !== undefined && !isColumns(m.raw, count as number)) return false;
  if (m.converted !== undefined && !isColumns(m.converted, count as number)) return false;
  return true;
}

/**
 * The message if it is one the UI understands, else undefined. Everything but data is checked
 * against its schema in src/shared/v2-schemas.ts (the server's own contract) with TypeBox's
 * interpreter, which runs under the window's CSP (no 'unsafe-eval'); a refused message builds no
 * error text.
 */
export function parseServerMessage(value: unknown): ServerMessage | undefined {
  if (!isObject(value) || typeof value.type !== 'string') return undefined;
  if (value.type === 'data') return isDataMessage(value) ? value : undefined;
  return isServerMessage(value) ? value : undefined;
}

/** Parses a WebSocket text frame; undefined for non-JSON or unknown messages. */
export function parseServerText(text: unknown): ServerMessage | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return parseServerMessage(JSON.parse(text));
  } catch {
    return undefined;
  }
}
