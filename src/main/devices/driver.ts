/**
 * What the device runner drives (src/main/acquisition/device-runner.ts): one device's driver,
 * whatever the source — a BITalino over any Transport (bitalino.ts), the built-in simulator (the
 * same driver over an in-memory link), a recording played back, an R-IoT over OSC.
 *
 * Lifecycle: closed → connect() → idle ⇄ start()/stop() → close(). A call in the wrong state
 * rejects with DEVICE_BAD_STATE; close() twice is harmless and never rejects. Samples, gaps and
 * the end of the link arrive through the listener; `activity` fires on any input so the runner's
 * stall watchdog can tell a silent link from a quiet one.
 *
 * Indices in the batches a driver emits start at 0 at every start(); the runner places them on
 * the session's index line (docs/architecture.md "Devices and time").
 */
import type { Board, DeviceKind, GapEvent, SampleBatch } from '../../shared/acquisition.js';
import type { DeviceError } from '../../shared/errors.js';
import type { DeviceStatePacket } from './codec.js';

export type DriverState = 'closed' | 'connecting' | 'idle' | 'acquiring';

export interface AcquisitionListener {
  samples?(batch: SampleBatch): void;
  gap?(gap: GapEvent): void;
  /** The link closed on its own (error set) or by close() (no error). */
  close?(error?: DeviceError): void;
  /** Any input arrived (the runner's stall watchdog feeds on this). */
  activity?(): void;
  /**
   * The source has no more samples and will send none (a recording played to its end, without
   * loop): the driver is idle again. The runner stops the device, with no reconnect and no stall.
   */
  end?(): void;
}

/**
 * What a source that is not a live BITalino says about its stream, fixed by the source rather
 * than by the config: a recording has its own rate, channels, labels and sensors; an R-IoT its
 * own columns and an irregular clock.
 */
export interface SourceDescription {
  kind: DeviceKind;
  /** Hz; the runner starts the driver at this rate instead of the config's. */
  rate?: number;
  /** Analog channels (1-based) the source delivers, instead of the config's. */
  channels?: number[];
  /** Names of the analog columns, one per channel, instead of the config's labels. */
  labels?: string[];
  /** Sensor per analog column ("RAW" when unknown). */
  sensors?: string[];
  /** The device's MAC, when the source knows it (a recording's header). */
  mac?: string;
  /** Samples are not on a regular clock: batches carry per-sample `timestamps`. */
  irregular?: boolean;
  /** Analog values are floats (Float32Array), not ADC counts. */
  float?: boolean;
  /** True when the source has no nSeq/digital columns (an R-IoT). */
  analogOnly?: boolean;
  /** Bits per analog column, when the source knows them (a recording's `resolution`); default by acquisition slot. */
  resolutions?: number[];
}

/** What connect() learns. A BITalino answers its version; other sources describe themselves too. */
export interface DriverInfo {
  /** Firmware version string ("BITalino_v5.2"; a recording's "firmware version"; "R-IoT"). */
  firmware: string;
  version: number;
  /** BITalino board, for BITalino-shaped sources. */
  board?: Board;
  /** State packet length: 17 for >= 5.2, 16 for other (r)evolution, 0 when there is no state command. */
  stateLength: 0 | 16 | 17;
  /** Absent for a live BITalino (the config decides rate, channels, labels). */
  source?: SourceDescription;
}

export interface DeviceDriver {
  /** Tags every batch (the runner re-tags with the device id). */
  readonly id: string;
  readonly state: DriverState;
  /** What is actually connected: a resolved serial path, host:port, a file, a UDP port. */
  readonly connection: string;
  /** CRC errors of the current acquisition's decoder, for the status counters (BITalino only). */
  readonly crcErrors?: number;
  setListener(listener: AcquisitionListener): void;
  connect(): Promise<DriverInfo>;
  start(rate: number, channels: readonly number[]): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
  // Capabilities: absent where the source has no such thing (the runner answers DEVICE_UNSUPPORTED).
  setOutputs?(outputs: readonly (0 | 1 | boolean)[]): Promise<void>;
  setPwm?(duty: number): Promise<void>;
  setBatteryThreshold?(value: number): Promise<void>;
  readState?(): Promise<DeviceStatePacket>;
  /**
   * The consumers cut batches of this many samples at index multiples of it: the driver may let
   * bytes wait in the OS buffer until a batch can complete (read-pacer.ts). 1: read every frame.
   */
  setReadBatch?(samples: number): void;
}
