/**
 * The OSC control input, driven by liblo's oscsend in a private network namespace; the injected
 * control records what it is asked. Hostile datagrams (garbage, wrong types, huge, truncated,
 * deeply nested) must leave it running and answering.
 */
import { Bundle, Message, encode } from 'node-osc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutputStatus } from '../../../src/main/outputs/output.js';
import { defaultOscInputSettings } from '../../../src/shared/outputs/osc-config.js';
import { startNetns, type Netns } from './netns.js';

const PORT = 12000;
let ns: Netns;

interface Call {
  call: string;
  args: unknown[];
}

beforeAll(async () => {
  ns = await startNetns();
  await ns.call('input.start', { settings: { ...defaultOscInputSettings(), enabled: true, maxCommandsPerSecond: 1000 } });
}, 60_000);
afterAll(async () => {
  await ns?.close();
});

async function oscsend(...args: string[]): Promise<void> {
  const r = await ns.call<{ code: number; stderr: string }>('run', { cmd: 'oscsend', args: ['127.0.0.1', String(PORT), ...args] });
  expect(r.code, r.stderr).toBe(0);
}

async function callsAfter(before: number, count: number): Promise<Call[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const calls = await ns.call<Call[]>('input.calls');
    if (calls.length >= before + count || Date.now() > deadline) return calls.slice(before);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function status(): Promise<OutputStatus> {
  return ns.call<OutputStatus>('input.status');
}

/** Waits until the input's counters show `pred` (the datagram was read and judged). */
async function until(pred: (s: OutputStatus) => boolean): Promise<OutputStatus> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const s = await status();
    if (pred(s) || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('OSC control input ← oscsend (liblo)', () => {
  it('listens on 127.0.0.1:12000', async () => {
    const s = await status();
    expect(s.state).toBe('running');
    expect(s.detail).toContain('listening on 127.0.0.1:12000');
  });

  it('turns each control address into the right call', async () => {
    const before = (await ns.call<Call[]>('input.calls')).length;
    await oscsend('/0/trigger', 'ii', '1', '0');
    await oscsend('/0/trigger', 'ff', '0.0', '1.0');
    await oscsend('/0/trigger', 'TF');
    await oscsend('/0/trigger', 'fff', '1', '1', '127.6');
    await oscsend('/1/pwm', 'i', '255');
    await oscsend('/0/pwm', 'f', '12.4');
    await oscsend('/0/start');
    await oscsend('/0/stop', 'i', '1');
    await oscsend('/0/marker', 's', 'eyes closed');
    await oscsend('/marker', 'si', 'trial', '3');
    await oscsend('/marker');
    await oscsend('/_dev_rfcomm0/pwm', 'i', '3');
    const calls = await callsAfter(before, 13);
    expect(calls).toEqual([
      { call: 'outputs', args: ['0', [1, 0]] },
      { call: 'outputs', args: ['0', [0, 1]] },
      { call: 'outputs', args: ['0', [1, 0]] },
      { call: 'outputs', args: ['0', [1, 1]] },
      { call: 'pwm', args: ['0', 128] },
      { call: 'pwm', args: ['1', 255] },
      { call: 'pwm', args: ['0', 12] },
      { call: 'start', args: ['0'] },
      { call: 'stop', args: ['0'] },
      { call: 'marker', args: ['eyes closed', '0'] },
      { call: 'marker', args: ['trial 3', null] },
      { call: 'marker', args: ['osc', null] },
      { call: 'pwm', args: ['/dev/rfcomm0', 3] },
    ]);
    // /1/pwm was passed on, and the control's refusal shows in the status.
    const s = await until((x) => x.counters.failed >= 1);
    expect(s.counters.failed).toBe(1);
    expect(s.detail).toContain('/1/pwm 255 failed: internal error: the legacy BITalino has no PWM output');
  });

  it('answers bad addresses and arguments in the status, and calls nothing', async () => {
    const cases: [string[], string][] = [
      [['/0/pwm', 'i', '300'], 'allowed: one number from 0 to 255'],
      [['/0/pwm', 's', 'half'], 'allowed: one number from 0 to 255'],
      [['/0/trigger', 'i', '1'], 'has 1 arguments; allowed: O1 O2, or O1 O2 pwm'],
      [['/0/trigger', 'ss', 'on', 'off'], 'O1 and O2 must be numbers'],
      [['/9/start'], 'no device "9"'],
      [['/*/trigger', 'ii', '1', '1'], 'is an address pattern'],
      [['/0/reboot'], 'unknown OSC command "/0/reboot"'],
      [['/0/pwm', 'd', '5'], 'not an OSC packet this server can read'],
    ];
    const before = (await ns.call<Call[]>('input.calls')).length;
    for (const [args, text] of cases) {
      const was = await status();
      await oscsend(...args);
      const s = await until((x) => x.counters.rejected + x.counters.malformed > was.counters.rejected + was.counters.malformed);
      expect(s.detail, args.join(' ')).toContain(text);
      expect(s.state).toBe('running');
    }
    expect((await ns.call<Call[]>('input.calls')).length).toBe(before);
  });

  it('hostile datagrams (garbage, truncated, wrong types, huge, deeply nested, many messages) leave it running and answering', async () => {
    const valid = encode(new Message('/0/pwm', 7));
    const nested = (depth: number): Buffer => {
      let b: Bundle = new Bundle(0, new Message('/0/pwm', 1));
      for (let d = 1; d < depth; d++) b = new Bundle(0, b);
      return encode(b);
    };
    const many = encode(new Bundle(0, ...Array.from({ length: 100 }, () => new Message('/0/pwm', 2))));
    const hostile: Buffer[] = [
      Buffer.from('not OSC at all'),
      Buffer.alloc(0),
      Buffer.from([0x2f]),
      valid.subarray(0, valid.length - 2), // truncated argument
      Buffer.concat([Buffer.from('/0/pwm\0\0,i\0\0'), Buffer.alloc(0)]), // tag without its bytes
      encode(new Message('/0/pwm', { type: 'b', value: Buffer.alloc(40) })),
      encode(new Message('/0/trigger', 'a', { type: 'T', value: true })),
      Buffer.from('#bundle\0\0\0\0\0\0\0\0\x01\x7f\xff\xff\xff', 'latin1'), // element size past the end
      Buffer.from('/0/pwm\0\0,' + 's'.repeat(3000) + '\0', 'latin1'), // 3000 string tags, no data
      nested(150), // about 3 KB: decoded, then ignored past depth 4
      Buffer.alloc(60_000, 0x41), // over the 4096-byte bound: dropped undecoded
      many, // 100 messages: 32 kept
    ];
    const before = await status();
    const calls0 = (await ns.call<Call[]>('input.calls')).length;
    await ns.call('udp.send', { port: PORT, hex: hostile.map((b) => b.toString('hex')) });
    const after = await until((s) => s.counters.datagrams >= before.counters.datagrams + hostile.length);
    expect(after.state).toBe('running');
    expect(after.counters.datagrams - before.counters.datagrams).toBe(hostile.length);
    expect(after.counters.malformed - before.counters.malformed).toBeGreaterThanOrEqual(9);
    // Of the 100-message bundle, 32 were kept (the rest ignored), each a valid /0/pwm 2.
    const calls = await callsAfter(calls0, 32);
    expect(calls.length).toBe(32);
    expect(calls.every((c) => c.call === 'pwm' && c.args[1] === 2)).toBe(true);
    // Still answering.
    await oscsend('/0/pwm', 'i', '42');
    expect((await callsAfter(calls0 + 32, 1))[0]).toEqual({ call: 'pwm', args: ['0', 42] });
  });

  it('rate limit: a burst over maxCommandsPerSecond is dropped and counted, then it answers again', async () => {
    await ns.call('input.close');
    await ns.call('input.start', { settings: { ...defaultOscInputSettings(), enabled: true, port: PORT, maxCommandsPerSecond: 20 } });
    const calls0 = (await ns.call<Call[]>('input.calls')).length;
    const burst = Array.from({ length: 200 }, (_, k) => encode(new Message('/0/pwm', k % 256)).toString('hex'));
    await ns.call('udp.send', { port: PORT, hex: burst });
    const s = await until((x) => x.counters.datagrams >= 200);
    expect(s.counters.rateLimited).toBeGreaterThan(0);
    expect(s.counters.commands).toBeLessThan(200);
    expect(s.counters.commands + s.counters.rateLimited).toBe(200);
    expect(s.detail).toMatch(/more than 20 (datagrams|commands) per second/);
    await new Promise((r) => setTimeout(r, 1100)); // the bucket refills
    const n = (await ns.call<Call[]>('input.calls')).length;
    expect(n - calls0).toBe(s.counters.commands);
    await oscsend('/0/pwm', 'i', '9');
    expect((await callsAfter(n, 1))[0]).toEqual({ call: 'pwm', args: ['0', 9] });
  });

  it('a control that never answers holds at most maxPending commands, each freed after commandTimeoutMs, and never blocks the input', async () => {
    await ns.call('input.close');
    await ns.call('input.start', { settings: { ...defaultOscInputSettings(), enabled: true, port: PORT, maxCommandsPerSecond: 1000 }, options: { maxPending: 8, commandTimeoutMs: 500 } });
    const burst = Array.from({ length: 20 }, () => encode(new Message('/7/pwm', 1)).toString('hex'));
    await ns.call('udp.send', { port: PORT, hex: burst });
    const s = await until((x) => x.counters.datagrams >= 20);
    expect(s.counters.commands).toBe(8);
    expect(s.counters.busy).toBe(12);
    const timedOut = await until((x) => x.counters.failed >= 8);
    expect(timedOut.counters.failed).toBe(8);
    expect(timedOut.detail).toContain('/7/pwm 1 failed: no answer within 0.5 s');
    const n = (await ns.call<Call[]>('input.calls')).length;
    await oscsend('/0/pwm', 'i', '11');
    expect((await callsAfter(n, 1))[0]).toEqual({ call: 'pwm', args: ['0', 11] });
  });
});
