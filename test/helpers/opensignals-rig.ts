/**
 * Test rig for recording: StreamMeta for a BITalino-shaped device, deterministic synthetic
 * batches, and small waiting helpers. The expected values here are written from the BITalino
 * facts (slots 5-6 are 6-bit, digital nibble I1 I2 O1 O2), not from the recorder's code.
 */
import type { SampleBatch, StreamColumn, StreamMeta } from '../../src/shared/acquisition.js';

const REV_SENSORS = ['EMG', 'ECG', 'EDA', 'EEG', 'ACC', 'LUX'];
const UNITS: Record<string, string> = { EMG: 'mV', ECG: 'mV', EDA: 'µS', EEG: 'µV', ACC: 'g', LUX: '%' };

export interface MetaOptions {
  device?: string;
  name?: string;
  mac?: string;
  rate?: number;
  channels?: number[];
  t0?: number;
  segmentStart?: number;
  sensors?: string[];
  labels?: string[];
  connection?: string;
  board?: 'revolution' | 'legacy';
  firmware?: string;
  version?: number;
}

export function bitalinoMeta(o: MetaOptions = {}): StreamMeta {
  const channels = o.channels ?? [1, 2, 3, 4, 5, 6];
  const board = o.board ?? 'revolution';
  const digital = board === 'revolution' ? ['I1', 'I2', 'O1', 'O2'] : ['I1', 'I2', 'I3', 'I4'];
  const columns: StreamColumn[] = [
    { name: 'nSeq', label: 'nSeq', kind: 'sequence', resolution: 4 },
    ...digital.map((d): StreamColumn => ({ name: d, label: d, kind: 'digital', resolution: 1 })),
    ...channels.map((ch, k): StreamColumn => {
      const sensor = o.sensors?.[k] ?? REV_SENSORS[ch - 1];
      const name = o.labels?.[k] ?? `A${ch}`;
      return { name, label: name, kind: 'analog', channel: ch, sensor, resolution: k >= 4 ? 6 : 10, ...(UNITS[sensor] ? { unit: UNITS[sensor] } : {}) };
    }),
  ];
  return {
    device: o.device ?? '0',
    name: o.name ?? o.mac ?? 'simulator',
    kind: 'bitalino',
    address: o.mac ?? '/dev/ttyX',
    connection: o.connection ?? '/dev/ttyX',
    ...(o.mac ? { mac: o.mac } : {}),
    board,
    firmware: o.firmware ?? 'BITalino_v5.2',
    version: o.version ?? 5.2,
    simulated: false,
    rate: o.rate ?? 1000,
    irregular: false,
    channels,
    columns,
    t0: o.t0 ?? Date.UTC(2026, 0, 2, 3, 4, 5, 60),
    segmentStart: o.segmentStart ?? 0,
  };
}

/** Deterministic synthetic values: channel slot k (0-based) at session index i. */
export function synthValue(slot: number, i: number): number {
  const bits = slot >= 4 ? 6 : 10;
  return (i * (7 + slot) + slot * 101) % (1 << bits);
}
export function synthDigital(i: number): number {
  return ((i >> 2) & 0b1100) | (i & 0b0011);
}

/** A batch of `count` synthetic samples from `index`, with arrays longer than `count` (as the driver's may be). */
export function synthBatch(meta: StreamMeta, index: number, count: number): SampleBatch {
  const cap = count + 3;
  const seq = new Uint8Array(cap);
  const digital = new Uint8Array(cap);
  const analog = meta.channels.map(() => new Uint16Array(cap));
  for (let j = 0; j < count; j++) {
    const i = index + j;
    seq[j] = i & 15;
    digital[j] = synthDigital(i) & 15;
    analog.forEach((a, k) => (a[j] = synthValue(k, i)));
  }
  return { device: meta.device, index, time: meta.t0 + (index * 1000) / meta.rate, rate: meta.rate, count, seq, digital, analog, channels: meta.channels };
}

export async function until(cond: () => boolean | Promise<boolean>, ms = 10_000, what = 'a condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One expected row of a device: nSeq, I1, I2, O1, O2, analog… (what the device sent for index i). */
export function expectedRow(i: number, nAnalog: number, value = synthValue, digital = synthDigital): number[] {
  const d = digital(i) & 15;
  return [i & 15, (d >> 3) & 1, (d >> 2) & 1, (d >> 1) & 1, d & 1, ...Array.from({ length: nAnalog }, (_, k) => value(k, i))];
}
