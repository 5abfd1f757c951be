import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecording } from '../../../src/main/devices/playback/sample-source.js';
import { RowDecoder, RowSink, parseTextHeader } from '../../../src/main/devices/playback/text-reader.js';
import { DeviceError } from '../../../src/shared/errors.js';
import { parseOpenSignalsText } from '../../helpers/opensignals-parser.js';

const PLUX = fileURLToPath(new URL('../../fixtures/opensignals/plux-bitalino-A5.txt', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'serverbit-playback-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const HEADER = (over: Record<string, unknown> = {}, key = '20:16:02:26:60:88') =>
  `# OpenSignals Text File Format\n# ${JSON.stringify({ [key]: { sensor: ['ECG'], 'device name': key, column: ['nSeq', 'I1', 'I2', 'O1', 'O2', 'A2'], 'sync interval': 2, time: '7:5:4.409', comments: '', 'device connection': 'x', channels: [2], date: '2016-6-9', mode: 0, 'digital IO': [0, 0, 1, 1], 'firmware version': '5.1', device: 'bitalino', position: 0, 'sampling rate': 100, label: ['A2'], resolution: [4, 1, 1, 1, 1, 10], special: [{}], ...over } })}\n# EndOfHeader\n`;

async function fileWith(name: string, text: string | Uint8Array): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}

async function openError(path: string, limits = {}): Promise<DeviceError> {
  const err = await openRecording(path, limits).then(
    (s) => {
      void s.close();
      return new Error('opened');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeviceError);
  return err as DeviceError;
}

describe('OpenSignals text reader', () => {
  it('reads the header of a PLUX BITalino file: rate, channels, labels, sensors, board, MAC, start', async () => {
    const head = await readFile(PLUX);
    const h = parseTextHeader(PLUX, head);
    expect(h.info).toMatchObject({
      format: 'txt',
      key: '20:16:02:26:60:88',
      mac: '20:16:02:26:60:88',
      deviceType: 'bitalino',
      board: 'revolution', // firmware 5.1 is a (r)evolution even where the file says "bitalino"
      firmwareVersion: '5.1',
      version: 5.1,
      firmware: 'BITalino_v5.1',
      connection: '/dev/tty.BITalino-60-88-DevB',
      rate: 1000,
      channels: [5],
      labels: ['A5'],
      sensors: ['RAW'],
      resolutions: [10],
      start: new Date(2016, 5, 9, 7, 5, 4, 409).getTime(),
    });
    expect(h.columns).toBe(6);
    const src = await openRecording(PLUX);
    expect(src.info.samples).toBe(300);
    await src.close();
  });

  it('decodes rows the same whatever the chunk boundaries', () => {
    const bytes = new Uint8Array(readFileSync(PLUX));
    const h = parseTextHeader(PLUX, bytes);
    const data = bytes.subarray(h.dataOffset);
    const expected = parseOpenSignalsText(bytes).devices[0].columns;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 40 }), (sizes) => {
        const dec = new RowDecoder(PLUX, 6, [10], 4);
        const sink = new RowSink(1, 4);
        let pos = 0;
        let k = 0;
        while (pos < data.length) {
          const n = sizes[k++ % sizes.length];
          dec.push(data.subarray(pos, pos + n), sink);
          pos += n;
        }
        dec.end(sink);
        const rows = sink.take();
        expect(rows.count).toBe(300);
        expect([...rows.seq]).toEqual(expected.get('nSeq'));
        expect([...rows.analog[0]]).toEqual(expected.get('A5'));
        expect([...rows.digital]).toEqual(Array(300).fill(0b1100));
      }),
      { numRuns: 50 },
    );
  });

  it.each([
    ['not OpenSignals', 'hello\nworld\nfoo\n1\t2\n', 'PLAYBACK_BAD_FILE', /line 1: is not "# OpenSignals Text File Format"/],
    ['a short header', '# OpenSignals Text File Format\n# {}\n', 'PLAYBACK_BAD_FILE', /the header ends early/],
    ['bad JSON', '# OpenSignals Text File Format\n# {"a": [1,\n# EndOfHeader\n', 'PLAYBACK_BAD_FILE', /line 2: the header is not valid JSON/],
    ['two devices', HEADER().replace('}}\n', '}, "B": {}}\n'), 'PLAYBACK_UNSUPPORTED', /holds 2 devices/],
    ['a bioplux file', HEADER({ device: 'bioplux' }) + '0\t1\t1\t0\t0\t5\t\n', 'PLAYBACK_UNSUPPORTED', /bioplux recording cannot be played back/],
    ['no channels', HEADER({ channels: [], column: ['nSeq', 'I1', 'I2', 'O1', 'O2'], label: [], sensor: [], special: [], resolution: [4, 1, 1, 1, 1] }), 'PLAYBACK_BAD_FILE', /"channels" \[\] is not a list/],
    ['a bad rate', HEADER({ 'sampling rate': 'fast' }), 'PLAYBACK_BAD_FILE', /"sampling rate" "fast" is not a rate/],
    ['a short row', HEADER() + '1\t0\t0\t0\t0\t5\t\n2\t0\t0\t0\t0\t\n', 'PLAYBACK_BAD_FILE', /line 5: 5 values where the header has 6 columns/],
    ['a letter', HEADER() + '1\t0\t0\t0\t0\t5x\t\n', 'PLAYBACK_BAD_FILE', /line 4: unexpected "x" in column 6/],
    ['a value past its resolution', HEADER() + '1\t0\t0\t0\t0\t1024\t\n', 'PLAYBACK_BAD_FILE', /line 4: value 1024 in column 6 does not fit its 10-bit resolution/],
    ['a digital 2', HEADER() + '1\t0\t2\t0\t0\t5\t\n', 'PLAYBACK_BAD_FILE', /line 4: digital column 3 is 2, not 0 or 1/],
    ['a huge number', HEADER() + '1\t0\t0\t0\t0\t' + '9'.repeat(5000) + '\t\n', 'PLAYBACK_BAD_FILE', /line 4: column 6 has more than 5 digits/],
    ['a cut last line', HEADER() + '1\t0\t0\t0\t0\t5\t\n2\t0\t0', 'PLAYBACK_BAD_FILE', /the last line is cut short/],
    ['no samples', HEADER(), 'PLAYBACK_BAD_FILE', /has no samples/],
  ])('refuses %s with a typed error naming the problem', async (_name, text, code, message) => {
    const err = await openError(await fileWith(`bad-${code}-${Math.random()}.txt`, text));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.hint).toBeTruthy();
  });

  it('bounds: a file, header or line past the limits is PLAYBACK_TOO_LARGE; a missing file or a folder is PLAYBACK_UNREADABLE', async () => {
    expect((await openError(PLUX, { maxFileBytes: 1000 })).code).toBe('PLAYBACK_TOO_LARGE');
    const longHeader = await fileWith('long-header.txt', '# OpenSignals Text File Format\n# ' + '['.repeat(300_000));
    expect(await openError(longHeader, { maxHeaderBytes: 100_000 })).toMatchObject({ code: 'PLAYBACK_TOO_LARGE', message: expect.stringMatching(/header line 2 is longer than 100000 bytes/) });
    const nested = await fileWith('nested.txt', '# OpenSignals Text File Format\n# ' + '['.repeat(200_000) + ']'.repeat(200_000) + '\n# EndOfHeader\n');
    expect((await openError(nested)).code).toBe('PLAYBACK_BAD_FILE');
    const longLine = await fileWith('long-line.txt', HEADER() + '1\t0\t0\t0\t0\t5' + '\r'.repeat(10) + '\n');
    expect((await openError(longLine, { maxLineBytes: 12 })).message).toMatch(/line 4 is longer than 12 bytes/);
    expect(await openError(join(dir, 'missing.txt'))).toMatchObject({ code: 'PLAYBACK_UNREADABLE', message: expect.stringMatching(/no such file/) });
    await mkdir(join(dir, 'folder.txt'));
    expect((await openError(join(dir, 'folder.txt'))).code).toBe('PLAYBACK_UNREADABLE');
  });

  it('an .h5 that is not an OpenSignals recording is PLAYBACK_BAD_FILE', async () => {
    const junk = new Uint8Array(4096);
    junk.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
    for (let i = 8; i < junk.length; i++) junk[i] = (i * 131) & 255;
    const err = await openError(await fileWith('junk.h5', junk));
    expect(err.code).toBe('PLAYBACK_BAD_FILE');
    expect(err.message).toMatch(/HDF5 cannot open it/);
  });

  it('random bytes after a valid header: a typed error or a valid recording, never anything else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('', '1\t0\t0\t0\t0\t5\t\n'), async (bytes, prefix) => {
        const head = Buffer.from(HEADER() + prefix);
        const p = await fileWith('fuzz.txt', Buffer.concat([head, Buffer.from(bytes)]));
        const r = await openRecording(p).then(
          async (s) => {
            const rows = await s.read(1000);
            await s.close();
            return rows;
          },
          (e: unknown) => e,
        );
        if (r instanceof Error) expect(r).toBeInstanceOf(DeviceError);
      }),
      { numRuns: 200 },
    );
  });
});
