import { describe, expect, it } from 'vitest';
import { buildMeta, buildStatus, DataEncoder } from '../../src/main/api/meta.js';
import { defaultConfig } from '../../src/shared/config.js';
import type { ServiceStatus } from '../../src/shared/acquisition.js';
import { parseServerMessage, parseServerText } from '../../src/renderer/validate.js';

const status: ServiceStatus = {
  state: 'streaming',
  rate: 1000,
  channels: [1, 2],
  counters: { frames: 10, crcErrors: 0, gaps: 0, lostSamples: 0, clients: 1 },
  device: { id: 'simulator', address: 'simulator', firmware: 'BITalino_v5.2', version: 5.2, board: 'revolution', stateLength: 17, simulated: true },
  t0: 1_700_000_000_000,
};
const config = { ...defaultConfig(), channels: [1, 2] };

describe('incoming message checks', () => {
  it('accepts what the server sends (built with the server’s own encoders)', () => {
    const meta = buildMeta(status, config)!;
    const st = buildStatus(status);
    const data = new DataEncoder({ batch: 2, columns: 'all', format: 'both' }).encode(
      { device: 'simulator', index: 0, time: 0, rate: 1000, count: 2, seq: Uint8Array.of(0, 1), digital: Uint8Array.of(15, 15), analog: [Uint16Array.of(1, 2), Uint16Array.of(3, 4)], channels: [1, 2] },
      'revolution',
      config.labels,
    );
    const hello = { type: 'hello', server: 'ServerBIT', version: '2.0.0', protocol: 2, devices: ['simulator'], control: true, subscription: { batch: 40, columns: 'all', format: 'both' } };
    const gap = { type: 'gap', device: 'simulator', from: 5, to: 9, reason: 'crc_error' };
    const replies = [
      { type: 'reply', id: 'ui-1', ok: true, result: { anything: 1 } },
      { type: 'reply', id: null, ok: false, error: { code: 'BAD_MESSAGE', message: 'not JSON' } },
    ];
    for (const m of [meta, st, data, hello, gap, ...replies]) expect(parseServerMessage(JSON.parse(JSON.stringify(m))), JSON.stringify(m).slice(0, 80)).toBeDefined();
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
