/**
 * The Settings tab's model, pure: what the form holds for the selected device (and the two
 * settings of the service itself, port and network) ↔ a set_config edit, and validation issues
 * → the field each belongs to.
 *
 * Which shape a save takes (issue 11: the file keeps its shape until a second device is added):
 * the whole `devices` list when the file has one, when there are several devices, or when the
 * device gets a name (only a `devices` entry has one); otherwise the classic top-level keys
 * (`device`, `channels`, …), as the original ServerBIT wrote them. Settings the form does not
 * show (batch_ms, allowed_origins, token, …) are never sent: the service keeps the file's values.
 */
import { SAMPLING_RATES, resolveDevices, type DeviceEntry, type SamplingRate, type ServerBitConfig } from '../shared/config.js';
import { validateConfig } from '../shared/config-schema.js';
import { isPlainObject, type ValidationIssue } from '../shared/schema.js';
import { BOARD_SENSORS, parseSensorName } from '../shared/sensors.js';
import type { Board } from '../shared/acquisition.js';
import type { InvalidSetting } from '../shared/v2.js';
import { addressProblem } from './address.js';

export const CHANNEL_COUNT = 6;
export const LABEL_COUNT = 11;
export const LOOPBACK_HOST = '127.0.0.1';
export const ANY_HOST = '0.0.0.0';

/** What the inputs hold, as the user typed it. */
export interface ConfigFormValues {
  /** The device's name ("" = none: the window shows its address). */
  name: string;
  /** The device's address. */
  device: string;
  /** Checkbox per channel A1..A6. */
  channels: boolean[];
  /** The <select> value: "1", "10", "100", "1000" (or the file's invalid value, until changed). */
  samplingRate: string;
  /** 11 text fields: nSeq, I1, I2, O1, O2, A1..A6. */
  labels: string[];
  /** Sensor per channel A1..A6 (SENSOR_NAMES). */
  sensors: string[];
  /** The text of the port field (the service's: every device shares it). */
  port: string;
  /** "Allow other computers on the network" (the service's). */
  network: boolean;
}

/** Where an issue is shown: a field, one label or sensor, or the form as a whole. */
export type FieldId = 'name' | 'device' | 'channels' | 'sampling_rate' | 'labels' | 'sensors' | 'port' | 'host' | `labels.${number}` | `sensors.${number}` | 'form';

/** The device being edited: its id, and the board it reported (for the kit's sensors). */
export interface EditTarget {
  id: string;
  board?: Board | undefined;
  /** Devices running now (a second one makes saves use the `devices` list). */
  deviceCount: number;
}

export interface FormCheck {
  /** What set_config is sent. */
  edit: Partial<ServerBitConfig>;
  /** The whole config after the edit, as the service will validate it. */
  config: Record<string, unknown>;
  /** 'devices' when the save writes the `devices` list. */
  shape: 'classic' | 'devices';
  /** Issue messages by field (the first per field). */
  errors: Map<FieldId, string>;
  valid: boolean;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The kit's sensors for a board (BOARD_SENSORS; a board not known yet: the (r)evolution's). */
export function kitSensors(board: Board | undefined): string[] {
  return [...BOARD_SENSORS[board ?? 'revolution']];
}

/** The device `id` of `config` with its index in the file's list (undefined when it is not in the file). */
export function findDevice(config: ServerBitConfig, id: string): { index: number; device: ReturnType<typeof resolveDevices>[number] } | undefined {
  const all = resolveDevices(config);
  const index = all.findIndex((d) => d.id === id);
  return index < 0 ? undefined : { index, device: all[index] };
}

/**
 * The form for device `target.id` of `config`. `invalid` (the file's settings that are not in
 * use, from the service's problem) puts the file's own value into the field, so the user sees
 * what the file says and fixes it, rather than a default that a save would write silently.
 */
export function configToForm(config: ServerBitConfig, target: Pick<EditTarget, 'id' | 'board'>, invalid: readonly InvalidSetting[] = []): ConfigFormValues {
  const found = findDevice(config, target.id) ?? findDevice(config, resolveDevices(config)[0].id)!;
  const d = found.device;
  const values: ConfigFormValues = {
    name: d.name ?? '',
    device: d.address,
    channels: Array.from({ length: CHANNEL_COUNT }, (_, i) => d.channels.includes(i + 1)),
    samplingRate: String(d.sampling_rate),
    labels: Array.from({ length: LABEL_COUNT }, (_, i) => d.labels[i] ?? ''),
    sensors: Array.from({ length: CHANNEL_COUNT }, (_, i) => canonicalSensor(d.sensors?.[i]) ?? kitSensors(target.board)[i]),
    port: String(config.port),
    network: !isLoopbackHost(config.host),
  };
  for (const bad of invalid) {
    if (!('value' in bad)) continue;
    const v = bad.value;
    if (bad.key === 'sampling_rate' && (typeof v === 'number' || typeof v === 'string')) values.samplingRate = String(v);
    else if (bad.key === 'port' && (typeof v === 'number' || typeof v === 'string')) values.port = String(v);
    else if (bad.key === 'device' && typeof v === 'string' && found.index === 0) values.device = v;
    else if (bad.key === 'channels' && Array.isArray(v)) values.channels = values.channels.map((_, i) => v.includes(i + 1));
    else if (bad.key === 'labels' && Array.isArray(v) && v.every((l) => typeof l === 'string')) {
      const from = v.length === 6 ? 5 : 0; // a (r)evolution file names the analog channels only
      values.labels = values.labels.map((l, i) => (i >= from && i - from < v.length ? (v[i - from] as string) : l));
    }
  }
  return values;
}

