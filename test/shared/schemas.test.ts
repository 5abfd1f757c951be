/**
 * The TypeBox schemas are the one source of the /v2 and config types (src/shared/v2-schemas.ts,
 * config-schema.ts): the build type-checks every producer against `Static<typeof X>` and the
 * schemas' types against the contract types (v2.ts `SchemaTypeChecks`). These tests check the
 * runtime half: a hand-written valid example of every message and every command's arguments
 * passes, a broken one does not, the schemas serialise to plain JSON Schema, every `uniqueItems`
 * list is bounded, and the renderer bundle that carries the validator needs no eval.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Type, type TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { CONFIG_SCHEMA, DEVICE_ENTRY_SCHEMA } from '../../src/shared/config-schema.js';
import { defaultConfig } from '../../src/shared/config.js';
import { OSC_INPUT_SCHEMA, OSC_OUTPUT_SCHEMA, OSC_SECTION_SCHEMA, RIOT_DEVICE_SCHEMA, defaultOscInputSettings, defaultOscOutputSettings, defaultRiotDeviceSettings } from '../../src/shared/outputs/osc-config.js';
import { LSL_CONFIG_SCHEMA, lslConfigFromSettings, LSL_DEFAULTS } from '../../src/shared/outputs/lsl-config.js';
import { RECORD_SCHEMA } from '../../src/shared/outputs/recording-config.js';
import { OVERLONG_FACTOR, validate } from '../../src/shared/schema.js';
import {
  COMMAND_ARGS_SCHEMAS,
  COMMAND_NAMES,
  COMMAND_SCHEMA,
  SERVER_MESSAGE_SCHEMAS,
  SUBSCRIBE_SCHEMA,
  isServerMessage,
  parseClientValue,
  validateServerMessage,
} from '../../src/shared/v2-schemas.js';
import type { CommandArgs, CommandName, ServerMessage } from '../../src/shared/v2.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const meta = {
  type: 'meta', device: '0', name: 'left arm', kind: 'bitalino', address: '20:16:07:18:15:26', connection: '/dev/rfcomm0', mac: '20:16:07:18:15:26', board: 'revolution',
  firmware: 'BITalino_v5.2', 'firmware version': 5.2, 'sampling rate': 1000, channels: [1, 2], column: ['nSeq', 'I1', 'I2', 'O1', 'O2', 'A1', 'A2'], label: ['A1', 'A2'],
  sensor: ['EMG', 'RAW'], resolution: [4, 1, 1, 1, 1, 10, 10],
  columns: [
    { name: 'nSeq', label: 'nSeq', kind: 'sequence', resolution: 4 },
    { name: 'A1', label: 'A1', kind: 'analog', channel: 1, sensor: 'EMG', resolution: 10, unit: 'mV' },
  ],
  t0: 1_700_000_000_000, segmentStart: 0, irregular: false, date: '2023-11-14', time: '22:13:20.000', simulated: false,
} as const;

/** One valid example per server message type, written out by hand (not by the server's encoders). */
const SERVER_EXAMPLES: Record<ServerMessage['type'], unknown[]> = {
  hello: [{ type: 'hello', server: 'ServerBIT', version: '2.0.0', protocol: 2, devices: ['0', 'left-arm'], control: false, subscription: { batch: 40, columns: ['A1'], format: 'raw', devices: 'all' } }],
  meta: [meta, { ...meta, mac: undefined, board: undefined, kind: 'riot', resolution: [32], columns: [{ name: 'ACC_X', label: 'ACC_X', kind: 'analog', resolution: 32 }], irregular: true }],
  data: [
    { type: 'data', device: '0', index: 1000, time: 1_700_000_001_000, count: 2, raw: { nSeq: [0, 1], A1: [512, 513] } },
    { type: 'data', device: '0', index: 0, time: 0, count: 1, converted: { A1: [0.01] }, timestamps: [1_700_000_000_000.5] },
  ],
  gap: [{ type: 'gap', device: '0', from: 10, to: 12, reason: 'link_lost' }],
  status: [
    { type: 'status', device: '0', name: 'simulator', address: 'simulator', state: 'streaming', board: 'revolution', firmware: 'BITalino_v5.2', rate: 1000, channels: [1, 2], battery: 3.9, counters: { frames: 5, crcErrors: 0, gaps: 0, lostSamples: 0 } },
    { type: 'status', device: '1', name: 'x', address: 'COM3', state: 'error', rate: 1000, channels: [], error: { code: 'PORT_NOT_FOUND', message: 'no COM3', hint: 'pair it' }, counters: { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0 } },
  ],
  server: [
    { type: 'server', clients: 2, devices: ['0'], outputs: [{ output: 'osc', state: 'running', detail: '→ 127.0.0.1:8000', counters: { datagrams: 10 } }] },
    {
      type: 'server', clients: 0, devices: [], outputs: [],
      problem: { code: 'CONFIG_INVALID_VALUE', message: 'sampling_rate is 500', file: '/home/me/ServerBIT/config.json', saveable: true, invalid: [{ key: 'sampling_rate', path: 'sampling_rate', message: 'sampling_rate is 500; allowed: 1, 10, 100 or 1000', value: 500 }] },
    },
  ],
  marker: [{ type: 'marker', id: 1, label: 'eyes closed', time: 1_700_000_000_500, device: '0', index: 500, source: 'v2' }],
  reply: [
    { type: 'reply', id: 7, ok: true, result: { anything: [1] } },
    { type: 'reply', id: null, ok: false, error: { code: 'BAD_MESSAGE', message: 'not JSON' } },
  ],
};

