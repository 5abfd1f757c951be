/**
 * The /v2 control token (docs/protocol.md "Threat model"): commands need it unless the session is
 * trusted, presented at connect, in a subscribe message or in the command itself.
 */
import crypto from 'node:crypto';

const SHA = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison (hashes make the lengths equal). An empty configured token matches nothing. */
export function tokenMatches(presented: string | undefined, configured: string): boolean {
  if (typeof presented !== 'string' || configured === '') return false;
  return crypto.timingSafeEqual(SHA(presented), SHA(configured));
}

/** The UNAUTHORIZED error for `command` ("subscribe" for a token in a subscribe message), saying where to find the token. */
export function unauthorized(command: string, presented: string | undefined, configPath?: string): { code: string; message: string; hint: string } {
  return {
    code: 'UNAUTHORIZED',
    message: `"${command}" needs the control token, and this ${presented === undefined ? 'connection presented none' : 'token is not the right one'}`,
    hint:
      'Send the token at connect (ws://127.0.0.1:9001/v2?token=…), in a subscribe message or as "token" in the command. ' +
      `Run "serverbit --show-token" to print it, or read "token" in ${configPath ?? '~/ServerBIT/config.json'}.`,
  };
}
