/**
 * The Outputs area's model, pure: what the recording panel and each output (OSC, LSL, MQTT) show,
 * taken only from what the service reported (its `server` message: every OutputStatus and the
 * recording's summary; the replies to the window's commands), and each output's settings form ↔
 * the section saved with set_config, validated with the service's own config schema.
 *
 * Nothing here guesses a state: a switch is on when the service said the output is enabled (its
 * status, the reply to *_enable, or the config file's `<key>.enabled`), never because it was clicked.
 */
import type { WireError } from '../shared/acquisition.js';
import type { ServerBitConfig } from '../shared/config.js';
import { validateConfig } from '../shared/config-schema.js';
import type { OutputState, OutputStatus } from '../shared/outputs.js';
import { RECORD_FORMATS, type RecordFormat } from '../shared/outputs/recording-config.js';
import { baseName, formatBytes, formatElapsed } from '../shared/recording-format.js';
import { isPlainObject } from '../shared/schema.js';
import type { CommandName, RecordingResult } from '../shared/v2.js';

export type ToggleOutput = 'osc' | 'lsl' | 'mqtt';
export const TOGGLE_OUTPUTS: readonly ToggleOutput[] = ['osc', 'lsl', 'mqtt'];

export const OUTPUT_TITLES: Record<string, string> = {
  recorder: 'Recording',
  osc: 'OSC',
  'osc-in': 'OSC control input',
  lsl: 'LSL',
  mqtt: 'MQTT',
  'mqtt-relay': 'MQTT relay',
};

const STATE_TEXT: Record<OutputState, string> = { off: 'off', starting: 'starting', running: 'on', error: 'error', stopped: 'stopped' };

/** The label for a marker sent without one (the /v2 `marker` command needs a label). */
export const DEFAULT_MARK_LABEL = 'mark';

// --- Recording -------------------------------------------------------------------------------

export interface RecordingView {
  /** A recording runs (or is starting): the button stops it. */
  active: boolean;
  button: 'Record' | 'Stop';
  /** "Recording", "Starting…", "Stopped", "Stopped on an error", "Not recording". */
  stateText: string;
  state: OutputState;
  /** "1:05" (from the recorder's elapsedMs counter); undefined before the first recording. */
  elapsed: string | undefined;
  /** "2.3 MB in 2 files". */
  size: string | undefined;
  /** The folder the current or last recording writes to. */
  folder: string | undefined;
  /** The files of a finished recording, by name (data files, then events files). */
  files: string[];
  /** The service's status line ("recording 1:05 · 2.3 MB in 2 files · /home/me/…"). */
  detail: string | undefined;
  error: WireError | undefined;
}

/** The recording panel, from the recorder's status and the recording summary of the `server` message. */
export function recordingView(status: OutputStatus | undefined, rec: RecordingResult | undefined): RecordingView {
  const state: OutputState = status?.state ?? rec?.state ?? 'off';
  const active = state === 'running' || state === 'starting';
  const c = status?.counters ?? {};
  const bytes = c.bytes ?? rec?.bytes;
  const fileCount = c.files ?? rec?.files.length;
  const finished = state === 'stopped' || state === 'error';
  const stateText = state === 'running' ? 'Recording' : state === 'starting' ? 'Starting…' : state === 'stopped' ? 'Stopped' : state === 'error' ? 'Stopped on an error' : 'Not recording';
  return {
    active,
    button: active ? 'Stop' : 'Record',
    stateText,
    state,
    elapsed: c.elapsedMs !== undefined && state !== 'off' ? formatElapsed(c.elapsedMs) : undefined,
    size: bytes !== undefined && state !== 'off' ? `${formatBytes(bytes)}${fileCount !== undefined ? ` in ${fileCount} file${fileCount === 1 ? '' : 's'}` : ''}` : undefined,
    folder: rec?.folder,
    files: finished && rec ? rec.files.map(baseName) : [],
    detail: status?.detail,
    error: status?.error ?? rec?.error,
  };
}

/** The formats the config's `record` section names (default: the recorder's, text). */
export function configuredFormats(config: ServerBitConfig | undefined): RecordFormat[] {
  const f = (config as { record?: { formats?: unknown } } | undefined)?.record?.formats;
  return Array.isArray(f) && f.every((x) => (RECORD_FORMATS as readonly unknown[]).includes(x)) && f.length > 0 ? [...(f as RecordFormat[])] : ['txt'];
}

// --- OSC, LSL, MQTT ------------------------------------------------------------------------------

export interface OutputView {
  name: string;
  title: string;
  state: OutputState;
  /** What the switch shows: the output is enabled (undefined: not known yet). */
  on: boolean | undefined;
  /** "on", "off", "starting", "error" — the state word. */
  stateText: string;
  detail: string | undefined;
  error: WireError | undefined;
  /** The output's counters, as "name: value" pairs. */
  counters: [string, string][];
}

