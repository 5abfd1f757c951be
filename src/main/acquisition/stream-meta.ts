/**
 * Builds a device's StreamMeta: the one description of a stream segment that the /v2 `meta`, a
 * recording's header, an LSL stream's info and MQTT's `meta` topic are made from. Column names
 * are decided here and only here (docs/architecture.md "One way to say each thing").
 *
 * Names: `nSeq` and the digital bits (I1, I2, O1, O2 on the (r)evolution; I1..I4 on the legacy
 * board, whose frames carry four inputs: docs/bitalino-protocol.md), then the label of each
 * acquired channel in ascending channel order. The compatible stream's keys (`label`) follow the
 * config's `labels` for the fixed columns too, as the original ServerBIT did. A name that repeats
 * an earlier one gets a `_2`, `_3`… suffix, so no column hides another when a client parses the
 * JSON object (the original's duplicate "A1" key, docs/original-serverbit.md).
 */
import type { Board, StreamColumn, StreamMeta } from '../../shared/acquisition.js';
import { DEFAULT_LABELS } from '../../shared/config.js';
import { BOARD_SENSORS, parseSensorName, sensorUnit, slotResolution } from '../../shared/sensors.js';
import type { SourceDescription } from '../devices/driver.js';

/** Digital nibble bit 3 … bit 0, per board. */
export const DIGITAL_COLUMNS: Readonly<Record<Board, readonly string[]>> = {
  revolution: ['I1', 'I2', 'O1', 'O2'],
  legacy: ['I1', 'I2', 'I3', 'I4'],
};

/** The sensor name used for a channel with no known transfer function. */
export const RAW_SENSOR = 'RAW';

export interface ColumnInputs {
  board: Board | undefined;
  /** 11 names: the five fixed columns, then A1..A6 (config `labels`). */
  labels: readonly string[];
  /** Acquired channels, 1-based, ascending. */
  channels: readonly number[];
  /** Sensor per physical channel A1..A6 (config `sensors`); absent = the board's kit. */
  sensors?: readonly string[] | undefined;
  /** A source that names its own columns (a recording, an R-IoT). */
  source?: SourceDescription | undefined;
}

function uniquer(): (name: string) => string {
  const used = new Set<string>();
  return (name) => {
    let n = name;
    for (let k = 2; used.has(n); k++) n = `${name}_${k}`;
    used.add(n);
    return n;
  };
}


/** Every column of a stream, in order. */
export function streamColumns(input: ColumnInputs): StreamColumn[] {
  const { board, channels, source } = input;
  const labels = input.labels;
  const uniqueName = uniquer();
  const uniqueLabel = uniquer();
  const columns: StreamColumn[] = [];
  if (!source?.analogOnly) {
    const digital = DIGITAL_COLUMNS[board ?? 'revolution'];
    ['nSeq', ...digital].forEach((fixed, i) => {
      const label = typeof labels[i] === 'string' ? labels[i] : (DEFAULT_LABELS[i] ?? fixed);
      columns.push({ name: uniqueName(fixed), label: uniqueLabel(label), kind: i === 0 ? 'sequence' : 'digital', resolution: i === 0 ? 4 : 1 });
    });
  }
  channels.forEach((channel, k) => {
    const given = source?.labels?.[k] ?? labels[4 + channel];
    const base = typeof given === 'string' && given !== '' ? given : `A${channel}`;
    const name = uniqueName(base);
    const label = uniqueLabel(name);
    // A name the config or a file spells its own way ("ECGBIT", "ecg") becomes the canonical one; an unknown one is RAW.
    const given2 = source?.sensors?.[k] ?? input.sensors?.[channel - 1] ?? (board ? BOARD_SENSORS[board][channel - 1] : undefined);
    const sensor = parseSensorName(given2) ?? RAW_SENSOR;
    const unit = sensor === RAW_SENSOR ? undefined : sensorUnit(sensor);
    columns.push({
      name,
      label,
      kind: 'analog',
      channel,
      sensor,
      resolution: source?.resolutions?.[k] ?? (source?.float ? 32 : slotResolution(k + 1)),
      ...(unit ? { unit } : {}),
    });
  });
  return columns;
}

export type MetaInputs = Omit<StreamMeta, 'columns'> & ColumnInputs;

export function buildStreamMeta(input: MetaInputs): StreamMeta {
  const { labels: _l, sensors: _s, source: _src, board, ...meta } = input;
  return { ...meta, ...(board ? { board } : {}), channels: [...input.channels], columns: streamColumns(input) };
}
