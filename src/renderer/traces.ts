/** Which traces a stream offers the plot (pure): one per analog column of its meta. */
import type { MetaMessage } from '../shared/v2.js';

export interface TraceSpec {
  /** Column name in data messages (the analog label). */
  key: string;
  /** Shown in the channel list and legend: "A1 · ECG", "EMG-left (A1) · EMG". */
  label: string;
  unit: string | undefined;
  /** Bits of the raw value (10, or 6 for the 5th and 6th acquired channel). */
  resolution: number;
  /** The physical channel (A1 = 1), which picks the trace's colour: A3 is always the same colour. */
  channel?: number;
}

/** One trace per analog column of the stream, in column order. */
export function tracesFromMeta(meta: MetaMessage): TraceSpec[] {
  return meta.columns
    .filter((c) => c.kind === 'analog')
    .map((c) => {
      const phys = c.channel !== undefined ? `A${c.channel}` : '';
      const name = phys && phys !== c.name ? `${c.name} (${phys})` : c.name;
      const spec: TraceSpec = { key: c.name, label: c.sensor ? `${name} · ${c.sensor}` : name, unit: c.unit, resolution: c.resolution };
      if (c.channel !== undefined) spec.channel = c.channel;
      return spec;
    });
}

/** A1 when acquired, else the first analog column. */
export function defaultTrace(meta: MetaMessage): string | undefined {
  const analog = meta.columns.filter((c) => c.kind === 'analog');
  return (analog.find((c) => c.channel === 1) ?? analog[0])?.name;
}

/** Colour slot of a trace (0..5): its physical channel's, else its place in the list. */
export function colorSlot(spec: Pick<TraceSpec, 'channel'>, position: number, slots = 6): number {
  const n = spec.channel !== undefined && Number.isInteger(spec.channel) && spec.channel >= 1 ? spec.channel - 1 : position;
  return ((n % slots) + slots) % slots;
}
