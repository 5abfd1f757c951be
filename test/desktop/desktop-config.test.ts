import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Conf from 'conf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigStore } from '../../src/main/config/config-store.js';
import { electronStoreOptions, loadDesktopConfig, sameConfig, tolerantParse } from '../../src/main/desktop/desktop-config.js';
import { planConfigReload } from '../../src/main/desktop/startup.js';
import { Settings } from '../../src/main/config/settings.js';
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
    ['not JSON', '{"device": "COM3",,}', 'CONFIG_INVALID_JSON', false],
    ['empty', '', 'CONFIG_INVALID_JSON', false],
    ['not an object', '[1, 2, 3]', 'CONFIG_INVALID_VALUE', false],
  ])('a file that is %s: defaults on the simulator in memory, not saveable, the problem reported, the file untouched', (_what, text, code, saveable) => {
    write(text);
    const before = statSync(file).mtimeMs;
    const r = loadDesktopConfig(ConfigStore.open({ path: file }));
    expect(r.problem?.code).toBe(code);
    expect(r.problem?.message).toContain(file);
    expect(r.saveable).toBe(saveable);
    expect(r.config).toEqual({ ...defaultConfig(), token: expect.any(String) });
    expect(r.config.token.length).toBeGreaterThanOrEqual(16);
    expect(r.notices[0]).toContain('left the file unchanged');
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(statSync(file).mtimeMs).toBe(before);
  });

  it('a file with a bad value: its valid settings, the default for the bad one, saveable, the problem naming it', () => {
    const text = '{"device": "COM3", "sampling_rate": 500, "port": 9206}';
    write(text);
    const r = loadDesktopConfig(ConfigStore.open({ path: file }));
    expect(r.config).toMatchObject({ device: 'COM3', port: 9206, sampling_rate: 1000 });
    expect(r.saveable).toBe(true);
    expect(r.problem).toMatchObject({ code: 'CONFIG_INVALID_VALUE', file, invalid: [{ key: 'sampling_rate', value: 500 }] });
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('errors that are not about the config are bugs and propagate', () => {
    const broken = {
      path: file,
      loadPartial: () => {
        throw new TypeError('boom');
      },
    };
    expect(() => loadDesktopConfig(broken)).toThrow(TypeError);
  });
});

describe('planConfigReload (after an edit outside the app): saveable decided live', () => {
  it('applies a changed valid file, ignores an unchanged one, keeps the running values for what a broken edit breaks', () => {
    const store = ConfigStore.open({ path: file });
    const first = loadDesktopConfig(store);
    const settings = new Settings({ file: first.config, store });
    expect(planConfigReload(settings, store.loadPartial(settings.file)).apply).toBe(false);

    const onFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...onFile, sampling_rate: 100 }));
    const edited = planConfigReload(settings, store.loadPartial(settings.file));
    expect(edited).toMatchObject({ apply: true, saveable: true, problem: undefined });
    expect(edited.config.sampling_rate).toBe(100);
    settings.reload(edited.config, store, edited.problem);

    // A typo in the port while editing: the other edits apply, the port stays what runs.
    writeFileSync(file, JSON.stringify({ ...onFile, sampling_rate: 10, port: '90o1' }));
    const typo = planConfigReload(settings, store.loadPartial(settings.file));
    expect(typo.apply).toBe(true);
    expect(typo.config).toMatchObject({ sampling_rate: 10, port: settings.file.port });
    expect(typo.problem?.invalid?.map((i) => i.key)).toEqual(['port']);

    writeFileSync(file, '{ "device": ');
    const broken = planConfigReload(settings, store.loadPartial(settings.file));
    expect(broken).toMatchObject({ apply: true, saveable: false, problem: { code: 'CONFIG_INVALID_JSON' } });
    expect(broken.config).toEqual(settings.file);
    expect(readFileSync(file, 'utf8')).toBe('{ "device": ');
  });

  it('a file broken at start and fixed later makes the window able to save, without a restart', () => {
    write('{"device": "simulator",,}');
    const store = ConfigStore.open({ path: file });
    const first = loadDesktopConfig(store);
    const settings = new Settings({ file: first.config, ...(first.saveable ? { store } : {}), problem: first.problem });
    expect(settings.saveable).toBe(false);
    writeFileSync(file, JSON.stringify({ device: 'simulator', token: 'fixed-token-0123456789' }));
    const plan = planConfigReload(settings, store.loadPartial(settings.file));
    expect(plan).toMatchObject({ apply: true, saveable: true, problem: undefined });
    settings.reload(plan.config, plan.saveable ? store : undefined, plan.problem);
    expect(settings.saveable).toBe(true);
    expect(settings.problem).toBeUndefined();
    expect(settings.update({ sampling_rate: 10 }).saved).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ sampling_rate: 10, token: 'fixed-token-0123456789' });
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
