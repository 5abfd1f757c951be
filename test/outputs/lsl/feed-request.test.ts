import { describe, expect, it } from 'vitest';
import { MAX_REQUEST_BYTES, parseFeedRequest } from '../../../src/main/outputs/lsl/feed-request.js';
import { fixture } from './fixtures.js';

const recorded = fixture('inlet-streamfeed-request.txt');

describe('TCP requests, as liblsl’s inlets send them', () => {
  it('reads a real inlet’s stream feed request', () => {
    expect(parseFeedRequest(recorded)).toEqual({
      kind: 'streamfeed',
      params: {
        requestVersion: 110,
        uid: 'U-1',
        protocolVersion: 110,
        nativeByteOrder: 1234,
        endianPerformance: Number(/Endian-Performance: ([^\r]+)/.exec(recorded.toString())![1]),
        hasIeee754Floats: true,
        supportsSubnormals: true,
        valueSize: 4,
        maxBufferLength: 360000,
        maxChunkLength: 0,
      },
    });
  });

  it('is incomplete until the blank line, whatever the chunk boundaries', () => {
    for (let cut = 0; cut < recorded.length; cut++) expect(parseFeedRequest(recorded.subarray(0, cut)).kind).toBe('incomplete');
    expect(parseFeedRequest(recorded).kind).toBe('streamfeed');
  });

  it('reads info requests and shortinfo queries (trimmed)', () => {
    expect(parseFeedRequest(Buffer.from('LSL:fullinfo\r\n'))).toEqual({ kind: 'fullinfo' });
    expect(parseFeedRequest(Buffer.from('LSL:shortinfo\r\n'))).toEqual({ kind: 'incomplete' });
    expect(parseFeedRequest(Buffer.from("LSL:shortinfo\r\n type='EEG' \r\n"))).toEqual({ kind: 'shortinfo', query: "type='EEG'" });
  });

  it('recognises protocol 1.00 feeds (not served) and unknown requests', () => {
    expect(parseFeedRequest(Buffer.from('LSL:streamfeed\r\n360 0\r\n')).kind).toBe('streamfeed-1.00');
    expect(parseFeedRequest(Buffer.from('GET / HTTP/1.1\r\n')).kind).toBe('invalid');
    expect(parseFeedRequest(Buffer.from('LSL:streamfeed/abc x\r\n\r\n')).kind).toBe('invalid');
  });

  it('lower-cases keys, strips ; comments, ignores lines without a colon and values stoi rejects', () => {
    const r = parseFeedRequest(Buffer.from('LSL:streamfeed/110 u\r\nMAX-BUFFER-LENGTH : 50 ; samples\r\nnonsense\r\nValue-Size: x\r\nSupports-Subnormals: 0\r\nProtocol-Version: 100\r\n\r\n'));
    expect(r.kind).toBe('streamfeed');
    if (r.kind !== 'streamfeed') return;
    expect(r.params.maxBufferLength).toBe(50);
    expect(r.params.valueSize).toBeUndefined();
    expect(r.params.supportsSubnormals).toBe(false);
    expect(r.params.protocolVersion).toBe(100);
  });

  it('refuses a request that does not end within the bound', () => {
    expect(parseFeedRequest(Buffer.alloc(MAX_REQUEST_BYTES, 0x41)).kind).toBe('invalid');
    const longHeaders = Buffer.concat([Buffer.from('LSL:streamfeed/110 u\r\n'), Buffer.alloc(MAX_REQUEST_BYTES, 0x41)]);
    expect(parseFeedRequest(longHeaders).kind).toBe('invalid');
    expect(parseFeedRequest(Buffer.from('LSL:streamfeed/110 u\r\n' + 'X-A: 1\r\n'.repeat(100))).kind).toBe('incomplete');
  });
});
