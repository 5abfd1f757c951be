import type { WireError } from '../../../shared/acquisition.js';
import { ServerBitError } from '../../../shared/errors.js';

/** An error as the OSC output and input show it in their status: code, message, hint. */
export function toWire(err: unknown): WireError {
  if (err instanceof ServerBitError) return err.hint ? { code: err.code, message: err.message, hint: err.hint } : { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: `internal error: ${err instanceof Error ? err.message : String(err)}` };
}
