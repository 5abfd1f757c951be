/**
 * Turns an error from the service (a status error, a failed command, a failed device test, a lost
 * connection) into plain words for the banner: what happened, what to try. Branches on `code`,
 * never on message text (errors.ts in src/shared lists the codes).
 */

/** The shape errors take on the wire (status.error, reply.error, test_device's error). */
export interface WireError {
  code: string;
  message: string;
  hint?: string;
}

export interface ErrorView {
  /** One short line: what happened. */
  title: string;
  /** The service's own message (names the port, the value…). */
  message: string;
  /** What to try first (the service's hint). */
  hint?: string;
  /** Troubleshooting checklist; empty when there is nothing to check. */
  steps: string[];
  severity: 'error' | 'warning';
}

/** What to check when a BITalino cannot be reached. */
export const DEVICE_STEPS: readonly string[] = [
  'Is the BITalino switched on? Its LED blinks when it is on and not connected.',
  'Is it paired with this computer? Pair it in the Bluetooth settings with PIN 1234.',
  'Is the address right? Use its MAC address (e.g. 20:16:07:18:15:26) or the serial port it was given (COM3, /dev/rfcomm0, /dev/cu.BITalino-…-DevB); the Devices tab lists them.',
  'Is another program using it? Close OpenSignals, another ServerBIT or any other app connected to the BITalino, then try again.',
];

const TITLES: Record<string, string> = {
  DEVICE_NO_ANSWER: 'The BITalino did not answer',
  DEVICE_OPEN_FAILED: 'Could not open the device',
  DEVICE_NOT_FOUND: 'Device not found',
  DEVICE_DISCONNECTED: 'The device disconnected',
  DEVICE_STALLED: 'The device stopped sending data',
  DEVICE_BAD_STATE: 'The device is not ready for that',
  DEVICE_UNSUPPORTED: 'This BITalino does not support that',
  DEVICE_BAD_ARGUMENT: 'The device rejected a setting',
  DEVICE_BAD_REPLY: 'The device sent an unexpected reply',
  CONFIG_INVALID_JSON: 'The settings file is not valid JSON',
  CONFIG_INVALID_VALUE: 'A setting is not valid',
  CONFIG_UNREADABLE: 'The settings file could not be read',
  CONFIG_WRITE_FAILED: 'The settings could not be saved',
  PORT_IN_USE: 'The port is already in use',
  LISTEN_FAILED: 'ServerBIT cannot listen on that address',
  BAD_MESSAGE: 'ServerBIT did not understand a message',
  UNKNOWN_COMMAND: 'ServerBIT does not know that command',
  BAD_ARGUMENTS: 'A command had invalid arguments',
  UNAUTHORIZED: 'This page may not control ServerBIT',
  FORBIDDEN_ORIGIN: 'This page is not allowed to connect',
  RATE_LIMITED: 'Too many requests',
  INTERNAL: 'Something went wrong inside ServerBIT',
  TIMEOUT: 'ServerBIT did not answer in time',
  DISCONNECTED: 'Not connected to ServerBIT',
};

/** Codes whose cause is usually the device or its link: show the checklist. */
const DEVICE_LINK_CODES = new Set(['DEVICE_NO_ANSWER', 'DEVICE_OPEN_FAILED', 'DEVICE_NOT_FOUND', 'DEVICE_DISCONNECTED', 'DEVICE_STALLED', 'DEVICE_BAD_REPLY']);

const EXTRA_STEPS: Record<string, readonly string[]> = {
  LISTEN_FAILED: ['Check the network setting: leave “Allow other computers on the network” off unless you need it.'],
  UNAUTHORIZED: ['Use the ServerBIT window, or open this page with the address serverbit printed when it started (…/#token=…); "serverbit --show-token" prints the token.'],
  TIMEOUT: ['Check that ServerBIT is still running, then try again.'],
  DISCONNECTED: ['Check that ServerBIT is still running; this page reconnects by itself.'],
};

export function isDeviceError(code: string): boolean {
  return DEVICE_LINK_CODES.has(code);
}

export function titleFor(code: string, fallback = 'Something went wrong'): string {
  return Object.hasOwn(TITLES, code) ? TITLES[code] : fallback;
}

/**
 * @param context what was going on: the service state ("reconnecting" makes it a warning: it
 *   retries by itself) or the command that failed ("Save", "Test /dev/rfcomm0").
 * @param steps troubleshooting steps the service sent (test_device); default: ours for the code.
 */
export function describeError(error: WireError, context: { state?: string; action?: string; steps?: readonly string[] } = {}): ErrorView {
  const code = error.code;
  let title = titleFor(code);
  if (context.action) title = `${context.action} failed: ${title.charAt(0).toLowerCase()}${title.slice(1)}`;
  const retrying = context.state === 'reconnecting' || context.state === 'stalled' || context.state === 'connecting';
  if (retrying && isDeviceError(code)) title += ' — ServerBIT keeps trying to reconnect';
  const steps = context.steps && context.steps.length > 0 ? [...context.steps] : isDeviceError(code) ? [...DEVICE_STEPS] : [...(EXTRA_STEPS[code] ?? [])];
  const view: ErrorView = { title, message: error.message, steps, severity: retrying ? 'warning' : 'error' };
  // The same text twice says nothing more (the service often repeats its hint as the first step).
  if (error.hint && error.hint !== error.message && !steps.includes(error.hint)) view.hint = error.hint;
  return view;
}

/** The channel to the service is down (browser: the WebSocket; it reconnects by itself). */
export function connectionLost(address: string): ErrorView {
  return {
    title: 'Lost the connection to ServerBIT',
    message: `Cannot reach ${address}. Reconnecting…`,
    hint: 'If this persists, check that ServerBIT is still running (the tray icon, or the serverbit command).',
    steps: [],
    severity: 'warning',
  };
}
