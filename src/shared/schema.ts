/**
 * A small JSON-Schema subset validator for everything that crosses a boundary: the config
 * file, IPC payloads and /v2 wire messages, each validated where it enters, in time linear in
 * its size.
 *
 * Why not ajv: ajv compiles schemas with `new Function`, which a renderer under a strict CSP
 * (no 'unsafe-eval') cannot run. This is an interpreter, so it runs anywhere; the schemas we
 * validate are small, so interpreting them costs nothing that matters.
 *
 * Messages name the offending value and what is allowed ("sampling_rate is 500; allowed:
 * 1, 10, 100 or 1000") because users read them as-is in the CLI, the window and /v2 errors.
 *
 * Bounded: at most `maxIssues` issues (default 20) are collected and the walk stops there;
 * values are previewed in at most ~60 characters; string lengths and deep comparisons never
 * walk more than they must. Recursion follows the schema (no $ref), so its depth is the
 * schema's, whatever the value's.
 */

export type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | 'null';

export interface JsonSchema {
  type?: JsonType | readonly JsonType[];
  enum?: readonly unknown[];
  const?: unknown;
  /** Inclusive. */
  minimum?: number;
  /** Inclusive. */
  maximum?: number;
  /** In code points, as JSON Schema counts them. */
  minLength?: number;
  maxLength?: number;
  /** ECMAScript regular expression, compiled with the `u` flag; not implicitly anchored. */
  pattern?: string;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  properties?: Readonly<Record<string, JsonSchema>>;
  required?: readonly string[];
  /** `false` rejects keys not in `properties`; a schema validates them. Default: allowed. */
  additionalProperties?: boolean | JsonSchema;
  oneOf?: readonly JsonSchema[];
  anyOf?: readonly JsonSchema[];
  /**
   * Non-standard annotation (ignored by other JSON Schema tools): replaces the generated
   * "allowed: …" text when the generated one would be vague, e.g. "a channel from 1 to 6 (1 = A1)".
   */
  allowed?: string;
  title?: string;
  description?: string;
  default?: unknown;
}

export interface ValidationIssue {
  /** Where, in JavaScript accessor form: `""` for the value itself, `labels`, `channels[2]`, `a.b[0]`. */
  path: string;
  /** Names the value and what is allowed; ready to show to a user. */
  message: string;
}

export interface ValidateOptions {
  /** Stop after this many issues. Default 20. */
  maxIssues?: number;
  /** Path prefix for every issue (e.g. a CLI flag `--port` or `params`). Default `""`. */
  path?: string;
  /** How messages call the value when the path is empty. Default `"value"`. */
  rootName?: string;
}

export const DEFAULT_MAX_ISSUES = 20;

interface Context {
  issues: ValidationIssue[];
  max: number;
  rootName: string;
}

/** Validates `value` (untrusted, `unknown`) against `schema`. Never throws for any value. */
export function validate(schema: JsonSchema, value: unknown, options: ValidateOptions = {}): ValidationIssue[] {
  const ctx: Context = {
    issues: [],
    max: Math.max(1, options.maxIssues ?? DEFAULT_MAX_ISSUES),
    rootName: options.rootName ?? 'value',
  };
  check(schema, value, options.path ?? '', ctx);
  return ctx.issues;
}

function check(schema: JsonSchema, value: unknown, path: string, ctx: Context): void {
  if (full(ctx)) return;
  const say = (message: string): void => {
    if (!full(ctx)) ctx.issues.push({ path, message });
  };
  const name = path === '' ? ctx.rootName : path;

  if (schema.anyOf || schema.oneOf) checkCombinators(schema, value, path, ctx);

  // One message per node for the scalar keywords: they all describe one "allowed" set, so
  // "port is 70000; allowed: an integer from 1 to 65535" says it once, whichever bound failed.
  const typeOk = schema.type === undefined || typesOf(schema).some((t) => hasType(value, t));
  if (!typeOk || !scalarOk(schema, value)) {
    say(`${name} is ${preview(value)}; allowed: ${describeSchema(schema)}`);
    if (!typeOk) return; // items/properties make no sense on a value of the wrong type
  }

  if (Array.isArray(value)) checkArray(schema, value, path, name, say, ctx);
  else if (isPlainObject(value)) checkObject(schema, value, path, ctx);
}

