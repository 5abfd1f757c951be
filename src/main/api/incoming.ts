/**
 * A /v2 client message as it arrives, before the session acts on it: parsed the same way from
 * either transport (JSON text over the WebSocket, a structured clone over Electron IPC), and
 * counted against the session's rate limit.
 */
import { V2_MAX_MESSAGE_BYTES, parseClientMessage, parseClientValue, type ParseResult } from '../../shared/v2-schemas.js';

/**
 * A string is JSON text; a Buffer / typed array is a binary frame (refused with BAD_MESSAGE); any
 * other value is an already-parsed message (Electron IPC).
 */
export function parseIncoming(raw: unknown): ParseResult {
  if (typeof raw === 'string') return parseClientMessage(raw);
  if (raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)) {
    return { ok: false, id: null, error: { code: 'BAD_MESSAGE', message: 'binary messages are not accepted; allowed: JSON text messages', hint: 'Send the message as a text frame (a string), not as bytes.' } };
  }
  // Over IPC: bound what a structured clone may carry, as the WebSocket bounds a frame.
  let size: number;
  try {
    size = JSON.stringify(raw)?.length ?? 0;
  } catch {
    return { ok: false, id: null, error: { code: 'BAD_MESSAGE', message: 'the message cannot be represented as JSON' } };
  }
  if (size > V2_MAX_MESSAGE_BYTES) return { ok: false, id: null, error: { code: 'BAD_MESSAGE', message: `the message is ${size} bytes; allowed: at most ${V2_MAX_MESSAGE_BYTES} bytes` } };
  return parseClientValue(raw);
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
