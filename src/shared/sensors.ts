/**
 * BITalino sensors: what is wired to each analog channel, the transfer function that turns a raw
 * ADC value into the sensor's physical unit, and the sensor codes OpenSignals writes in a
 * recording's `sensor` header field (docs/sensors.md). Pure and dependency-free: the /v2 encoder,
 * recordings, playback and the renderer's plot all share it.
 *
 * Every formula takes `bits`, the resolution of the value as it was transmitted: 10 for
 * acquisition slots 1–4 and 6 for slots 5–6 (the firmware sends the top 6 bits there). It is the
 * slot, not the physical channel, that decides: acquiring [A3, A6] sends A6 in 10 bits
 * (docs/sensors.md, "Resolution").
 */
import type { Board } from './acquisition.js';

/** A sensor a channel can be set to. 'RAW' means no conversion: the value stays in ADC counts. */
export type SensorName = 'RAW' | 'EMG' | 'ECG' | 'EDA' | 'EEG' | 'EOG' | 'EGG' | 'ACC' | 'LUX' | 'PZT' | 'BAT';
/** A sensor with a transfer function (everything but RAW). */
export type PhysicalSensor = Exclude<SensorName, 'RAW'>;

/** Every sensor name, in the order a settings list shows them. */
export const SENSOR_NAMES: readonly SensorName[] = ['RAW', 'EMG', 'ECG', 'EDA', 'EEG', 'EOG', 'EGG', 'ACC', 'LUX', 'PZT', 'BAT'];

export interface SensorInfo {
  /** What the sensor measures, for settings lists. */
  title: string;
  /** Unit of the converted value; absent for RAW. */
  unit?: string;
  /**
   * The range the datasheet gives for the converted value, in `unit`, on the (r)evolution board
   * (ADC 0 … 2ⁿ). ACC's depends on the calibration; legacy EDA's upper end is unbounded.
   */
  range?: readonly [number, number];
  /** Where the formula and constants come from (docs/sensors.md cites each in full). */
  source: string;
  /** Where the legacy board's formula differs (EDA, ACC calibration): its range and source. */
  legacy?: { range: readonly [number, number]; source: string };
}

/** Supply voltage the transfer functions assume, V (every BITalino sheet: VCC = 3.3 V). */
export const VCC = 3.3;
/** ECG gain: "Electrocardiography (ECG) Sensor Data Sheet" (BITalino), page 2: G_ECG = 1100, ±1.5 mV. */
export const ECG_GAIN = 1100;
/**
 * EMG gain: BITalino (r)evolution EMG datasheet (REVOLUTION_EMG_Sensor_Datasheet.pdf), G_EMG = 1009,
 * as transcribed by opensignalsreader's bitalino_tf.py and PLUX's biosignalsnotebooks (bitalino_rev).
 * The 2014 legacy forum post used 1000 and biosignalsnotebooks 1008 for the legacy board: within 1 %.
 */
export const EMG_GAIN = 1009;
/**
 * EEG gain: the current BITalino EEG datasheet gives G_EEG = 41782 and a range of ±39.49 µV at
 * 3.3 V (3.3 / 2 / 41782 = 39.49 µV, so the two agree). The first (r)evolution sheet and
 * biosignalsnotebooks used 40000 (±41.25 µV); the amplifier's stated gain is 41780 (biosignalsplux
 * EEG User Manual v1.0, 2020). docs/sensors.md, "EEG".
 */
export const EEG_GAIN = 41782;
/** EOG gain: REVOLUTION_EOG_Sensor_Datasheet.pdf, G_EOG = 2040, ±0.81 mV (also the EOG User Manual's specifications). */
export const EOG_GAIN = 2040;
/** EGG gain: REVOLUTION_EGG_Sensor_Datasheet.pdf, G_EGG = 6110, ±0.27 mV. */
export const EGG_GAIN = 6110;
/** (r)evolution EDA: µS = (ADC/2ⁿ)·VCC / 0.132, so full scale is 3.3 / 0.132 = 25 µS, the sheet's 0–25 µS. */
export const EDA_REV_DIVISOR = 0.132;

/**
 * Accelerometer calibration in 10-bit ADC units: the readings at −1 g and +1 g (Cmin, Cmax). The
 * ACC datasheet's formula needs them per unit and per axis (rotate the axis slowly through 360°
 * and take the extremes); these are the published defaults until the user calibrates.
 * - (r)evolution: 400 / 608, the default calibration in PLUX's biosignalsnotebooks `raw_to_phy`
 *   for bitalino_rev (which gives 25 / 38 for a 6-bit channel, the same values scaled).
 * - legacy: 208 / 312, from PLUX's 2014 forum post "Converting BITalino's Output Values into
 *   their Real Units".
 */
