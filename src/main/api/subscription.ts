/**
 * /v2 subscription options (docs/protocol.md "Subscription options"): what a client asks for, in
 * the query string or a subscribe message, checked against the schema, against the column names
 * the devices' labels give, and against the device ids.
 */
import { samplesPerBatch } from '../../shared/config.js';
import { validate } from '../../shared/schema.js';
import { SUBSCRIBE_SCHEMA } from '../../shared/v2-schemas.js';
import type { SubscribeMessage, Subscription } from '../../shared/v2.js';

export interface ResolvedSubscription {
  /** undefined = follow the server's batch (config batch_ms at the device's rate). */
  batch: number | undefined;
  columns: string[] | 'all';
  format: Subscription['format'];
  devices: string[] | 'all';
}

/** What subscriptions are checked against: the names any configured device can stream, and the device ids. */
export interface SubscriptionContext {
  columns: ReadonlySet<string>;
  analogColumns: ReadonlySet<string>;
  devices: readonly string[];
}

/** What a session has until options say otherwise: the server's batch, every column, raw, every device. */
export function defaultSubscription(): ResolvedSubscription {
  return { batch: undefined, columns: 'all', format: 'raw', devices: 'all' };
}

/**
 * Sessions whose subscriptions batch and encode alike share one StreamGroup (stream-group.ts);
 * column order does not count, and the devices a session wants are its own filter, not the group's.
 */
export function subscriptionKey(s: ResolvedSubscription): string {
  const cols = s.columns === 'all' ? '*' : [...s.columns].sort().join('\u0000');
  return `${s.batch ?? 'auto'}|${cols}|${s.format}`;
}

/**
 * `o` applied over `current`, or the text of what is wrong with it (then nothing applies).
 * Options not given keep their current value.
 */
export function resolveSubscription(
  o: Partial<SubscribeMessage>,
  current: ResolvedSubscription,
  ctx: SubscriptionContext,
): { ok: true; sub: ResolvedSubscription } | { ok: false; problem: string } {
  const issues = validate(SUBSCRIBE_SCHEMA, { ...o, type: 'subscribe' }, { rootName: 'subscription' });
  if (issues.length > 0) return { ok: false, problem: issues.map((i) => i.message).join('; ') };
  const cols = o.columns;
  if (Array.isArray(cols)) {
    const unknown = cols.filter((c) => !ctx.columns.has(c));
    if (unknown.length > 0) return { ok: false, problem: `columns has unknown names ${unknown.map((c) => JSON.stringify(c)).join(', ')}; allowed: ${[...ctx.columns].join(', ')}` };
  }
  const devs = o.devices;
  if (Array.isArray(devs)) {
    const unknown = devs.filter((d) => !ctx.devices.includes(d));
    if (unknown.length > 0) return { ok: false, problem: `devices has unknown ids ${unknown.map((d) => JSON.stringify(d)).join(', ')}; allowed: ${ctx.devices.map((d) => JSON.stringify(d)).join(', ')} or "all"` };
  }
  const format = o.format ?? current.format;
  const finalCols = cols ?? current.columns;
  if (format === 'converted' && Array.isArray(finalCols)) {
    if (!finalCols.some((c) => ctx.analogColumns.has(c))) {
      return { ok: false, problem: `format "converted" carries analog columns only, and columns ${JSON.stringify(finalCols)} has none; allowed: add one of ${[...ctx.analogColumns].join(', ')}, or use format "raw" or "both"` };
    }
  }
  return { ok: true, sub: { batch: o.batch ?? current.batch, columns: finalCols, format, devices: devs ?? current.devices } };
}

/** The subscription as hello reports it: an "auto" batch resolved at the given rate and batch period. */
export function describeSubscription(s: ResolvedSubscription, rate: number, batchMs: number): Subscription {
  return {
    batch: s.batch ?? samplesPerBatch(rate, batchMs),
    columns: s.columns === 'all' ? 'all' : [...s.columns],
    format: s.format,
    devices: s.devices === 'all' ? 'all' : [...s.devices],
  };
}

export function wantsDevice(s: ResolvedSubscription, device: string): boolean {
  return s.devices === 'all' || s.devices.includes(device);
}
