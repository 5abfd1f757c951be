/**
 * Validation of everything that crosses a boundary (the config file, IPC payloads, /v2 wire
 * messages) against TypeBox schemas, with messages a user can act on.
 *
 * The schemas are TypeBox `Type.*` builders (src/shared/v2-schemas.ts, config-schema.ts,
 * outputs/): one source for the JSON Schema and, through `Static<typeof X>`, the TypeScript type.
 * They are checked with TypeBox's interpreter (`Check` and `Errors` from @sinclair/typebox/value
 * and /errors), never with its TypeCompiler: the compiler builds functions with `new Function`,
 * which the window's strict CSP (no 'unsafe-eval') refuses; the interpreter runs anywhere.
 *
 * TypeBox's own error texts ("Expected integer") name neither the value nor what is allowed, so
 * `validate` turns its errors into ValidationIssues that do: "sampling_rate is 500; allowed: 1,
 * 10, 100 or 1000" (users read them as-is in the CLI, the window and /v2 errors). A schema may
 * carry the non-standard `allowed` option (TypeBox keeps extra options in the schema; other JSON
 * Schema tools ignore it) where the generated text would be vague, e.g. "a channel from 1 to 6
 * (1 = A1)".
 *
 * Bounded: at most `maxIssues` issues (default 20) and TypeBox's error iterator is not advanced
 * past them; values are previewed in at most ~60 characters. The walk follows the schema, so its
 * depth is the schema's, with one exception: `uniqueItems` hashes every item (TypeBox's `Hash`,
 * linear in the items' size, and recursive in their depth). Untrusted values are bounded in depth
 * and size first (src/shared/json-bounds.ts) by whoever receives them; anything TypeBox throws
 * here is reported as an issue, never rethrown.
 *
 * Where TypeBox differs from the hand-written interpreter this replaced: string lengths count
 * UTF-16 code units (JavaScript's `length`, what an HTML `maxlength` counts), not code points, so
 * a `maxLength` never admits more than JSON Schema's own reading; `oneOf` and object-valued
 * `const` are not used (TypeBox has neither builder); `uniqueItems` compares TypeBox hashes, which
 * can call two different items equal ("\u0100" and "\u0001\u0000"; [[1], 2] and [[1, 2]]) and so
 * refuse a list without a real repeat, never the reverse.
 */
import { Type, type ObjectOptions, type SchemaOptions, type Static, type TLiteral, type TLiteralValue, type TSchema, type TUnion, type TUnsafe } from '@sinclair/typebox';
import { Errors, ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { Check, Hash } from '@sinclair/typebox/value';

export type { TSchema };

/** True when A and B are the same type (for compile-time checks that a schema's Static matches a hand-written type). */
export type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Fails to compile unless T is `true`: `type _ = Assert<Same<Static<typeof X>, Y>>`. */
export type Assert<T extends true> = T;

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

// ---------------------------------------------------------------------------------------------
// Builders TypeBox lacks

/** One of these values (`anyOf` of `const`s, JSON Schema's `enum`): `Literals([1, 10, 100, 1000])`. */
export function Literals<const T extends readonly TLiteralValue[]>(values: T, options?: SchemaOptions): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as TUnion<TLiteral<T[number]>[]>;
}

/**
 * An object whose every key holds a `values` (JSON Schema `additionalProperties`), typed
 * `Record<string, Static<T>>`. Not `Type.Record(Type.String(), …)`: TypeBox checks a record's
 * keys against the pattern `^(.*)$`, which no key holding a line break matches, so such a key's
 * value would go unchecked.
 */
export function Dictionary<T extends TSchema>(values: T, options?: ObjectOptions): TUnsafe<Record<string, Static<T>>> {
  return Type.Unsafe<Record<string, Static<T>>>(Type.Object({}, { ...options, additionalProperties: values }));
}

/** `schema` as it is checked, with the TypeScript type `T` (e.g. a set of literal numbers typed `number`, as producers hold them). */
export function Typed<T>(schema: TSchema): TUnsafe<T> {
  return Type.Unsafe<T>(schema);
}

// ---------------------------------------------------------------------------------------------
// Checking

/** True when `value` matches `schema` (TypeBox's interpreter; no issue texts are built). Never throws. */
export function matches(schema: TSchema, value: unknown): boolean {
  try {
    return Check(schema, value);
  } catch {
    return false;
  }
}

/** Validates `value` (untrusted, `unknown`) against `schema`: [] when it matches. Never throws. */
export function validate(schema: TSchema, value: unknown, options: ValidateOptions = {}): ValidationIssue[] {
  const prefix = options.path ?? '';
  const rootName = options.rootName ?? 'value';
  const max = Math.max(1, options.maxIssues ?? DEFAULT_MAX_ISSUES);
  const name = prefix === '' ? rootName : prefix;
  try {
    if (Check(schema, value)) return [];
    const issues = new IssueCollector(value, prefix, rootName, max);
    issues.take(Errors(schema, value));
    // Check said no, so something must be said even if the error walk found nothing to name.
    if (issues.list.length === 0) issues.list.push({ path: prefix, message: `${name} is ${preview(value)}; allowed: ${describeSchema(schema)}` });
    return issues.list;
  } catch (e) {
    const why = e instanceof RangeError ? 'it nests too deeply' : e instanceof Error ? e.message : String(e);
    return [{ path: prefix, message: `${name} could not be checked (${why}); allowed: ${describeSchema(schema)}` }];
  }
}

