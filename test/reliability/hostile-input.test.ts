/**
 * Hostile input, property-based (fast-check): the parsers that take bytes or text from outside.
 *
 * For each: nothing escapes but the typed error that is its contract (DeviceError from the
 * device parsers; parseClientMessage returns errors and never throws; ConfigStore throws
 * ConfigError), what it holds stays bounded, and what it accepts is well formed.
 *
 * Seeds are fixed where a property is statistical (CRC-4 passes 1 random window in 16), so a
 * run is reproducible and a failure is a regression, not bad luck. Existing properties are not
 * repeated here: test/devices/frame-decoder.test.ts (never throws, carry bound),
 * test/config/config-property.test.ts (normalizeConfigFile/validateConfig on any JSON value).
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigStore } from '../../src/main/config/config-store.js';
import { Bitalino } from '../../src/main/devices/bitalino.js';
import { CMD_STATE, VersionReader, encodeFrame, encodeState, parseState, parseVersion } from '../../src/main/devices/codec.js';
import { BitalinoEmulator } from '../../src/main/devices/emulator.js';
import { FrameDecoder, type DecodedItem } from '../../src/main/devices/frame-decoder.js';
import { createMemoryPair } from '../../src/main/devices/memory-transport.js';
import type { Transport } from '../../src/main/devices/transport.js';
import { normalizeConfigFile, validateConfig } from '../../src/shared/config-schema.js';
import { ConfigError, DeviceError } from '../../src/shared/errors.js';
import { validate } from '../../src/shared/schema.js';
import { COMMAND_ARGS_SCHEMAS, COMMAND_SCHEMA, SUBSCRIBE_SCHEMA, V2_MAX_MESSAGE_BYTES, parseClientMessage } from '../../src/shared/v2-schemas.js';
import { COMMAND_NAMES, type CommandName } from '../../src/shared/v2.js';
import { Cleanup, tempDir } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Runs fn; anything thrown must be an instance of `allowed`. */
function onlyThrows(allowed: new (...a: never[]) => Error, fn: () => unknown): unknown {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof allowed)) throw new Error(`threw ${(e as Error)?.constructor?.name}: ${String(e)}`);
    return e;
  }
}

// ---------------------------------------------------------------------------------------------

