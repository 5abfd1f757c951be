/**
 * Types that describe acquired data and device/service state. They cross from the device layer
 * to the hub, the WebSocket encoders, the Electron IPC and the renderer.
 */

export type Board = 'revolution' | 'legacy';

export interface DeviceInfo {
  /** Stable id used to tag every batch ("simulator", "20:16:07:18:15:26", "/dev/rfcomm0"). */
  id: string;
  /** The address actually opened (a resolved serial path, host:port, "simulator"). */
  address: string;
  /** Firmware version string as sent by the device, without the newline ("BITalino_v5.2"). */
  firmware: string;
  /** Parsed version number (5.2). */
  version: number;
  board: Board;
  /** 16 for firmware < 5.2, 17 for >= 5.2; 0 for legacy (no state command). */
  stateLength: 0 | 16 | 17;
  simulated: boolean;
}

/**
 * A run of consecutive samples from one device, column-major.
 * `index` is the sample index of the first sample since acquisition start: it counts every tick
 * of the device clock (including lost frames, reported as gaps), never wraps (exact as a JS number
 * up to 2^53, i.e. 285 000 years at 1 kHz).
 */
export interface SampleBatch {
  device: string;
  index: number;
  /** Device-clock time of the first sample, ms since the Unix epoch: t0 + index / rate. */
  time: number;
  rate: number;
  count: number;
  /** 4-bit sequence number per sample (the device's nSeq). */
  seq: Uint8Array;
  /** Digital nibble per sample: bit 3 = I1, bit 2 = I2, bit 1 = O1 (legacy I3), bit 0 = O2 (legacy I4). */
  digital: Uint8Array;
  /** One array per acquired channel, ascending channel order, raw ADC values (10- or 6-bit). */
  analog: Uint16Array[];
  /** The acquired channels, 1-based, ascending; analog[k] belongs to channels[k]. */
  channels: number[];
}

/**
 * crc_error: corrupted bytes on the link; device_overflow: the device dropped frames (sequence
 * jump on valid frames); link_lost: the device disconnected or stalled until it reconnected;
 * paused: acquisition paused for a command the firmware takes only while idle (state, battery
 * threshold); client_too_slow: this client fell behind and its queue overflowed.
 */
export type GapReason = 'crc_error' | 'device_overflow' | 'link_lost' | 'paused' | 'client_too_slow';

/** Samples with indices [from, to) were lost; nothing is lost silently. */
export interface GapEvent {
  device: string;
  from: number;
  to: number;
  reason: GapReason;
}

export type ServiceState = 'idle' | 'connecting' | 'streaming' | 'stalled' | 'reconnecting' | 'stopped' | 'error';

export interface Counters {
  frames: number;
  crcErrors: number;
  gaps: number;
  lostSamples: number;
  clients: number;
}

export interface ServiceStatus {
  state: ServiceState;
  device?: DeviceInfo;
  /** Present in state "error" (and while reconnecting, the last error). */
  error?: { code: string; message: string; hint?: string };
  rate: number;
  channels: number[];
  counters: Counters;
  /** Battery in volts when known (from the last state read). */
  battery?: number;
  /** ms since epoch of t0 (device time of sample 0) for the current acquisition. */
  t0?: number;
}
