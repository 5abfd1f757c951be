/**
 * Synthetic hub events for the LSL tests: a BITalino-shaped StreamMeta and batches whose raw values
 * are a known function of (sample index, channel), so a receiver can check every value.
 */
import type { SampleBatch, StreamColumn, StreamMeta } from '../../../src/shared/acquisition.js';
import { SENSOR_UNITS, sensorFor, slotResolution } from '../../../src/shared/sensors.js';

export interface MetaOptions {
  device?: string;
  name?: string;
  address?: string;
  channels?: number[];
  rate?: number;
  board?: 'revolution' | 'legacy';
  /** Overrides the board's sensor per channel (e.g. every channel 'EEG'). */
  sensor?: string;
  segmentStart?: number;
  t0?: number;
}

export function bitalinoMeta(o: MetaOptions = {}): StreamMeta {
  const board = o.board ?? 'revolution';
  const channels = o.channels ?? [1, 2, 3, 4, 5, 6];
  const digital = board === 'revolution' ? ['I1', 'I2', 'O1', 'O2'] : ['I1', 'I2', 'I3', 'I4'];
  const columns: StreamColumn[] = [
    { name: 'nSeq', label: 'nSeq', kind: 'sequence', resolution: 4 },
    ...digital.map((d): StreamColumn => ({ name: d, label: d, kind: 'digital', resolution: 1 })),
    ...channels.map((ch, i): StreamColumn => {
      const sensor = o.sensor ?? sensorFor(board, ch);
      const unit = (SENSOR_UNITS as Record<string, string>)[sensor];
      return { name: `A${ch}`, label: `A${ch}`, kind: 'analog', channel: ch, sensor, resolution: slotResolution(i + 1), ...(unit ? { unit } : {}) };
    }),
  ];
  return {
    device: o.device ?? '0',
    name: o.name ?? 'BITalino test',
    kind: 'bitalino',
    address: o.address ?? '20:16:07:18:15:26',
    connection: '/dev/rfcomm0',
    mac: o.address ?? '20:16:07:18:15:26',
    board,
    firmware: 'BITalino_v5.2',
    version: 5.2,
    simulated: false,
    rate: o.rate ?? 1000,
    irregular: false,
    channels,
    columns,
    t0: o.t0 ?? 1_700_000_000_000,
    segmentStart: o.segmentStart ?? 0,
  };
}

/** Raw value of sample `index` on acquisition slot `slot` (0-based): fits 10 bits for slots 0–3, 6 bits for 4–5. */
export function rawValue(index: number, slot: number): number {
  const bits = slot >= 4 ? 6 : 10;
  return (index * 7 + slot * 131) % 2 ** bits;
}

/** Digital nibble of sample `index`. */
export function digitalValue(index: number): number {
  return index % 16;
}

export function batchOf(meta: StreamMeta, index: number, count: number): SampleBatch {
  const analog = meta.channels.map((_, slot) => Uint16Array.from({ length: count }, (_, i) => rawValue(index + i, slot)));
  return {
    device: meta.device,
    index,
    time: meta.t0 + (index * 1000) / meta.rate,
    rate: meta.rate,
    count,
    seq: Uint8Array.from({ length: count }, (_, i) => (index + i) % 16),
    digital: Uint8Array.from({ length: count }, (_, i) => digitalValue(index + i)),
    analog,
    channels: [...meta.channels],
  };
}