describe('FrameDecoder on hostile bytes', () => {
  /** Items → delivered frames with the index the decoder gives them. */
  function index(items: DecodedItem[], start = 0) {
    const out: { index: number; seq: number; digital: number; analog: number[] }[] = [];
    let i = start;
    for (const it of items) {
      if (it.kind === 'gap') {
        i += it.lost;
        continue;
      }
      for (let k = 0; k < it.count; k++, i++) out.push({ index: i, seq: it.seq[k], digital: it.digital[k], analog: it.analog.map((a) => a[k]) });
    }
    return { frames: out, next: i };
  }

  it('any bytes, any chunking: sequence numbers always agree with the indices (no frame out of place), and what it holds stays bounded', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 40 }), (n, chunks) => {
        const dec = new FrameDecoder(n, { firstSeq: 0 });
        const items: DecodedItem[] = [];
        for (const c of chunks) {
          items.push(...dec.push(c));
          expect((dec as unknown as { carry: Uint8Array }).carry.length).toBeLessThan(2 * dec.frameLength);
          expect((dec as unknown as { held?: unknown[] }).held?.length ?? 0).toBeLessThanOrEqual(3);
        }
        // Whatever it accepts, index and 4-bit sequence agree: index ≡ seq (mod 16) from firstSeq 0.
        for (const f of index(items).frames) expect(f.seq).toBe(f.index & 15);
      }),
      { numRuns: 400, seed: 1 },
    );
  });

  it('a valid stream with single-bit errors (at most one per frame): every delivered frame is the true one at its true index, every other index is in a gap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 50, max: 400 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 30 }),
        fc.integer({ min: 1, max: 50 }),
        (n, count, flips, chunk) => {
          const L = [2, 3, 4, 6, 7, 8, 8][n];
          const rows: { seq: number; digital: number; analog: number[] }[] = [];
          const parts: Uint8Array[] = [];
          for (let k = 0; k < count; k++) {
            const analog = Array.from({ length: n }, (_, s) => (Math.imul(k + 1, 2654435761 + s * 97) >>> 7) & (s < 4 ? 1023 : 63));
            const digital = (k * 7) & 15;
            rows.push({ seq: k & 15, digital, analog });
            parts.push(encodeFrame(k & 15, digital, analog));
          }
          const bytes = Buffer.concat(parts);
          const damaged = new Set<number>();
          for (const [f, bit] of flips) {
            const frame = f % count;
            if (damaged.has(frame)) continue;
            damaged.add(frame);
            bytes[frame * L + ((bit >> 3) % L)] ^= 1 << (bit & 7);
          }
          const dec = new FrameDecoder(n, { firstSeq: 0 });
          const items: DecodedItem[] = [];
          for (let o = 0; o < bytes.length; o += chunk) items.push(...dec.push(bytes.subarray(o, o + chunk)));
          const { frames, next } = index(items);
          for (const f of frames) expect(f, `frame at index ${f.index}`).toEqual({ index: f.index, ...rows[f.index] });
          for (const d of damaged) expect(frames.some((f) => f.index === d)).toBe(false);
          expect(next).toBeLessThanOrEqual(count);
          // Frames after a re-lock wait for confirmation: only damage near the end leaves some undelivered.
          if (Math.max(-1, ...damaged) < count - 6) expect(next).toBe(count);
        },
      ),
      { numRuns: 300, seed: 2 },
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('version and state parsers on hostile bytes', () => {
  it('VersionReader: never throws, holds at most a version line, returns only "BITalino…" lines, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(Buffer.from('BITalino_v5.2\n'), Buffer.from('BITali'), Buffer.from('no_v4.0\r\n'))), { maxLength: 20 }), (chunks) => {
        const r = new VersionReader();
        for (const c of chunks) {
          const text = r.push(c);
          expect((r as unknown as { line: number[] }).line.length).toBeLessThanOrEqual(65);
          if (text !== undefined) {
            expect(text.startsWith('BITalino')).toBe(true);
            expect(text).not.toContain('\n');
            expect(text.length).toBeLessThanOrEqual(8 + 65);
          }
        }
      }),
      { numRuns: 500, seed: 3 },
    );
  });

  it('VersionReader finds the version behind any preamble without "BITalino" in it, split anywhere', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('BITalino_v5.2', 'BITalino_v4.0', 'BITalino_v5.1'), fc.array(fc.nat(), { maxLength: 10 }), (pre, version, cuts) => {
        fc.pre(!Buffer.from(pre).includes('BITalino') && !Buffer.from(pre).includes('B'));
        const all = Buffer.concat([Buffer.from(pre), Buffer.from(`${version}\n`)]);
        const points = [...new Set(cuts.map((c) => c % all.length))].sort((a, b) => a - b);
        const r = new VersionReader();
        let got: string | undefined;
        let last = 0;
        for (const p of [...points, all.length]) {
          got ??= r.push(all.subarray(last, p));
          last = p;
        }
        expect(got).toBe(version);
      }),
      { numRuns: 300, seed: 4 },
    );
  });

  it('parseVersion: any text gives a consistent VersionInfo or a DeviceError, nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((s) => `BITalino${s}`), fc.constantFrom('BITalino_v5.2', 'BITalino_v4.2', 'BITalino_v99999999999999999999', 'BITalino V', 'BITalino_v.')), (s) => {
        const r = onlyThrows(DeviceError, () => parseVersion(s));
        if (r instanceof DeviceError) {
          expect(r.code).toBe('DEVICE_BAD_REPLY');
          return;
        }
        const info = r as ReturnType<typeof parseVersion>;
        expect(Number.isFinite(info.version)).toBe(true);
        expect(info.board).toBe(Math.floor(info.version) >= 5 ? 'revolution' : 'legacy');
        expect(info.stateLength).toBe(info.board === 'legacy' ? 0 : info.version >= 5.2 ? 17 : 16);
      }),
      { numRuns: 1000, seed: 5 },
    );
  });

  it('parseState: any bytes give a state or a DeviceError; a packet that fails its CRC is never accepted', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const r = onlyThrows(DeviceError, () => parseState(bytes));
        if (r instanceof DeviceError) return;
        expect([16, 17]).toContain(bytes.length);
        const again = encodeState({ ...(r as ReturnType<typeof parseState>), digital: bytes[bytes.length - 1] >> 4, batteryThreshold: bytes[14] }, bytes.length as 16 | 17);
        expect(again[bytes.length - 1] & 15).toBe(bytes[bytes.length - 1] & 15); // the CRC it passed
      }),
      { numRuns: 2000, seed: 6 },
    );
  });

  it('readState: junk in front of the reply, delivered in any chunks, never yields a garbage state', async () => {
    // The driver takes the newest 16/17 bytes that pass CRC-4 as the reply; with junk in front
    // and the reply split over several chunks, a window of junk + part of the reply passes CRC
    // 1 time in 16. Only a plausible packet (10-bit values, 6-bit threshold) may be accepted.
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 24 }), fc.integer({ min: 1, max: 5 }), async (junk, chunk) => {
        const [host, dev] = createMemoryPair({ pathA: 'memory:host', pathB: 'memory:dev' });
        const emu = new BitalinoEmulator({ firmware: 'BITalino_v5.2', inputs: (ch) => 100 * ch, battery: 600 });
        await dev.open();
        emu.attach(dev);
        const receive = emu.receive.bind(emu);
        emu.receive = (b) => {
          if (b.includes(CMD_STATE)) emu.injectGarbage(junk); // noise on the line just before the reply
          receive(b);
        };
        const driver = new Bitalino(splitting(host, chunk), { versionTimeoutMs: 1000, replyTimeoutMs: 300, byteGapMs: 0 });
        try {
          await driver.connect();
          const st = await driver.readState().catch((e: unknown) => e);
          if (st instanceof DeviceError) {
            expect(['DEVICE_NO_ANSWER', 'DEVICE_BAD_REPLY']).toContain(st.code);
            return;
          }
          expect(st).toMatchObject({ analog: [100, 200, 300, 400, 500, 600], battery: 600 });
        } finally {
          await driver.close();
          await dev.close();
        }
      }),
      { numRuns: 60, seed: 7 },
    );
  }, 60_000);
});

