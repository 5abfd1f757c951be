/**
 * Turns one device's sample batches into OSC bundles, ready to send as datagrams
 * (docs/osc.md "What is sent"). Pure: no sockets, no clocks. The OSC bytes are node-osc's
 * (`Message`, `Bundle`, `encode`); this module only decides what goes in them.
 *
 * - Every sample (or, with `maxRate`, the samples a sample-index rule keeps) appears exactly once,
 *   in order.
 * - Every value is an OSC float ('f'), as the original sent them: nSeq and the digital bits are
 *   small integers, raw ADC values fit a float exactly, converted values are in the sensor's unit.
 * - A bundle's time tag is the device time of its first sample (or "immediately"); sample k of
 *   the bundle is at tag + k / rate on a regular stream.
 * - A batch becomes as many bundles as needed so that no datagram exceeds `maxDatagramBytes`
 *   (sizes are computed exactly, from the OSC 1.0 layout; docs/osc.md "Datagram size"). A single
 *   sample larger than the bound goes alone in its bundle and is counted as oversize.
 */
import { Bundle, Message, encode } from 'node-osc';
import type { SampleBatch, StreamColumn, StreamMeta } from '#shared/acquisition.js';
import { SENSOR_UNITS, convert, type SensorName } from '#shared/sensors.js';
import type { OscAddressMode } from '#shared/outputs/osc-config.js';
import { columnAddress, deviceAddress } from './addresses.js';

export interface EncoderOptions {
  addresses: OscAddressMode;
  values: 'raw' | 'converted';
  /** Hz; 0 = every sample. */
  maxRate: number;
  maxDatagramBytes: number;
  timeTag: 'device' | 'immediate';
}

export interface EncodedBatch {
  datagrams: Buffer[];
  /** Samples carried (after decimation). */
  samples: number;
  /** Bundles holding one sample that alone exceeds maxDatagramBytes. */
  oversize: number;
}

/** "#bundle\0" and the 8-byte time tag. */
export const BUNDLE_HEADER_BYTES = 16;
/** Each bundle element is preceded by its size (int32). */
const ELEMENT_PREFIX_BYTES = 4;

/** Bytes of an OSC string (with its terminating NUL) padded to a multiple of 4. */
function oscStringBytes(s: string): number {
  return (Buffer.byteLength(s) + 1 + 3) & ~3;
}

/** Bytes of an OSC message with `floats` float arguments at `address`. */
export function messageBytes(address: string, floats: number): number {
  return oscStringBytes(address) + oscStringBytes(',' + 'f'.repeat(floats)) + 4 * floats;
}

/** What one device's stream looks like on the wire; derived once per meta. */
export interface DeviceLayout {
  device: string;
  columns: readonly StreamColumn[];
  board: StreamMeta['board'];
  /** Consolidated: the one address; per-label: one per column. */
  addresses: readonly string[];
  /** Bytes one sample adds to a bundle (messages and their size prefixes). */
  sampleBytes: number;
}

export function layoutFor(meta: StreamMeta, mode: OscAddressMode): DeviceLayout {
  const columns = meta.columns;
  if (mode === 'consolidated') {
    const address = deviceAddress(meta.device);
    return { device: meta.device, columns, board: meta.board, addresses: [address], sampleBytes: ELEMENT_PREFIX_BYTES + messageBytes(address, columns.length) };
  }
  const addresses = columns.map((c) => columnAddress(meta.device, c.name));
  const sampleBytes = addresses.reduce((sum, a) => sum + ELEMENT_PREFIX_BYTES + messageBytes(a, 1), 0);
  return { device: meta.device, columns, board: meta.board, addresses, sampleBytes };
}

/** Samples per bundle for a layout: as many as fit, at least one. */
export function samplesPerBundle(layout: DeviceLayout, maxDatagramBytes: number): number {
  return Math.max(1, Math.floor((maxDatagramBytes - BUNDLE_HEADER_BYTES) / layout.sampleBytes));
}

/**
 * Whether sample `index` survives decimation from `rate` to `maxRate`: the first sample of each
 * 1/maxRate interval of the sample index. Stateless, so it holds across batches, gaps and
 * reconnects; at 1000 → 100 Hz it keeps indices 0, 10, 20…
 */
