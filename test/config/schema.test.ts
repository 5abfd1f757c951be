import { describe, expect, it } from 'vitest';
import { describeSchema, preview, validate, type JsonSchema } from '../../src/shared/schema.js';

const messages = (schema: JsonSchema, value: unknown): string[] => validate(schema, value).map((i) => `${i.path}: ${i.message}`);

describe('validate: scalars', () => {
  it('accepts each type and rejects the others', () => {
    const cases: [JsonSchema['type'], unknown, unknown][] = [
      ['string', 'x', 1],
      ['number', 1.5, '1.5'],
      ['integer', 3, 3.5],
      ['boolean', false, 0],
      ['null', null, undefined],
      ['array', [], {}],
      ['object', {}, []],
    ];
    for (const [type, good, bad] of cases) {
      expect(validate({ type }, good), `${String(type)} accepts ${String(good)}`).toEqual([]);
      expect(validate({ type }, bad), `${String(type)} rejects ${String(bad)}`).toHaveLength(1);
    }
  });

  it('treats 1.0 as an integer and NaN/Infinity as not numbers', () => {
    expect(validate({ type: 'integer' }, 1.0)).toEqual([]);
    expect(validate({ type: 'number' }, Number.NaN)).toHaveLength(1);
    expect(validate({ type: 'number' }, Infinity)).toHaveLength(1);
  });

  it('accepts a list of types', () => {
    const s: JsonSchema = { type: ['string', 'null'] };
    expect(validate(s, null)).toEqual([]);
    expect(validate(s, 'a')).toEqual([]);
    expect(messages(s, 3)).toEqual([': value is 3; allowed: a string or null']);
  });

  it('names the value and the allowed enum values', () => {
    const s: JsonSchema = { type: 'integer', enum: [1, 10, 100, 1000] };
    expect(validate(s, 500, { path: 'sampling_rate' })).toEqual([{ path: 'sampling_rate', message: 'sampling_rate is 500; allowed: 1, 10, 100 or 1000' }]);
  });

  it('describes ranges in one message, whichever bound failed', () => {
    const s: JsonSchema = { type: 'integer', minimum: 1, maximum: 65535 };
    expect(messages(s, 70000)).toEqual([': value is 70000; allowed: an integer from 1 to 65535']);
    expect(messages(s, 0)).toEqual([': value is 0; allowed: an integer from 1 to 65535']);
    expect(messages(s, '9001')).toEqual([': value is "9001"; allowed: an integer from 1 to 65535']);
    expect(validate({ type: 'number', minimum: 0.5 }, 0.4)[0].message).toBe('value is 0.4; allowed: a number of at least 0.5');
  });

  it('const', () => {
    expect(validate({ const: 'data' }, 'data')).toEqual([]);
    expect(messages({ const: 'data' }, 'meta')).toEqual([': value is "meta"; allowed: "data"']);
    expect(validate({ const: { a: [1] } }, { a: [1] })).toEqual([]);
  });

  it('string lengths count code points, and pattern', () => {
    const s: JsonSchema = { type: 'string', minLength: 1, maxLength: 3 };
    expect(validate(s, '😀😀😀')).toEqual([]); // 6 UTF-16 units, 3 code points
    expect(messages(s, '')).toEqual([': value is ""; allowed: a non-empty string of up to 3 characters']);
    expect(validate(s, 'abcd')).toHaveLength(1);
    expect(validate({ type: 'string', maxLength: 3 }, 'x'.repeat(1_000_000))).toHaveLength(1);
    const p: JsonSchema = { type: 'string', pattern: '^[0-9A-F]{2}$' };
    expect(validate(p, 'A0')).toEqual([]);
    expect(messages(p, 'zz')).toEqual([': value is "zz"; allowed: a string matching /^[0-9A-F]{2}$/']);
  });
});

