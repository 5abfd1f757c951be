#!/usr/bin/env node
// Draws ServerBIT's tray and app icons and writes them as PNG files, with nothing but node:zlib.
//
//   node scripts/make-icons.mjs [--out <dir>]      (default: assets/)
//
// The generated files are committed under assets/; re-run this after changing a glyph or a
// colour (test/desktop/icons.test.ts fails when the committed files and this script disagree).
//
// Per tray state (idle, connecting, streaming, stalled, error):
//   tray-<state>.png / tray-<state>@2x.png                  16×16 / 32×32, a coloured dot with a white glyph
//   tray-<state>Template.png / tray-<state>Template@2x.png  16×16 / 32×32, black + alpha (macOS menu bar:
//                                                            the "Template" suffix makes macOS tint it)
// Glyphs differ by shape, not only by colour, so the template images (one colour) stay readable:
//   idle: flat line · connecting: three dots · streaming: a heartbeat wave ·
//   stalled (and reconnecting): a wave that breaks off into dots · error: an exclamation mark.
// App icon: icon.png (512×512: macOS and Windows builds derive .icns/.ico from it) and
// icons/256x256.png + icons/512x512.png (the Linux icon set).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

// --- PNG encoding ----------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** 8-bit RGBA, no interlace, filter 0 on every row: small enough at these sizes, and deterministic. */
export function encodePng(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) rgba.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// --- drawing: shapes in unit coordinates (0..1, y down), anti-aliased by supersampling ---------

const circle = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const ring = (cx, cy, r, w) => (x, y) => Math.abs(Math.hypot(x - cx, y - cy) - r) <= w / 2;

function segmentDistance(x, y, [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2));
  return Math.hypot(x - (ax + t * dx), y - (ay + t * dy));
}

/** A stroked polyline with round joins and caps. */
const polyline = (points, w) => (x, y) => {
  for (let i = 1; i < points.length; i++) if (segmentDistance(x, y, points[i - 1], points[i]) <= w / 2) return true;
  return false;
};

const roundedSquare = (inset, radius) => (x, y) => {
  const qx = Math.max(Math.abs(x - 0.5) - (0.5 - inset - radius), 0);
  const qy = Math.max(Math.abs(y - 0.5) - (0.5 - inset - radius), 0);
  return qx * qx + qy * qy <= radius * radius;
};

/** The shape shrunk by `k` around the centre. */
const scaled = (shape, k) => (x, y) => shape(0.5 + (x - 0.5) / k, 0.5 + (y - 0.5) / k);

const union = (...shapes) => (x, y) => shapes.some((s) => s(x, y));

/** Paints layers ([shape, [r, g, b, a]]) bottom to top, `ss`×`ss` samples per pixel. */
function render(size, layers, ss = 5) {
  const out = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      // Premultiplied accumulation over the samples.
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const x = (px + (sx + 0.5) / ss) / size;
          const y = (py + (sy + 0.5) / ss) / size;
          let cr = 0;
          let cg = 0;
          let cb = 0;
          let ca = 0;
          for (const [shape, [lr, lg, lb, la]] of layers) {
            if (!shape(x, y)) continue;
            const al = la / 255;
            cr = lr * al + cr * (1 - al);
            cg = lg * al + cg * (1 - al);
            cb = lb * al + cb * (1 - al);
            ca = al + ca * (1 - al);
          }
          r += cr;
          g += cg;
          b += cb;
          a += ca;
        }
      }
      const n = ss * ss;
      const i = (py * size + px) * 4;
      const alpha = a / n;
      out[i + 3] = Math.round(alpha * 255);
      if (alpha > 0) {
        out[i] = Math.round(r / n / alpha);
        out[i + 1] = Math.round(g / n / alpha);
        out[i + 2] = Math.round(b / n / alpha);
      }
    }
  }
  return out;
}

// --- the icons -------------------------------------------------------------------------------

/** Glyphs drawn inside a circle of radius ~0.47 around the centre. */
const GLYPHS = {
  idle: polyline([[0.27, 0.5], [0.73, 0.5]], 0.13),
  connecting: union(circle(0.29, 0.5, 0.08), circle(0.5, 0.5, 0.08), circle(0.71, 0.5, 0.08)),
  streaming: polyline([[0.17, 0.53], [0.35, 0.53], [0.45, 0.25], [0.56, 0.77], [0.65, 0.53], [0.83, 0.53]], 0.12),
  stalled: union(polyline([[0.17, 0.53], [0.3, 0.53], [0.4, 0.28], [0.5, 0.53]], 0.12), circle(0.66, 0.53, 0.065), circle(0.81, 0.53, 0.065)),
  error: union(polyline([[0.5, 0.24], [0.5, 0.56]], 0.15), circle(0.5, 0.75, 0.085)),
};

export const TRAY_STATES = Object.keys(GLYPHS);

/** Dot colours; white glyphs on them keep a contrast ratio of at least 3:1. */
const COLOURS = {
  idle: [110, 118, 129, 255],
  connecting: [191, 135, 0, 255],
  streaming: [26, 127, 55, 255],
  stalled: [188, 76, 0, 255],
  error: [207, 34, 46, 255],
};

const WHITE = [255, 255, 255, 255];
const BLACK = [0, 0, 0, 255];

function trayIcon(state, size) {
  return render(size, [
    [circle(0.5, 0.5, 0.47), COLOURS[state]],
    [GLYPHS[state], WHITE],
  ]);
}

function trayTemplate(state, size) {
  return render(size, [[union(ring(0.5, 0.5, 0.44, 0.09), scaled(GLYPHS[state], 0.86)), BLACK]]);
}

function appIcon(size) {
  const wave = polyline(
    [[0.14, 0.55], [0.34, 0.55], [0.41, 0.47], [0.46, 0.55], [0.5, 0.55], [0.55, 0.22], [0.61, 0.78], [0.66, 0.55], [0.74, 0.55], [0.79, 0.47], [0.84, 0.55], [0.86, 0.55]],
    0.055,
  );
  return render(size, [
    [roundedSquare(0.06, 0.18), [23, 92, 168, 255]],
    [wave, WHITE],
  ], 3);
}

export function buildIcons() {
  /** @type {Record<string, Buffer>} relative path → PNG bytes */
  const files = {};
  for (const state of TRAY_STATES) {
    files[`tray-${state}.png`] = encodePng(16, 16, trayIcon(state, 16));
    files[`tray-${state}@2x.png`] = encodePng(32, 32, trayIcon(state, 32));
    files[`tray-${state}Template.png`] = encodePng(16, 16, trayTemplate(state, 16));
    files[`tray-${state}Template@2x.png`] = encodePng(32, 32, trayTemplate(state, 32));
  }
  const big = encodePng(512, 512, appIcon(512));
  files['icon.png'] = big;
  files['icons/512x512.png'] = big;
  files['icons/256x256.png'] = encodePng(256, 256, appIcon(256));
  return files;
}

function main() {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const outDir = at >= 0 && args[at + 1] ? path.resolve(args[at + 1]) : path.join(path.dirname(SELF), '..', 'assets');
  const files = Object.entries(buildIcons());
  for (const [name, bytes] of files) {
    const file = path.join(outDir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, bytes);
  }
  process.stdout.write(`wrote ${files.length} icons to ${outDir}\n`);
}

const SELF = fileURLToPath(import.meta.url);
if (process.argv[1] && path.resolve(process.argv[1]) === SELF) main();