/** Each command's arguments, a valid example and one that is not. */
const ARGS_EXAMPLES: { [N in CommandName]: [CommandArgs[N], unknown] } = {
  start: [{ device: '0' }, { device: 'not an id!' }],
  stop: [{}, { extra: 1 }],
  outputs: [{ outputs: [0, 1], device: '0' }, { outputs: [2, 1] }],
  pwm: [{ duty: 255 }, { duty: 256 }],
  battery_threshold: [{ value: 0 }, { value: 1.5 }],
  state: [{}, { device: 0 }],
  get_config: [{}, { key: 'port' }],
  set_config: [{ config: { port: 9002, sampling_rate: 100 } }, { config: { sampling_rate: 500 } }],
  list_ports: [{}, { all: true }],
  test_device: [{ device: 'COM3' }, { device: '' }],
  add_device: [{ device: { address: 'simulator', id: 'left', channels: [1, 3], sampling_rate: 100 } }, { device: { id: 'left' } }],
  remove_device: [{ device: 'left' }, {}],
  marker: [{ label: 'start', device: '0', index: 10 }, { label: '' }],
  record_start: [{ formats: ['txt', 'h5'], folder: '/tmp/rec', devices: ['0'], layout: 'combined' }, { formats: ['txt', 'txt'] }],
  record_stop: [{}, { now: true }],
  osc_enable: [{}, { x: 1 }],
  osc_disable: [{}, { x: 1 }],
  lsl_enable: [{}, { x: 1 }],
  lsl_disable: [{}, { x: 1 }],
  mqtt_enable: [{}, { x: 1 }],
  mqtt_disable: [{}, { x: 1 }],
};

