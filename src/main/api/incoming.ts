/**
 * A /v2 client message as it arrives, before the session acts on it: parsed the same way from
 * either transport (JSON text over the WebSocket, a structured clone over Electron IPC), bounded
 * in depth and size before anything recursive touches it (src/shared/json-bounds.ts), and
 * counted against the session's rate limit.
 */
import { CLIENT_MESSAGE_BOUNDS, checkJsonBounds } from '../../shared/json-bounds.js';
import { V2_MAX_MESSAGE_BYTES, parseClientValue, type ParseResult } from '../../shared/v2-schemas.js';

const HINT = 'See docs/protocol.md: a message is {"type": "command", "id": 1, "command": "state"} or {"type": "subscribe", …}.';

function badMessage(message: string, id: string | number | null = null): ParseResult {
  return { ok: false, id, error: { code: 'BAD_MESSAGE', message, hint: HINT } };
}

/**
 * A string is JSON text; a Buffer / typed array is a binary frame (refused with BAD_MESSAGE); any
 * other value is an already-parsed message (Electron IPC). Linear in the size of the message.
 */
export function parseIncoming(raw: unknown): ParseResult {
  if (typeof raw === 'string') return parseText(raw);
  if (raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)) {
    return { ok: false, id: null, error: { code: 'BAD_MESSAGE', message: 'binary messages are not accepted; allowed: JSON text messages', hint: 'Send the message as a text frame (a string), not as bytes.' } };
  }
  // Over IPC: the bound on characters stands in for the WebSocket's bound on a frame's bytes.
  return parseValue(raw);
}

function parseText(text: string): ParseResult {
  // A string's UTF-8 size is at least its length: skip measuring obvious giants.
  const size = text.length > V2_MAX_MESSAGE_BYTES ? text.length : Buffer.byteLength(text, 'utf8');
  if (size > V2_MAX_MESSAGE_BYTES) return badMessage(`the message is ${size} bytes; allowed: at most ${V2_MAX_MESSAGE_BYTES} bytes`);
  let value: unknown;
  try {
    // Iterative in V8: any nesting a 32 KiB text can hold parses without recursion.
    value = JSON.parse(text);
  } catch (e) {
    return badMessage(`the message is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseValue(value);
}

function parseValue(value: unknown): ParseResult {
  const bounds = checkJsonBounds(value, CLIENT_MESSAGE_BOUNDS);
  if (!bounds.ok) return badMessage(bounds.problem, topLevelId(value));
  return parseClientValue(value);
}

/** The message's `id` when it is a valid one (a short string or a safe integer), read without walking the value. */
function topLevelId(value: unknown): string | number | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const id = (value as { id?: unknown }).id;
  return (typeof id === 'string' && id.length <= 128) || Number.isSafeInteger(id) ? (id as string | number) : null;
}

/** The id of a message that will not be parsed in full (so its error reply can carry it), else null. */
export function idOf(text: string): string | number | null {
  try {
    const v = JSON.parse(text) as { id?: unknown };
    return typeof v?.id === 'string' || Number.isSafeInteger(v?.id) ? (v.id as string | number) : null;
  } catch {
    return null;
  }
}

/** Token bucket: `perSecond` messages a second, with a burst of as many; it starts full. */
export class MessageRateLimit {
  private tokens: number;
  private at = performance.now();

  constructor(readonly perSecond: number) {
    this.tokens = perSecond;
  }

  /** Takes a token for one message; false when there is none (the message is not processed). */
  allow(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.at) * this.perSecond) / 1000);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