/** A list longer than this many times its `maxItems` ends the error walk (IssueCollector.add). */
export const OVERLONG_FACTOR = 2;

/**
 * Turns TypeBox's errors into issues: one per node and kind (a value that breaks two bounds of
 * one "allowed" set is said once), paths in accessor form, the missing-key error said once (TypeBox
 * also reports the missing value against the key's schema).
 */
class IssueCollector {
  readonly list: ValidationIssue[] = [];
  private readonly said = new Set<string>();
  private readonly missing = new Set<string>();
  /** The JSON Pointer of each issue in `list`. */
  private readonly pointers: string[] = [];

  constructor(
    private readonly root: unknown,
    private readonly prefix: string,
    private readonly rootName: string,
    private readonly max: number,
  ) {}

  /** Set by a list far longer than its `maxItems`: nothing after it is examined (see add). */
  private stopped = false;

  take(errors: Iterable<ValueError>): void {
    for (const e of errors) {
      if (this.list.length >= this.max || this.stopped) return;
      this.add(e);
      if (this.stopped) return;
    }
  }

  private add(e: ValueError): void {
    if (this.isUnderMissing(e.path)) return;
    const path = this.pathOf(e.path);
    const name = path === '' ? this.rootName : path;
    const schema = e.schema as SchemaFields;
    switch (e.type) {
      case ValueErrorType.ObjectRequiredProperty:
        this.missing.add(e.path);
        return this.say('missing', e.path, path, `${path} is missing; allowed: ${describeSchema(schema)}`);
      case ValueErrorType.ObjectAdditionalProperties: {
        const known = Object.keys(schema.properties ?? {});
        return this.say('unknown', e.path, path, `${path} is not a known key; allowed keys: ${known.length > 0 ? orList(known) : 'none'}`);
      }
      case ValueErrorType.ArrayMinItems:
      case ValueErrorType.ArrayMaxItems: {
        const n = Array.isArray(e.value) ? e.value.length : 0;
        this.say('count', e.path, path, `${name} has ${plural(n, 'item')}; allowed: ${describeSchema(schema)}`);
        // TypeBox's error walk goes on to every item and then hashes them all for `uniqueItems`
        // (its Check stops at the count): for a hostile 32 KiB list of short strings that is
        // ~30 ms, a few messages a second would stall the service (issue 9, finding 2). For a list
        // this far past its bound the walk ends here: its items are checked one by one (no hash)
        // until the issues are full, and nothing after the list is examined.
        if (Array.isArray(e.value) && schema.items && typeof schema.maxItems === 'number' && n > OVERLONG_FACTOR * schema.maxItems) {
          for (let i = 0; i < n && this.list.length < this.max; i++) this.take(prefixed(Errors(schema.items as TSchema, e.value[i]), `${e.path}/${i}`));
          this.stopped = true;
        }
        return;
      }
      case ValueErrorType.ArrayUniqueItems:
        return this.say('unique', e.path, path, `${name} has ${preview(firstDuplicate(e.value))} more than once; allowed: ${describeSchema(schema)}`);
      case ValueErrorType.ObjectMinProperties:
      case ValueErrorType.ObjectMaxProperties: {
        const n = isPlainObject(e.value) ? Object.keys(e.value).length : 0;
        return this.say('count', e.path, path, `${name} has ${plural(n, 'key')}; allowed: ${describeSchema(schema)}`);
      }
      case ValueErrorType.Union:
        return this.union(e, path, name);
      default:
        // The value's type, or one of its scalar bounds (minimum, maxLength, pattern, const…).
        return this.say('value', e.path, path, `${name} is ${preview(e.value)}; allowed: ${describeSchema(schema)}`);
    }
  }

  /**
   * A union no branch accepts. When only one branch takes the value's type, its own issues are
   * the useful ones ("device[0][1] is 3; allowed: a string") rather than a list of every
   * alternative. Literal branches (`const`) do not count as taking a type: "all" or a list.
   */
  private union(e: ValueError, path: string, name: string): void {
    const branches = ((e.schema as SchemaFields).anyOf ?? []) as readonly SchemaFields[];
    const sameType = branches.flatMap((b, i) => (b.const === undefined && b.type !== undefined && typesOf(b).some((t) => hasType(e.value, t)) ? [i] : []));
    if (sameType.length === 1 && e.errors[sameType[0]] !== undefined) {
      const before = this.list.length;
      this.take(e.errors[sameType[0]]);
      if (this.list.length > before) return;
    }
    this.say('value', e.path, path, `${name} is ${preview(e.value)}; allowed: ${describeSchema(e.schema as SchemaFields)}`);
  }

