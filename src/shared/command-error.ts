/**
 * A /v2 command's failure as the service words it (code, message, hint): what the window's and
 * the tray's command callers reject with, so both show the service's own text.
 */
import type { WireError } from './acquisition.js';

export class CommandError extends Error implements WireError {
  readonly code: string;
  readonly hint: string | undefined;
  constructor(error: WireError) {
    super(error.message);
    this.name = 'CommandError';
    this.code = error.code;
    this.hint = error.hint;
  }
}
