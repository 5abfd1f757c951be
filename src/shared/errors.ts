/**
 * Stable error codes. Callers (CLI, UI, /v2 clients) branch on `code`, never on message text.
 * Messages say what happened and what to check.
 */
export type ErrorCode =
  // device layer
  | 'DEVICE_NO_ANSWER' // no reply to the version request in time
  | 'DEVICE_OPEN_FAILED' // the port could not be opened (missing, busy, permissions)
  | 'DEVICE_NOT_FOUND' // a MAC could not be resolved to a port
  | 'DEVICE_DISCONNECTED' // the link closed or errored mid-session
  | 'DEVICE_STALLED' // no bytes for stall_timeout_s while streaming
  | 'DEVICE_BAD_STATE' // wrong lifecycle call (e.g. start while streaming)
  | 'DEVICE_UNSUPPORTED' // the board does not offer this (e.g. PWM on legacy)
  | 'DEVICE_BAD_ARGUMENT' // out-of-range rate, channel, duty, threshold
  | 'DEVICE_BAD_REPLY' // a state/version reply failed its CRC or made no sense
  | 'DEVICE_EXISTS' // add_device with an id already in the set
  | 'DEVICE_UNKNOWN' // a command names a device that is not in the set
  | 'RIOT_BAD_MESSAGE' // an R-IoT /<id>/raw message without the expected numbers
  // playback of a recording as a device (docs/recording.md "Playback")
  | 'PLAYBACK_UNREADABLE' // the file cannot be opened or read (missing, permissions, not a regular file)
  | 'PLAYBACK_BAD_FILE' // not an OpenSignals recording, or malformed (the message names the line or member)
  | 'PLAYBACK_TOO_LARGE' // the file, a line or the header is past the reader's limits
  | 'PLAYBACK_UNSUPPORTED' // a valid file this player cannot replay (another device type, several devices, no channels)
  // recording (docs/recording.md)
  | 'RECORDING_BAD_SETTINGS' // a recorder setting is out of range or of the wrong type
  | 'RECORDING_FOLDER_UNWRITABLE' // the folder cannot be created or written at start
  | 'RECORDING_WRITE_FAILED' // a write failed mid-recording (disk full, folder removed, permissions); the recording stopped
  | 'RECORDING_ALREADY_RUNNING' // record_start while a recording runs
  | 'RECORDING_NOT_RUNNING' // record_stop with no recording
  | 'RECORDING_FOLDER_MISSING' // the desktop app's "Open folder": the recordings folder does not exist (yet)
  // config
  | 'CONFIG_INVALID_JSON'
  | 'CONFIG_INVALID_VALUE'
  | 'CONFIG_UNREADABLE'
  | 'CONFIG_WRITE_FAILED'
  // network
  | 'PORT_IN_USE'
  | 'LISTEN_FAILED'
  // Lab Streaming Layer output (docs/lsl.md)
  | 'LSL_LISTEN_FAILED' // no free data/service port in the LSL range, or the discovery port cannot be bound
  | 'LSL_INVALID_SETTING' // an LslSettings value out of range (backlog, ports, host)
  // OSC output
  | 'OSC_HOST_UNRESOLVED' // a destination's host name did not resolve
  | 'OSC_UNREACHABLE' // a destination answered "port unreachable" or has no route (ICMP)
  | 'OSC_SEND_FAILED' // a datagram could not be sent (no permission to broadcast, too large…)
  // MQTT output and relay (docs/mqtt.md)
  | 'MQTT_INVALID_SETTING' // an mqtt setting is out of range, or a TLS file (ca, cert, key) cannot be read
  | 'MQTT_AUTH_FAILED' // the broker refused the username/password or the client id (no retry until the settings change)
  | 'MQTT_TLS_FAILED' // the broker's certificate could not be verified (self-signed without "ca", wrong host name, expired)
  | 'MQTT_UNREACHABLE' // the broker could not be reached or dropped the connection (retried with backoff)
  | 'DEVICE_REMOTE' // a command for a device relayed from an MQTT broker: control it where it is published
  | 'REMOTE_OFFLINE' // the ServerBIT publishing a relayed device went away without a goodbye (its last will)
  // /v2 commands
  | 'BAD_MESSAGE'
  | 'UNKNOWN_COMMAND'
  | 'BAD_ARGUMENTS'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN_ORIGIN'
  | 'RATE_LIMITED'
  | 'INTERNAL';

/** Base class: every error ServerBIT raises on purpose has a code and an actionable message. */
export class ServerBitError extends Error {
  readonly code: ErrorCode;
  /** One line a user can act on ("Pair the BITalino with PIN 1234 and…"). */
  readonly hint: string | undefined;
  constructor(code: ErrorCode, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.hint = hint;
  }
}

export class DeviceError extends ServerBitError {}
export class ConfigError extends ServerBitError {
  /** The config key at fault, when there is one (e.g. "sampling_rate", "channels[2]"). */
  readonly key: string | undefined;
  constructor(code: ErrorCode, message: string, key?: string, hint?: string, options?: { cause?: unknown }) {
    super(code, message, hint, options);
    this.key = key;
  }
}
export class NetworkError extends ServerBitError {}

/**
 * The one way an error crosses a boundary (status, /v2 reply, IPC, MQTT): code, message, hint.
 * Anything that is not a ServerBitError is a bug: it becomes INTERNAL with its message.
 */
export function toWireError(e: unknown): { code: string; message: string; hint?: string } {
  if (e instanceof ServerBitError) return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  return {
    code: 'INTERNAL',
    message: `internal error: ${e instanceof Error ? e.message : String(e)}`,
    hint: 'This is a ServerBIT bug; please report it with the steps that led to it.',
  };
}
/** Recording to files (src/main/outputs/recorder): RECORDING_* codes. */
export class RecordingError extends ServerBitError {}