export const ACC_DEFAULT_CALIBRATION: Readonly<Record<Board, { min: number; max: number }>> = {
  revolution: { min: 400, max: 608 },
  legacy: { min: 208, max: 312 },
};

/** Datasheet titles and addresses, cited in full in docs/sensors.md. */
const SRC = {
  forum: 'PLUX forum "Converting BITalino\'s Output Values into their Real Units" (2014-03-12, forum.bitalino.com/viewtopic.php?f=12&t=128)',
  notebooks: "PLUX biosignalsnotebooks conversion.py raw_to_phy",
};

export const SENSORS: Readonly<Record<SensorName, SensorInfo>> = {
  RAW: { title: 'Raw ADC value (no conversion)', source: 'none: the value as transmitted' },
  EMG: {
    title: 'Electromyography',
    unit: 'mV',
    range: [-1.64, 1.64],
    source: `BITalino (r)evolution EMG Sensor Data Sheet (bitalino.com/datasheets/REVOLUTION_EMG_Sensor_Datasheet.pdf), G = 1009; ${SRC.notebooks}`,
  },
  ECG: {
    title: 'Electrocardiography',
    unit: 'mV',
    range: [-1.5, 1.5],
    source: 'BITalino Electrocardiography (ECG) Sensor Data Sheet, page 2 (bitalino.com/datasheets/REVOLUTION_ECG_Sensor_Datasheet.pdf), G = 1100',
  },
  EDA: {
    title: 'Electrodermal activity',
    unit: 'µS',
    range: [0, 25],
    source: `BITalino Electrodermal Activity (EDA) User Manual v1.0 (PLUX 2020), range 0–25 µS at 3.3 V; formula as in ${SRC.notebooks} (bitalino_rev)`,
    legacy: { range: [1, Infinity], source: `BITalino EDA Sensor Data Sheet (EDA 080115, REV A, 2015) and ${SRC.forum}: µS = 1 / (1 − ADC/2ⁿ)` },
  },
  EEG: {
    title: 'Electroencephalography',
    unit: 'µV',
    range: [-39.49, 39.49],
    source: 'BITalino EEG Sensor Data Sheet (bitalino.com/datasheets/REVOLUTION_EEG_Sensor_Datasheet.pdf, current revision), G = 41782',
  },
  EOG: {
    title: 'Electrooculography',
    unit: 'mV',
    range: [-0.81, 0.81],
    source: 'BITalino EOG Sensor Data Sheet (bitalino.com/datasheets/REVOLUTION_EOG_Sensor_Datasheet.pdf), G = 2040',
  },
  EGG: {
    title: 'Electrogastrography',
    unit: 'mV',
    range: [-0.27, 0.27],
    source: 'BITalino EGG Sensor Data Sheet (bitalino.com/datasheets/REVOLUTION_EGG_Sensor_Datasheet.pdf), G = 6110',
  },
  ACC: {
    title: 'Accelerometer (one axis)',
    unit: 'g',
    range: [-3, 3],
    source: `BITalino ACC Sensor Data Sheet (bitalino.com/datasheets/REVOLUTION_ACC_Sensor_Datasheet.pdf); default calibration 400/608 from ${SRC.notebooks} (bitalino_rev)`,
    legacy: { range: [-3, 3], source: `${SRC.forum}: Cmin = 208, Cmax = 312` },
  },
  LUX: {
    title: 'Light',
    unit: '%',
    range: [0, 100],
    source: `BITalino LUX Sensor Data Sheet (bitalino.com/datasheets/REVOLUTION_LUX_Sensor_Datasheet.pdf); ${SRC.forum}`,
  },
  PZT: {
    title: 'Respiration (piezoelectric)',
    unit: '%',
    range: [-50, 50],
    source: 'BITalino Respiration (PZT) Sensor Data Sheet, page 2: % = (ADC/2ⁿ − ½)·100',
  },
  BAT: {
    title: 'Battery (legacy board A6)',
    unit: 'V',
    range: [0, 6.6],
    source: 'no datasheet: A6 reads the battery through a divide-by-two; the firmware thresholds 527 ≈ 3.4 V and 590 ≈ 3.8 V agree with V = 2·VCC·ADC/2ⁿ',
  },
};