describe('validate: arrays', () => {
  const channels: JsonSchema = { type: 'array', minItems: 1, maxItems: 6, uniqueItems: true, items: { type: 'integer', minimum: 1, maximum: 6 } };

  it('reports the index of a bad item', () => {
    expect(validate(channels, [1, 2, 7], { path: 'channels' })).toEqual([{ path: 'channels[2]', message: 'channels[2] is 7; allowed: an integer from 1 to 6' }]);
  });

  it('reports length and duplicates with what is allowed', () => {
    expect(messages(channels, [])).toEqual([': value has 0 items; allowed: a list of 1 to 6 items, each an integer from 1 to 6, no duplicates']);
    expect(messages(channels, [1, 2, 2])[0]).toMatch(/has 2 more than once/);
    expect(messages({ type: 'array', uniqueItems: true }, [{ a: 1 }, { a: 1 }])[0]).toMatch(/has \{"a":1\} more than once/);
    expect(validate({ type: 'array', uniqueItems: true }, [1, '1', true, null])).toEqual([]);
  });

  it('uses exact counts and the allowed annotation', () => {
    expect(describeSchema({ type: 'array', minItems: 11, maxItems: 11, items: { type: 'string' } })).toBe('a list of exactly 11 items, each a string');
    expect(messages({ type: 'array', minItems: 2, allowed: 'two names' }, ['a'])).toEqual([': value has 1 item; allowed: two names']);
  });
});

describe('validate: objects', () => {
  const s: JsonSchema = {
    type: 'object',
    required: ['type', 'id'],
    additionalProperties: false,
    properties: { type: { const: 'start' }, id: { type: 'integer', minimum: 0 }, args: { type: 'object', additionalProperties: { type: 'number' } } },
  };

  it('accepts a valid object', () => {
    expect(validate(s, { type: 'start', id: 1, args: { x: 1 } })).toEqual([]);
  });

  it('reports missing, unknown and nested keys with their paths', () => {
    expect(validate(s, { id: -1, extra: 1, args: { x: 'a', 'b c': 2 } })).toEqual([
      { path: 'type', message: 'type is missing; allowed: "start"' },
      { path: 'id', message: 'id is -1; allowed: an integer of at least 0' },
      { path: 'extra', message: 'extra is not a known key; allowed keys: type, id or args' },
      { path: 'args.x', message: 'args.x is "a"; allowed: a number' },
    ]);
    expect(validate(s, { type: 'start', id: 0, args: { 'b c': 'no' } })[0].path).toBe('args["b c"]');
  });

  it('does not mistake Object.prototype members for declared properties', () => {
    const open: JsonSchema = { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false };
    expect(validate(open, JSON.parse('{"constructor": 1, "__proto__": 2}'))).toHaveLength(2);
    expect(validate({ type: 'object', required: ['toString'] }, {})).toHaveLength(1);
  });

  it('uses a root name and path prefix', () => {
    expect(validate({ type: 'object' }, 3, { rootName: 'the message' })[0].message).toBe('the message is 3; allowed: an object');
    expect(validate({ type: 'integer' }, 'x', { path: '--port' })[0]).toEqual({ path: '--port', message: '--port is "x"; allowed: an integer' });
  });
});

describe('validate: anyOf / oneOf', () => {
  const device: JsonSchema = { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'array', items: { type: 'string' } } }] };

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

  it('oneOf rejects a value that matches several branches', () => {
    const s: JsonSchema = { oneOf: [{ type: 'number' }, { type: 'integer' }] };
    expect(validate(s, 1.5)).toEqual([]);
    expect(validate(s, 2)[0].message).toMatch(/matches several/);
    expect(validate(s, 'x')).toHaveLength(1);
  });
});

describe('bounds', () => {
  it('stops after 20 issues by default, or maxIssues', () => {
    const s: JsonSchema = { type: 'array', items: { type: 'string' } };
    const many = Array.from({ length: 10_000 }, (_, i) => i);
    expect(validate(s, many)).toHaveLength(20);
    expect(validate(s, many, { maxIssues: 3 })).toHaveLength(3);
    expect(validate({ type: 'object', additionalProperties: false }, Object.fromEntries(many.map((i) => [`k${i}`, i])))).toHaveLength(20);
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
