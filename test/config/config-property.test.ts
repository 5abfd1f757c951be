import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig, SAMPLING_RATES } from '../../src/shared/config.js';
import { denormalizeConfig, normalizeConfigFile, validateConfig } from '../../src/shared/config-schema.js';
import { Type } from '@sinclair/typebox';
import { validate } from '../../src/shared/schema.js';
import { CLASSIC_EDITED, REVOLUTION_ORIGINAL } from './fixtures.js';

const KEYS = ['device', 'channels', 'sampling_rate', 'port', 'labels', 'host', 'batch_ms', 'allowed_origins', 'allowed_hosts', 'max_clients', 'token', 'stall_timeout_s', 'buffer_size', 'ip_address', 'protocol'];

/** Objects that look like config files, with each key present, missing, or any JSON value. */
const configLike = fc.record(
  Object.fromEntries(
    KEYS.map((k) => [
      k,
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.constantFrom<unknown>(1, 6, 7, 0, 1000, 500, 9001, 70000, 'simulator', '', 'localhost', [], [['COM3', 'bitalino']], [1, 2, 3], [6, 1, 1]),
        fc.array(fc.string({ maxLength: 3 }), { minLength: 5, maxLength: 12 }),
        fc.array(fc.integer({ min: -1, max: 8 }), { maxLength: 7 }),
      ),
    ]),
  ),
  { requiredKeys: [] },
);

function property(raw: unknown): void {
  const r = normalizeConfigFile(raw);
  expect(validateConfig(raw)).toBeInstanceOf(Array);
  if (r.ok) {
    // Whatever is accepted is a valid config, and survives a write + read unchanged.
    expect(validateConfig(r.config)).toEqual([]);
    const again = normalizeConfigFile(denormalizeConfig(raw as Record<string, unknown>, r.config, r.shape));
    expect(again.ok && again.config).toEqual(r.config);
  } else {
    expect(r.issues.length).toBeGreaterThan(0);
    expect(r.issues.length).toBeLessThanOrEqual(20);
    for (const issue of r.issues) expect(issue.message).toMatch(/allowed/);
  }
}

describe('properties', () => {
  it('normalizeConfigFile and validateConfig never throw on any JSON value, and never accept garbage', () => {
    fc.assert(fc.property(fc.jsonValue(), property), { numRuns: 500 });
  });

  it('same for objects shaped like config files', () => {
    fc.assert(fc.property(configLike, property), { numRuns: 1000 });
    // Mutations of real files.
    for (const base of [CLASSIC_EDITED, REVOLUTION_ORIGINAL]) {
      fc.assert(
        fc.property(fc.constantFrom(...KEYS), fc.jsonValue({ maxDepth: 2 }), (key, value) => property({ ...(JSON.parse(base) as object), [key]: value })),
        { numRuns: 300 },
      );
    }
  });

  it('every valid config survives save into either shape and back', () => {
    const validConfig = fc.record({
      device: fc.constantFrom('simulator', 'COM3', '20:16:07:18:15:26', '/dev/rfcomm0', 'localhost:8001'),
      channels: fc.uniqueArray(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }).map((c) => c.sort((a, b) => a - b)),
      sampling_rate: fc.constantFrom(...SAMPLING_RATES),
      port: fc.integer({ min: 1, max: 65535 }),
      labels: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 64 }), { minLength: 11, maxLength: 11 }),
      host: fc.constantFrom('127.0.0.1', '0.0.0.0', '::1', 'my-pc.local'),
      batch_ms: fc.integer({ min: 1, max: 1000 }),
      allowed_origins: fc.array(fc.webUrl().map((u) => new URL(u).origin), { maxLength: 4 }),
      allowed_hosts: fc.array(fc.domain({ size: 'small' }), { maxLength: 3 }),
      max_clients: fc.integer({ min: 1, max: 100000 }),
      token: fc.oneof(fc.constant(''), fc.string({ minLength: 16, maxLength: 40 })),
      stall_timeout_s: fc.double({ min: 0.5, max: 600, noNaN: true }),
    });
    fc.assert(
      fc.property(validConfig, (config) => {
        expect(validateConfig(config)).toEqual([]);
        const classic = normalizeConfigFile(JSON.parse(JSON.stringify(denormalizeConfig({}, config, 'classic'))));
        expect(classic.ok && classic.config).toEqual(config);
        // (r)evolution files hold the batch in whole samples, so only batch_ms may move.
        const rev = normalizeConfigFile(denormalizeConfig(JSON.parse(REVOLUTION_ORIGINAL) as Record<string, unknown>, config, 'revolution'));
        expect(rev.ok && { ...rev.config, batch_ms: config.batch_ms }).toEqual(config);
      }),
      { numRuns: 300 },
    );
  });

  it('validate never throws on any value for the config schema pieces', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        expect(validateConfig(v).length).toBeLessThanOrEqual(20);
        expect(validate(Type.Union([Type.String(), Type.Array(Type.Unknown(), { uniqueItems: true })]), v)).toBeInstanceOf(Array);
      }),
      { numRuns: 500 },
    );
    expect(validateConfig(defaultConfig())).toEqual([]);
  });
});