/** Unit of each sensor's converted value (RAW has none: see sensorUnit). */
export const SENSOR_UNITS = Object.fromEntries(
  SENSOR_NAMES.filter((s): s is PhysicalSensor => s !== 'RAW').map((s) => [s, SENSORS[s].unit!]),
) as Readonly<Record<PhysicalSensor, string>>;

/** Unit of `sensor`'s converted value, or undefined for RAW. */
export function sensorUnit(sensor: SensorName): string | undefined {
  return SENSORS[sensor].unit;
}

/** Sensor per physical channel A1..A6 (index 0 = A1) of each board's standard kit, from the firmware pin maps. */
export const BOARD_SENSORS: Readonly<Record<Board, readonly PhysicalSensor[]>> = {
  revolution: ['EMG', 'ECG', 'EDA', 'EEG', 'ACC', 'LUX'],
  // On the legacy board A6 is wired to the battery divider (ADC6).
  legacy: ['EMG', 'EDA', 'ECG', 'ACC', 'LUX', 'BAT'],
};

/**
 * Sensor on physical channel `channel` (1..6) of `board`: the standard kit's (BOARD_SENSORS), or
 * the user's wiring when `configured` is given (the device's config `sensors`, one name per
 * channel A1..A6). A missing entry falls back to the kit; a name parseSensorName does not know
 * reads as RAW (no conversion rather than a wrong one: how readers treat a recording's
 * "CUSTOM/…" or unknown code). Config validation rejects unknown names before they get here.
 * Throws RangeError for a channel outside 1..6 (a programming error, not input).
 */
export function sensorFor(board: Board, channel: number): PhysicalSensor;
export function sensorFor(board: Board, channel: number, configured: readonly string[] | undefined): SensorName;
export function sensorFor(board: Board, channel: number, configured?: readonly string[]): SensorName {
  const kit = BOARD_SENSORS[board][channel - 1];
  if (kit === undefined || !Number.isInteger(channel)) throw new RangeError(`channel ${channel} does not exist: use 1..6 (A1..A6)`);
  const own = configured?.[channel - 1];
  return own === undefined ? kit : (parseSensorName(own) ?? 'RAW');
}

/** Sensor per channel A1..A6 for `board` and the configured `sensors` (see sensorFor). */
export function channelSensors(board: Board, configured?: readonly string[]): SensorName[] {
  return [1, 2, 3, 4, 5, 6].map((ch) => sensorFor(board, ch, configured));
}

/** Resolution in bits of the value in acquisition slot `slot` (1-based): 10 for 1–4, 6 for 5–6. */
export function slotResolution(slot: number): 10 | 6 {
  return slot >= 5 ? 6 : 10;
}

export interface ConvertOptions {
  /** The board, where a sensor's formula differs between boards (EDA, ACC defaults). Default 'revolution'. */
  board?: Board;
  /**
   * ACC: readings at −1 g and +1 g in 10-bit ADC units, 0 ≤ min < max ≤ 1024 and at least one
   * count apart. Default ACC_DEFAULT_CALIBRATION[board], which is also used for a calibration
   * outside those bounds (it would divide by zero or overflow).
   */
  acc?: { min: number; max: number };
}

/** True when `c` is a usable ACC calibration (see ConvertOptions.acc); config validation can use it too. */
export function validAccCalibration(c: { min: number; max: number } | undefined): c is { min: number; max: number } {
  return c !== undefined && c.min >= 0 && c.max <= 1024 && c.max - c.min >= 1;
}

/** (ADC/2ⁿ − ½)·VCC / G, in V: the biopotential sensors' common form. */
const bipolar = (frac: number, gain: number): number => ((frac - 0.5) * VCC) / gain;

/**
 * The physical value of `raw` (an unsigned ADC value of `bits` bits) for `sensor`, in
 * sensorUnit(sensor); RAW returns `raw` unchanged. Pure; never throws, and finite for every finite
 * `raw` (legacy EDA, unbounded at full scale, is capped at its last ADC step).
 */