  private say(kind: string, pointer: string, path: string, message: string): void {
    const key = `${kind}\u0000${pointer}`;
    if (this.said.has(key) || this.list.length >= this.max) return;
    this.said.add(key);
    // TypeBox reports a repeated item after the items' own errors; say it with the list's length,
    // before them, as one "what is wrong with this list" message.
    let at = this.list.length;
    if (kind === 'unique') {
      const first = this.pointers.findIndex((p) => p.startsWith(`${pointer}/`));
      if (first !== -1) at = first;
    }
    this.list.splice(at, 0, { path, message });
    this.pointers.splice(at, 0, pointer);
  }

  private isUnderMissing(pointer: string): boolean {
    if (this.missing.size === 0) return false;
    for (const m of this.missing) if (pointer === m || pointer.startsWith(`${m}/`)) return true;
    return false;
  }

  /**
   * A JSON Pointer (TypeBox's paths: `/channels/2`) in accessor form (`channels[2]`), with the
   * prefix. The value is followed along the pointer to tell an array index from a key "2".
   */
  private pathOf(pointer: string): string {
    let path = this.prefix;
    if (pointer === '') return path;
    let node: unknown = this.root;
    for (const raw of pointer.slice(1).split('/')) {
      const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      if (Array.isArray(node) && /^(0|[1-9][0-9]*)$/.test(seg)) {
        path = `${path}[${seg}]`;
        node = node[Number(seg)];
      } else {
        path = joinKey(path, seg);
        node = isPlainObject(node) && Object.hasOwn(node, seg) ? node[seg] : undefined;
      }
    }
    return path;
  }
}

/** TypeBox's errors for a value found at `pointer`, with paths from the root (unions' branch errors too). */
function* prefixed(errors: Iterable<ValueError>, pointer: string): Generator<ValueError> {
  for (const e of errors) yield { ...e, path: pointer + e.path, errors: e.errors.map((branch) => prefixed(branch, pointer)) as unknown as ValueError['errors'] };
}

/**
 * The item of `items` equal to an earlier one, found with the hash TypeBox's `uniqueItems` uses
 * (so the message names the item TypeBox refused): one linear pass, stopping at the first repeat.
 */
function firstDuplicate(items: unknown): unknown {
  if (!Array.isArray(items)) return undefined;
  const seen = new Set<bigint>();
  for (const item of items) {
    const h = Hash(item);
    if (seen.has(h)) return item;
    seen.add(h);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Describing what is allowed

type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | 'null';

/** The JSON Schema keywords a TypeBox schema carries that `describeSchema` reads. */
interface SchemaFields {
  type?: JsonType | readonly JsonType[];
  const?: unknown;
  enum?: readonly unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  items?: SchemaFields;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  properties?: Readonly<Record<string, SchemaFields>>;
  anyOf?: readonly SchemaFields[];
  /** Our annotation: replaces the generated "allowed: …" text. */
  allowed?: string;
}

/** The "allowed: …" text for a schema: "an integer from 1 to 65535", "1, 10, 100 or 1000". */
export function describeSchema(schema: TSchema | SchemaFields): string {
  const s = schema as SchemaFields;
  if (typeof s.allowed === 'string') return s.allowed;
  if (s.const !== undefined) return preview(s.const);
  if (s.enum) return orList(s.enum.map((e) => preview(e)));
  if (s.anyOf && s.type === undefined) return orList(s.anyOf.map(describeSchema));
  if (s.type === undefined) return 'any value';
  return orList(typesOf(s).map((t) => describeType(s, t)));
}

function describeType(s: SchemaFields, t: JsonType): string {
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
      // TypeBox's Type.Unknown() items are `{}`: "each any value" says nothing.
      const each = s.items && describeSchema(s.items) !== 'any value' ? `, each ${describeSchema(s.items)}` : '';
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

function typesOf(schema: SchemaFields): readonly JsonType[] {
  const t = schema.type;
  return t === undefined ? [] : typeof t === 'string' ? [t] : t;
}

function hasType(value: unknown, t: JsonType): boolean {
  switch (t) {
    case 'string':
      return typeof value === 'string';
    // Non-finite numbers cannot come from JSON; TypeBox treats them as not numbers at all.
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

// ---------------------------------------------------------------------------------------------
// Value helpers

const PREVIEW_BUDGET = 60;

/**
 * `scheme://user:password@…` with the password as `***`, so that no message quotes one (an MQTT
 * broker or device address that fails a check, even one too long to show whole), up to the last
 * "@" before the path, as a URL parser reads it. Anchored: linear in the string.
 */
const CREDENTIALS = /^(\s*[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^/\s]*(?=@)/i;
function maskCredentials(text: string): string {
  return text.replace(CREDENTIALS, '$1***');
}

/** A short, JSON-like rendering of a value for messages; never longer than ~60 characters, never with a password. */
export function preview(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') {
    const text = maskCredentials(value);
    return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
  }
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
  if (typeof value === 'string') return value.length > budget.left ? undefined : spend(JSON.stringify(maskCredentials(value)));
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

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
function joinKey(path: string, key: string): string {
  if (IDENTIFIER.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}
