/**
 * JSON text exactly as Python's `json.dumps(obj)` prints it with its defaults: `", "` between
 * items, `": "` after keys, no indentation, keys in insertion order, and `ensure_ascii`: every
 * character outside printable ASCII (space … `~`) escaped as `\uXXXX` (UTF-16 units, so a
 * character past U+FFFF becomes a surrogate pair), with the short escapes `\" \\ \n \r \t \b \f`.
 *
 * The OpenSignals text header is this text, byte for byte (docs/recording.md "Text header").
 * Only what the header holds is supported: objects, arrays, strings and integers. A float, a
 * boolean or null would print differently in Python (and breaks readers that parse the header
 * with `ast.literal_eval`), so they are refused.
 */
const SHORT: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

export type PyJson = string | number | readonly PyJson[] | { readonly [key: string]: PyJson };

export function pyString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && ch !== '"' && ch !== '\\') out += ch;
    else out += SHORT[ch] ?? '\\u' + c.toString(16).padStart(4, '0');
  }
  return out + '"';
}

/** Python's `json.dumps(value)`; throws TypeError for anything but objects, arrays, strings and safe integers. */
export function pyJsonDumps(value: PyJson): string {
  if (typeof value === 'string') return pyString(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`pyJsonDumps: ${value} is not an integer (a header holds integers only)`);
    return String(value);
  }
  if (Array.isArray(value)) return '[' + value.map((v: PyJson) => pyJsonDumps(v)).join(', ') + ']';
  if (value !== null && typeof value === 'object') {
    return '{' + Object.entries(value as Record<string, PyJson>).map(([k, v]) => `${pyString(k)}: ${pyJsonDumps(v)}`).join(', ') + '}';
  }
  throw new TypeError(`pyJsonDumps: ${String(value)} cannot be written in an OpenSignals header`);
}