/** The same link, but every chunk is delivered in pieces of `size` bytes (the Transport contract allows any split). */
function splitting(inner: Transport, size: number): Transport {
  return {
    get path() {
      return inner.path;
    },
    get isOpen() {
      return inner.isOpen;
    },
    open: () => inner.open(),
    write: (b) => inner.write(b),
    close: () => inner.close(),
    onClose: (l) => inner.onClose(l),
    onData: (l) =>
      inner.onData((chunk) => {
        for (let o = 0; o < chunk.length; o += size) l(chunk.subarray(o, o + size));
      }),
  };
}

// ---------------------------------------------------------------------------------------------

describe('/v2 client messages (parseClientMessage)', () => {
  const id = fc.oneof(fc.string({ maxLength: 140 }), fc.integer(), fc.double(), fc.constant(null), fc.boolean());
  const command = fc.record(
    {
      type: fc.oneof(fc.constant('command'), fc.constant('subscribe'), fc.string({ maxLength: 10 })),
      id,
      command: fc.oneof(fc.constantFrom(...COMMAND_NAMES), fc.string({ maxLength: 70 })),
      args: fc.oneof(
        fc.constant({}),
        fc.record({ duty: fc.oneof(fc.integer({ min: -5, max: 300 }), fc.double(), fc.string()) }, { requiredKeys: [] }),
        fc.record({ outputs: fc.array(fc.oneof(fc.constantFrom(0, 1, 2, -1), fc.boolean()), { maxLength: 5 }) }),
        fc.record({ value: fc.oneof(fc.integer({ min: -2, max: 70 }), fc.string()) }),
        fc.record({ config: fc.dictionary(fc.constantFrom('port', 'sampling_rate', 'channels', 'labels', 'device', 'evil'), fc.jsonValue({ maxDepth: 2 })) }),
        fc.record({ device: fc.oneof(fc.string({ maxLength: 300 }), fc.integer()) }),
        fc.jsonValue({ maxDepth: 3 }),
      ),
      token: fc.oneof(fc.string({ maxLength: 300 }), fc.integer()),
      batch: fc.oneof(fc.integer({ min: -1, max: 1100 }), fc.string()),
      columns: fc.oneof(fc.constant('all'), fc.array(fc.string({ maxLength: 70 }), { maxLength: 70 }), fc.integer()),
      format: fc.oneof(fc.constantFrom('raw', 'converted', 'both'), fc.string({ maxLength: 10 })),
      extra: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: [] },
  );

  /** What the parser promises: never throws, bounded error text, and only schema-valid messages accepted. */
  function check(raw: string | Uint8Array): void {
    let r: ReturnType<typeof parseClientMessage>;
    try {
      r = parseClientMessage(raw);
    } catch (e) {
      throw new Error(`parseClientMessage threw: ${String(e)}`);
    }
    if (!r.ok) {
      expect(['BAD_MESSAGE', 'UNKNOWN_COMMAND', 'BAD_ARGUMENTS']).toContain(r.error.code);
      expect(r.error.message.length).toBeLessThan(2000);
      expect(r.id === null || typeof r.id === 'string' || typeof r.id === 'number').toBe(true);
      return;
    }
    const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
    expect(size).toBeLessThanOrEqual(V2_MAX_MESSAGE_BYTES);
    const m = r.message as unknown as Record<string, unknown>;
    if (m.type === 'subscribe') {
      expect(validate(SUBSCRIBE_SCHEMA, m)).toEqual([]);
      return;
    }
    expect(m.type).toBe('command');
    expect(validate(COMMAND_SCHEMA, m)).toEqual([]);
    expect(COMMAND_NAMES).toContain(m.command);
    expect(validate(COMMAND_ARGS_SCHEMAS[m.command as CommandName], m.args)).toEqual([]);
  }

  it('any text, any bytes: an error reply or a schema-valid message, never a throw', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), check), { numRuns: 1000, seed: 8 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), check), { numRuns: 1000, seed: 9 });
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => check(JSON.stringify(v) ?? 'null')), { numRuns: 1000, seed: 10 });
  });

  it('command-shaped messages with wrong types, unknown keys and out-of-range values are refused, valid ones accepted', () => {
    fc.assert(fc.property(command, (m) => check(JSON.stringify(m))), { numRuns: 3000, seed: 11 });
  });

  it('pathological sizes and nesting are refused quickly with BAD_MESSAGE', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const cases = [
      'x'.repeat(V2_MAX_MESSAGE_BYTES + 1),
      'é'.repeat(V2_MAX_MESSAGE_BYTES / 2 + 1),
      deep(16_000),
      `{"type":"command","id":1,"command":"set_config","args":{"config":{"channels":[${deep(5000)},${deep(5000)}]}}}`,
      `{"type":"subscribe","columns":[${Array.from({ length: 3000 }, () => '"A1"').join(',')}]}`,
      '\u0000'.repeat(1000),
    ];
    for (const c of cases) {
      const t = performance.now();
      const r = parseClientMessage(c);
      expect(r.ok, c.slice(0, 60)).toBe(false);
      expect(performance.now() - t).toBeLessThan(500);
    }
    expect(parseClientMessage(new Uint8Array(10 * 1024 * 1024))).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE' } });
  });
});