function checkCombinators(schema: JsonSchema, value: unknown, path: string, ctx: Context): void {
  const name = path === '' ? ctx.rootName : path;
  const push = (message: string): void => {
    if (!full(ctx)) ctx.issues.push({ path, message });
  };
  for (const [keyword, branches] of [
    ['anyOf', schema.anyOf],
    ['oneOf', schema.oneOf],
  ] as const) {
    if (!branches || branches.length === 0) continue;
    const results = branches.map((b) => validate(b, value, { path, rootName: ctx.rootName, maxIssues: ctx.max }));
    const passing = results.filter((r) => r.length === 0).length;
    if (keyword === 'oneOf' && passing > 1) {
      push(`${name} is ${preview(value)}; allowed: exactly one of ${describeBranches(branches)}, but it matches several`);
      continue;
    }
    if (passing > 0) continue;
    // When only one branch accepts the value's type, its own issues are the useful ones
    // ("device[0][1] is 3; allowed: a string") rather than a list of every alternative.
    const sameType = branches.map((b, i) => [b, i] as const).filter(([b]) => b.type !== undefined && typesOf(b).some((t) => hasType(value, t)));
    if (sameType.length === 1) {
      for (const issue of results[sameType[0][1]]) if (!full(ctx)) ctx.issues.push(issue);
      continue;
    }
    push(`${name} is ${preview(value)}; allowed: ${schema.allowed ?? describeBranches(branches)}`);
  }
}

function checkArray(schema: JsonSchema, value: readonly unknown[], path: string, name: string, say: (m: string) => void, ctx: Context): void {
  const n = value.length;
  if ((schema.minItems !== undefined && n < schema.minItems) || (schema.maxItems !== undefined && n > schema.maxItems)) {
    say(`${name} has ${plural(n, 'item')}; allowed: ${describeSchema(schema)}`);
  }
  // Only when every item has an allowed type (usually a scalar): a list of the wrong things is
  // refused by the item checks anyway, and the check stays linear whatever the items hold.
  const items = schema.items;
  if (schema.uniqueItems && (items?.type === undefined || value.every((v) => typesOf(items).some((t) => hasType(v, t))))) {
    const dup = firstDuplicate(value);
    if (dup !== undefined) say(`${name} has ${preview(value[dup])} more than once; allowed: ${describeSchema(schema)}`);
  }
  if (items) {
    for (let i = 0; i < n && !full(ctx); i++) check(items, value[i], `${path}[${i}]`, ctx);
  }
}

function checkObject(schema: JsonSchema, value: Record<string, unknown>, path: string, ctx: Context): void {
  const props = schema.properties ?? {};
  for (const key of schema.required ?? []) {
    if (full(ctx)) return;
    if (!Object.hasOwn(value, key)) {
      const sub = Object.hasOwn(props, key) ? props[key] : undefined;
      ctx.issues.push({ path: joinKey(path, key), message: `${joinKey(path, key)} is missing; allowed: ${sub ? describeSchema(sub) : 'any value'}` });
    }
  }
  for (const key of Object.keys(value)) {
    if (full(ctx)) return;
    const child = joinKey(path, key);
    // Object.hasOwn: a key like "constructor" must not find Object.prototype's member.
    if (Object.hasOwn(props, key)) check(props[key], value[key], child, ctx);
    else if (schema.additionalProperties === false) {
      const known = Object.keys(props);
      ctx.issues.push({ path: child, message: `${child} is not a known key; allowed keys: ${known.length > 0 ? orList(known) : 'none'}` });
    } else if (typeof schema.additionalProperties === 'object') check(schema.additionalProperties, value[key], child, ctx);
  }
}

