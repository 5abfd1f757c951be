/**
 * A size and shape bound for untrusted JSON values, checked WITHOUT recursion, before anything
 * recursive (JSON.stringify, a schema walk, a deep comparison) touches the value.
 *
 * Why: `JSON.parse` is iterative in V8 and turns a 64 KiB text into an array nested 32 000 deep
 * without complaint, but `JSON.stringify` and any recursive walker then overflow the stack
 * (RangeError), which in an event handler kills the process (docs/protocol.md "Access and threat
 * model"). Over Electron IPC a structured clone may also carry values JSON cannot (cycles, Maps,
 * Dates, NaN), or be far larger than a WebSocket frame.
 *
 * `checkJsonBounds` walks the value once with an explicit stack, costs at most one step per node
 * up to `maxNodes` (and stops at the first bound it breaks), and accepts only JSON values: null,
 * booleans, finite numbers, strings, arrays and plain objects.
 */

export interface JsonBounds {
  /** Deepest nesting allowed: a scalar at the top is depth 0, `[1]` and `{"a": 1}` are depth 1. */
  maxDepth: number;
  /** Most values (every scalar, array and object counts one; keys do not) in the whole value. */
  maxNodes: number;
  /** Longest string allowed, in UTF-16 code units (keys included). */
  maxStringLength: number;
  /** Most characters of all strings and keys together, UTF-16 code units. */
  maxTotalChars: number;
}

/**
 * The bounds for /v2 client messages (src/main/api/incoming.ts), from the WebSocket and IPC alike.
 * The deepest real message (`set_config` with `allowed_origins`) is 5 levels deep; the largest
 * is about 10 KiB. A 32 KiB text message (V2_MAX_MESSAGE_BYTES) holds at most ~16 000 values, so
 * `maxNodes` never refuses a text message that the size limit lets through; it bounds IPC values.
 */
export const CLIENT_MESSAGE_BOUNDS: Readonly<JsonBounds> = {
  maxDepth: 32,
  maxNodes: 20_000,
  maxStringLength: 32 * 1024,
  maxTotalChars: 32 * 1024,
};

export type BoundsResult = { ok: true; nodes: number; chars: number } | { ok: false; problem: string };

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Names a value JSON cannot carry: "NaN", "a function", "a Map". */
function kindOf(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'object' || v === null) return `a ${typeof v}`;
  const name = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' ? `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}` : 'an object with a prototype';
}

/**
 * Checks `value` against `bounds`; never throws for a JSON value or a structured clone. (A
 * hostile in-process value, e.g. a Proxy whose traps throw, can still throw: callers wrap it.)
 */
export function checkJsonBounds(value: unknown, bounds: Readonly<JsonBounds> = CLIENT_MESSAGE_BOUNDS): BoundsResult {
  const { maxDepth, maxNodes, maxStringLength, maxTotalChars } = bounds;
  let nodes = 0;
  let chars = 0;
  const stack: unknown[] = [value];
  const depths: number[] = [0];
  const string = (s: string, what: string): string | undefined => {
    if (s.length > maxStringLength) return `${what} is ${s.length} characters long; allowed: at most ${maxStringLength}`;
    chars += s.length;
    if (chars > maxTotalChars) return `the message holds more than ${maxTotalChars} characters of text; allowed: at most ${maxTotalChars}`;
    return undefined;
  };
  while (stack.length > 0) {
    const v = stack.pop();
    const depth = depths.pop()!;
    if (++nodes > maxNodes) return { ok: false, problem: `the message holds more than ${maxNodes} values; allowed: at most ${maxNodes}` };
    if (v === null || typeof v === 'boolean') continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return { ok: false, problem: `the message holds ${kindOf(v)}, which JSON cannot carry` };
      continue;
    }
    if (typeof v === 'string') {
      const p = string(v, 'a string');
      if (p) return { ok: false, problem: p };
      continue;
    }
    if (typeof v !== 'object') return { ok: false, problem: `the message holds ${kindOf(v)}, which JSON cannot carry` };
    if (depth + 1 > maxDepth) return { ok: false, problem: `the message nests more than ${maxDepth} levels deep; allowed: at most ${maxDepth}` };
    if (Array.isArray(v)) {
      // Checked before iterating: a sparse array may claim a huge length.
      if (v.length > maxNodes - nodes) return { ok: false, problem: `the message holds more than ${maxNodes} values; allowed: at most ${maxNodes}` };
      for (let i = 0; i < v.length; i++) {
        stack.push(v[i]);
        depths.push(depth + 1);
      }
      continue;
    }
    if (!isPlainObject(v)) return { ok: false, problem: `the message holds ${kindOf(v)}, which JSON cannot carry` };
    let keys = 0;
    // for…in stops as soon as a bound breaks; Object.keys would first copy every key.
    for (const key in v) {
      if (!Object.hasOwn(v, key)) continue;
      if (++keys + nodes > maxNodes) return { ok: false, problem: `the message holds more than ${maxNodes} values; allowed: at most ${maxNodes}` };
      const p = string(key, 'a key');
      if (p) return { ok: false, problem: p };
      stack.push((v as Record<string, unknown>)[key]);
      depths.push(depth + 1);
    }
  }
  return { ok: true, nodes, chars };
}