// ---------------------------------------------------------------------------------------------

describe('config files with hostile content (ConfigStore.load)', () => {
  it('any bytes in config.json: a config or a ConfigError naming the file; the file is never changed, except a token added to a valid one', async () => {
    const dir = await tempDir('serverbit-fuzz-');
    cleanup.add(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'config.json');
    const store = ConfigStore.open({ path: file });
    const content = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? '')),
      fc
        .record(
          {
            device: fc.oneof(fc.constantFrom('simulator', 'COM3', '', 'XX:XX'), fc.jsonValue({ maxDepth: 1 })),
            channels: fc.oneof(fc.array(fc.integer({ min: -1, max: 8 }), { maxLength: 8 }), fc.jsonValue({ maxDepth: 1 })),
            sampling_rate: fc.oneof(fc.constantFrom(1, 10, 100, 1000, 500, 0), fc.jsonValue({ maxDepth: 1 })),
            port: fc.oneof(fc.integer({ min: -1, max: 70_000 }), fc.jsonValue({ maxDepth: 1 })),
            labels: fc.oneof(fc.array(fc.string({ maxLength: 5 }), { maxLength: 12 }), fc.jsonValue({ maxDepth: 1 })),
            token: fc.oneof(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 })),
          },
          { requiredKeys: [] },
        )
        .map((o) => Buffer.from(JSON.stringify(o))),
    );
    fc.assert(
      fc.property(content, (bytes) => {
        fs.writeFileSync(file, bytes);
        const r = onlyThrows(ConfigError, () => store.load());
        const after = fs.readFileSync(file);
        expect(fs.readdirSync(dir)).toEqual(['config.json']);
        if (r instanceof ConfigError) {
          expect(r.message).toContain(file);
          expect(r.message).toMatch(/allowed|not valid JSON|not UTF-8|empty/);
          expect(after.equals(Buffer.from(bytes))).toBe(true);
          return;
        }
        const { config } = r as ReturnType<ConfigStore['load']>;
        expect(validateConfig(config)).toEqual([]);
        if (!after.equals(Buffer.from(bytes))) {
          // The only write allowed: a token added to a valid file, every other key as it was.
          const before = JSON.parse(Buffer.from(bytes).toString('utf8').replace(/^\uFEFF/, '')) as Record<string, unknown>;
          const now = JSON.parse(after.toString('utf8')) as Record<string, unknown>;
          expect(now).toEqual({ ...before, token: config.token });
          expect(normalizeConfigFile(now).ok).toBe(true);
        }
      }),
      { numRuns: 400, seed: 12 },
    );
  });
});