function canonicalSensor(name: string | undefined): string | undefined {
  return name === undefined ? undefined : (parseSensorName(name) ?? name);
}

/** A port as typed: digits become a number (so "70000" is reported as out of range), anything else stays the string the user typed. */
export function parsePort(text: string): number | string {
  const t = text.trim();
  return /^\d{1,10}$/.test(t) ? Number(t) : t;
}

export function parseRate(text: string): number | string {
  const n = Number(text);
  return (SAMPLING_RATES as readonly number[]).includes(n) ? n : /^\d+$/.test(text) ? n : text;
}

/**
 * The host for the checkbox: unchanged when the checkbox agrees with the loaded host (keeps a
 * specific interface address the user set in the file), else 0.0.0.0 or 127.0.0.1.
 */
export function hostFor(network: boolean, baseHost: string): string {
  if (network === !isLoopbackHost(baseHost)) return baseHost;
  return network ? ANY_HOST : LOOPBACK_HOST;
}

function channelList(values: ConfigFormValues): number[] {
  const out: number[] = [];
  values.channels.forEach((on, i) => on && out.push(i + 1));
  return out;
}

/** The set_config edit the form describes, and the shape it takes. */
export function formToEdit(values: ConfigFormValues, config: ServerBitConfig, target: EditTarget): { edit: Partial<ServerBitConfig>; shape: 'classic' | 'devices'; index: number } {
  const channels = channelList(values);
  const sampling_rate = parseRate(values.samplingRate) as SamplingRate;
  const labels = values.labels.map((l) => l.trim());
  const kit = kitSensors(target.board);
  const sensors = values.sensors.map((s) => s.trim());
  const address = values.device.trim();
  const name = values.name.trim();
  const service = { port: parsePort(values.port) as number, host: hostFor(values.network, config.host) };
  const found = findDevice(config, target.id);
  const index = found?.index ?? 0;
  const useList = config.devices !== undefined || target.deviceCount > 1 || name !== '';
  if (!useList) {
    const edit: Partial<ServerBitConfig> = { device: address, channels, sampling_rate, labels, ...service };
    // The kit's sensors need no key; a file that names sensors keeps naming them.
    if (config.sensors !== undefined || !same(sensors, kit)) edit.sensors = sensors;
    return { edit, shape: 'classic', index };
  }
  const entries: DeviceEntry[] = (config.devices ?? [{ address: config.device }]).map((e) => ({ ...e }));
  const entry: DeviceEntry = { ...(entries[index] ?? {}), address };
  if (entry.id === undefined && entries.length > 1) entry.id = target.id;
  if (name !== '') entry.name = name;
  else delete entry.name;
  // Keys equal to the top-level values stay out of the entry (they default to them).
  const own = <K extends 'channels' | 'sampling_rate' | 'labels' | 'sensors'>(key: K, value: DeviceEntry[K], top: unknown) => {
    if (same(value, top) && entries[index]?.[key] === undefined) delete entry[key];
    else entry[key] = value;
  };
  own('channels', channels, config.channels);
  own('sampling_rate', sampling_rate, config.sampling_rate);
  own('labels', labels, config.labels);
  own('sensors', sensors, config.sensors ?? kit);
  entries[index] = entry;
  return { edit: { devices: entries, ...service }, shape: 'devices', index };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Field names a user reads, for the start of a message ("labels[6]" → "The label of A2"). */
const FIELD_WORDS: Record<string, string> = {
  device: 'The address',
  address: 'The address',
  name: 'The name',
  channels: 'Channels',
  sampling_rate: 'The sampling rate',
  port: 'The port',
  host: 'The network address',
  labels: 'Labels',
  sensors: 'Sensors',
};
const LABEL_NAMES = ['nSeq', 'I1', 'I2', 'O1', 'O2', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6'];

/**
 * A validation message in the user's words: the setting's path at its start ("labels[6] is …",
 * "devices[1].channels[0] is …") becomes the field's name ("The label of A2 is …"); the rest,
 * the value and what is allowed, stays as the service words it.
 */
export function userMessage(message: string): string {
  const m = /^(?:devices\[\d+\]\.)?([A-Za-z_]+)(?:\[(\d+)\])?(.*)$/s.exec(message);
  if (!m || !Object.hasOwn(FIELD_WORDS, m[1])) return message;
  const [, key, index, rest] = m;
  if (index !== undefined) {
    const i = Number(index);
    if (key === 'labels') return `The label of ${LABEL_NAMES[i] ?? `column ${i + 1}`}${rest}`;
    if (key === 'sensors') return `The sensor on A${i + 1}${rest}`;
    if (key === 'channels') return `Channel ${i + 1} of the list${rest}`;
  }
  return `${FIELD_WORDS[key]}${rest}`;
}

/** The field an issue path belongs to, for the device at `index` of the list. */
export function fieldOf(path: string, index = 0): FieldId {
  const m = /^(?:devices\[(\d+)\]\.?)?([A-Za-z_]*)(?:\[(\d+)\])?/.exec(path);
  if (!m) return 'form';
  const [, entry, key, sub] = m;
  if (entry !== undefined && Number(entry) !== index) return 'form';
  const k = key === 'address' ? 'device' : key;
  if (k === 'labels' || k === 'sensors') return sub !== undefined ? `${k}.${Number(sub)}` : k;
  if (['name', 'device', 'channels', 'sampling_rate', 'port', 'host'].includes(k)) return k as FieldId;
  return 'form';
}

/** Groups issues by field, keeping the first message for each, in the user's words. */
export function issuesByField(issues: readonly ValidationIssue[], index = 0): Map<FieldId, string> {
  const out = new Map<FieldId, string>();
  for (const issue of issues) {
    const f = fieldOf(issue.path, index);
    if (!out.has(f)) out.set(f, userMessage(issue.message));
  }
  return out;
}

/** The keys the form can fix (an invalid setting outside them needs the file edited). */
const FORM_SETTINGS = new Set(['device', 'channels', 'sampling_rate', 'port', 'host', 'labels', 'sensors']);

/**
 * Validates the form as the user types: the address form (item 3 of issue 10: "hello world" is
 * not an address), then the whole config after the edit with the service's own schema, then the
 * file's invalid settings the user has not changed yet (`loaded` is the form as it was loaded).
 */
export function checkForm(values: ConfigFormValues, config: ServerBitConfig, target: EditTarget, invalid: readonly InvalidSetting[] = [], touched: ReadonlySet<FieldId> = new Set()): FormCheck {
  const { edit, shape, index } = formToEdit(values, config, target);
  const merged: Record<string, unknown> = { ...config, ...edit };
  if (edit.devices) merged.device = edit.devices[0].address;
  if (edit.channels) merged.channels = [...edit.channels].sort((a, b) => a - b);
  const errors = new Map<FieldId, string>();
  const address = addressProblem(values.device);
  if (address) errors.set('device', address);
  for (const [f, m] of issuesByField(validateConfig(merged), index)) if (!errors.has(f)) errors.set(f, m);
  for (const bad of invalid) {
    if (!FORM_SETTINGS.has(bad.key)) {
      if (!errors.has('form')) errors.set('form', `${userMessage(bad.message)}. Settings cannot change this one: correct it in the config file, then save here.`);
      continue;
    }
    // Until the user has changed the field, a save would write what the form shows without a
    // word: the field says what the file holds and that it must be chosen.
    const field = bad.key as FieldId;
    if (!touched.has(field) && !errors.has(field)) errors.set(field, `${userMessage(bad.message)} — the config file's value; choose a valid one`);
  }
  return { edit, config: merged, shape, errors, valid: errors.size === 0 };
}

/** True when the form differs from what was loaded. */
export function isDirty(values: ConfigFormValues, loaded: ConfigFormValues): boolean {
  return !same(values, loaded);
}

/** A config from get_config/set_config results: the config itself or `{ config }`. */
export function configFromResult(result: unknown): ServerBitConfig | undefined {
  const c = isPlainObject(result) && isPlainObject(result.config) ? result.config : result;
  return validateConfig(c).length === 0 ? (c as unknown as ServerBitConfig) : undefined;
}

export interface SaveOutcome {
  /** "ok": saved and in effect; "warning": saved but not all of it in effect yet, or not saved at all. */
  level: 'ok' | 'warning';
  title: string;
  notes: string[];
}

/**
 * What to say after a save (issue 10 item 4): "Saved." in green only when it was written and is
 * in effect; a restart needed, a flag that overrides the saved value, or a change that lasts for
 * this run only is a warning. Nothing about a restart when the port and network did not change.
 */
export function saveOutcome(result: unknown): SaveOutcome {
  if (!isPlainObject(result)) return { level: 'ok', title: 'Saved.', notes: [] };
  const notes: string[] = [];
  if (typeof result.note === 'string') notes.push(result.note);
  const restart = Array.isArray(result.restartRequired) ? result.restartRequired.filter((k): k is string => typeof k === 'string') : [];
  if (notes.length === 0 && restart.length > 0) notes.push(`${restart.join(' and ')}: saved; ServerBIT keeps listening on its current address until it restarts.`);
  if (result.saved === false) return { level: 'warning', title: 'Applied for this run, not saved.', notes: notes.slice(0, 10) };
  return { level: notes.length > 0 || restart.length > 0 ? 'warning' : 'ok', title: 'Saved.', notes: notes.slice(0, 10) };
}
