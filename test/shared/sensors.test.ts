/**
 * Sensors and transfer functions (docs/sensors.md). Every expected value is worked by hand from
 * the datasheet formula, with the arithmetic beside it; VCC = 3.3 V and n = bits throughout.
 */
import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Board } from '../../src/shared/acquisition.js';
import {
  ACC_DEFAULT_CALIBRATION,
  BOARD_SENSORS,
  ECG_GAIN,
  EDA_REV_DIVISOR,
  EEG_GAIN,
  EGG_GAIN,
  EMG_GAIN,
  EOG_GAIN,
  SENSOR_NAMES,
  SENSOR_UNITS,
  SENSORS,
  channelSensors,
  convert,
  convertedSpan,
  openSignalsSensorCode,
  parseSensorName,
  sensorFor,
  sensorUnit,
  slotResolution,
  validAccCalibration,
  type SensorName,
} from '../../src/shared/sensors.js';

const BOARDS: Board[] = ['revolution', 'legacy'];

describe('pin maps, units and resolution', () => {
  it('maps physical channels to the standard kit per board', () => {
    expect(BOARD_SENSORS.revolution).toEqual(['EMG', 'ECG', 'EDA', 'EEG', 'ACC', 'LUX']);
    expect(BOARD_SENSORS.legacy).toEqual(['EMG', 'EDA', 'ECG', 'ACC', 'LUX', 'BAT']);
    expect(sensorFor('legacy', 6)).toBe('BAT');
    expect(sensorFor('revolution', 2)).toBe('ECG');
    expect(() => sensorFor('revolution', 7)).toThrow(RangeError);
    expect(() => sensorFor('revolution', 0)).toThrow(RangeError);
    expect(() => sensorFor('revolution', 1.5)).toThrow(RangeError);
  });

  it("follows the user's wiring: configured names, RAW, unknown names as RAW, missing entries from the kit", () => {
    expect(channelSensors('revolution')).toEqual(['EMG', 'ECG', 'EDA', 'EEG', 'ACC', 'LUX']);
    expect(channelSensors('revolution', ['ECG', 'ecg', 'RAW', 'EOGBIT', 'PZT', 'EGG'])).toEqual(['ECG', 'ECG', 'RAW', 'EOG', 'PZT', 'EGG']);
    expect(channelSensors('legacy', ['EEG', 'RAW'])).toEqual(['EEG', 'RAW', 'ECG', 'ACC', 'LUX', 'BAT']);
    expect(channelSensors('revolution', ['CUSTOM/0.5/1.0/V', 'XYZ'])).toEqual(['RAW', 'RAW', 'EDA', 'EEG', 'ACC', 'LUX']);
    expect(sensorFor('legacy', 6, ['EMG'])).toBe('BAT');
    expect(sensorFor('legacy', 6, undefined)).toBe('BAT');
  });

  it('gives every sensor its unit; RAW has none', () => {
    expect(SENSOR_UNITS).toEqual({ EMG: 'mV', ECG: 'mV', EDA: 'µS', EEG: 'µV', EOG: 'mV', EGG: 'mV', ACC: 'g', LUX: '%', PZT: '%', BAT: 'V' });
    expect(sensorUnit('RAW')).toBeUndefined();
    expect(sensorUnit('EEG')).toBe('µV');
    expect(SENSOR_NAMES).toEqual(['RAW', 'EMG', 'ECG', 'EDA', 'EEG', 'EOG', 'EGG', 'ACC', 'LUX', 'PZT', 'BAT']);
    for (const s of SENSOR_NAMES) expect(SENSORS[s].source.length, s).toBeGreaterThan(10);
  });

  it('gives acquisition slots 1–4 10 bits and slots 5–6 6 bits', () => {
    expect([1, 2, 3, 4, 5, 6].map(slotResolution)).toEqual([10, 10, 10, 10, 6, 6]);
  });
});

