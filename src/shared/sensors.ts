/**
 * The sensor on each physical channel of the standard boards and the transfer functions that turn
 * a raw ADC value into its physical unit (PROTOCOL.md §9). Pure and dependency-free: the /v2
 * encoder, the renderer's plot and any recording code share it.
 *
 * Every formula takes `bits`, the resolution of the value as it was transmitted: 10 for
 * acquisition slots 1–4 and 6 for slots 5–6 (the firmware sends ADC >> 4 there, §6.2). It is the
 * slot, not the physical channel, that decides: [A3, A6] sends A6 in 10 bits.
 */
import type { Board } from './acquisition.js';

export type SensorName = 'EMG' | 'ECG' | 'EDA' | 'EEG' | 'ACC' | 'LUX' | 'BAT';

/** Sensor per physical channel A1..A6 (index 0 = A1), from the firmware pin maps (§9). */
export const BOARD_SENSORS: Readonly<Record<Board, readonly SensorName[]>> = {
  revolution: ['EMG', 'ECG', 'EDA', 'EEG', 'ACC', 'LUX'],
  // On the legacy board A6 is wired to the battery divider (ADC6).
  legacy: ['EMG', 'EDA', 'ECG', 'ACC', 'LUX', 'BAT'],
};

/** Unit of each sensor's converted value. */
export const SENSOR_UNITS: Readonly<Record<SensorName, string>> = {
  EMG: 'mV',
  ECG: 'mV',
  EEG: 'µV',
  EDA: 'µS',
  ACC: 'g',
  LUX: '%',
  BAT: 'V',
};

/** Supply voltage the transfer functions assume, V. */
export const VCC = 3.3;
/** Sensor gains (§9). */
export const ECG_GAIN = 1100;
export const EMG_GAIN = 1009;
/** BITalino EEG sheet value as reported (±39.49 µV range); NOT verified here (§9 gives 40000 in SampleEEG.py). */
export const EEG_GAIN = 41782;
/**
 * Accelerometer calibration in 10-bit ADC units: the readings at −1 g and +1 g (Cmin, Cmax).
 * Every unit differs; these are starting points until the user calibrates by rotating the axis
 * through ±1 g (§9).
 * - legacy: the 2014 forum's Cmin = 208, Cmax = 312 (§9).
 * - (r)evolution: NOT from a source checked here. Assumes a ratiometric sensor with 0 g at
 *   mid-scale (512) and about 102 counts per g at 3.3 V (330 mV/g): with the legacy constants a
 *   resting (r)evolution axis near 512 would read about +5 g, which is plainly wrong.
 */
export const ACC_DEFAULT_CALIBRATION: Readonly<Record<Board, { min: number; max: number }>> = {
  legacy: { min: 208, max: 312 },
  revolution: { min: 410, max: 614 },
};

export interface ConvertOptions {
  /** The board, where a sensor's formula differs between boards (EDA). Default 'revolution'. */
  board?: Board;
  /** ACC: readings at −1 g and +1 g, in 10-bit ADC units. Default ACC_DEFAULT_CALIBRATION[board]. */
  acc?: { min: number; max: number };
}

/** Sensor on physical channel `channel` (1..6) of `board`. */
export function sensorFor(board: Board, channel: number): SensorName {
  const s = BOARD_SENSORS[board][channel - 1];
  if (s === undefined) throw new RangeError(`channel ${channel} does not exist: use 1..6 (A1..A6)`);
  return s;
}

/** Resolution in bits of the value in acquisition slot `slot` (1-based): 10 for 1–4, 6 for 5–6 (§6.2). */
export function slotResolution(slot: number): 10 | 6 {
  return slot >= 5 ? 6 : 10;
}

/**
 * The physical value of `raw` (an unsigned ADC value of `bits` bits) for `sensor`, in
 * SENSOR_UNITS[sensor]. Pure; never throws for finite input.
 */
export function convert(sensor: SensorName, raw: number, bits: number, options: ConvertOptions = {}): number {
  const full = 2 ** bits;
  const frac = raw / full; // 0 … <1 of the ADC range
  switch (sensor) {
    case 'ECG':
      return ((frac - 0.5) * VCC * 1000) / ECG_GAIN; // ±1.5 mV
    case 'EMG':
      return ((frac - 0.5) * VCC * 1000) / EMG_GAIN; // ±1.64 mV
    case 'EEG':
      return ((frac - 0.5) * VCC * 1e6) / EEG_GAIN; // ±39.49 µV
    case 'EDA':
      // (r)evolution: 0–25 µS at 3.3 V (commonly cited formula, §9: not verified here).
      // Legacy (2014 forum): µS = 1 / (1 − ADC/2ⁿ); infinite at full scale, so capped at the last step.
      return (options.board ?? 'revolution') === 'legacy' ? 1 / (1 - Math.min(frac, (full - 1) / full)) : (frac * VCC) / 0.132;
    case 'ACC': {
      // Calibration is in 10-bit units: bring a 6-bit slot value to that scale first.
      const { min, max } = options.acc ?? ACC_DEFAULT_CALIBRATION[options.board ?? 'revolution'];
      const adc10 = raw * 2 ** (10 - bits);
      return (2 * (adc10 - min)) / (max - min) - 1;
    }
    case 'LUX':
      return 100 * frac;
    case 'BAT':
      return 2 * VCC * frac; // §5: V ≈ 2 × 3.3 V × ABAT / 1024
  }
}
