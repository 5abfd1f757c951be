/**
 * The config's `record` section: checked strictly with the config file (a bad value names its
 * key), turned into recorder settings with the recorder's defaults for what it leaves out, and
 * set for one run by `--record [DIR]` without reaching the file.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyCliOverrides, CLI_USAGE, parseCliArgs } from '../../../src/main/config/cli-args.js';
import { ConfigStore } from '../../../src/main/config/config-store.js';
import { Settings } from '../../../src/main/config/settings.js';
import { DEFAULT_RECORDER_SETTINGS, recorderSettingsFromConfig, resolveRecorderSettings } from '../../../src/main/outputs/recorder/settings.js';
import { normalizeConfigFile, validateConfig } from '../../../src/shared/config-schema.js';
import { defaultConfig } from '../../../src/shared/config.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const withRecord = (record: unknown) => normalizeConfigFile({ ...defaultConfig(), token: 'x'.repeat(16), record });

describe('the "record" config section', () => {
  it('accepts every key with a valid value', () => {
    const record = { on_launch: true, folder: '~/rec', formats: ['txt', 'h5', 'csv'], layout: 'combined', devices: ['0', 'lab-1'], flush_ms: 250, max_queued_samples: 50_000, fsync: false, prefix: 'lab_a' };
    const r = withRecord(record);
    expect(r.ok && r.config.record).toEqual(record);
    expect(withRecord({}).ok).toBe(true);
    for (const folder of ['/data/rec', 'C:\\Users\\me\\rec', 'D:/rec', '\\\\server\\share\\rec', '~']) expect(withRecord({ folder }).ok, folder).toBe(true);
  });

  it.each([
    [{ flush_ms: 5000 }, 'record.flush_ms', /5000; allowed: .*50.*1000/],
    [{ flush_ms: 100.5 }, 'record.flush_ms', /integer/],
    [{ formats: ['txt', 'pdf'] }, 'record.formats[1]', /"pdf"; allowed: "txt", "h5" or "csv"/],
    [{ formats: [] }, 'record.formats', /one to three different formats/],
    [{ formats: ['txt', 'txt'] }, 'record.formats', /different/],
    [{ layout: 'side-by-side' }, 'record.layout', /"per-device" or "combined"/],
    [{ folder: 'recordings' }, 'record.folder', /absolute folder path/],
    [{ folder: '' }, 'record.folder', /absolute folder path/],
    [{ devices: ['a b'] }, 'record.devices[0]', /device id/],
    [{ on_launch: 'yes' }, 'record.on_launch', /true or false/],
    [{ prefix: 'a/b' }, 'record.prefix', /letters, digits/],
    [{ max_queued_samples: 10 }, 'record.max_queued_samples', /1000/],
    [{ enabled: true }, 'record.enabled', /on_launch/],
    ['yes', 'record', /an object with any of "on_launch", "folder"/],
  ])('%j is refused, naming %s', (record, path, message) => {
    const r = withRecord(record);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]).toMatchObject({ path, message: expect.stringMatching(message) });
    // The same check guards saves (set_config, the window).
    expect(validateConfig({ ...defaultConfig(), record })[0]?.path).toBe(path);
  });

  it('a bad value in the file: the store reports a ConfigError naming the key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'serverbit-reccfg-'));
    dirs.push(dir);
    const path = join(dir, 'config.json');
    await writeFile(path, JSON.stringify({ device: 'simulator', channels: [1], sampling_rate: 1000, port: 9001, labels: defaultConfig().labels, record: { formats: ['wav'] } }));
    expect(() => ConfigStore.open({ path }).load()).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID_VALUE', key: 'record.formats[0]', message: expect.stringContaining('"wav"') }));
  });

  it('becomes recorder settings: only what it sets, the rest the recorder\'s defaults; ~ is the home folder', () => {
    expect(recorderSettingsFromConfig(undefined)).toEqual({});
    expect(recorderSettingsFromConfig({ on_launch: true })).toEqual({});
    const s = recorderSettingsFromConfig({ folder: '~/lab', formats: ['h5'], layout: 'combined', devices: ['1'], flush_ms: 100, max_queued_samples: 5000, fsync: false, prefix: '' }, '/home/me');
    expect(s).toEqual({ folder: '/home/me/lab', formats: ['h5'], layout: 'combined', devices: ['1'], flushIntervalMs: 100, maxQueuedSamples: 5000, fsync: false, prefix: '' });
    const resolved = resolveRecorderSettings(recorderSettingsFromConfig({ formats: ['csv'] }));
    expect(resolved).toEqual({ ...DEFAULT_RECORDER_SETTINGS, formats: ['csv'] });
    expect(() => recorderSettingsFromConfig({ flush_ms: 1 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID_VALUE', key: 'record.flush_ms' }));
  });
});

describe('--record [DIR]', () => {
  it('records from launch for this run, into DIR (made absolute) or the config\'s folder', () => {
    expect(parseCliArgs(['--record']).overrides).toEqual({ record: {} });
    expect(parseCliArgs(['--record', '--port', '9100']).overrides).toEqual({ record: {}, port: 9100 });
    expect(parseCliArgs(['--record', 'rec/today']).overrides).toEqual({ record: { folder: resolve('rec/today') } });
    expect(parseCliArgs(['--record=/data/x']).overrides).toEqual({ record: { folder: '/data/x' } });
    expect(() => parseCliArgs(['--record='])).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID_VALUE', key: 'record.folder' }));
    expect(CLI_USAGE).toMatch(/--record \[DIR\]/);

    const file = { ...defaultConfig(), record: { formats: ['txt', 'h5'] as ('txt' | 'h5')[], folder: '/saved' } };
    expect(applyCliOverrides(file, { record: {} }).record).toEqual({ formats: ['txt', 'h5'], folder: '/saved', on_launch: true });
    expect(applyCliOverrides(file, { record: { folder: '/now' } }).record).toEqual({ formats: ['txt', 'h5'], folder: '/now', on_launch: true });
  });

  it('is never saved: a save through the settings writes the file\'s own record section', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'serverbit-recflag-'));
    dirs.push(dir);
    const store = ConfigStore.open({ path: join(dir, 'config.json') });
    const loaded = store.load();
    const settings = new Settings({ file: loaded.config, store, overrides: { record: { folder: '/tmp/flag' } } });
    expect(settings.config.record).toEqual({ on_launch: true, folder: '/tmp/flag' });
    settings.update({ port: 9123 });
    const saved = JSON.parse(await readFile(store.path, 'utf8'));
    expect(saved.port).toBe(9123);
    expect(saved.record).toBeUndefined();
    expect(settings.config.record).toEqual({ on_launch: true, folder: '/tmp/flag' });
  });
});
