/**
 * The query predicates an outlet answers (docs/lsl.md §5). liblsl evaluates a resolver's query as
 * XPath 1.0 on the info document; ServerBIT understands the subset liblsl's own resolvers and
 * inlets send — `field='text'` (or `"text"`, or a number) joined by `and`:
 *
 *   session_id='default' and name='BITalino'                   (lsl_resolve_byprop)
 *   channel_count='6' and name='…' and type='…' and source_id='…' and channel_format='float32'
 *                                                              (an inlet recovering its stream)
 *
 * where `field` is one of the info's top-level text fields. Anything else (`or`, functions,
 * parentheses, `!=`, paths into `desc`) is `unsupported` and answered as no match: never an error.
 *
 * Bounds: one left-to-right pass over the query, no backtracking, no recursion; the caller bounds
 * the length (a datagram is at most 64 KiB).
 */

export type QueryResult = 'match' | 'nomatch' | 'unsupported';

/** Whitespace as XPath (and liblsl's trim) counts it. */
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isNameStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** XPath's number(): optional whitespace, an optional minus, digits with an optional fraction; else NaN. */
function xpathNumber(text: string): number {
  return /^[ \t\r\n]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*$/.test(text) ? Number(text.trim()) : NaN;
}

/**
 * Matches `query` against the info's fields (element name → text, see infoFields). The empty query
 * matches, as in liblsl (which trims what it receives first: so do parseUdpRequest and parseFeedRequest).
 */
export function matchQuery(query: string, fields: Readonly<Record<string, string>>): QueryResult {
  const n = query.length;
  let i = 0;
  const skip = (): void => {
    while (i < n && isSpace(query.charCodeAt(i))) i++;
  };
  // Only the empty query matches everything (liblsl); the callers trim what arrives first.
  if (n === 0) return 'match';
  skip();
  if (i === n) return 'unsupported';
  let all = true;
  for (;;) {
    // field name
    const start = i;
    if (i >= n || !isNameStart(query.charCodeAt(i))) return 'unsupported';
    while (i < n && isNameChar(query.charCodeAt(i))) i++;
    const field = query.slice(start, i);
    skip();
    if (query.charCodeAt(i) !== 0x3d /* = */) return 'unsupported';
    i++;
    skip();
    // literal: '…', "…" or a number
    const q = query.charCodeAt(i);
    let equal: boolean;
    if (q === 0x27 || q === 0x22) {
      const end = query.indexOf(query[i], i + 1);
      if (end < 0) return 'unsupported';
      const literal = query.slice(i + 1, end);
      i = end + 1;
      // A missing element is an empty node-set: never equal (XPath 1.0 §3.4).
      equal = Object.hasOwn(fields, field) && fields[field] === literal;
    } else if (isDigit(q) || q === 0x2e) {
      const s = i;
      while (i < n && isDigit(query.charCodeAt(i))) i++;
      if (query.charCodeAt(i) === 0x2e) {
        i++;
        while (i < n && isDigit(query.charCodeAt(i))) i++;
      }
      const literal = query.slice(s, i);
      if (literal === '.') return 'unsupported';
      equal = Object.hasOwn(fields, field) && xpathNumber(fields[field]) === Number(literal);
    } else {
      return 'unsupported';
    }
    all &&= equal;
    skip();
    if (i === n) return all ? 'match' : 'nomatch';
    // `and`, then the next comparison
    if (query.startsWith('and', i) && (i + 3 === n || !isNameChar(query.charCodeAt(i + 3)))) {
      i += 3;
      skip();
      continue;
    }
    return 'unsupported';
  }
}
