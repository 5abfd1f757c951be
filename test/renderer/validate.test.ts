import { describe, expect, it } from 'vitest';
import { DataEncoder, toMarkerMessage, toMetaMessage, toStatusMessage } from '../../src/main/api/meta.js';
import type { DeviceStatus } from '../../src/shared/acquisition.js';
import { parseServerMessage, parseServerText } from '../../src/renderer/validate.js';
import { streamMeta } from '../server/helpers.js';

const status: DeviceStatus = {
  device: '0',
  name: 'simulator',
  address: 'simulator',
  state: 'streaming',
  rate: 1000,
  channels: [1, 2],
  counters: { frames: 10, crcErrors: 0, gaps: 0, lostSamples: 0 },
  info: { id: '0', address: 'simulator', firmware: 'BITalino_v5.2', version: 5.2, board: 'revolution', stateLength: 17, simulated: true },
  t0: 1_700_000_000_000,
};
const m0 = streamMeta({ device: '0', channels: [1, 2] });

describe('incoming message checks', () => {
  it('accepts what the server sends (built with the server’s own encoders)', () => {
    const meta = toMetaMessage(m0);
    const st = toStatusMessage(status);
    const data = new DataEncoder({ columns: 'all', format: 'both' }).encode(
      { device: '0', index: 0, time: 0, rate: 1000, count: 2, seq: Uint8Array.of(0, 1), digital: Uint8Array.of(15, 15), analog: [Uint16Array.of(1, 2), Uint16Array.of(3, 4)], channels: [1, 2] },
      m0,
    );
    const hello = { type: 'hello', server: 'ServerBIT', version: '2.0.0', protocol: 2, devices: ['0'], control: true, subscription: { batch: 40, columns: 'all', format: 'both', devices: 'all' } };
    const gap = { type: 'gap', device: '0', from: 5, to: 9, reason: 'crc_error' };
    const server = { type: 'server', clients: 3, devices: ['0', 'left'], outputs: [{ output: 'recorder', state: 'running', detail: '00:01:02 · 1.2 MB', counters: { samples: 62000 } }] };
    const marker = toMarkerMessage({ id: 1, label: 'eyes closed', time: 1_700_000_000_500, source: 'window' });
    const replies = [
      { type: 'reply', id: 'ui-1', ok: true, result: { anything: 1 } },
      { type: 'reply', id: null, ok: false, error: { code: 'BAD_MESSAGE', message: 'not JSON' } },
    ];
    for (const m of [meta, st, data, hello, gap, server, marker, ...replies]) expect(parseServerMessage(JSON.parse(JSON.stringify(m))), JSON.stringify(m).slice(0, 80)).toBeDefined();
    expect(parseServerText(JSON.stringify(data))).toEqual(data);
  });

  it('drops anything else', () => {
    const bad: unknown[] = [
      null,
      [],
      'data',
      { type: 'evil' },
      { type: 'data', device: 'd', index: -1, time: 0, count: 1, raw: { A1: [1] } },
      { type: 'data', device: 'd', index: 0, time: 0, count: 2, raw: { A1: [1] } }, // length ≠ count
      { type: 'data', device: 'd', index: 0, time: 0, count: 1, raw: { A1: ['1'] } },
      { type: 'data', device: 'd', index: 0, time: 0, count: 1 }, // no samples at all
      { type: 'status', state: 'exploded', rate: 1000, channels: [], counters: {} },
      { type: 'reply', id: 'x', ok: false, error: 'oops' },
      { type: 'hello', server: 'Other' },
    ];
    for (const m of bad) expect(parseServerMessage(m), JSON.stringify(m)).toBeUndefined();
    expect(parseServerText('{not json')).toBeUndefined();
    expect(parseServerText(new ArrayBuffer(4))).toBeUndefined();
  });
});
