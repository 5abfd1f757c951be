/**
 * A known 6-channel BITalino (r)evolution signal, so a receiver can check every sample: each value
 * is a function of the sample index alone. Slots 1–4 are 10-bit, 5–6 are 6-bit (as the device
 * sends them); nSeq is index mod 16 and the digital nibble walks through every pattern.
 */
import type { SampleBatch, StreamColumn, StreamMeta } from '../../../src/shared/acquisition.js';

export const CHANNELS = [1, 2, 3, 4, 5, 6];
export const SENSORS = ['EMG', 'ECG', 'EDA', 'EEG', 'ACC', 'LUX'];
export const BITS = [10, 10, 10, 10, 6, 6];

export function analogValue(index: number, channel: number): number {
  return (index * channel + 37 * channel) % 2 ** BITS[channel - 1];
}
export const seqValue = (index: number): number => index & 15;
export const digitalValue = (index: number): number => (index >> 4) & 15;

/** The 11 values of sample `index` in stream order: nSeq, I1, I2, O1, O2, A1..A6 (raw). */
export function sampleValues(index: number): number[] {
  const d = digitalValue(index);
  return [seqValue(index), (d >> 3) & 1, (d >> 2) & 1, (d >> 1) & 1, d & 1, ...CHANNELS.map((c) => analogValue(index, c))];
}

export function feedMeta(device: string, rate: number, t0: number, labels?: string[]): StreamMeta {
  const names = labels ?? ['A1', 'A2', 'A3', 'A4', 'A5', 'A6'];
  const columns: StreamColumn[] = [
    { name: 'nSeq', label: 'nSeq', kind: 'sequence', resolution: 4 },
    ...['I1', 'I2', 'O1', 'O2'].map((n): StreamColumn => ({ name: n, label: n, kind: 'digital', resolution: 1 })),
    ...CHANNELS.map((c, k): StreamColumn => ({ name: names[k], label: names[k], kind: 'analog', channel: c, sensor: SENSORS[k], resolution: BITS[k] })),
  ];
  return {
    device,
    name: `test ${device}`,
    kind: 'bitalino',
    address: 'test',
    connection: 'test',
    board: 'revolution',
    firmware: 'BITalino_v5.2',
    version: 5.2,
    simulated: true,
    rate,
    irregular: false,
    channels: CHANNELS,
    columns,
    t0,
    segmentStart: 0,
  };
}

export function signalBatch(device: string, index: number, count: number, rate: number, t0: number): SampleBatch {
  const seq = new Uint8Array(count);
  const digital = new Uint8Array(count);
  const analog = CHANNELS.map(() => new Uint16Array(count));
  for (let k = 0; k < count; k++) {
    seq[k] = seqValue(index + k);
    digital[k] = digitalValue(index + k);
    CHANNELS.forEach((c, s) => (analog[s][k] = analogValue(index + k, c)));
  }
  return { device, index, time: t0 + (index * 1000) / rate, rate, count, seq, digital, analog, channels: CHANNELS };
}
