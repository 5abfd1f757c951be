/**
 * The /v2 control token (docs/protocol.md "Access and threat model"): commands need it unless the
 * session is trusted (only the desktop window, over IPC), presented at connect, in a subscribe
 * message or in the command itself.
 */
import crypto from 'node:crypto';

const SHA = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison (hashes make the lengths equal). An empty configured token matches nothing. */
export function tokenMatches(presented: string | undefined, configured: string): boolean {
  if (typeof presented !== 'string' || configured === '') return false;
  return crypto.timingSafeEqual(SHA(presented), SHA(configured));
}

/**
 * The UNAUTHORIZED error for `command` ("subscribe" for a token in a subscribe message). The
 * client is not trusted, so the hint is generic: it names no path on this computer (a config
 * path shows the home folder and so the user name).
 */
export function unauthorized(command: string, presented: string | undefined): { code: string; message: string; hint: string } {
  return {
    code: 'UNAUTHORIZED',
    message: `"${command}" needs the control token, and this ${presented === undefined ? 'connection presented none' : 'token is not the right one'}`,
    hint:
      'Send the token at connect (ws://127.0.0.1:9001/v2?token=…), in a subscribe message or as "token" in the command. ' +
      'Whoever runs ServerBIT can print it with "serverbit --show-token"; a browser page gets control when opened with the address serverbit prints at start (…/#token=…).',
  };
}
