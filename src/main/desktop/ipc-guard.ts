/**
 * The checks at the IPC boundary: like a WebSocket message, an IPC payload is untrusted and
 * `unknown` until validated. The main process listens on one channel, IPC_SEND; before a message reaches the
 * /v2 session it must come from the top frame of the app's own window showing a page from
 * dist/renderer, and be a small plain object with a string `type`. The session then validates
 * the message against the /v2 schema like any WebSocket message.
 */
import { isPlainObject } from '../../shared/schema.js';

/** Largest message the renderer may send, as JSON: the same bound as a /v2 WebSocket message (ws-server MAX_PAYLOAD_BYTES). */
export const MAX_IPC_MESSAGE_CHARS = 64 * 1024;
/** Longest `type` accepted; /v2 types are short words. */
const MAX_TYPE_CHARS = 64;
/** A frame URL longer than this is not one of ours. */
const MAX_URL_CHARS = 8 * 1024;

export interface FrameUrlOptions {
  /** Compare paths case-insensitively (Windows: NTFS, and drive letters reported as c: or C:). */
  caseInsensitive?: boolean;
}

/**
 * True when `url` is a `file://` page inside the renderer folder (`rendererUrlPrefix` from
 * paths.ts, ending in "/"). Query and fragment are ignored; dot segments are resolved by the URL
 * parser first, so `…/renderer/../x.html` does not pass; a host (`file://evil/…`) does not pass.
 */
export function isAppFrameUrl(url: unknown, rendererUrlPrefix: string, options: FrameUrlOptions = {}): boolean {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL_CHARS) return false;
  if (!rendererUrlPrefix.startsWith('file:///') || !rendererUrlPrefix.endsWith('/')) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'file:' || parsed.host !== '') return false;
  parsed.search = '';
  parsed.hash = '';
  let href = parsed.href;
  let prefix = new URL(rendererUrlPrefix).href;
  if (options.caseInsensitive) {
    href = href.toLowerCase();
    prefix = prefix.toLowerCase();
  }
  return href.startsWith(prefix) && href.length > prefix.length;
}

export type RendererMessageCheck = { ok: true; type: string; raw: string } | { ok: false; reason: string };

/**
 * Light shape check of a renderer message: a plain object (what structured clone delivers for
 * `{…}`) with a non-empty string `type`, at most MAX_IPC_MESSAGE_CHARS once encoded. Returns the
 * JSON text the /v2 session takes (the same input a WebSocket client gives it).
 */
export function checkRendererMessage(payload: unknown): RendererMessageCheck {
  if (!isPlainObject(payload)) return { ok: false, reason: `the message must be a JSON object, got ${describe(payload)}` };
  const type = payload.type;
  if (typeof type !== 'string' || type.length === 0 || type.length > MAX_TYPE_CHARS) {
    return { ok: false, reason: 'the message must have a string "type" (e.g. "subscribe" or "command")' };
  }
  let raw: string;
  try {
    raw = JSON.stringify(payload);
  } catch {
    return { ok: false, reason: 'the message cannot be encoded as JSON' };
  }
  if (raw.length > MAX_IPC_MESSAGE_CHARS) return { ok: false, reason: `the message is larger than ${MAX_IPC_MESSAGE_CHARS} characters` };
  return { ok: true, type, raw };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}