export function convert(sensor: SensorName, raw: number, bits: number, options: ConvertOptions = {}): number {
  const full = 2 ** bits;
  const frac = raw / full; // 0 … <1 of the ADC range
  const board = options.board ?? 'revolution';
  switch (sensor) {
    case 'RAW':
      return raw;
    case 'ECG':
      return bipolar(frac, ECG_GAIN) * 1e3; // ±1.5 mV
    case 'EMG':
      return bipolar(frac, EMG_GAIN) * 1e3; // ±1.64 mV
    case 'EEG':
      return bipolar(frac, EEG_GAIN) * 1e6; // ±39.49 µV
    case 'EOG':
      return bipolar(frac, EOG_GAIN) * 1e3; // ±0.81 mV
    case 'EGG':
      return bipolar(frac, EGG_GAIN) * 1e3; // ±0.27 mV
    case 'EDA':
      // Legacy: µS = 1 / (1 − ADC/2ⁿ), infinite at ADC = 2ⁿ, so capped at the last step (2ⁿ µS).
      return board === 'legacy' ? 1 / (1 - Math.min(frac, (full - 1) / full)) : (frac * VCC) / EDA_REV_DIVISOR;
    case 'ACC': {
      const { min, max } = validAccCalibration(options.acc) ? options.acc : ACC_DEFAULT_CALIBRATION[board];
      // Calibration is in 10-bit units: bring a 6-bit slot value to that scale first.
      const adc10 = raw * 2 ** (10 - bits);
      return (2 * (adc10 - min)) / (max - min) - 1;
    }
    case 'LUX':
      return 100 * frac;
    case 'PZT':
      return (frac - 0.5) * 100; // ±50 %
    case 'BAT':
      return 2 * VCC * frac;
  }
}

/**
 * The converted values of the lowest and highest raw value a `bits`-bit channel can carry
 * (0 and 2ⁿ − 1), in sensorUnit(sensor): every formula increases with ADC, so this is the span a
 * plot's axis needs. For RAW it is [0, 2ⁿ − 1].
 */
export function convertedSpan(sensor: SensorName, bits: number, options: ConvertOptions = {}): [number, number] {
  return [convert(sensor, 0, bits, options), convert(sensor, 2 ** bits - 1, bits, options)];
}

/** Longest sensor text parseSensorName looks at: OpenSignals codes are short ("EMGBITREV"). */
const MAX_SENSOR_TEXT = 32;
/** Other names OpenSignals uses for our sensors: respiration is "RESP…" in its headers. */
const ALIASES: Readonly<Record<string, SensorName>> = { RESP: 'PZT' };

/**
 * The sensor named by `text`: a canonical name ("ECG", "raw", " Eda "), or an OpenSignals header
 * code — the name followed by "BIT" (legacy-era sensors) or "BITREV" ((r)evolution sensors), e.g.
 * "EMGBITREV", "ECGBIT", "RESPBIT" (= PZT). Case and surrounding spaces are ignored. Anything else
 * (including OpenSignals' "CUSTOM/…" and non-strings) gives undefined; callers treat that as RAW.
 * Linear in the input and bounded: text longer than 32 characters is rejected unread.
 */
export function parseSensorName(text: unknown): SensorName | undefined {
  if (typeof text !== 'string' || text.length > MAX_SENSOR_TEXT) return undefined;
  const upper = text.trim().toUpperCase();
  const base = upper.endsWith('BITREV') ? upper.slice(0, -6) : upper.endsWith('BIT') ? upper.slice(0, -3) : upper;
  if (base === '') return undefined;
  const alias = Object.hasOwn(ALIASES, base) ? ALIASES[base] : undefined;
  if (alias) return alias;
  return (SENSOR_NAMES as readonly string[]).includes(base) ? (base as SensorName) : undefined;
}

/**
 * OpenSignals' sensor code for `sensor` on `board`, for a recording header's `sensor` field
 * (docs/sensors.md, "OpenSignals header codes"). Codes seen in files and streams OpenSignals wrote:
 * EMGBITREV, EDABITREV, EEGBITREV, ECGBIT, RESPBIT, LUX, RAW. The legacy-board codes (the name +
 * "BIT"), ACCBITREV, EOGBIT and EGGBIT follow the same pattern but were not seen in an OpenSignals
 * file. BAT is ours: OpenSignals has no battery sensor, and readers treat an unknown code as raw.
 * parseSensorName reads every code back to `sensor`.
 */
export function openSignalsSensorCode(sensor: SensorName, board: Board): string {
  switch (sensor) {
    case 'RAW':
    case 'LUX':
    case 'BAT':
      return sensor;
    case 'ECG':
    case 'EOG':
    case 'EGG':
      return `${sensor}BIT`;
    case 'PZT':
      return 'RESPBIT';
    case 'EMG':
    case 'EDA':
    case 'EEG':
    case 'ACC':
      return board === 'revolution' ? `${sensor}BITREV` : `${sensor}BIT`;
  }
}
