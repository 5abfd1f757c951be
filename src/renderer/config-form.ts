/**
 * The config editor's model, pure: what the form fields hold ↔ a ServerBitConfig, and
 * validation issues → the field each belongs to. The form shows only the settings a user
 * changes often; the others (batch_ms, allowed_origins, token, stall_timeout_s) are kept as
 * loaded and never sent back.
 */
import { SAMPLING_RATES, type ServerBitConfig } from '../shared/config.js';
import { validateConfig } from '../shared/config-schema.js';
import { isPlainObject, type ValidationIssue } from '../shared/schema.js';

export const CHANNEL_COUNT = 6;
export const LABEL_COUNT = 11;
export const LOOPBACK_HOST = '127.0.0.1';
export const ANY_HOST = '0.0.0.0';

/** What the inputs hold, as the user typed it. */
export interface ConfigFormValues {
  device: string;
  /** Checkbox per channel A1..A6. */
  channels: boolean[];
  /** The <select> value: "1", "10", "100", "1000". */
  samplingRate: string;
  /** The text of the port field. */
  port: string;
  /** 11 text fields: nSeq, I1, I2, O1, O2, A1..A6. */
  labels: string[];
  /** "Allow other computers on the network". */
  network: boolean;
}

/** The keys the form edits; set_config is sent exactly these. */
export const FORM_KEYS = ['device', 'channels', 'sampling_rate', 'port', 'labels', 'host'] as const;
export type FormKey = (typeof FORM_KEYS)[number];

/** Where an issue is shown: one of the form's fields, one label field, or the form as a whole. */
export type FieldId = FormKey | `labels.${number}` | 'form';

export interface FormCheck {
  /** The config the form describes (base + edits); `unknown`-typed parts when invalid. */
  config: Record<string, unknown>;
  /** Only the keys the form edits, for set_config. */
  patch: Record<FormKey, unknown>;
  /** Issue messages by field (the first issue per field). */
  errors: Map<FieldId, string>;
  valid: boolean;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127(\.\d{1,3}){3}$/.test(h);
}

export function configToForm(config: ServerBitConfig): ConfigFormValues {
  return {
    device: config.device,
    channels: Array.from({ length: CHANNEL_COUNT }, (_, i) => config.channels.includes(i + 1)),
    samplingRate: String(config.sampling_rate),
    port: String(config.port),
    labels: Array.from({ length: LABEL_COUNT }, (_, i) => config.labels[i] ?? ''),
    network: !isLoopbackHost(config.host),
  };
}

/**
 * A port as typed: digits become a number (so "70000" is reported as out of range), anything
 * else is passed on as the string so the message quotes what the user typed.
 */
export function parsePort(text: string): number | string {
  const t = text.trim();
  return /^\d{1,10}$/.test(t) ? Number(t) : t;
}

export function parseRate(text: string): number | string {
  const n = Number(text);
  return (SAMPLING_RATES as readonly number[]).includes(n) ? n : text;
}

/**
 * The host for the checkbox: unchanged when the checkbox agrees with the loaded host (keeps a
 * specific interface address the user set in the file), else 0.0.0.0 or 127.0.0.1.
 */
export function hostFor(network: boolean, baseHost: string): string {
  if (network === !isLoopbackHost(baseHost)) return baseHost;
  return network ? ANY_HOST : LOOPBACK_HOST;
}

export function formToPatch(values: ConfigFormValues, base: ServerBitConfig): Record<FormKey, unknown> {
  const channels: number[] = [];
  values.channels.forEach((on, i) => on && channels.push(i + 1));
  return {
    device: values.device.trim(),
    channels,
    sampling_rate: parseRate(values.samplingRate),
    port: parsePort(values.port),
    labels: values.labels.map((l) => l.trim()),
    host: hostFor(values.network, base.host),
  };
}

/** The field an issue path belongs to: "labels[3]" → "labels.3", "channels[0]" → "channels". */
export function fieldOf(path: string): FieldId {
  const m = /^([A-Za-z_]+)(?:\[(\d+)\])?/.exec(path);
  if (!m) return 'form';
  const key = m[1];
  if (!(FORM_KEYS as readonly string[]).includes(key)) return 'form';
  if (key === 'labels' && m[2] !== undefined) return `labels.${Number(m[2])}`;
  return key as FormKey;
}

/** Groups issues by field, keeping the first message for each. */
export function issuesByField(issues: readonly ValidationIssue[]): Map<FieldId, string> {
  const out = new Map<FieldId, string>();
  for (const issue of issues) {
    const f = fieldOf(issue.path);
    if (!out.has(f)) out.set(f, issue.message);
  }
  return out;
}

/** Validates the form as the user types (validateConfig on base + edits). */
export function checkForm(values: ConfigFormValues, base: ServerBitConfig): FormCheck {
  const patch = formToPatch(values, base);
  const config: Record<string, unknown> = { ...base, ...patch };
  const errors = issuesByField(validateConfig(config));
  return { config, patch, errors, valid: errors.size === 0 };
}

/** True when the form differs from `base` in any key it edits. */
export function isDirty(values: ConfigFormValues, base: ServerBitConfig): boolean {
  const patch = formToPatch(values, base);
  return FORM_KEYS.some((k) => JSON.stringify(patch[k]) !== JSON.stringify(base[k]));
}

/** A config from get_config/set_config results: the config itself or `{ config }`. */
export function configFromResult(result: unknown): ServerBitConfig | undefined {
  const c = isPlainObject(result) && isPlainObject(result.config) ? result.config : result;
  return validateConfig(c).length === 0 ? (c as unknown as ServerBitConfig) : undefined;
}

/** Extra lines a set_config result may carry: its `note`, notices, and which keys apply only after a restart. */
export function resultNotes(result: unknown): string[] {
  if (!isPlainObject(result)) return [];
  const notes: string[] = [];
  for (const key of ['note', 'message']) if (typeof result[key] === 'string') notes.push(result[key]);
  for (const key of ['notices', 'warnings']) {
    const v = result[key];
    if (Array.isArray(v)) for (const s of v) if (typeof s === 'string') notes.push(s);
  }
  const restart = result.restartRequired;
  if (notes.length === 0 && (restart === true || (Array.isArray(restart) && restart.length > 0))) {
    const keys = Array.isArray(restart) ? restart.filter((k) => typeof k === 'string').join(', ') : '';
    notes.push(`${keys ? `${keys}: ` : 'Some changes '}take effect when ServerBIT restarts.`);
  }
  return notes.slice(0, 10);
}
