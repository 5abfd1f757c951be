/**
 * Pure parts of /v2: the message schemas and client-message parsing, meta/status building and
 * data encoding (sensors and transfer functions: test/shared/sensors.test.ts).
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DataEncoder, openSignalsDateTime, toMetaMessage, toStatusMessage } from '../../src/main/api/meta.js';
import { streamColumns } from '../../src/main/acquisition/stream-meta.js';
import type { DeviceStatus, SampleBatch } from '../../src/shared/acquisition.js';
import { T0, streamMeta } from '../server/helpers.js';
import { defaultConfig } from '../../src/shared/config.js';
import { convert } from '../../src/shared/sensors.js';
import { V2_MAX_MESSAGE_BYTES, parseClientMessage, validateServerMessage } from '../../src/shared/v2-schemas.js';

describe('columns and meta', () => {
  const cols = (board: 'revolution' | 'legacy', labels: readonly string[], channels: number[]) => streamColumns({ board, labels, channels });

  it('gives 6 bits to acquisition slots 5 and 6, not to physical A5/A6', () => {
    const res = (channels: number[]) => cols('revolution', defaultConfig().labels, channels).slice(5).map((c) => `${c.name}:${c.resolution}`);
    expect(res([3, 6])).toEqual(['A3:10', 'A6:10']);
    expect(res([2, 3, 4, 5, 6])).toEqual(['A2:10', 'A3:10', 'A4:10', 'A5:10', 'A6:6']); // A6 is slot 5 here
    expect(res([1, 2, 3, 4, 5, 6])).toEqual(['A1:10', 'A2:10', 'A3:10', 'A4:10', 'A5:6', 'A6:6']);
  });

  it('keeps the fixed column names and de-duplicates a label that repeats one', () => {
    const labels = ['seq', 'a', 'b', 'c', 'd', 'EMG', 'I3', 'EDA', 'EEG', 'ACC', 'LUX'];
    expect(cols('legacy', labels, [1, 2]).map((c) => c.name)).toEqual(['nSeq', 'I1', 'I2', 'I3', 'I4', 'EMG', 'I3_2']);
    expect(cols('revolution', labels, [1, 2]).map((c) => c.name)).toEqual(['nSeq', 'I1', 'I2', 'O1', 'O2', 'EMG', 'I3']);
    // The compatible stream's keys follow the labels for the fixed columns too.
    expect(cols('revolution', labels, [1, 2]).map((c) => c.label)).toEqual(['seq', 'a', 'b', 'c', 'd', 'EMG', 'I3']);
  });

  it('follows the sensors wired to each channel, with their units; RAW has none', () => {
    const c = streamColumns({ board: 'revolution', labels: defaultConfig().labels, channels: [1, 2, 3], sensors: ['ECG', 'RAW', 'EDA', 'EEG', 'ACC', 'LUX'] }).slice(5);
    expect(c.map((x) => [x.sensor, x.unit])).toEqual([['ECG', 'mV'], ['RAW', undefined], ['EDA', 'µS']]);
    // OpenSignals' codes and other spellings become the canonical name; an unknown one is RAW.
    const d = streamColumns({ board: 'revolution', labels: defaultConfig().labels, channels: [1, 2], sensors: ['EMGBITREV', 'resp', 'EDA', 'EEG', 'ACC', 'LUX'] }).slice(5);
    expect(d.map((x) => [x.sensor, x.unit])).toEqual([['EMG', 'mV'], ['PZT', '%']]);
  });

  it('writes OpenSignals-style date and time', () => {
    const t = new Date(2024, 0, 5, 9, 3, 7, 45).getTime();
    expect(openSignalsDateTime(t)).toEqual({ date: '2024-1-5', time: '09:03:07.045' });
  });

  it('builds meta and status that match their schemas', () => {
    const m = streamMeta({ device: 'left', channels: [1, 6], rate: 100 });
    const meta = toMetaMessage({ ...m, firmware: 'BITalino_v5.1', version: 5.1 });
    expect(validateServerMessage(meta)).toEqual([]);
    expect(meta).toMatchObject({ device: 'left', 'sampling rate': 100, channels: [1, 6], label: ['A1', 'A6'], sensor: ['EMG', 'LUX'], 'firmware version': 5.1, t0: T0, segmentStart: 0 });
    const status: DeviceStatus = {
      device: 'left',
      name: 'Left arm',
      address: '/dev/rfcomm0',
      state: 'error',
      rate: 100,
      channels: [1, 6],
      counters: { frames: 5, crcErrors: 0, gaps: 1, lostSamples: 3 },
      info: { id: 'left', address: '/dev/rfcomm0', firmware: 'BITalino_v5.1', version: 5.1, board: 'revolution', stateLength: 16, simulated: false },
      battery: 3.6,
      error: { code: 'DEVICE_NO_ANSWER', message: 'no answer', hint: 'switch it on' },
    };
    const st = toStatusMessage(status);
    expect(validateServerMessage(st)).toEqual([]);
    expect(st).toMatchObject({ state: 'error', device: 'left', name: 'Left arm', board: 'revolution', battery: 3.6, error: { code: 'DEVICE_NO_ANSWER' } });
  });

  it('encodes raw columns (legacy: four inputs) and converted values for a subscription', () => {
    const batch: SampleBatch = {
      device: 'd', index: 100, time: 5, rate: 1000, count: 2, channels: [1, 6],
      seq: Uint8Array.of(4, 5, 99), digital: Uint8Array.of(0b1010, 0b0101, 0), analog: [Uint16Array.of(512, 1023, 0), Uint16Array.of(63, 0, 0)],
    };
    const legacy = streamMeta({ device: 'd', channels: [1, 6], board: 'legacy' });
    const raw = new DataEncoder({ columns: 'all', format: 'raw' }).encode(batch, legacy);
    expect(raw).toEqual({ type: 'data', device: 'd', index: 100, time: 5, count: 2, raw: { nSeq: [4, 5], I1: [1, 0], I2: [0, 1], I3: [1, 0], I4: [0, 1], A1: [512, 1023], A6: [63, 0] } });
    const both = new DataEncoder({ columns: ['A6', 'O2'], format: 'both' }).encode(batch, streamMeta({ device: 'd', channels: [1, 6] }));
    expect(both.raw).toEqual({ O2: [0, 1], A6: [63, 0] });
    expect(both.converted).toEqual({ A6: [Math.round(convert('LUX', 63, 10) * 1e4) / 1e4, 0] }); // slot 2 of [1, 6]: 10 bits
    expect(validateServerMessage(both)).toEqual([]);
  });
});

describe('client message parsing', () => {
  it('accepts well-formed commands and subscribe messages', () => {
    expect(parseClientMessage('{"type":"command","id":1,"command":"state"}')).toEqual({ ok: true, message: { type: 'command', id: 1, command: 'state', args: {} } });
    expect(parseClientMessage(Buffer.from('{"type":"command","id":"x","command":"pwm","args":{"duty":255},"token":"t"}'))).toMatchObject({ ok: true, message: { args: { duty: 255 }, token: 't' } });
    expect(parseClientMessage('{"type":"subscribe","batch":1,"columns":"all","format":"both"}')).toMatchObject({ ok: true });
    expect(parseClientMessage('{"type":"command","id":2,"command":"set_config","args":{"config":{"channels":[1,2]}}}')).toMatchObject({ ok: true });
  });

  it('gives each kind of bad message its stable code, with the id when it could be read', () => {
    const code = (raw: string) => {
      const r = parseClientMessage(raw);
      return r.ok ? 'ok' : `${r.error.code}:${JSON.stringify(r.id)}`;
    };
    expect(code('nope')).toBe('BAD_MESSAGE:null');
    expect(code('"command"')).toBe('BAD_MESSAGE:null');
    expect(code('{"type":"command","id":3}')).toBe('BAD_MESSAGE:3');
    expect(code('{"type":"command","id":3,"command":"fly"}')).toBe('UNKNOWN_COMMAND:3');
    expect(code('{"type":"command","id":3,"command":"constructor"}')).toBe('UNKNOWN_COMMAND:3');
    expect(code('{"type":"command","id":3,"command":"pwm"}')).toBe('BAD_ARGUMENTS:3');
    expect(code('{"type":"command","id":3,"command":"pwm","args":{"duty":1.5}}')).toBe('BAD_ARGUMENTS:3');
    expect(code('{"type":"command","id":3,"command":"battery_threshold","args":{"value":64}}')).toBe('BAD_ARGUMENTS:3');
    expect(code('{"type":"command","id":3,"command":"set_config","args":{"config":{"__proto__":{"x":1}}}}')).toBe('BAD_ARGUMENTS:3');
    expect(code('{"type":"command","id":3,"command":"test_device","args":{"device":""}}')).toBe('BAD_ARGUMENTS:3');
    expect(code('{"type":"subscribe","batch":0}')).toBe('BAD_ARGUMENTS:null');
    expect(code('{"type":"subscribe","format":"json"}')).toBe('BAD_ARGUMENTS:null');
    expect(code(`{"type":"command","id":3,"command":"state","pad":"${'x'.repeat(V2_MAX_MESSAGE_BYTES)}"}`)).toBe('BAD_MESSAGE:null');
    // Size is counted in UTF-8 bytes: 12 000 "€" are 36 000 bytes.
    expect(code(`"${'€'.repeat(12_000)}"`)).toBe('BAD_MESSAGE:null');
  });

  it('rejects server messages that do not match their schema', () => {
    expect(validateServerMessage({ type: 'gap', device: 'd', from: 1, to: 2, reason: 'cosmic_rays' })).not.toEqual([]);
    expect(validateServerMessage({ type: 'data', device: 'd', index: 0, time: 0, count: 1 })).not.toEqual([]);
    expect(validateServerMessage({ type: 'reply', id: 1, ok: true, result: null, extra: 1 })).not.toEqual([]);
    expect(validateServerMessage({ type: 'bogus' })).not.toEqual([]);
  });

  it('every example message in docs/protocol.md matches its schema', () => {
    const doc = fs.readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]);
    let server = 0;
    let client = 0;
    for (const block of blocks) {
      const lines = block.split('\n').filter((l) => l.trim().startsWith('{'));
      lines.forEach((line, i) => {
        const value = JSON.parse(line) as { type: string; id?: unknown };
        if (['hello', 'meta', 'data', 'gap', 'status', 'server', 'marker', 'reply'].includes(value.type)) {
          expect(validateServerMessage(value), line).toEqual([]);
          server++;
          return;
        }
        client++;
        // A command followed by its error reply shows what the parser answers: it must be exactly that.
        const next = lines[i + 1] ? (JSON.parse(lines[i + 1]) as { type: string; id?: unknown; ok?: boolean; error?: { code: string } }) : undefined;
        const parsed = parseClientMessage(line);
        if (next?.type === 'reply' && next.id === value.id && next.ok === false && ['BAD_MESSAGE', 'UNKNOWN_COMMAND', 'BAD_ARGUMENTS'].includes(next.error!.code)) {
          expect(parsed, line).toEqual({ ok: false, id: value.id, error: next.error });
        } else expect(parsed, line).toMatchObject({ ok: true });
      });
    }
    expect(server).toBeGreaterThan(15);
    expect(client).toBeGreaterThan(10);
  });
});
