/**
 * Where a JSON text first goes wrong, and how, in words a user can act on. JSON.parse's own
 * message quotes the text around the error (the config file holds the control token) and, in
 * V8, gives no position for some errors (a trailing comma in an array: "Unexpected token ']'").
 *
 * A single pass with an explicit stack (no recursion, so any nesting depth is fine): linear in
 * the text. Only called after JSON.parse failed, so it need not be fast, only right.
 */

export interface JsonSyntaxError {
  /** Offset of the first character that cannot be there (the text's length at an unexpected end). */
  offset: number;
  /** What is wrong there, e.g. "a trailing comma before ]". */
  problem: string;
}

const WS = new Set([' ', '\t', '\n', '\r']);
const LITERALS = ['true', 'false', 'null'];

/** The first syntax error in `text`, or undefined when it is valid JSON. */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  // What each open container expects next.
  type Frame = { kind: 'array' | 'object'; state: 'first' | 'value' | 'comma' | 'key' | 'colon' };
  const stack: Frame[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a BOM (Notepad) is not an error
  let done = false; // the top-level value is complete
  const fail = (offset: number, problem: string): JsonSyntaxError => ({ offset, problem });
  const skip = () => {
    while (i < text.length && WS.has(text[i])) i++;
  };
  const shown = (c: string) => (c === '\n' ? 'a line break' : c === '\t' ? 'a tab' : `'${c}'`);

  /** Reads a string at i (text[i] === '"'); returns an error or moves i past it. */
  const readString = (): JsonSyntaxError | undefined => {
    const start = i++;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i++;
        return undefined;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return fail(i, 'a \\u escape needs four hex digits');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return fail(i, `an unknown escape "\\${e ?? ''}" in a string (write \\\\ for a backslash, as in "C:\\\\Users")`);
        continue;
      }
      if (c.charCodeAt(0) < 0x20) return fail(i, `${shown(c)} inside a string (a string must end on its line, with ")`);
      i++;
    }
    return fail(start, 'a string that never ends (a missing ")');
  };

  /** Reads a scalar or opens a container at i. */
  const readValue = (): JsonSyntaxError | undefined => {
    const c = text[i];
    if (c === '{') {
      stack.push({ kind: 'object', state: 'first' });
      i++;
      return undefined;
    }
    if (c === '[') {
      stack.push({ kind: 'array', state: 'first' });
      i++;
      return undefined;
    }
    if (c === '"') return readString();
    const num = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (num && /[-\d]/.test(c)) {
      i += num[0].length;
      return undefined;
    }
    for (const word of LITERALS) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return undefined;
      }
    }
    if (c === "'") return fail(i, "a string in 'single quotes' (JSON needs \"double quotes\")");
    if (c === '/') return fail(i, 'a comment (JSON allows none)');
    return fail(i, `${shown(c)} where a value should be`);
  };

  const afterValue = () => {
    const top = stack[stack.length - 1];
    if (top) top.state = 'comma';
    else done = true;
  };

  for (;;) {
    skip();
    if (done) return i < text.length ? fail(i, `${shown(text[i])} after the end of the JSON ${text.trimStart().startsWith('[') ? 'list' : 'object'}`) : undefined;
    if (i >= text.length) return fail(text.length, stack.length > 0 ? `the file ends before a closing ${stack[stack.length - 1].kind === 'object' ? '}' : ']'}` : 'the file is empty');
    const c = text[i];
    const top = stack[stack.length - 1];
    if (!top) {
      const e = readValue();
      if (e) return e;
      if (stack.length === 0) done = true;
      continue;
    }
    const close = top.kind === 'object' ? '}' : ']';
    switch (top.state) {
      case 'first':
      case 'value':
      case 'key':
        if (c === close) {
          if (top.state === 'first') {
            stack.pop();
            i++;
            afterValue();
            continue;
          }
          if (top.kind === 'object' && top.state === 'value') return fail(i, `a missing value before ${close}`);
          return fail(i, `a trailing comma before ${close} (JSON allows none)`);
        }
        if (top.kind === 'object' && top.state !== 'value') {
          if (c !== '"') return fail(i, c === "'" ? "a name in 'single quotes' (JSON needs \"double quotes\")" : `${shown(c)} where a "quoted" property name should be`);
          const e = readString();
          if (e) return e;
          top.state = 'colon';
          continue;
        }
        {
          const e = readValue();
          if (e) return e;
          // A scalar completes here; a container completes at its closing bracket.
          if (stack[stack.length - 1] === top) top.state = 'comma';
        }
        continue;
      case 'colon':
        if (c !== ':') return fail(i, `${shown(c)} where a ':' should follow the property name`);
        i++;
        top.state = 'value';
        continue;
      case 'comma':
        if (c === ',') {
          i++;
          top.state = top.kind === 'object' ? 'key' : 'value';
          continue;
        }
        if (c === close) {
          stack.pop();
          i++;
          afterValue();
          continue;
        }
        return fail(i, `${shown(c)} where a ',' or ${close} should be (a missing comma?)`);
    }
  }
}