describe('the /v2 schemas accept the messages their types describe', () => {
  it('a valid example of every server message passes; changing one value fails, naming it', () => {
    expect(Object.keys(SERVER_EXAMPLES).sort()).toEqual(Object.keys(SERVER_MESSAGE_SCHEMAS).sort());
    for (const [type, examples] of Object.entries(SERVER_EXAMPLES)) {
      for (const m of examples) {
        const json = JSON.parse(JSON.stringify(m)) as Record<string, unknown>;
        expect(validateServerMessage(json), JSON.stringify(json).slice(0, 80)).toEqual([]);
        expect(isServerMessage(json)).toBe(true);
        const broken = { ...json, device: 42, id: -1 };
        if (type !== 'server') expect(validateServerMessage(broken).length, `${type} with a bad device or id`).toBeGreaterThan(0);
        expect(isServerMessage({ ...json, extra: true })).toBe(false);
      }
    }
    expect(validateServerMessage({ type: 'data', device: '0', index: 0, time: 0, count: 1 })).toEqual([
      { path: '', message: 'data is {"type":"data","device":"0","index":0,"time":0,"count":1}; allowed: a data message with "raw", "converted" or both' },
    ]);
    expect(isServerMessage({ type: 'data', device: '0', index: 0, time: 0, count: 1 })).toBe(false);
  });

  it('every command has an args schema, a valid example passes parseClientValue and a bad one gets BAD_ARGUMENTS', () => {
    expect([...COMMAND_NAMES].sort()).toEqual(Object.keys(ARGS_EXAMPLES).sort());
    for (const name of COMMAND_NAMES) {
      const [good, bad] = ARGS_EXAMPLES[name];
      expect(parseClientValue({ type: 'command', id: name, command: name, args: good }), name).toMatchObject({ ok: true, message: { command: name, args: good } });
      expect(parseClientValue({ type: 'command', id: name, command: name, args: bad }), name).toMatchObject({ ok: false, id: name, error: { code: 'BAD_ARGUMENTS', message: expect.stringMatching(new RegExp(`^${name}: args`)) } });
    }
    expect(validate(SUBSCRIBE_SCHEMA, { type: 'subscribe', batch: 10, columns: 'all', format: 'both', devices: ['0'], token: 't' })).toEqual([]);
    expect(validate(COMMAND_SCHEMA, { type: 'command', id: 'x', command: 'state' })).toEqual([]);
  });

  it('the config schemas accept the defaults the code writes', () => {
    expect(validate(CONFIG_SCHEMA, defaultConfig())).toEqual([]);
    expect(validate(DEVICE_ENTRY_SCHEMA, { address: 'simulator' })).toEqual([]);
    expect(validate(OSC_OUTPUT_SCHEMA, defaultOscOutputSettings())).toEqual([]);
    expect(validate(OSC_INPUT_SCHEMA, defaultOscInputSettings())).toEqual([]);
    expect(validate(RIOT_DEVICE_SCHEMA, defaultRiotDeviceSettings())).toEqual([]);
    expect(validate(OSC_SECTION_SCHEMA, { ...defaultOscOutputSettings(), control: defaultOscInputSettings(), riot: { rate: 200 } })).toEqual([]);
    expect(validate(LSL_CONFIG_SCHEMA, lslConfigFromSettings(LSL_DEFAULTS))).toEqual([]);
    expect(validate(RECORD_SCHEMA, { on_launch: true, folder: '~/recordings', formats: ['txt', 'csv'], layout: 'per-device', flush_ms: 500, fsync: true, prefix: '' })).toEqual([]);
  });
});

/** Every schema node under `s` (through properties, items, anyOf and additionalProperties). */
function* nodes(s: TSchema, at: string): Generator<[TSchema, string]> {
  yield [s, at];
  for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, TSchema>)) yield* nodes(v, `${at}.${k}`);
  if (s.items) yield* nodes(s.items as TSchema, `${at}[]`);
  for (const [i, b] of ((s.anyOf ?? []) as TSchema[]).entries()) yield* nodes(b, `${at}|${i}`);
  if (typeof s.additionalProperties === 'object') yield* nodes(s.additionalProperties as TSchema, `${at}{}`);
}

const ALL_SCHEMAS: Record<string, TSchema> = {
  ...SERVER_MESSAGE_SCHEMAS,
  subscribe: SUBSCRIBE_SCHEMA,
  command: COMMAND_SCHEMA,
  ...Object.fromEntries(Object.entries(COMMAND_ARGS_SCHEMAS).map(([k, v]) => [`args:${k}`, v])),
  config: CONFIG_SCHEMA,
  osc: OSC_OUTPUT_SCHEMA,
  osc_input: OSC_INPUT_SCHEMA,
  riot: RIOT_DEVICE_SCHEMA,
};

