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
  /**
   * One array per acquired channel, ascending channel order: raw ADC values (10- or 6-bit) for a
   * BITalino; float values for float sources (R-IoT), whose meta columns say resolution 32.
   */
  analog: AnalogValues[];
  /** The acquired channels, 1-based, ascending; analog[k] belongs to channels[k]. */
  channels: number[];
  /**
   * Irregular sources only (StreamMeta.irregular): host time of each sample, ms since the Unix
   * epoch. Regular sources leave it out: sample i is at `time + i * 1000 / rate`.
   */
  timestamps?: Float64Array;
}

/** Raw BITalino values are 16-bit unsigned; float sources (R-IoT) carry 32-bit floats. */
export type AnalogValues = Uint16Array | Float32Array;

/**
 * crc_error: corrupted bytes on the link; device_overflow: the device dropped frames (sequence
 * jump on valid frames); link_lost: the device disconnected or stalled until it reconnected;
 * paused: acquisition paused for a command the firmware takes only while idle (state, battery
 * threshold); client_too_slow: this client fell behind and its queue overflowed; output_overflow:
 * an output (MQTT) could not hand these samples on (its broker was down or slow and its bounded
 * queue was full, docs/mqtt.md "When the broker is down or slow").
 */
export type GapReason = 'crc_error' | 'device_overflow' | 'link_lost' | 'paused' | 'client_too_slow' | 'output_overflow';

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

// --- The hub's per-device events (docs/architecture.md) ------------------------------------------
// Every output (server, api, recorder, OSC, LSL, MQTT) is built from these four events, per
// device: `meta` when a segment starts, `batch`, `gap`, `status`; plus `marker` (a moment the user
// marked) and `removed` (a device left the set).

/** What kind of source a device is. */
export type DeviceKind = 'bitalino' | 'riot' | 'playback' | 'remote';

/** An error as it crosses a boundary (status, /v2 reply, IPC): a stable code, a message, what to do. */
export interface WireError {
  code: string;
  message: string;
  hint?: string;
}

/** One column of a device's stream, in stream order. */
export interface StreamColumn {
  /**
   * The column's name in /v2 `data`, recordings, OSC and LSL: `nSeq`, the digital bits (`I1`,
   * `I2`, `O1`, `O2`; legacy `I1`..`I4`), then the analog channel's label. Unique within a stream.
   */
  name: string;
  /**
   * The key in the compatible stream, where `labels` may rename the fixed columns too (the
   * original's behaviour). Unique within a stream; for analog columns it is `name`, unless a
   * renamed fixed column took that name (then it gets a suffix).
   */
  label: string;
  kind: 'sequence' | 'digital' | 'analog';
  /** Analog: the physical channel, 1-based (A1 = 1). */
  channel?: number;
  /** Analog: the sensor wired to the channel ("ECG", "EMG", … or "RAW" for no conversion). */
  sensor?: string;
  /** Bits per raw value: 4 for nSeq, 1 for digital, 10 or 6 for BITalino analog; 32 for float sources (R-IoT). */
  resolution: number;
  /** Analog: unit of the converted value ("mV", "µS", …); absent for RAW. */
  unit?: string;
}

/**
 * Describes one segment of one device's stream: published by the hub before the first batch of
 * the segment (at the first connect, and again after every reconnect or pause, and whenever the
 * rate, channels, labels or sensors change). The /v2 `meta` message, a recording's header, an LSL
 * stream's info and the MQTT `meta` topic are all built from it.
 */
export interface StreamMeta {
  /** The device's id ("0", "1", … or the config's `id`). */
  device: string;
  /** What the user calls it (config `name`, else the address). */
  name: string;
  kind: DeviceKind;
  /** The address as configured ("simulator", a MAC, a serial path, host:port, "file:…"). */
  address: string;
  /** What was actually opened: the resolved serial port, host:port, the file path. */
  connection: string;
  /** The device's Bluetooth MAC, upper case with colons, when known (OpenSignals keys files by it). */
  mac?: string;
  /** BITalino board, for BITalino-shaped sources (live, simulator, playback of a BITalino file). */
  board?: Board;
  /** Firmware version string as the device sent it ("BITalino_v5.2"). */
  firmware: string;
  /** Parsed firmware version (5.2). */
  version: number;
  simulated: boolean;
  /** Nominal sampling rate, Hz. */
  rate: number;
  /**
   * True when samples are not on a regular clock (R-IoT over OSC): then each batch carries
   * `timestamps`, and `time` is not `t0 + index / rate`.
   */
  irregular: boolean;
  /** Acquired analog channels, 1-based, ascending. */
  channels: number[];
  /** Every column in stream order: for a BITalino nSeq, four digital columns, then one per channel. */
  columns: StreamColumn[];
  /** Device time of sample index 0 of the session, ms since the Unix epoch (stays the same across reconnects). */
  t0: number;
  /** Index of the first sample of this segment. */
  segmentStart: number;
}

/** One device's state as the hub reports it (`status` event). Client counts are the server's, not here. */
export interface DeviceStatus {
  /** The device's id. */
  device: string;
  /** Set for a device that is not this ServerBIT's own: "remote" (relayed from an MQTT broker, docs/mqtt.md "Relay"). */
  kind?: DeviceKind;
  name: string;
  address: string;
  state: ServiceState;
  /** What the device said of itself at its last connect; cleared when its address changes. */
  info?: DeviceInfo;
  /** Present in "error", and while "reconnecting"/"stalled": why. */
  error?: WireError;
  rate: number;
  channels: number[];
  counters: DeviceCounters;
  /** Battery in volts when known (from the last state read). */
  battery?: number;
  /** ms since epoch of t0 (device time of sample 0) for the current session. */
  t0?: number;
}

export interface DeviceCounters {
  /** Samples delivered. */
  frames: number;
  crcErrors: number;
  gaps: number;
  lostSamples: number;
}

/** A moment the user marked (tray, window, /v2 `marker`, OSC): recorded with the data and forwarded to clients. */
export interface MarkerEvent {
  /** Increasing per run. */
  id: number;
  label: string;
  /** Wall-clock time of the mark, ms since the Unix epoch. */
  time: number;
  /** The device it belongs to; absent = every device. */
  device?: string;
  /** The sample index it refers to on `device`, when the sender named one. */
  index?: number;
  /** Who marked it ("v2", "tray", "window", "osc", "mqtt"). */
  source: string;
}