function scalarOk(schema: JsonSchema, value: unknown): boolean {
  if (schema.const !== undefined && !jsonEqual(value, schema.const)) return false;
  if (schema.enum && !schema.enum.some((e) => jsonEqual(value, e))) return false;
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && !(value >= schema.minimum)) return false;
    if (schema.maximum !== undefined && !(value <= schema.maximum)) return false;
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && !lengthAtLeast(value, schema.minLength)) return false;
    if (schema.maxLength !== undefined && lengthAtLeast(value, schema.maxLength + 1)) return false;
    if (schema.pattern !== undefined && !compile(schema.pattern).test(value)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Describing what is allowed

/** The "allowed: …" text for a schema: "an integer from 1 to 65535", "1, 10, 100 or 1000". */
export function describeSchema(schema: JsonSchema): string {
  if (schema.allowed) return schema.allowed;
  if (schema.const !== undefined) return preview(schema.const);
  if (schema.enum) return orList(schema.enum.map((e) => preview(e)));
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches && schema.type === undefined) return describeBranches(branches);
  if (schema.type === undefined) return 'any value';
  return orList(typesOf(schema).map((t) => describeType(schema, t)));
}

function describeBranches(branches: readonly JsonSchema[]): string {
  return orList(branches.map(describeSchema));
}

function describeType(s: JsonSchema, t: JsonType): string {
  switch (t) {
    case 'integer':
    case 'number':
      return (t === 'integer' ? 'an integer' : 'a number') + range(s.minimum, s.maximum, '');
    case 'string': {
      const nonEmpty = s.minLength === 1;
      const base = nonEmpty ? 'a non-empty string' : 'a string';
      const len = nonEmpty ? (s.maxLength !== undefined ? ` of up to ${s.maxLength} characters` : '') : range(s.minLength, s.maxLength, ' characters');
      return base + len + (s.pattern !== undefined ? ` matching /${s.pattern}/` : '');
    }
    case 'array': {
      const { minItems: lo, maxItems: hi } = s;
      const count =
        lo !== undefined && lo === hi
          ? ` of exactly ${plural(lo, 'item')}`
          : lo !== undefined && hi !== undefined
            ? ` of ${lo} to ${hi} items`
            : lo !== undefined
              ? ` of at least ${plural(lo, 'item')}`
              : hi !== undefined
                ? ` of up to ${plural(hi, 'item')}`
                : '';
      const each = s.items ? `, each ${describeSchema(s.items)}` : '';
      return `a list${count}${each}${s.uniqueItems ? ', no duplicates' : ''}`;
    }
    case 'object': {
      const keys = Object.keys(s.properties ?? {});
      return keys.length > 0 && keys.length <= 12 ? `an object with keys ${orList(keys, 'and')}` : 'an object';
    }
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
  }
}

function range(min: number | undefined, max: number | undefined, unit: string): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}${unit}`;
  if (min !== undefined) return ` of at least ${min}${unit}`;
  if (max !== undefined) return ` of at most ${max}${unit}`;
  return '';
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function orList(items: readonly string[], word = 'or'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${word} ${items[items.length - 1]}`;
}

// ---------------------------------------------------------------------------------------------
// Value helpers

const PREVIEW_BUDGET = 60;

/** A short, JSON-like rendering of a value for messages; never longer than ~60 characters. */
export function preview(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  const short = shortJson(value, { left: PREVIEW_BUDGET });
  if (short !== undefined) return short;
  if (Array.isArray(value)) return `a list of ${plural(value.length, 'item')}`;
  if (isPlainObject(value)) return `an object with ${plural(Object.keys(value).length, 'key')}`;
  return typeof value;
}

