import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonSyntaxError } from '../../src/main/config/json-position.js';

describe('jsonSyntaxError', () => {
  it.each([
    ['{"a":[1,2,],"b":3}', 10, 'a trailing comma before ]'],
    ['{"a":1,}', 7, 'a trailing comma before }'],
    ['{"a":1 "b":2}', 7, `'"' where a ',' or } should be`],
    ["{'a':1}", 1, "a name in 'single quotes'"],
    ['{"a":}', 5, 'a missing value before }'],
    ['{"a":1}x', 7, "'x' after the end of the JSON object"],
    ['[1,2', 4, 'the file ends before a closing ]'],
    ['', 0, 'the file is empty'],
    ['{"a":"x\ny"}', 7, 'a line break inside a string'],
    ['{"a": tru}', 6, "'t' where a value should be"],
    ['  {"port": 9001, // c\n}', 17, "'/' where a \"quoted\" property name should be"],
    ['{"a" 1}', 5, "'1' where a ':' should follow"],
    ['{"p":"C:\\Users"}', 8, 'an unknown escape'],
    ['{"a":"never', 5, 'a string that never ends'],
  ])('%j: offset %i, %s', (text, offset, problem) => {
    const e = jsonSyntaxError(text);
    expect(e?.offset).toBe(offset);
    expect(e?.problem).toContain(problem);
  });

  it('finds nothing wrong in what JSON.parse accepts, and something in what it refuses', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(jsonSyntaxError(text)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.json(), fc.nat(), fc.constantFrom(',', ']', '}', '"', ':', 'x', '{', '['), (text, at, ch) => {
        const i = at % (text.length + 1);
        const broken = text.slice(0, i) + ch + text.slice(i);
        let valid = true;
        try {
          JSON.parse(broken);
        } catch {
          valid = false;
        }
        expect(jsonSyntaxError(broken) === undefined).toBe(valid);
      }),
      { numRuns: 500 },
    );
  });

  it('is linear: 200 000 nested brackets and a long string', () => {
    expect(jsonSyntaxError('['.repeat(200_000) + ']'.repeat(200_000))).toBeUndefined();
    expect(jsonSyntaxError('['.repeat(200_000))?.problem).toBe('the file ends before a closing ]');
    expect(jsonSyntaxError(`"${'a'.repeat(1_000_000)}"`)).toBeUndefined();
  });
});
