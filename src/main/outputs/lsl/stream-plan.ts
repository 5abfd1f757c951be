/**
 * From a device's StreamMeta to its LSL stream (docs/lsl.md §10): the stream's identity and desc,
 * and how each batch becomes sample-major values.
 *
 * - name: meta.name (else the address, else the device id); source_id: meta.address, so an inlet
 *   finds the device again after a reconnect or a restart; nominal_srate: meta.rate (0 when the
 *   source is irregular).
 * - channels: the analog columns in stream order, then (option `digital`) the digital columns.
 *   nSeq is not sent: LSL timestamps say what it says.
 * - type: the analog columns' sensor when they all agree (ECG, EMG, EEG, EDA, ACC, LUX, BAT),
 *   else MIXED_STREAM_TYPE.
 * - values: "converted" → float32 in the sensor's unit (src/shared/sensors.ts `convert`, with the
 *   column's resolution and the board); RAW or unknown sensors and float sources pass through.
 *   "raw" → int16 ADC values; a stream with float columns (R-IoT) stays float32.
 * - desc (XDF meta-data conventions): channels/channel/{label, unit, type} (raw: unit "ADC" plus
 *   `resolution` in bits), acquisition/{manufacturer, model, serial_number, firmware_version}.
 */
import type { SampleBatch, StreamColumn, StreamMeta } from '#shared/acquisition.js';
import { SENSOR_UNITS, convert, type SensorName } from '#shared/sensors.js';
import type { XmlNode } from './info-xml.js';
import type { LslStreamSpec } from './outlet.js';
import type { SampleValues } from './sample-encoder.js';

/** `type` of a stream whose analog channels carry different sensors (or none). */
export const MIXED_STREAM_TYPE = 'Biosignals';
/** Channel `type` of a digital line. */
export const DIGITAL_CHANNEL_TYPE = 'Digital';
/** Channel `unit` of a raw ADC value. */
export const RAW_UNIT = 'ADC';

export interface PlanOptions {
  format: 'converted' | 'raw';
  digital: boolean;
}

export interface StreamPlan {
  spec: LslStreamSpec;
  /** Equal keys = the same stream for an inlet (the outlet is kept across segments). */
  key: string;
  /** Sample-major values of a batch, or undefined when its channels are not the meta's. */
  values(batch: SampleBatch): SampleValues | undefined;
}

function isSensor(s: string | undefined): s is SensorName {
  return s !== undefined && Object.hasOwn(SENSOR_UNITS, s);
}

function acquisition(meta: StreamMeta): XmlNode[] {
  const out: XmlNode[] = [];
  let manufacturer: string | undefined;
  let model: string | undefined;
  if (meta.kind === 'riot') {
    manufacturer = 'IRCAM';
    model = 'R-IoT';
  } else if (meta.board) {
    manufacturer = meta.simulated ? 'ServerBIT' : 'PLUX';
    model = `${meta.simulated ? 'simulated ' : ''}${meta.board === 'legacy' ? 'BITalino' : 'BITalino (r)evolution'}`;
  }
  if (manufacturer) out.push({ name: 'manufacturer', text: manufacturer });
  if (model) out.push({ name: 'model', text: model });
  out.push({ name: 'serial_number', text: meta.mac ?? meta.address });
  if (meta.firmware) out.push({ name: 'firmware_version', text: meta.firmware });
  return out;
}

/** A value → value function for one analog column; a table for small raw resolutions. */
function converter(col: StreamColumn, meta: StreamMeta): (v: number) => number {
  const bits = col.resolution;
  if (!isSensor(col.sensor) || bits > 16) return (v) => v;
  const sensor = col.sensor;
  const table = new Float64Array(2 ** bits);
  for (let raw = 0; raw < table.length; raw++) table[raw] = convert(sensor, raw, bits, { board: meta.board ?? 'revolution' });
  return (v) => (v >= 0 && v < table.length && Number.isInteger(v) ? table[v] : convert(sensor, v, bits, { board: meta.board ?? 'revolution' }));
}

export function planStream(meta: StreamMeta, options: PlanOptions): StreamPlan {
  const analog = meta.columns.filter((c) => c.kind === 'analog');
  const digital = options.digital ? meta.columns.filter((c) => c.kind === 'digital') : [];
  const floatSource = analog.some((c) => c.resolution > 16);
  const raw = options.format === 'raw' && !floatSource;
  const sensors = new Set(analog.map((c) => c.sensor));
  const only = sensors.size === 1 ? [...sensors][0] : undefined;
  const type = only !== undefined && isSensor(only) ? only : MIXED_STREAM_TYPE;

  const channelNodes: XmlNode[] = [
    ...analog.map((c): XmlNode => {
      const children: XmlNode[] = [
        { name: 'label', text: c.name },
        { name: 'unit', text: raw ? RAW_UNIT : (c.unit ?? '') },
        { name: 'type', text: c.sensor ?? 'RAW' },
      ];
      if (raw) children.push({ name: 'resolution', text: String(c.resolution) });
      return { name: 'channel', children };
    }),
    ...digital.map((c): XmlNode => ({ name: 'channel', children: [{ name: 'label', text: c.name }, { name: 'unit', text: '' }, { name: 'type', text: DIGITAL_CHANNEL_TYPE }] })),
  ];
  const channelCount = analog.length + digital.length;
  const spec: LslStreamSpec = {
    name: meta.name || meta.address || meta.device,
    type,
    channelCount,
    channelFormat: raw ? 'int16' : 'float32',
    sourceId: meta.address,
    nominalSrate: meta.irregular ? 0 : meta.rate,
    desc: [
      { name: 'channels', children: channelNodes },
      { name: 'acquisition', children: acquisition(meta) },
    ],
  };

  // Where each analog column's values are in a batch: batch.analog[k] belongs to batch.channels[k].
  const wanted = analog.map((c) => c.channel ?? -1);
  const convs = raw ? analog.map(() => (v: number) => v) : analog.map((c) => converter(c, meta));
  const bits = digital.map((_, d) => 3 - d); // digital nibble: bit 3 = first digital column

  const values = (batch: SampleBatch): SampleValues | undefined => {
    const slots = wanted.map((ch) => batch.channels.indexOf(ch));
    if (slots.some((s) => s < 0 || batch.analog[s] === undefined || batch.analog[s].length < batch.count)) return undefined;
    const n = batch.count;
    const out = raw ? new Int16Array(n * channelCount) : new Float32Array(n * channelCount);
    for (let k = 0; k < analog.length; k++) {
      const src = batch.analog[slots[k]];
      const f = convs[k];
      for (let i = 0, o = k; i < n; i++, o += channelCount) out[o] = f(src[i]);
    }
    for (let d = 0; d < bits.length; d++) {
      const bit = bits[d];
      for (let i = 0, o = analog.length + d; i < n; i++, o += channelCount) out[o] = (batch.digital[i] >> bit) & 1;
    }
    return out;
  };

  return { spec, key: JSON.stringify(spec), values };
}
