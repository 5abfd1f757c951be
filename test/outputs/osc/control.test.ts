import fc from 'fast-check';
import { Bundle, Message, encode } from 'node-osc';
import { describe, expect, it } from 'vitest';
import { parseControl } from '../../../src/main/outputs/osc/control-commands.js';
import { readPacket } from '../../../src/main/outputs/osc/packet.js';

const ids = ['0', '1', 'lab bench'];
const resolve = (part: string) => (ids.includes(part) ? part : part === 'lab_bench' ? 'lab bench' : undefined);
const parse = (address: string, ...args: unknown[]) => parseControl({ address, args }, resolve);

describe('parseControl', () => {
  it('maps each address to its command', () => {
    expect(parse('/0/trigger', 1, 0)).toEqual({ ok: true, commands: [{ kind: 'outputs', device: '0', values: [1, 0] }] });
    expect(parse('/1/trigger', 0.4, 0.6)).toEqual({ ok: true, commands: [{ kind: 'outputs', device: '1', values: [0, 1] }] });
    expect(parse('/0/trigger', true, false, 200.4)).toEqual({ ok: true, commands: [{ kind: 'outputs', device: '0', values: [1, 0] }, { kind: 'pwm', device: '0', duty: 200 }] });
    expect(parse('/0/pwm', 0)).toEqual({ ok: true, commands: [{ kind: 'pwm', device: '0', duty: 0 }] });
    expect(parse('/0/start', 'ignored')).toEqual({ ok: true, commands: [{ kind: 'start', device: '0' }] });
    expect(parse('/0/stop')).toEqual({ ok: true, commands: [{ kind: 'stop', device: '0' }] });
    expect(parse('/lab_bench/marker', 'go', 2)).toEqual({ ok: true, commands: [{ kind: 'marker', device: 'lab bench', label: 'go 2' }] });
    expect(parse('/marker')).toEqual({ ok: true, commands: [{ kind: 'marker', label: 'osc' }] });
    expect(parse('/marker', 'a\u0000b\nc')).toEqual({ ok: true, commands: [{ kind: 'marker', label: 'abc' }] });
    const long = parse('/marker', 'x'.repeat(10_000), 'y');
    expect(long.ok && long.commands[0].kind === 'marker' && long.commands[0].label.length).toBe(128);
  });

  it('refuses what it cannot do, with the code, what is wrong and what to send', () => {
    const cases: [ReturnType<typeof parse>, string, string][] = [
      [parse('/0/pwm', 256), 'BAD_ARGUMENTS', 'allowed: one number from 0 to 255'],
      [parse('/0/pwm', -1), 'BAD_ARGUMENTS', 'allowed: one number from 0 to 255'],
      [parse('/0/pwm', NaN), 'BAD_ARGUMENTS', 'allowed: one number from 0 to 255'],
      [parse('/0/pwm', 1, 2), 'BAD_ARGUMENTS', 'allowed: one number from 0 to 255'],
      [parse('/0/pwm', Buffer.alloc(3)), 'BAD_ARGUMENTS', 'a blob of 3 bytes'],
      [parse('/0/trigger', 1), 'BAD_ARGUMENTS', 'has 1 arguments'],
      [parse('/0/trigger', 1, null), 'BAD_ARGUMENTS', 'must be numbers'],
      [parse('/0/trigger', 1, 0, 999), 'BAD_ARGUMENTS', 'the third value, pwm, is 999'],
      [parse('/5/start'), 'BAD_ARGUMENTS', 'no device "5"'],
      [parse('/[01]/stop'), 'BAD_ARGUMENTS', 'address pattern'],
      [parse('/0/fly'), 'UNKNOWN_COMMAND', 'known: trigger, pwm, start, stop, marker'],
      [parse('/0'), 'UNKNOWN_COMMAND', 'unknown OSC address'],
      [parse('0/start'), 'UNKNOWN_COMMAND', 'unknown OSC address'],
      [parse('/0/start/now'), 'UNKNOWN_COMMAND', 'unknown OSC address'],
      [parse('//start'), 'UNKNOWN_COMMAND', 'unknown OSC address'],
    ];
    for (const [r, code, text] of cases) {
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.error.code).toBe(code);
      expect(r.error.message).toContain(text);
      expect(r.error.hint).toBeTruthy();
    }
  });
});

describe('readPacket (untrusted datagrams)', () => {
  it('reads a message and the messages of nested bundles in datagram order', () => {
    const b = encode(new Bundle(0, new Message('/0/pwm', 1), new Bundle(5, new Message('/0/stop'), new Message('/marker', 'x')), new Message('/0/start')));
    const r = readPacket(b);
    expect(r).toEqual({ ok: true, truncated: 0, messages: [{ address: '/0/pwm', args: [1] }, { address: '/0/stop', args: [] }, { address: '/marker', args: ['x'] }, { address: '/0/start', args: [] }] });
  });

  it('refuses oversized datagrams undecoded, bounds messages and nesting', () => {
    expect(readPacket(Buffer.alloc(5000))).toEqual({ ok: false, reason: 'datagram of 5000 bytes; at most 4096 are accepted' });
    expect(readPacket(Buffer.alloc(9000), { maxBytes: 65_000, maxDepth: 4, maxMessages: 32 })).toMatchObject({ ok: false, reason: expect.stringContaining('at most 8192') });
    const many = readPacket(encode(new Bundle(0, ...Array.from({ length: 50 }, (_, k) => new Message('/0/pwm', k)))));
    expect(many.ok && many.messages.length).toBe(32);
    expect(many.ok && many.truncated).toBe(18);
    let deep: Bundle = new Bundle(0, new Message('/0/pwm', 1));
    for (let d = 0; d < 10; d++) deep = new Bundle(0, deep);
    expect(readPacket(encode(deep))).toEqual({ ok: true, messages: [], truncated: 1 });
  });

  it('never throws, whatever the bytes: random, and mutated valid packets', () => {
    const valid = [encode(new Message('/0/trigger', 1, 0)), encode(new Bundle(0, new Message('/0/pwm', 3), new Message('/marker', 'hi')))];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const r = readPacket(Buffer.from(bytes));
        return r.ok ? Array.isArray(r.messages) : typeof r.reason === 'string';
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(), (base, edits, cut) => {
        const b = Buffer.from(base);
        for (const [at, v] of edits) b[at % b.length] = v;
        const r = readPacket(b.subarray(0, b.length - (cut % 8)));
        if (!r.ok) return true;
        // Whatever was decoded must parse into a command or a refusal, never an exception.
        for (const m of r.messages) parseControl(m, resolve);
        return true;
      }),
      { numRuns: 3000 },
    );
  });
});
