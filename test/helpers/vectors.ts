/** Loads the recorded BITalino protocol vectors in test/fixtures/bitalino/ (see its README). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
export const VECTORS_DIR = path.resolve(here, '../fixtures/bitalino');

export function loadVectors(name: 'vectors.json' | 'firmware-simulated-mode.json'): any {
  return JSON.parse(readFileSync(path.join(VECTORS_DIR, name), 'utf8'));
}

export function hex(s: string): Uint8Array {
  const t = s.trim();
  return t === '' ? new Uint8Array(0) : Uint8Array.from(t.split(/\s+/).map((b) => parseInt(b, 16)));
}

export function toHex(b: Uint8Array | number[]): string {
  return Array.from(b, (x) => x.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

/** Splits bytes at random boundaries (deterministic from the seed). */
export function randomChunks(bytes: Uint8Array, seed: number, maxChunk = 7): Uint8Array[] {
  let s = seed >>> 0 || 1;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) / 65536;
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < bytes.length) {
    const n = 1 + Math.floor(rnd() * maxChunk);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}
