import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TRAY_ICON_STATES, trayIconFile } from '../../src/main/desktop/tray-model.js';
// @ts-expect-error — a plain .mjs script without type declarations
import { buildIcons } from '../../scripts/make-icons.mjs';

const ASSETS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'assets');

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (b: Uint8Array) => {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

interface Png {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  /** RGBA, row-major (colour type 6, filter 0 rows as make-icons writes them). */
  pixels: Buffer;
}

/** A strict reader: signature, chunk CRCs, IHDR first, IEND last, IDAT of the right size. */
function readPng(file: string, bytes?: Buffer): Png {
  const b = bytes ?? readFileSync(file);
  expect(b.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const chunks: { type: string; data: Buffer }[] = [];
  for (let o = 8; o < b.length; ) {
    const len = b.readUInt32BE(o);
    const type = b.toString('latin1', o + 4, o + 8);
    const data = b.subarray(o + 8, o + 8 + len);
    expect(b.readUInt32BE(o + 8 + len), `${path.basename(file)} ${type} CRC`).toBe(crc32(b.subarray(o + 4, o + 8 + len)));
    chunks.push({ type, data });
    o += 12 + len;
  }
  expect(chunks[0].type).toBe('IHDR');
  expect(chunks.at(-1)?.type).toBe('IEND');
  const ihdr = chunks[0].data;
  const png = { width: ihdr.readUInt32BE(0), height: ihdr.readUInt32BE(4), bitDepth: ihdr[8], colourType: ihdr[9], pixels: Buffer.alloc(0) };
  const raw = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  const stride = png.width * 4;
  expect(raw.length).toBe((stride + 1) * png.height);
  png.pixels = Buffer.alloc(stride * png.height);
  for (let y = 0; y < png.height; y++) {
    expect(raw[y * (stride + 1)]).toBe(0);
    raw.copy(png.pixels, y * stride, y * (stride + 1) + 1, (y + 1) * (stride + 1));
  }
  return png;
}

function opaque(png: Png) {
  const out: [number, number, number, number][] = [];
  for (let i = 0; i < png.pixels.length; i += 4) if (png.pixels[i + 3] > 0) out.push([png.pixels[i], png.pixels[i + 1], png.pixels[i + 2], png.pixels[i + 3]]);
  return out;
}

describe('tray icons', () => {
  for (const state of TRAY_ICON_STATES) {
    it(`${state}: 16×16 and 32×32 (@2x) RGBA PNGs, coloured and template`, () => {
      for (const platform of ['linux', 'darwin'] as const) {
        const base = trayIconFile(state, platform);
        const x1 = readPng(path.join(ASSETS, base));
        const x2 = readPng(path.join(ASSETS, base.replace(/\.png$/, '@2x.png')));
        expect([x1.width, x1.height, x1.bitDepth, x1.colourType]).toEqual([16, 16, 8, 6]);
        expect([x2.width, x2.height, x2.bitDepth, x2.colourType]).toEqual([32, 32, 8, 6]);
        for (const png of [x1, x2]) {
          const px = opaque(png);
          expect(px.length).toBeGreaterThan(png.width * png.height * 0.2);
          // Transparent corners: a round icon, not a square.
          expect(png.pixels[3]).toBe(0);
          if (platform === 'darwin') {
            // Template images: black and alpha only (macOS tints them).
            expect(px.every(([r, g, b]) => r === 0 && g === 0 && b === 0)).toBe(true);
          } else {
            expect(px.some(([r, g, b]) => !(r === g && g === b))).toBe(true);
          }
        }
      }
    });
  }

  it('every state looks different, in colour and as a template', () => {
    for (const suffix of ['.png', 'Template.png', '@2x.png', 'Template@2x.png']) {
      const images = TRAY_ICON_STATES.map((s) => readFileSync(path.join(ASSETS, `tray-${s}${suffix}`)).toString('base64'));
      expect(new Set(images).size).toBe(TRAY_ICON_STATES.length);
    }
  });
});

describe('app icon', () => {
  it('512×512 for macOS/Windows builds and a 256/512 set for Linux', () => {
    for (const [file, size] of [['icon.png', 512], ['icons/512x512.png', 512], ['icons/256x256.png', 256]] as const) {
      const png = readPng(path.join(ASSETS, file));
      expect([png.width, png.height, png.colourType], file).toEqual([size, size, 6]);
    }
  });
});

describe('scripts/make-icons.mjs', () => {
  it('draws the committed images pixel for pixel (re-run it after changing a glyph)', () => {
    const files = buildIcons() as Record<string, Buffer>;
    expect(Object.keys(files).length).toBe(TRAY_ICON_STATES.length * 4 + 3);
    // Pixels, not bytes: another zlib (another Node) may compress the same pixels differently.
    for (const [name, bytes] of Object.entries(files)) {
      const built = readPng(name, bytes);
      const committed = readPng(path.join(ASSETS, name));
      expect([committed.width, committed.height], name).toEqual([built.width, built.height]);
      expect(committed.pixels.equals(built.pixels), name).toBe(true);
    }
  }, 60_000);
});
