/**
 * Light checks on everything that arrives from the service before the UI uses it (the WebSocket
 * in a browser, IPC in Electron: both untrusted until checked). Checks the `type` and the
 * fields the UI reads, with bounds; returns undefined for anything else, which is dropped.
 * Text is only ever shown with textContent, so strings need no escaping, only type checks.
 */
import type { DataMessage, GapMessage, HelloMessage, MetaMessage, ReplyMessage, ServerMessage, StatusMessage } from '../shared/v2.js';
import type { WireError } from './errors.js';

/** Upper bounds that no legitimate message exceeds. */
const MAX_COLUMNS = 64;
const MAX_SAMPLES = 100_000;
const MAX_TEXT = 4096;

const STATES = new Set(['idle', 'connecting', 'streaming', 'stalled', 'reconnecting', 'stopped', 'error']);

type Obj = Record<string, unknown>;

export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_TEXT;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isOptStr = (v: unknown) => v === undefined || isStr(v);
const isOptNum = (v: unknown) => v === undefined || isNum(v);
const isArrayOf = <T>(v: unknown, item: (x: unknown) => x is T, max = MAX_COLUMNS): v is T[] => Array.isArray(v) && v.length <= max && v.every(item);

export function isWireError(v: unknown): v is WireError {
  return isObject(v) && isStr(v.code) && isStr(v.message) && isOptStr(v.hint);
}

/** Samples keyed by column: arrays of exactly `count` numbers (null becomes NaN in a plot, so allow it). */
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

function checkHello(m: Obj): m is Obj & HelloMessage {
  return m.server === 'ServerBIT' && isStr(m.version) && isNum(m.protocol) && typeof m.control === 'boolean' && isArrayOf(m.devices, isStr);
}

function checkColumn(c: unknown): boolean {
  return (
    isObject(c) &&
    isStr(c.name) &&
    (c.kind === 'sequence' || c.kind === 'digital' || c.kind === 'analog') &&
    isNum(c.resolution) &&
    isOptNum(c.channel) &&
    isOptStr(c.unit) &&
    isOptStr(c.sensor)
  );
}

function checkMeta(m: Obj): m is Obj & MetaMessage {
  return (
    isStr(m.device) &&
    isNum(m['sampling rate']) &&
    (m['sampling rate'] as number) > 0 &&
    isArrayOf(m.channels, isNum) &&
    Array.isArray(m.columns) &&
    m.columns.length <= MAX_COLUMNS &&
    m.columns.every(checkColumn) &&
    isOptStr(m.firmware) &&
    (m.simulated === undefined || typeof m.simulated === 'boolean')
  );
}

function checkData(m: Obj): m is Obj & DataMessage {
  const count = m.count;
  if (!isStr(m.device) || !isNum(m.index) || m.index < 0 || !isNum(m.time)) return false;
  if (!Number.isInteger(count) || (count as number) < 0 || (count as number) > MAX_SAMPLES) return false;
  if (m.raw !== undefined && !isColumns(m.raw, count as number)) return false;
  if (m.converted !== undefined && !isColumns(m.converted, count as number)) return false;
  return true;
}

function checkGap(m: Obj): m is Obj & GapMessage {
  return isStr(m.device) && isNum(m.from) && isNum(m.to) && m.to >= m.from && isStr(m.reason);
}

function checkCounters(c: unknown): boolean {
  return isObject(c) && ['frames', 'crcErrors', 'gaps', 'lostSamples', 'clients'].every((k) => isOptNum(c[k]));
}

function checkStatus(m: Obj): m is Obj & StatusMessage {
  return (
    typeof m.state === 'string' &&
    STATES.has(m.state) &&
    isNum(m.rate) &&
    isArrayOf(m.channels, isNum) &&
    checkCounters(m.counters) &&
    (m.error === undefined || isWireError(m.error)) &&
    isOptNum(m.battery) &&
    isOptStr(m.device) &&
    isOptStr(m.firmware)
  );
}

function checkReply(m: Obj): m is Obj & ReplyMessage {
  const idOk = typeof m.id === 'string' || isNum(m.id) || (m.id === null && m.ok === false);
  if (!idOk || typeof m.ok !== 'boolean') return false;
  return m.ok ? true : isWireError(m.error);
}

/** The message if it is one the UI understands, else undefined. */
export function parseServerMessage(value: unknown): ServerMessage | undefined {
  if (!isObject(value) || typeof value.type !== 'string') return undefined;
  switch (value.type) {
    case 'hello':
      return checkHello(value) ? value : undefined;
    case 'meta':
      return checkMeta(value) ? value : undefined;
    case 'data':
      return checkData(value) ? value : undefined;
    case 'gap':
      return checkGap(value) ? value : undefined;
    case 'status':
      return checkStatus(value) ? value : undefined;
    case 'reply':
      return checkReply(value) ? value : undefined;
    default:
      return undefined;
  }
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
