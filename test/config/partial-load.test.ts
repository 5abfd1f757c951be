/**
 * A config file with invalid settings (issue 10 item 1): ServerBIT runs on its valid settings
 * with defaults for the invalid ones, says which, never touches the file, and a save writes a
 * valid file only when it gives every invalid setting a valid value.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigStore } from '../../src/main/config/config-store.js';
import { Settings } from '../../src/main/config/settings.js';
import { defaultConfig } from '../../src/shared/config.js';
import { ConfigError } from '../../src/shared/errors.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serverbit-partial-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const TOKEN = 'partial-token-0123456789';

function write(content: unknown): { store: ConfigStore; file: string } {
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return { store: ConfigStore.open({ path: file }), file };
}

function refused(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('ConfigStore.loadPartial', () => {
  it('keeps the valid settings of a partly bad file, lists the bad one with its value, and leaves the file alone', () => {
    const { store, file } = write({ device: 'simulator', sampling_rate: 500, port: 9206, channels: [1, 2], token: TOKEN, my_own_key: 1 });
    const before = fs.readFileSync(file, 'utf8');
    const r = store.loadPartial();
    expect(r.config).toMatchObject({ port: 9206, channels: [1, 2], sampling_rate: 1000, token: TOKEN, device: 'simulator' });
    expect(r.saveable).toBe(true);
    expect(r.invalid).toEqual([{ key: 'sampling_rate', path: 'sampling_rate', value: 500, message: 'sampling_rate is 500; allowed: 1, 10, 100 or 1000' }]);
    expect(r.problem).toMatchObject({ code: 'CONFIG_INVALID_VALUE', file, saveable: true, invalid: r.invalid });
    expect(r.problem!.message).toBe(`Invalid setting in ${file}: sampling_rate is 500; allowed: 1, 10, 100 or 1000.`);
    expect(r.problem!.hint).toContain('uses the default for sampling_rate');
    // No notice about keys we set aside ourselves ("sampling_rate is missing").
    expect(r.notices.join(' ')).not.toContain('"sampling_rate" is missing');
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  it('several bad keys, a (r)evolution key and a short token: each set aside, the token never echoed', () => {
    const { store } = write({ device: [['simulator', 'bitalino']], ip_address: 'not an address!', port: 8123, channels: [9], token: 'short', buffer_size: 100 });
    const r = store.loadPartial();
    expect(r.invalid.map((i) => [i.key, i.path])).toEqual([
      ['channels', 'channels[0]'],
      ['host', 'ip_address'],
      ['token', 'token'],
    ]);
    expect(r.invalid.find((i) => i.key === 'token')).not.toHaveProperty('value');
    expect(JSON.stringify(r.problem)).not.toContain('"short"');
    expect(r.config).toMatchObject({ port: 8123, host: '127.0.0.1', channels: [1, 2, 3, 4, 5, 6] });
    // Control still needs a secret: one in memory, not the short one.
    expect(r.config.token.length).toBeGreaterThanOrEqual(16);
  });

  it('a fallback (the settings running now) stands in for the bad keys instead of the defaults', () => {
    const { store } = write({ device: 'simulator', port: 'nine', channels: [3], token: TOKEN });
    const running = { ...defaultConfig(), port: 9400, token: TOKEN };
    const r = store.loadPartial(running);
    expect(r.config.port).toBe(9400);
    expect(r.config.channels).toEqual([3]);
  });

  it('a file that is not JSON runs on defaults and is not saveable; the error has line and column, not the contents', () => {
    const { store, file } = write('{\n  "token": "secret-secret-secret",\n  "channels": [1, 2,],\n}');
    const r = store.loadPartial();
    expect(r.saveable).toBe(false);
    expect(r.invalid).toEqual([]);
    expect(r.config).toMatchObject({ ...defaultConfig(), token: expect.any(String) });
    expect(r.problem).toMatchObject({ code: 'CONFIG_INVALID_JSON', file, saveable: false });
    expect(r.problem!.message).toBe(`${file} is not valid JSON: a trailing comma before ] (JSON allows none) at line 3, column 21.`);
    expect(JSON.stringify(r.problem)).not.toContain('secret');
  });
});

describe('Settings over a partly bad file', () => {
  it('refuses a save that leaves the bad setting as it is, and writes a valid file once it is fixed', () => {
    const { store, file } = write({ device: 'simulator', sampling_rate: 500, port: 9206, channels: [1, 2], token: TOKEN, my_own_key: 'kept' });
    const before = fs.readFileSync(file, 'utf8');
    const loaded = store.loadPartial();
    const settings = new Settings({ file: loaded.config, store, problem: loaded.problem });
    let heard = 0;
    settings.onChange(() => heard++);

    const e = refused(() => settings.update({ channels: [1] }));
    expect(e.code).toBe('CONFIG_INVALID_VALUE');
    expect(e.message).toContain(file);
    expect(e.message).toContain('sampling_rate is 500');
    expect(e.hint).toContain('sampling_rate');
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(settings.problem?.invalid).toHaveLength(1);

    const r = settings.update({ channels: [1], sampling_rate: 100 });
    expect(r.saved).toBe(true);
    expect(settings.problem).toBeUndefined();
    expect(heard).toBe(1);
    const onDisk = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(onDisk).toMatchObject({ sampling_rate: 100, port: 9206, channels: [1], token: TOKEN, my_own_key: 'kept' });
    // And it loads cleanly now.
    expect(store.loadPartial().problem).toBeUndefined();
  });

  it('reload with a problem tells the listeners even when the values are the same; a fixed file clears it', () => {
    const { store } = write({ device: 'simulator', port: 'x', token: TOKEN });
    const loaded = store.loadPartial();
    const settings = new Settings({ file: loaded.config, store });
    const heard: string[] = [];
    settings.onChange(() => heard.push(settings.problem?.code ?? 'none'));
    settings.reload(loaded.config, store, loaded.problem);
    expect(heard).toEqual(['CONFIG_INVALID_VALUE']);
    settings.reload(loaded.config, store);
    expect(heard).toEqual(['CONFIG_INVALID_VALUE', 'none']);
    settings.reload(loaded.config, store);
    expect(heard).toHaveLength(2);
  });
});
