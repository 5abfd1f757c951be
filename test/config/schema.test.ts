import { describe, expect, it } from 'vitest';
import { Type, type TSchema } from '@sinclair/typebox';
import { Dictionary, Literals, describeSchema, preview, validate } from '../../src/shared/schema.js';
import { REPLY_SCHEMA } from '../../src/shared/v2-schemas.js';

const messages = (schema: TSchema, value: unknown): string[] => validate(schema, value).map((i) => `${i.path}: ${i.message}`);

describe('validate: scalars', () => {
  it('accepts each type and rejects the others', () => {
    const cases: [string, TSchema, unknown, unknown][] = [
      ['string', Type.String(), 'x', 1],
      ['number', Type.Number(), 1.5, '1.5'],
      ['integer', Type.Integer(), 3, 3.5],
      ['boolean', Type.Boolean(), false, 0],
      ['null', Type.Null(), null, undefined],
      ['array', Type.Array(Type.Unknown()), [], {}],
      ['object', Type.Object({}), {}, []],
    ];
    for (const [type, schema, good, bad] of cases) {
      expect(validate(schema, good), `${type} accepts ${String(good)}`).toEqual([]);
      expect(validate(schema, bad), `${type} rejects ${String(bad)}`).toHaveLength(1);
    }
  });

  it('treats 1.0 as an integer and NaN/Infinity as not numbers', () => {
    expect(validate(Type.Integer(), 1.0)).toEqual([]);
    expect(validate(Type.Number(), Number.NaN)).toHaveLength(1);
    expect(validate(Type.Number(), Infinity)).toHaveLength(1);
  });

  it('accepts a list of types', () => {
    const s = Type.Union([Type.String(), Type.Null()]);
    expect(validate(s, null)).toEqual([]);
    expect(validate(s, 'a')).toEqual([]);
    expect(messages(s, 3)).toEqual([': value is 3; allowed: a string or null']);
  });

  it('names the value and the allowed enum values', () => {
    const s = Literals([1, 10, 100, 1000]);
    expect(validate(s, 500, { path: 'sampling_rate' })).toEqual([{ path: 'sampling_rate', message: 'sampling_rate is 500; allowed: 1, 10, 100 or 1000' }]);
  });

  it('describes ranges in one message, whichever bound failed', () => {
    const s = Type.Integer({ minimum: 1, maximum: 65535 });
    expect(messages(s, 70000)).toEqual([': value is 70000; allowed: an integer from 1 to 65535']);
    expect(messages(s, 0)).toEqual([': value is 0; allowed: an integer from 1 to 65535']);
    expect(messages(s, '9001')).toEqual([': value is "9001"; allowed: an integer from 1 to 65535']);
    expect(validate(Type.Number({ minimum: 0.5 }), 0.4)[0].message).toBe('value is 0.4; allowed: a number of at least 0.5');
  });

  it('const (TypeBox literals: strings, numbers, booleans)', () => {
    expect(validate(Type.Literal('data'), 'data')).toEqual([]);
    expect(messages(Type.Literal('data'), 'meta')).toEqual([': value is "meta"; allowed: "data"']);
    expect(validate(Type.Literal(true), true)).toEqual([]);
  });

  it('string lengths count UTF-16 code units (TypeBox, JavaScript `length`), so maxLength is never looser than code points; and pattern', () => {
    const s = Type.String({ minLength: 1, maxLength: 3 });
    expect(validate(s, 'abc')).toEqual([]);
    expect(validate(s, '😀')).toEqual([]); // 2 UTF-16 units, 1 code point
    expect(validate(s, '😀😀')).toHaveLength(1); // 4 units, 2 code points: refused, as no more than 3 units may pass
    expect(messages(s, '')).toEqual([': value is ""; allowed: a non-empty string of up to 3 characters']);
    expect(validate(s, 'abcd')).toHaveLength(1);
    expect(validate(Type.String({ maxLength: 3 }), 'x'.repeat(1_000_000))).toHaveLength(1);
    const p = Type.String({ pattern: '^[0-9A-F]{2}$' });
    expect(validate(p, 'A0')).toEqual([]);
    expect(messages(p, 'zz')).toEqual([': value is "zz"; allowed: a string matching /^[0-9A-F]{2}$/']);
  });
});