describe('the schemas as JSON Schema', () => {
  it('serialise to plain JSON Schema: only standard keywords, plus our "allowed" text', () => {
    const KEYWORDS = new Set(['type', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems', 'uniqueItems', 'anyOf', 'const', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'default', 'allowed']);
    for (const [name, schema] of Object.entries(ALL_SCHEMAS)) {
      const json = JSON.parse(JSON.stringify(schema)) as TSchema;
      for (const [node, at] of nodes(json, name)) {
        for (const key of Object.keys(node)) expect(KEYWORDS.has(key), `${at}: ${key}`).toBe(true);
      }
    }
  });

  it(`every uniqueItems list has a maxItems of at most 64 (TypeBox hashes every item; the walk stops past ${OVERLONG_FACTOR} × maxItems)`, () => {
    let lists = 0;
    for (const [name, schema] of Object.entries(ALL_SCHEMAS)) {
      for (const [node, at] of nodes(schema, name)) {
        if (node.uniqueItems !== true) continue;
        lists++;
        expect(node.maxItems, at).toBeLessThanOrEqual(64);
      }
    }
    expect(lists).toBeGreaterThan(5);
  });

  it('a list far past its maxItems: each item is checked once and none is hashed, and the walk ends with the list', () => {
    let reads = 0;
    const list = new Proxy(Array.from({ length: 3600 }, (_, i) => `c${i}`), { get: (t, k, r) => (typeof k === 'string' && /^\d+$/.test(k) && reads++, Reflect.get(t, k, r)) });
    const schema = Type.Object({ columns: Type.Array(Type.String(), { maxItems: 64, uniqueItems: true }), format: Type.String() });
    expect(validate(schema, { columns: list, format: 1 })).toEqual([{ path: 'columns', message: 'columns has 3600 items; allowed: a list of up to 64 items, each a string, no duplicates' }]);
    expect(reads).toBe(3600); // TypeBox's Check stops at the count; our walk reads each item once; hashing would read them again
    reads = 0;
    const bad = new Proxy([...Array.from({ length: 3598 }, (_, i) => `c${i}`), 1, 2], { get: (t, k, r) => (typeof k === 'string' && /^\d+$/.test(k) && reads++, Reflect.get(t, k, r)) });
    expect(validate(schema, { columns: bad, format: 'x' }).map((i) => i.message)).toEqual([
      'columns has 3600 items; allowed: a list of up to 64 items, each a string, no duplicates',
      'columns[3598] is 1; allowed: a string',
      'columns[3599] is 2; allowed: a string',
    ]);
    expect(reads).toBe(3602); // each item once, and the two refused ones again to spell their paths
    // Just past the bound, the walk goes on: the items and the rest of the object are checked.
    expect(validate(schema, { columns: [...Array.from({ length: 65 }, (_, i) => `c${i}`), 'c0', 3], format: 1 }).map((i) => i.path)).toEqual(['columns', 'columns', 'columns[66]', 'format']);
  });
});

describe('the renderer bundle', () => {
  it('carries TypeBox’s interpreter and no eval: no `new Function`, `Function(…)` or `eval(…)` (the window’s CSP has no unsafe-eval)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'serverbit-bundle-'));
    try {
      // The options of scripts/build-renderer.mjs that decide what code ends up in the bundle.
      await build({ entryPoints: [path.join(ROOT, 'src/renderer/main.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'chrome120', outfile: path.join(dir, 'app.js'), minify: true, logLevel: 'silent' });
      const js = readFileSync(path.join(dir, 'app.js'), 'utf8');
      expect(js).toContain('Unable to hash value'); // TypeBox's Hash (value/hash), used by its uniqueItems check
      expect(js).toMatch(/Expected union value/); // TypeBox's error texts (errors/function)
      expect(js).not.toMatch(/new\s+Function\b/);
      expect(js).not.toMatch(/(^|[^\w$.])Function\s*\(/);
      expect(js).not.toMatch(/(^|[^\w$.])eval\s*\(/);
      expect(js).not.toMatch(/TypeCompiler/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