export function keepSample(index: number, rate: number, maxRate: number): boolean {
  if (maxRate <= 0 || maxRate >= rate || index === 0) return true;
  return Math.floor((index * maxRate) / rate) !== Math.floor(((index - 1) * maxRate) / rate);
}

type Reader = (batch: SampleBatch, i: number) => number;

const isSensor = (s: string | undefined): s is SensorName => s !== undefined && Object.hasOwn(SENSOR_UNITS, s);

/** One reader per column, for this batch's channel order. A column the batch lacks reads NaN. */
function readers(layout: DeviceLayout, batch: SampleBatch, values: EncoderOptions['values']): Reader[] {
  let digitalSeen = 0;
  return layout.columns.map((c): Reader => {
    if (c.kind === 'sequence') return (b, i) => b.seq[i];
    if (c.kind === 'digital') {
      // Digital columns come in nibble order: the first is bit 3 (I1), the last bit 0 (O2).
      const bit = 3 - digitalSeen++;
      return (b, i) => (b.digital[i] >> bit) & 1;
    }
    const slot = c.channel === undefined ? -1 : batch.channels.indexOf(c.channel);
    if (slot < 0 || slot >= batch.analog.length) return () => NaN;
    if (values === 'converted' && isSensor(c.sensor) && c.resolution <= 16) {
      const sensor = c.sensor;
      const bits = c.resolution;
      const opts = { board: layout.board ?? 'revolution' };
      return (b, i) => convert(sensor, b.analog[slot][i], bits, opts);
    }
    return (b, i) => b.analog[slot][i];
  });
}

/** Device time of sample i, ms since the epoch. */
function sampleTime(batch: SampleBatch, i: number): number {
  return batch.timestamps ? batch.timestamps[i] : batch.time + (i * 1000) / batch.rate;
}

/** OSC time tags count seconds from 1900 in 32 bits, so they end in February 2036 (docs/osc.md). */
const LAST_TIME_TAG_S = 2 ** 32 - 2_208_988_800 - 1;

/** Seconds since 1970 for node-osc, or 0 ("immediately") for a time a time tag cannot carry. */
function timeTagSeconds(ms: number): number {
  const s = ms / 1000;
  return Number.isFinite(s) && s > 0 && s < LAST_TIME_TAG_S ? s : 0;
}

/** Encodes one batch of `layout`'s device. Throws only on a programming error (never for any sample value). */
export function encodeBatch(layout: DeviceLayout, batch: SampleBatch, options: EncoderOptions): EncodedBatch {
  const kept: number[] = [];
  for (let i = 0; i < batch.count; i++) if (keepSample(batch.index + i, batch.rate, options.maxRate)) kept.push(i);
  const out: EncodedBatch = { datagrams: [], samples: kept.length, oversize: 0 };
  if (kept.length === 0) return out;
  const read = readers(layout, batch, options.values);
  const perBundle = samplesPerBundle(layout, options.maxDatagramBytes);
  if (BUNDLE_HEADER_BYTES + layout.sampleBytes > options.maxDatagramBytes) out.oversize = kept.length;
  const consolidated = layout.addresses.length === 1 && options.addresses === 'consolidated';
  for (let start = 0; start < kept.length; start += perBundle) {
    const end = Math.min(kept.length, start + perBundle);
    // node-osc writes 0 as OSC's "immediately" (0x00000000_00000001), a number as seconds since 1970.
    const tag = options.timeTag === 'immediate' ? 0 : timeTagSeconds(sampleTime(batch, kept[start]));
    const elements: Message[] = [];
    for (let k = start; k < end; k++) {
      const i = kept[k];
      if (consolidated) {
        elements.push(new Message(layout.addresses[0], ...read.map((r) => ({ type: 'f', value: r(batch, i) }))));
      } else {
        for (let c = 0; c < read.length; c++) elements.push(new Message(layout.addresses[c], { type: 'f', value: read[c](batch, i) }));
      }
    }
    out.datagrams.push(encode(new Bundle(tag, ...elements)));
  }
  return out;
}
