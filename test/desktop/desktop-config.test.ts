import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Conf from 'conf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigStore } from '../../src/main/config/config-store.js';
import { electronStoreOptions, loadDesktopConfig, reloadDesktopConfig, sameConfig, tolerantParse } from '../../src/main/desktop/desktop-config.js';
import { defaultConfig, SIMULATOR_DEVICE } from '../../src/shared/config.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'serverbit-desktop-config-'));
  file = path.join(dir, 'ServerBIT', 'config.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (text: string) => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
};

describe('loadDesktopConfig', () => {
  it('first launch: creates the file and streams the simulator', () => {
    const r = loadDesktopConfig(ConfigStore.open({ path: file }));
    expect(r.created).toBe(true);
    expect(r.problem).toBeUndefined();
    expect(r.config.device).toBe(SIMULATOR_DEVICE);
    expect(r.config.token).not.toBe('');
    expect(JSON.parse(readFileSync(file, 'utf8')).device).toBe(SIMULATOR_DEVICE);
  });

  it('a valid file is used as is', () => {
    write(JSON.stringify({ device: '20:16:07:18:15:26', channels: [1, 2], sampling_rate: 100, port: 9002, labels: ['nSeq', 'I1', 'I2', 'O1', 'O2', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6'], token: 't-0123456789abcdef' }));
    const r = loadDesktopConfig(ConfigStore.open({ path: file }));
    expect(r.problem).toBeUndefined();
    expect(r.config).toMatchObject({ device: '20:16:07:18:15:26', channels: [1, 2], sampling_rate: 100, port: 9002 });
  });

  it.each([
    ['not JSON', '{"device": "COM3",,}', 'CONFIG_INVALID_JSON'],
    ['empty', '', 'CONFIG_INVALID_JSON'],
    ['a bad value', '{"device": "COM3", "sampling_rate": 500}', 'CONFIG_INVALID_VALUE'],
    ['not an object', '[1, 2, 3]', 'CONFIG_INVALID_VALUE'],
  ])('a file that is %s: defaults on the simulator in memory, the problem reported, the file untouched', (_what, text, code) => {
    write(text);
    const before = statSync(file).mtimeMs;
    const r = loadDesktopConfig(ConfigStore.open({ path: file }), () => 'memory-token');
    expect(r.problem?.code).toBe(code);
    expect(r.problem?.message).toContain(file);
    expect(r.config).toEqual({ ...defaultConfig(), token: 'memory-token' });
    expect(r.notices[0]).toContain('left the file unchanged');
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(statSync(file).mtimeMs).toBe(before);
  });

  it('errors that are not about the config are bugs and propagate', () => {
    const broken = { path: file, load: () => { throw new TypeError('boom'); } };
    expect(() => loadDesktopConfig(broken)).toThrow(TypeError);
  });
});

describe('reloadDesktopConfig (after an edit outside the app)', () => {
  it('applies a changed valid file, ignores an unchanged one, keeps the running config on a broken one', () => {
    const store = ConfigStore.open({ path: file });
    const running = loadDesktopConfig(store).config;
    expect(reloadDesktopConfig(store, running)).toEqual({ config: running, changed: false });

    const onFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...onFile, sampling_rate: 100 }));
    const edited = reloadDesktopConfig(store, running);
    expect(edited.changed).toBe(true);
    expect(edited.config.sampling_rate).toBe(100);

    writeFileSync(file, '{ "device": ');
    const broken = reloadDesktopConfig(store, edited.config);
    expect(broken.changed).toBe(false);
    expect(broken.config).toBe(edited.config);
    expect(broken.problem?.code).toBe('CONFIG_INVALID_JSON');
    expect(readFileSync(file, 'utf8')).toBe('{ "device": ');
  });

  it('sameConfig ignores key order', () => {
    const a = defaultConfig();
    const b = Object.fromEntries(Object.entries(a).reverse()) as typeof a;
    expect(sameConfig(a, b)).toBe(true);
    expect(sameConfig(a, { ...a, channels: [1, 2] })).toBe(false);
  });
});

describe('the electron-store instance on the same file (built here as the conf it wraps)', () => {
  const open = () => {
    const { name, ...rest } = electronStoreOptions(file);
    return new Conf<Record<string, unknown>>({ ...rest, configName: name, watch: false });
  };

  it('targets ~/ServerBIT/config.json with cwd + name "config", never clearing an invalid file', () => {
    const o = electronStoreOptions('/home/ana/ServerBIT/config.json');
    expect(o).toMatchObject({ cwd: '/home/ana/ServerBIT', name: 'config', fileExtension: 'json', clearInvalidConfig: false, configFileMode: 0o600 });
    expect(o).not.toHaveProperty('defaults');
    expect(o).not.toHaveProperty('schema');
    expect(open().path).toBe(file);
  });

  it('opening it never writes: not on a broken file, not on a valid one', () => {
    for (const text of ['{"device": "COM3",,}', '', '[]', '\uFEFF{"device": "COM3"}', '{"device":"simulator","unknown_key":1}']) {
      write(text);
      const before = statSync(file).mtimeMs;
      expect(() => open()).not.toThrow();
      expect(readFileSync(file, 'utf8')).toBe(text);
      expect(statSync(file).mtimeMs).toBe(before);
    }
  });

  it('hears an edit made outside the app, even while the file is broken', async () => {
    write('{ "device": ');
    const { name, ...rest } = electronStoreOptions(file);
    const store = new Conf<Record<string, unknown>>({ ...rest, configName: name });
    try {
      const changed = new Promise<void>((resolve) => store.events.addEventListener('change', () => resolve(), { once: true }));
      await new Promise((r) => setTimeout(r, 50));
      writeFileSync(file, '{ "device": "COM3" }');
      // Linux polls the file (fs.watchFile, ~5 s) and conf debounces 1 s.
      await changed;
      expect(readFileSync(file, 'utf8')).toBe('{ "device": "COM3" }');
    } finally {
      store._closeWatcher();
    }
  }, 20_000);

  it('tolerantParse: objects through, everything else as {}', () => {
    expect(tolerantParse('{"a":1}')).toEqual({ a: 1 });
    expect(tolerantParse('\uFEFF{"a":1}')).toEqual({ a: 1 });
    for (const bad of ['', '{', '[1]', '"x"', 'null', '42']) expect(tolerantParse(bad)).toEqual({});
  });
});
