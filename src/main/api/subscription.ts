/**
 * /v2 subscription options (docs/protocol.md "Subscription options"): what a client asks for, in
 * the query string or a subscribe message, checked against the schema and against the column
 * names the configured labels give.
 */
import { samplesPerBatch, type ServerBitConfig } from '../../shared/config.js';
import { validate } from '../../shared/schema.js';
import { SUBSCRIBE_SCHEMA } from '../../shared/v2-schemas.js';
import type { SubscribeMessage, Subscription } from '../../shared/v2.js';
import { analogColumnNames, knownColumnNames } from './meta.js';

export interface ResolvedSubscription {
  /** undefined = follow the server's batch (config batch_ms at the current rate). */
  batch: number | undefined;
  columns: string[] | 'all';
  format: Subscription['format'];
}

/** What a session has until options say otherwise: the server's batch, every column, raw. */
export function defaultSubscription(): ResolvedSubscription {
  return { batch: undefined, columns: 'all', format: 'raw' };
}

/** Sessions whose subscriptions have the same key share one StreamGroup (stream-group.ts); column order does not count. */
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
  config: Pick<ServerBitConfig, 'labels'>,
): { ok: true; sub: ResolvedSubscription } | { ok: false; problem: string } {
  const issues = validate(SUBSCRIBE_SCHEMA, { ...o, type: 'subscribe' }, { rootName: 'subscription' });
  if (issues.length > 0) return { ok: false, problem: issues.map((i) => i.message).join('; ') };
  const cols = o.columns as string[] | 'all' | undefined;
  if (Array.isArray(cols)) {
    const known = knownColumnNames(config.labels);
    const unknown = cols.filter((c) => !known.has(c));
    if (unknown.length > 0) return { ok: false, problem: `columns has unknown names ${unknown.map((c) => JSON.stringify(c)).join(', ')}; allowed: ${[...known].join(', ')}` };
  }
  const format = o.format ?? current.format;
  const finalCols = cols ?? current.columns;
  if (format === 'converted' && Array.isArray(finalCols)) {
    const analog = analogColumnNames(config.labels);
    if (!finalCols.some((c) => analog.has(c))) {
      return { ok: false, problem: `format "converted" carries analog columns only, and columns ${JSON.stringify(finalCols)} has none; allowed: add one of ${[...analog].join(', ')}, or use format "raw" or "both"` };
    }
  }
  return { ok: true, sub: { batch: o.batch ?? current.batch, columns: finalCols, format } };
}

/** The subscription as hello reports it: "auto" batch resolved at the configured rate. */
export function describeSubscription(s: ResolvedSubscription, config: Pick<ServerBitConfig, 'sampling_rate' | 'batch_ms'>): Subscription {
  return {
    batch: s.batch ?? samplesPerBatch(config.sampling_rate, config.batch_ms),
    columns: s.columns === 'all' ? 'all' : [...s.columns],
    format: s.format,
  };
}
