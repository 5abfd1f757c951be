import { describe, expect, it } from 'vitest';
import { parseUdpRequest, timedataReply } from '../../../src/main/outputs/lsl/udp-request.js';
import { fixture, fixtureText } from './fixtures.js';

describe('UDP requests, as liblsl’s resolvers and inlets send them', () => {
  it('reads a resolver’s shortinfo query (recorded)', () => {
    const raw = fixture('inlet-shortinfo-query.txt');
    const [, , portLine] = raw.toString().split('\r\n');
    const [port, id] = portLine.split(' ');
    expect(parseUdpRequest(raw)).toEqual({ kind: 'shortinfo', query: "session_id='default' and name='FixtureQueryTarget'", returnPort: Number(port), queryId: id });
  });

  it('reads an inlet’s time probe (recorded)', () => {
    const raw = fixtureText('inlet-timedata.txt');
    const [, line] = raw.split('\r\n');
    const [wave, t0] = line.split(' ');
    expect(parseUdpRequest(Buffer.from(raw))).toEqual({ kind: 'timedata', waveId: Number(wave), t0: Number(t0) });
  });

  it('answers a time probe in liblsl’s format (recorded reply to "7 1674.232160465")', () => {
    const recorded = fixtureText('float32-udp-timedata-reply.txt').split(' ');
    const ours = timedataReply(7, 1674.232160465, Number(recorded[3]), Number(recorded[4]));
    expect(ours).toBe(recorded.join(' '));
  });

  it('ignores what liblsl would not answer, and hostile datagrams', () => {
    const bad = [
      '',
      'LSL:shortinfo',
      "LSL:shortinfo\r\nname='x'\r\n",
      "LSL:shortinfo\r\nname='x'\r\n0 1\r\n",
      "LSL:shortinfo\r\nname='x'\r\n70000 1\r\n",
      "LSL:shortinfo\r\nname='x'\r\nport 1\r\n",
      "LSL:shortinfo\r\nname='x'\r\n5000\r\n",
      `LSL:shortinfo\r\nname='x'\r\n5000 ${'9'.repeat(200)}\r\n`,
      'LSL:timedata\r\n',
      'LSL:timedata\r\n1\r\n',
      'LSL:timedata\r\nx 1.5\r\n',
      'LSL:timedata\r\n99999999999 1.5\r\n',
      'LSL:timedata\r\n1 inf\r\n',
      'LSL:timedata\r\n1 1e999\r\n',
      'LSL:fullinfo\r\n',
      'GET / HTTP/1.1\r\n\r\n',
      '\u0000\u0001\u0002',
    ];
    for (const d of bad) expect(parseUdpRequest(Buffer.from(d)), JSON.stringify(d)).toBeUndefined();
    expect(parseUdpRequest(Buffer.alloc(65536, 0xff))).toBeUndefined();
  });

  it('trims the method and query as liblsl does', () => {
    expect(parseUdpRequest(Buffer.from("  LSL:shortinfo \n  type='EEG'  \n 16574\t42 \n"))).toEqual({ kind: 'shortinfo', query: "type='EEG'", returnPort: 16574, queryId: '42' });
  });
});