export function outputView(name: string, status: OutputStatus | undefined, enabled: boolean | undefined): OutputView {
  const state: OutputState = status?.state ?? 'off';
  return {
    name,
    title: OUTPUT_TITLES[name] ?? name,
    state,
    on: enabled,
    stateText: STATE_TEXT[state],
    detail: status?.detail,
    error: status?.error,
    counters: Object.entries(status?.counters ?? {}).map(([k, v]) => [k, v.toLocaleString('en-US')]),
  };
}

/**
 * Whether the output is enabled, from what the service last said: a running or starting output
 * is; an output "off" is not; otherwise (error, stopped) the config file's `<name>.enabled`.
 */
export function enabledFrom(status: OutputStatus | undefined, config: ServerBitConfig | undefined, name: ToggleOutput): boolean | undefined {
  const s = status?.state;
  if (s === 'running' || s === 'starting') return true;
  if (s === 'off') return false;
  const section = (config as Record<string, unknown> | undefined)?.[name];
  if (config === undefined) return undefined;
  return isPlainObject(section) && section.enabled === true;
}

/** The command the switch sends: turn it off when the service says it is on, else on. */
export function toggleCommand(name: ToggleOutput, on: boolean | undefined): Extract<CommandName, `${ToggleOutput}_${'enable' | 'disable'}`> {
  return `${name}_${on === true ? 'disable' : 'enable'}`;
}

// --- Settings sections ---------------------------------------------------------------------------

export type SectionName = ToggleOutput | 'record';

export interface SectionField {
  /** Where in the section: "url", "backlog_s", "destinations.0.host". */
  key: string;
  label: string;
  kind: 'text' | 'number' | 'select' | 'checkbox' | 'password';
  options?: readonly string[];
  /** The value a key left out of the file has (shown in the field). */
  fallback: string | boolean;
  help?: string;
  placeholder?: string;
}

/** The settings each section's form shows (the others stay as the file has them). */
export const SECTION_FIELDS: Record<SectionName, readonly SectionField[]> = {
  osc: [
    { key: 'destinations.0.host', label: 'Send to', kind: 'text', fallback: '127.0.0.1', help: 'The computer running Pd, Max, TouchDesigner… (127.0.0.1: this one).' },
    { key: 'destinations.0.port', label: 'Port', kind: 'number', fallback: '8000' },
    { key: 'addresses', label: 'Addresses', kind: 'select', options: ['consolidated', 'per-label'], fallback: 'consolidated', help: 'consolidated: /<id>/bitalino with every column; per-label: /<id>/bitalino/<label>.' },
    { key: 'values', label: 'Values', kind: 'select', options: ['raw', 'converted'], fallback: 'raw' },
    { key: 'maxRate', label: 'Max rate (Hz)', kind: 'number', fallback: '0', help: '0 sends every sample.' },
  ],
  lsl: [
    { key: 'format', label: 'Values', kind: 'select', options: ['converted', 'raw'], fallback: 'converted' },
    { key: 'digital', label: 'Digital lines', kind: 'checkbox', fallback: false, help: 'Also send I1, I2, O1, O2 as channels.' },
    { key: 'host', label: 'Serve on', kind: 'text', fallback: '127.0.0.1', help: '127.0.0.1: this computer only; 0.0.0.0: the lab network (no authentication).' },
    { key: 'session_id', label: 'Session id', kind: 'text', fallback: 'default' },
  ],
  mqtt: [
    { key: 'url', label: 'Broker', kind: 'text', fallback: '', placeholder: 'mqtt://127.0.0.1:1883' },
    { key: 'username', label: 'User', kind: 'text', fallback: '' },
    { key: 'password', label: 'Password', kind: 'password', fallback: '' },
    { key: 'prefix', label: 'Topic prefix', kind: 'text', fallback: '', placeholder: 'serverbit/<host name>' },
    { key: 'data_format', label: 'Data', kind: 'select', options: ['raw', 'both'], fallback: 'raw' },
    { key: 'control', label: 'Commands', kind: 'checkbox', fallback: false, help: 'Accept commands (with the token) on <prefix>/command.' },
  ],
  record: [
    { key: 'folder', label: 'Folder', kind: 'text', fallback: '', placeholder: '~/ServerBIT/recordings' },
    { key: 'formats.txt', label: 'OpenSignals text (.txt)', kind: 'checkbox', fallback: true },
    { key: 'formats.h5', label: 'OpenSignals HDF5 (.h5)', kind: 'checkbox', fallback: false },
    { key: 'formats.csv', label: 'CSV (.csv)', kind: 'checkbox', fallback: false },
  ],
};

export type SectionValues = Record<string, string | boolean>;

function sectionOf(config: ServerBitConfig | undefined, name: SectionName): Record<string, unknown> {
  const s = (config as Record<string, unknown> | undefined)?.[name];
  return isPlainObject(s) ? s : {};
}

function getPath(obj: unknown, key: string): unknown {
  let v: unknown = obj;
  for (const part of key.split('.')) {
    if (Array.isArray(v) && /^\d+$/.test(part)) v = v[Number(part)];
    else if (isPlainObject(v)) v = v[part];
    else return undefined;
  }
  return v;
}