describe('validate: arrays', () => {
  const channels = Type.Array(Type.Integer({ minimum: 1, maximum: 6 }), { minItems: 1, maxItems: 6, uniqueItems: true });

  it('reports the index of a bad item', () => {
    expect(validate(channels, [1, 2, 7], { path: 'channels' })).toEqual([{ path: 'channels[2]', message: 'channels[2] is 7; allowed: an integer from 1 to 6' }]);
  });

  it('reports length and duplicates with what is allowed (a repeated item before the items themselves)', () => {
    expect(messages(channels, [])).toEqual([': value has 0 items; allowed: a list of 1 to 6 items, each an integer from 1 to 6, no duplicates']);
    expect(messages(channels, [1, 2, 2])[0]).toMatch(/has 2 more than once/);
    expect(messages(channels, [1, 7, 7])).toEqual([
      ': value has 7 more than once; allowed: a list of 1 to 6 items, each an integer from 1 to 6, no duplicates',
      '[1]: [1] is 7; allowed: an integer from 1 to 6',
      '[2]: [2] is 7; allowed: an integer from 1 to 6',
    ]);
    const any = Type.Array(Type.Unknown(), { uniqueItems: true });
    expect(messages(any, [{ a: 1 }, { a: 1 }])[0]).toMatch(/has \{"a":1\} more than once/);
    expect(validate(any, [1, '1', true, null])).toEqual([]);
  });

  it('uses exact counts and the allowed annotation', () => {
    expect(describeSchema(Type.Array(Type.String(), { minItems: 11, maxItems: 11 }))).toBe('a list of exactly 11 items, each a string');
    expect(messages(Type.Array(Type.Unknown(), { minItems: 2, allowed: 'two names' }), ['a'])).toEqual([': value has 1 item; allowed: two names']);
  });
});

describe('validate: objects', () => {
  const s = Type.Object(
    { type: Type.Literal('start'), id: Type.Integer({ minimum: 0 }), args: Type.Optional(Dictionary(Type.Number())) },
    { additionalProperties: false },
  );

  it('accepts a valid object', () => {
    expect(validate(s, { type: 'start', id: 1, args: { x: 1 } })).toEqual([]);
  });

  it('reports missing, unknown and nested keys with their paths (missing first, then unknown keys, then the known keys in schema order)', () => {
    expect(validate(s, { id: -1, extra: 1, args: { x: 'a', 'b c': 2 } })).toEqual([
      { path: 'type', message: 'type is missing; allowed: "start"' },
      { path: 'extra', message: 'extra is not a known key; allowed keys: type, id or args' },
      { path: 'id', message: 'id is -1; allowed: an integer of at least 0' },
      { path: 'args.x', message: 'args.x is "a"; allowed: a number' },
    ]);
    expect(validate(s, { type: 'start', id: 0, args: { 'b c': 'no' } })[0].path).toBe('args["b c"]');
  });

  it('does not mistake Object.prototype members for declared properties', () => {
    const open = Type.Object({ a: Type.Optional(Type.String()) }, { additionalProperties: false });
    expect(validate(open, JSON.parse('{"constructor": 1, "__proto__": 2}'))).toHaveLength(2);
    expect(validate(Type.Object({ toString: Type.String() }), {})).toEqual([{ path: 'toString', message: 'toString is missing; allowed: a string' }]);
  });

  it('uses a root name and path prefix', () => {
    expect(validate(Type.Object({}), 3, { rootName: 'the message' })[0].message).toBe('the message is 3; allowed: an object');
    expect(validate(Type.Integer(), 'x', { path: '--port' })[0]).toEqual({ path: '--port', message: '--port is "x"; allowed: an integer' });
  });
});

