/**
 * MQTT-only payloads (docs/protocol.md "MQTT"): everything else on the broker is the /v2 message
 * of the same name. A device's `…/status` says state "offline" when its publisher no longer
 * publishes it: after a clean stop, and as the last will the broker publishes when the publisher
 * vanishes.
 */

export const OFFLINE_MESSAGES = {
  will: 'the ServerBIT publishing this device went away without a goodbye (it crashed, was killed or lost its network)',
  closed: 'the ServerBIT publishing this device stopped publishing it',
} as const;

/** The device's /v2 status message with state "offline" and why (error code REMOTE_OFFLINE). */
export function offlineStatus(status: object, why: keyof typeof OFFLINE_MESSAGES): object {
  return {
    ...status,
    state: 'offline',
    error: { code: 'REMOTE_OFFLINE', message: OFFLINE_MESSAGES[why], hint: 'Its data resumes when that ServerBIT publishes it again.' },
  };
}