describe('transfer functions, worked from the datasheets', () => {
  it('ECG: mV = (ADC/2ⁿ − ½)·VCC/1100·1000', () => {
    expect(convert('ECG', 512, 10)).toBe(0); // ½ − ½ = 0
    expect(convert('ECG', 0, 10)).toBeCloseTo(-1.5, 10); // −½·3.3 = −1.65 V; /1100·1000 = −1.5
    expect(convert('ECG', 1023, 10)).toBeCloseTo(1.4970703125, 10); // 1023/1024 − ½ = 0.4990234375; ·3.3 = 1.64677734375; /1.1 = 1.4970703125
    expect(convert('ECG', 48, 6)).toBeCloseTo(0.75, 10); // 48/64 = 0.75; 0.25·3.3 = 0.825; /1.1 = 0.75
  });

  it('EMG: mV = (ADC/2ⁿ − ½)·VCC/1009·1000', () => {
    expect(convert('EMG', 0, 10)).toBeCloseTo(-1.635282458, 8); // −1650/1009
    expect(convert('EMG', 768, 10)).toBeCloseTo(0.817641229, 8); // 768/1024 = 0.75; 0.25·3.3 = 0.825 V; 825/1009
    expect(convert('EMG', 32, 6)).toBe(0); // 32/64 = ½
  });

  it('EEG: µV = (ADC/2ⁿ − ½)·VCC/41782·10⁶', () => {
    expect(convert('EEG', 0, 10)).toBeCloseTo(-39.49068977, 6); // −1.65 V / 41782 = −1 650 000/41782 µV
    expect(convert('EEG', 1023, 10)).toBeCloseTo(39.4135595, 6); // 1.64677734375 V /41782 = 1 646 777.34375/41782 µV
    expect(convert('EEG', 16, 6)).toBeCloseTo(-19.745345, 5); // 16/64 − ½ = −0.25; −0.825 V → −825 000/41782
  });

  it('EOG: mV = (ADC/2ⁿ − ½)·VCC/2040·1000', () => {
    expect(convert('EOG', 0, 10)).toBeCloseTo(-0.808823529, 8); // −1650/2040
    expect(convert('EOG', 1023, 10)).toBeCloseTo(0.8072437959, 9); // 1646.77734375/2040
  });

  it('EGG: mV = (ADC/2ⁿ − ½)·VCC/6110·1000', () => {
    expect(convert('EGG', 0, 10)).toBeCloseTo(-0.2700491, 7); // −1650/6110
    expect(convert('EGG', 256, 10)).toBeCloseTo(-0.13502455, 8); // 256/1024 − ½ = −0.25; −825/6110
  });

  it('EDA on the (r)evolution: µS = ADC/2ⁿ·VCC/0.132 (0–25 µS)', () => {
    expect(convert('EDA', 0, 10)).toBe(0);
    expect(convert('EDA', 512, 10)).toBeCloseTo(12.5, 10); // ½·3.3/0.132 = ½·25
    expect(convert('EDA', 1023, 10)).toBeCloseTo(24.9755859375, 10); // 1023/1024·25
    expect(convert('EDA', 63, 6)).toBeCloseTo(24.609375, 10); // 63/64·25
  });

  it('EDA on the legacy board: µS = 1/(1 − ADC/2ⁿ), capped at the last step', () => {
    const legacy = { board: 'legacy' } as const;
    expect(convert('EDA', 0, 10, legacy)).toBe(1); // 1/(1 − 0)
    expect(convert('EDA', 512, 10, legacy)).toBe(2); // 1/(1 − ½)
    expect(convert('EDA', 768, 10, legacy)).toBe(4); // 1/(1 − ¾)
    expect(convert('EDA', 1023, 10, legacy)).toBe(1024); // 1/(1/1024)
    expect(convert('EDA', 63, 6, legacy)).toBe(64); // 1/(1/64)
    expect(convert('EDA', 1024, 10, legacy)).toBe(1024); // out of range: capped, not Infinity
    expect(convert('EDA', 5000, 10, legacy)).toBe(1024);
  });

  it('ACC: g = 2·(ADC₁₀ − Cmin)/(Cmax − Cmin) − 1, defaults per board, 6-bit values scaled to 10 bits', () => {
    expect(convert('ACC', 400, 10)).toBe(-1); // (r)evolution default Cmin = 400
    expect(convert('ACC', 608, 10)).toBe(1); // Cmax = 608
    expect(convert('ACC', 504, 10)).toBe(0); // midway: 2·104/208 − 1
    expect(convert('ACC', 512, 10)).toBeCloseTo(0.076923077, 8); // 2·112/208 − 1 = 16/208
    expect(convert('ACC', 0, 10)).toBeCloseTo(-4.846153846, 8); // 2·(−400)/208 − 1
    expect(convert('ACC', 25, 6)).toBe(-1); // 25·16 = 400
    expect(convert('ACC', 38, 6)).toBe(1); // 38·16 = 608
    const legacy = { board: 'legacy' } as const;
    expect(convert('ACC', 208, 10, legacy)).toBe(-1);
    expect(convert('ACC', 312, 10, legacy)).toBe(1);
    expect(convert('ACC', 260, 10, legacy)).toBe(0); // 2·52/104 − 1
    expect(convert('ACC', 13, 6, legacy)).toBe(-1); // 13·16 = 208
    expect(convert('ACC', 300, 10, { acc: { min: 200, max: 400 } })).toBe(0); // the user's calibration
    // A calibration that would divide by zero falls back to the board's default.
    expect(convert('ACC', 504, 10, { acc: { min: 5, max: 5 } })).toBe(0);
    expect(convert('ACC', 260, 10, { board: 'legacy', acc: { min: 9, max: Number.NaN } })).toBe(0);
    expect(convert('ACC', 504, 10, { acc: { min: 0, max: 0.5 } })).toBe(0); // less than one count apart
    expect(convert('ACC', 504, 10, { acc: { min: -1e308, max: 1e308 } })).toBe(0); // outside the 10-bit scale
    expect(validAccCalibration({ min: 0, max: 1024 })).toBe(true);
    expect(validAccCalibration({ min: 400, max: 401 })).toBe(true);
    expect(validAccCalibration({ min: 400, max: 400.5 })).toBe(false);
    expect(validAccCalibration({ min: -1, max: 500 })).toBe(false);
    expect(validAccCalibration(undefined)).toBe(false);
  });

  it('LUX: % = 100·ADC/2ⁿ', () => {
    expect(convert('LUX', 0, 10)).toBe(0);
    expect(convert('LUX', 512, 10)).toBe(50);
    expect(convert('LUX', 32, 6)).toBe(50);
    expect(convert('LUX', 1023, 10)).toBeCloseTo(99.90234375, 10); // 102300/1024
  });

  it('PZT: % = (ADC/2ⁿ − ½)·100', () => {
    expect(convert('PZT', 0, 10)).toBe(-50);
    expect(convert('PZT', 512, 10)).toBe(0);
    expect(convert('PZT', 1023, 10)).toBeCloseTo(49.90234375, 10); // (0.9990234375 − ½)·100
    expect(convert('PZT', 48, 6)).toBe(25); // (0.75 − ½)·100
  });

  it('BAT (legacy A6): V = 2·VCC·ADC/2ⁿ, matching the firmware thresholds', () => {
    expect(convert('BAT', 574, 10, { board: 'legacy' })).toBeCloseTo(3.699609375, 9); // 574·6.6/1024
    expect(convert('BAT', 527, 10)).toBeCloseTo(3.396679688, 8); // 527·6.6/1024 ≈ 3.4 V threshold
    expect(convert('BAT', 590, 10)).toBeCloseTo(3.802734375, 9); // 590·6.6/1024 ≈ 3.8 V threshold
  });

  it('RAW passes the value through unchanged, whatever the resolution', () => {
    expect(convert('RAW', 0, 10)).toBe(0);
    expect(convert('RAW', 1023, 10)).toBe(1023);
    expect(convert('RAW', 63, 6)).toBe(63);
    expect(convertedSpan('RAW', 6)).toEqual([0, 63]);
  });

  it("reaches each datasheet's range at the ends of the ADC scale (0 and 2ⁿ)", () => {
    // [sensor, datasheet low, datasheet high, tolerance]: the sheets round to two decimals.
    const sheets: [SensorName, number, number, number][] = [
      ['ECG', -1.5, 1.5, 1e-9],
      ['EMG', -1.64, 1.64, 0.005],
      ['EEG', -39.49, 39.49, 0.005],
      ['EOG', -0.81, 0.81, 0.005],
      ['EGG', -0.27, 0.27, 0.005],
      ['EDA', 0, 25, 1e-9],
      ['LUX', 0, 100, 1e-9],
      ['PZT', -50, 50, 1e-9],
      ['BAT', 0, 6.6, 1e-9],
    ];
    for (const [s, lo, hi, tol] of sheets) {
      for (const bits of [10, 6]) {
        expect(Math.abs(convert(s, 0, bits) - lo), `${s} ${bits}-bit low`).toBeLessThanOrEqual(tol);
        expect(Math.abs(convert(s, 2 ** bits, bits) - hi), `${s} ${bits}-bit high`).toBeLessThanOrEqual(tol);
      }
      expect(SENSORS[s].range).toEqual([lo, hi]);
    }
  });

  it('gives a 6-bit value the same physical value as the 10-bit value 16 times larger', () => {
    // The firmware sends ADC >> 4 in slots 5–6: raw6 = 20 stands for raw10 = 320 (20·16).
    for (const s of SENSOR_NAMES.filter((n) => n !== 'RAW')) {
      for (const board of BOARDS) expect(convert(s, 20, 6, { board }), `${s} ${board}`).toBeCloseTo(convert(s, 320, 10, { board }), 10);
    }
    // …and the span a plot needs: ECG 6-bit from −1.5 mV to (63/64 − ½)·3.3/1.1 = 1.453125 mV.
    const [lo, hi] = convertedSpan('ECG', 6);
    expect(lo).toBeCloseTo(-1.5, 10);
    expect(hi).toBeCloseTo(1.453125, 10);
  });

  it('is finite and never decreasing for every raw value of either resolution (fast-check)', () => {
    const sensor = fc.constantFrom(...SENSOR_NAMES);
    const board = fc.constantFrom(...BOARDS);
    // Calibrations: arbitrary doubles (mostly rejected, so the default applies) and plausible 10-bit readings.
    const anyCal = fc.record({ min: fc.double(), max: fc.double() });
    const plausibleCal = fc.record({ min: fc.integer({ min: 0, max: 1024 }), max: fc.integer({ min: 0, max: 1024 }) });
    const acc = fc.option(fc.oneof(anyCal, plausibleCal), { nil: undefined });
    const bitsAndRaw = fc.constantFrom(6, 10).chain((bits) => fc.tuple(fc.constant(bits), fc.integer({ min: 0, max: 2 ** bits - 2 })));
    fc.assert(
      fc.property(sensor, board, acc, bitsAndRaw, (s, b, a, [bits, raw]) => {
        const opts = { board: b, acc: a };
        const v = convert(s, raw, bits, opts);
        const next = convert(s, raw + 1, bits, opts);
        return Number.isFinite(v) && Number.isFinite(next) && next >= v;
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws and stays finite for out-of-range but finite raw values', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SENSOR_NAMES), fc.constantFrom(...BOARDS), fc.integer({ min: -1e6, max: 1e6 }), (s, board, raw) => Number.isFinite(convert(s, raw, 10, { board }))),
    );
  });
});

describe('OpenSignals header codes', () => {
  it('writes the codes OpenSignals uses, per board', () => {
    const rev = SENSOR_NAMES.map((s) => openSignalsSensorCode(s, 'revolution'));
    expect(rev).toEqual(['RAW', 'EMGBITREV', 'ECGBIT', 'EDABITREV', 'EEGBITREV', 'EOGBIT', 'EGGBIT', 'ACCBITREV', 'LUX', 'RESPBIT', 'BAT']);
    const legacy = SENSOR_NAMES.map((s) => openSignalsSensorCode(s, 'legacy'));
    expect(legacy).toEqual(['RAW', 'EMGBIT', 'ECGBIT', 'EDABIT', 'EEGBIT', 'EOGBIT', 'EGGBIT', 'ACCBIT', 'LUX', 'RESPBIT', 'BAT']);
  });

  it('reads every code it writes back to the same sensor (round trip)', () => {
    for (const board of BOARDS) for (const s of SENSOR_NAMES) expect(parseSensorName(openSignalsSensorCode(s, board)), `${s} ${board}`).toBe(s);
  });

  it('reads codes seen in OpenSignals files and streams, and case variants', () => {
    const seen: [string, SensorName][] = [
      ['EMGBITREV', 'EMG'],
      ['EDABITREV', 'EDA'],
      ['EEGBITREV', 'EEG'],
      ['ECGBIT', 'ECG'],
      ['RESPBIT', 'PZT'],
      ['LUX', 'LUX'],
      ['RAW', 'RAW'],
      ['ACCBITREV', 'ACC'],
      ['EMGBIT', 'EMG'],
      ['ecg', 'ECG'],
      [' Eda ', 'EDA'],
      ['emgBitRev', 'EMG'],
      ['Pzt', 'PZT'],
      ['resp', 'PZT'],
      ['raw', 'RAW'],
      ['bat', 'BAT'],
    ];
    for (const [text, s] of seen) expect(parseSensorName(text), text).toBe(s);
    // Formatting a parsed (r)evolution code gives the same code back.
    for (const code of ['EMGBITREV', 'EDABITREV', 'EEGBITREV', 'ECGBIT', 'RESPBIT', 'LUX', 'RAW', 'ACCBITREV']) {
      expect(openSignalsSensorCode(parseSensorName(code)!, 'revolution')).toBe(code);
    }
  });

  it('rejects what is not one of our sensors, without throwing', () => {
    const rejected: unknown[] = [
      '', ' ', 'BIT', 'BITREV', 'CUSTOM/0.5/1.0/V', 'XYZ', 'ECG1', 'EEGBITREV0', 'ECGREV', 'ECG BIT', 'BITECG',
      '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'A'.repeat(33), `${' '.repeat(30)}ECG`,
      42, null, undefined, {}, ['ECG'], { toString: () => 'ECG' },
    ];
    for (const text of rejected) expect(parseSensorName(text), String(text)).toBeUndefined();
    fc.assert(
      fc.property(fc.string({ maxLength: 64 }), (text) => {
        const s = parseSensorName(text);
        return s === undefined || SENSOR_NAMES.includes(s);
      }),
    );
  });
});

describe('docs/sensors.md', () => {
  const doc = fs.readFileSync(new URL('../../docs/sensors.md', import.meta.url), 'utf8');

  it('gives every sensor a row and the constants the code uses', () => {
    for (const s of SENSOR_NAMES) expect(doc, s).toContain(`| \`${s}\` |`);
    for (const g of [EMG_GAIN, ECG_GAIN, EEG_GAIN, EOG_GAIN, EGG_GAIN]) expect(doc).toContain(`VCC / ${g} ·`);
    expect(doc).toContain(`VCC / ${EDA_REV_DIVISOR}`);
    const { revolution: r, legacy: l } = ACC_DEFAULT_CALIBRATION;
    expect(doc).toContain(`**${r.min} / ${r.max}** on the (r)evolution`);
    expect(doc).toContain(`**${l.min} / ${l.max}** on the legacy board`);
  });

  it('lists the header codes the code writes', () => {
    for (const s of SENSOR_NAMES) {
      const row = `| ${s} | \`${openSignalsSensorCode(s, 'revolution')}\` | \`${openSignalsSensorCode(s, 'legacy')}\` |`;
      expect(doc, s).toContain(row);
    }
  });
});