describe('validate: unions (anyOf)', () => {
  const device = Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.Array(Type.String()))]);

  it('passes when a branch passes', () => {
    expect(validate(device, 'AA')).toEqual([]);
    expect(validate(device, [['a', 'bitalino']])).toEqual([]);
  });

  it("reports the issues of the one branch of the value's type", () => {
    expect(validate(device, [['a', 3]], { path: 'device' })).toEqual([{ path: 'device[0][1]', message: 'device[0][1] is 3; allowed: a string' }]);
    expect(validate(device, '', { path: 'device' })[0].message).toBe('device is ""; allowed: a non-empty string');
  });

  it('lists the alternatives when no branch has the type', () => {
    expect(validate(device, 5)[0].message).toMatch(/^value is 5; allowed: a non-empty string or a list/);
  });

  it('stands in for oneOf where the branches exclude each other (a reply is ok: true with a result or ok: false with an error)', () => {
    expect(validate(REPLY_SCHEMA, { type: 'reply', id: 1, ok: true, result: null })).toEqual([]);
    expect(validate(REPLY_SCHEMA, { type: 'reply', id: null, ok: false, error: { code: 'BAD_MESSAGE', message: 'x' } })).toEqual([]);
    expect(messages(REPLY_SCHEMA, { type: 'reply', id: 1, ok: true, result: 1, error: { code: 'BAD_MESSAGE', message: 'x' } })).toEqual([
      ': value is an object with 5 keys; allowed: a reply with "ok": true and a "result", or "ok": false and an "error"',
    ]);
  });
});

describe('Dictionary (an object of one kind of value)', () => {
  it('checks every key, also one holding a line break (which Type.Record(Type.String(), …) would skip)', () => {
    const d = Dictionary(Type.Array(Type.Number()));
    expect(validate(d, { A1: [1, 2] })).toEqual([]);
    expect(validate(d, { 'a\nb': 'not samples' })).toEqual([{ path: '["a\\nb"]', message: '["a\\nb"] is "not samples"; allowed: a list, each a number' }]);
    expect(validate(Type.Record(Type.String(), Type.Array(Type.Number())), { 'a\nb': 'not samples' })).toEqual([]); // the gap Dictionary closes
  });
});

describe('bounds', () => {
  it('stops after 20 issues by default, or maxIssues', () => {
    const s = Type.Array(Type.String());
    const many = Array.from({ length: 10_000 }, (_, i) => i);
    expect(validate(s, many)).toHaveLength(20);
    expect(validate(s, many, { maxIssues: 3 })).toHaveLength(3);
    expect(validate(Type.Object({}, { additionalProperties: false }), Object.fromEntries(many.map((i) => [`k${i}`, i])))).toHaveLength(20);
  });

  it('never quotes a password from a scheme://user:password@ address, short or too long to show whole', () => {
    expect(preview('mqtt://lab:s3cret@broker/serverbit/pc/0')).toBe('"mqtt://lab:***@broker/serverbit/pc/0"');
    // Over 256 characters (a schema error): the first 40 characters used to include the password.
    const long = `mqtts://someone:${'p'.repeat(30)}@broker.example.org/${'x'.repeat(300)}`;
    expect(preview(long)).toBe(`"mqtts://someone:***@broker.example.org/x…"`);
    expect(preview([`mqtt://a:hunter2@h/p/0`])).toBe('["mqtt://a:***@h/p/0"]');
    // An unescaped "@" in the password: masked up to the last "@" before the path.
    expect(preview('mqtt://a:p@ss@h/p/0')).toBe('"mqtt://a:***@h/p/0"');
    // Without a password, or not an address: as it was.
    expect(preview('mqtt://lab@broker/serverbit/pc/0')).toBe('"mqtt://lab@broker/serverbit/pc/0"');
    expect(preview('/dev/rfcomm0')).toBe('"/dev/rfcomm0"');
    // A message naming a long address is rejected with the password masked, by the config schema's own check.
    const issues = validate(Type.String({ maxLength: 256 }), long, { path: 'device' });
    expect(issues[0]!.message).not.toContain('ppp');
  });

  it('previews big values briefly', () => {
    expect(preview('x'.repeat(1000)).length).toBeLessThan(50);
    expect(preview(Array.from({ length: 1000 }, () => 1))).toBe('a list of 1000 items');
    expect(preview({ a: 'x'.repeat(100) })).toBe('an object with 1 key');
    expect(preview([1, 2, 7])).toBe('[1,2,7]');
    expect(preview(undefined)).toBe('missing');
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(preview(deep)).toBe('a list of 1 item');
  });
});