/** The form's values for a section of `config` (the file's values; a key left out shows its default). */
export function sectionToForm(config: ServerBitConfig | undefined, name: SectionName): SectionValues {
  const section = sectionOf(config, name);
  const out: SectionValues = {};
  for (const f of SECTION_FIELDS[name]) {
    if (name === 'record' && f.key.startsWith('formats.')) {
      out[f.key] = configuredFormats(config).includes(f.key.slice(8) as RecordFormat);
      continue;
    }
    const v = getPath(section, f.key);
    if (f.kind === 'checkbox') out[f.key] = typeof v === 'boolean' ? v : (f.fallback as boolean);
    else out[f.key] = v === undefined || v === null ? String(f.fallback) : typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

/** A number field as typed: digits (and a sign, a point) become a number, anything else stays text for the schema to name. */
function parseNumber(text: string): number | string {
  const t = text.trim();
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
}

/**
 * The section to save: the file's section with the form's fields laid over it. A field still
 * showing the default of a key the file leaves out stays out (so the default keeps applying);
 * an empty optional text field removes its key.
 */
export function formToSection(values: SectionValues, config: ServerBitConfig | undefined, name: SectionName): Record<string, unknown> {
  const section: Record<string, unknown> = structuredClone(sectionOf(config, name));
  if (name === 'record') {
    const formats = RECORD_FORMATS.filter((f) => values[`formats.${f}`] === true);
    if (section.formats !== undefined || JSON.stringify(formats) !== JSON.stringify(configuredFormats(config))) section.formats = formats;
    const folder = String(values.folder ?? '').trim();
    if (folder === '') delete section.folder;
    else section.folder = folder;
    return section;
  }
  const loaded = sectionToForm(config, name);
  for (const f of SECTION_FIELDS[name]) {
    const v = values[f.key];
    const inFile = getPath(section, f.key) !== undefined;
    if (!inFile && v === loaded[f.key]) continue;
    let value: unknown = v;
    if (f.kind === 'number') value = parseNumber(String(v));
    else if (typeof v === 'string') value = v.trim();
    if ((f.kind === 'text' || f.kind === 'password') && value === '' && f.key.indexOf('.') < 0) {
      delete section[f.key];
      continue;
    }
    setPath(section, f.key, value);
  }
  return section;
}

function setPath(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let cur: unknown = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i];
    const nextIsIndex = /^\d+$/.test(parts[i + 1]);
    const container = cur as Record<string, unknown> & unknown[];
    const k = /^\d+$/.test(part) ? Number(part) : part;
    let child = (container as Record<string | number, unknown>)[k];
    if (child === undefined || typeof child !== 'object' || child === null) {
      child = nextIsIndex ? [] : {};
      (container as Record<string | number, unknown>)[k] = child;
    }
    cur = child;
  }
  const last = parts[parts.length - 1];
  (cur as Record<string | number, unknown>)[/^\d+$/.test(last) ? Number(last) : last] = value;
  // A destination the form creates needs both of its keys: the other comes from the defaults.
  if (key.startsWith('destinations.0.')) {
    const d = (obj.destinations as Record<string, unknown>[])[0];
    d.host ??= '127.0.0.1';
    d.port ??= 8000;
  }
}

export interface SectionCheck {
  section: Record<string, unknown>;
  /** Message per field key ("form" for what belongs to no field). */
  errors: Map<string, string>;
  valid: boolean;
}

/** The field an issue path of this section belongs to: "osc.destinations[0].host" → "destinations.0.host". */
export function sectionFieldOf(path: string, name: SectionName): string {
  const rest = path.startsWith(`${name}.`) ? path.slice(name.length + 1) : path.startsWith(`${name}[`) ? path.slice(name.length) : '';
  const key = rest.replace(/\[(\d+)\]/g, '.$1').replace(/^\./, '');
  if (name === 'record' && key.startsWith('formats')) return 'formats.txt';
  const fields = SECTION_FIELDS[name].map((f) => f.key);
  return fields.find((f) => key === f || key.startsWith(`${f}.`)) ?? 'form';
}

/** Validates the section as the service will: the whole config after the edit, with the shared schema. */
export function checkSection(values: SectionValues, config: ServerBitConfig | undefined, name: SectionName): SectionCheck {
  const section = formToSection(values, config, name);
  const errors = new Map<string, string>();
  if (name === 'record' && Array.isArray(section.formats) && section.formats.length === 0) errors.set('formats.txt', 'Choose at least one format.');
  const merged = { ...(config ?? {}), [name]: section };
  for (const issue of validateConfig(merged)) {
    if (issue.path !== name && !issue.path.startsWith(`${name}.`) && !issue.path.startsWith(`${name}[`)) continue;
    const field = sectionFieldOf(issue.path, name);
    if (!errors.has(field)) errors.set(field, issue.message);
  }
  return { section, errors, valid: errors.size === 0 };
}