/** JSON text of `value` if it fits in the budget, else undefined; stops as soon as it overflows. */
function shortJson(value: unknown, budget: { left: number }): string | undefined {
  const spend = (s: string): string | undefined => ((budget.left -= s.length) >= 0 ? s : undefined);
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return spend(String(value));
  if (typeof value === 'string') return value.length > budget.left ? undefined : spend(JSON.stringify(value));
  const isArray = Array.isArray(value);
  if (!isArray && !isPlainObject(value)) return undefined;
  if (spend('[]') === undefined) return undefined;
  // Every item costs at least one character, so this loop runs at most ~budget times.
  const keys = isArray ? undefined : Object.keys(value);
  const count = isArray ? value.length : keys!.length;
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0 && spend(',') === undefined) return undefined;
    const key = keys ? JSON.stringify(keys[i]) + ':' : '';
    if (key && spend(key) === undefined) return undefined;
    const item = shortJson(isArray ? value[i] : (value as Record<string, unknown>)[keys![i]], budget);
    if (item === undefined) return undefined;
    parts.push(key + item);
  }
  return isArray ? `[${parts.join(',')}]` : `{${parts.join(',')}}`;
}

function typesOf(schema: JsonSchema): readonly JsonType[] {
  const t = schema.type;
  return t === undefined ? [] : typeof t === 'string' ? [t] : t;
}

function hasType(value: unknown, t: JsonType): boolean {
  switch (t) {
    case 'string':
      return typeof value === 'string';
    // Non-finite numbers cannot come from JSON; treat them as not numbers at all.
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isPlainObject(value);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True if `s` has at least `n` code points, looking at no more of the string than needed. */
function lengthAtLeast(s: string, n: number): boolean {
  if (n <= 0) return true;
  if (s.length < n) return false; // code points <= UTF-16 units
  if (s.length >= 2 * n) return true; // each code point is at most 2 units
  let count = 0;
  for (const _ of s) if (++count >= n) return true;
  return false;
}

const MAX_EQUAL_DEPTH = 64;

/** Deep equality of JSON values (key order ignored). Beyond 64 levels, values compare unequal. */
export function jsonEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (depth > MAX_EQUAL_DEPTH || typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i], depth + 1));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.hasOwn(bo, k) && jsonEqual(ao[k], bo[k], depth + 1));
}

/**
 * Index of the first item equal to an earlier one (jsonEqual), or undefined. Linear: one Set of
 * canonical keys (sorted object keys), stopping at the first duplicate (issue 9: the pairwise
 * comparison it replaces cost 0.5 s for one 32 KiB message).
 */
function firstDuplicate(items: readonly unknown[]): number | undefined {
  const seen = new Set<string>();
  const unique = { n: 0 };
  for (let i = 0; i < items.length; i++) {
    const key = canonicalKey(items[i], 0, unique);
    if (seen.has(key)) return i;
    seen.add(key);
  }
  return undefined;
}

/**
 * A string equal for two values exactly when jsonEqual holds. Beyond MAX_EQUAL_DEPTH levels
 * values compare unequal (as in jsonEqual): they get a key no other value has.
 */
function canonicalKey(v: unknown, depth: number, unique: { n: number }): string {
  if (typeof v !== 'object' || v === null) return typeof v === 'string' ? JSON.stringify(v) : `${typeof v}:${String(v)}`;
  if (depth > MAX_EQUAL_DEPTH) return `\u0000${unique.n++}`;
  if (Array.isArray(v)) return `[${v.map((x) => canonicalKey(x, depth + 1, unique)).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalKey(o[k], depth + 1, unique)}`)
    .join(',')}}`;
}

const patterns = new Map<string, RegExp>();
function compile(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) {
    re = new RegExp(pattern, 'u'); // a bad pattern is a bug in our schema: let it throw loudly
    patterns.set(pattern, re);
  }
  return re;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
function joinKey(path: string, key: string): string {
  if (IDENTIFIER.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

function full(ctx: Context): boolean {
  return ctx.issues.length >= ctx.max;
}
