import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigStore, defaultConfigPath } from '../../src/main/config/config-store.js';
import { DEFAULT_LABELS, defaultConfig, SIMULATOR_DEVICE } from '../../src/shared/config.js';
import { ConfigError } from '../../src/shared/errors.js';
import { CLASSIC_EDITED, CLASSIC_ORIGINAL, REVOLUTION_ORIGINAL, snapshot, tempDir } from './fixtures.js';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

const errno = (code: string): Error => Object.assign(new Error(`${code}: simulated`), { code });

const readJson = (p: string): Record<string, unknown> => JSON.parse(fs.readFileSync(p, 'utf8')) as Record<string, unknown>;

function catchConfigError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

function writeConfig(text: string | Buffer): { store: ConfigStore; file: string } {
  const file = path.join(dir, 'ServerBIT', 'config.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return { store: ConfigStore.open({ path: file }), file };
}

describe('first launch', () => {
  it('creates ~/ServerBIT/config.json under a home with spaces and non-ASCII, classic shape, every key', () => {
    const home = path.join(dir, 'Jöhn Dœ');
    fs.mkdirSync(home);
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      expect(defaultConfigPath()).toBe(path.join(home, 'ServerBIT', 'config.json'));
      const store = ConfigStore.open();
      expect(store.path).toBe(path.join(home, 'ServerBIT', 'config.json'));
      expect(fs.existsSync(path.join(home, 'ServerBIT'))).toBe(false); // open() does no I/O

      const first = store.load();
      expect(first.created).toBe(true);
      expect(first.shape).toBe('classic');
      expect(first.notices[0]).toContain(store.path);
      expect(first.config.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(first.config).toEqual({ ...defaultConfig(), token: first.config.token });

      const file = readJson(store.path);
      expect(file).toEqual({
        device: SIMULATOR_DEVICE,
        channels: [1, 2, 3, 4, 5, 6],
        sampling_rate: 1000,
        port: 9001,
        labels: [...DEFAULT_LABELS],
        host: '127.0.0.1',
        batch_ms: 40,
        allowed_origins: defaultConfig().allowed_origins,
        allowed_hosts: [],
        max_clients: defaultConfig().max_clients,
        token: first.config.token,
        stall_timeout_s: 5,
      });
      expect(fs.statSync(store.path).mode & 0o777).toBe(0o600); // it holds the token
      // The example client goes next to it, as with the original ServerBIT.
      expect(fs.readdirSync(path.join(home, 'ServerBIT')).sort()).toEqual(['ClientBIT.html', 'config.json']);
      expect(fs.readFileSync(path.join(home, 'ServerBIT', 'ClientBIT.html'), 'utf8')).toBe(fs.readFileSync(path.resolve('examples/ClientBIT.html'), 'utf8'));

      // The second launch reads the same file and changes nothing.
      const before = snapshot(dir);
      const second = store.load();
      expect(second.created).toBe(false);
      expect(second.config).toEqual(first.config);
      expect(second.notices).toEqual([]);
      expect(snapshot(dir)).toEqual(before);
    } finally {
      process.env.HOME = saved;
    }
  });

  it('creates missing folders for an explicit path with spaces and non-ASCII', () => {
    const file = path.join(dir, 'Jöhn Dœ', 'ServerBIT', 'my config.json');
    const store = ConfigStore.open({ path: file });
    expect(store.load().created).toBe(true);
    expect(readJson(file).device).toBe(SIMULATOR_DEVICE);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['my config.json']);
  });
});

describe('original files', () => {
  it('reads the classic first-launch file, adds only a token, and keeps it classic on save', () => {
    const { store, file } = writeConfig(CLASSIC_ORIGINAL);
    const { config, notices, shape } = store.load();
    expect(shape).toBe('classic');
    expect(config.device).toBe(SIMULATOR_DEVICE);
    expect(notices.join('\n')).toMatch(/placeholder.*simulator/);
    expect(notices.join('\n')).toContain(`saved it in ${file}`);
    // The only change to the file: the token, added to the user's keys.
    expect(readJson(file)).toEqual({ ...(JSON.parse(CLASSIC_ORIGINAL) as object), token: config.token });

    const again = store.load();
    expect(again.config.token).toBe(config.token);
  });

  it('keeps unknown keys of a classic file through a save', () => {
    const { store, file } = writeConfig(CLASSIC_EDITED);
    const { config } = store.load();
    store.save({ ...config, port: 9100, channels: [1, 2, 3] });
    const raw = readJson(file);
    expect(raw.my_notes).toEqual({ subject: 'P07', session: 3 });
    expect(raw.port).toBe(9100);
    expect(raw.channels).toEqual([1, 2, 3]);
    expect(raw.device).toBe('20:16:07:18:15:26');
    expect(store.load().config).toEqual({ ...config, port: 9100, channels: [1, 2, 3] });
  });

  it('reads a (r)evolution file and saves it back in its own shape with its own keys', () => {
    const { store, file } = writeConfig(REVOLUTION_ORIGINAL);
    const { config, shape } = store.load();
    expect(shape).toBe('revolution');
    expect(config).toMatchObject({ device: '20:16:07:18:15:26', port: 8000, host: '127.0.0.1', batch_ms: 100, channels: [1, 2, 6] });
    expect(config.labels.slice(5)).toEqual(['EMG', 'ECG', 'A3', 'A4', 'A5', 'EDA']);

    store.save({ ...config, device: 'COM4', sampling_rate: 100 });
    const raw = readJson(file);
    const original = JSON.parse(REVOLUTION_ORIGINAL) as Record<string, unknown>;
    for (const key of ['riot_labels', 'OSC_config', 'consolidate_outputs', 'protocol', 'labels', 'ip_address']) expect(raw[key], key).toEqual(original[key]);
    expect(raw.device).toEqual([['COM4', 'bitalino'], ['192.168.1.103', 'riot']]);
    expect(raw.buffer_size).toBe(10); // 100 ms at 100 Hz
    expect(raw).not.toHaveProperty('host');
    expect(store.load().config).toEqual({ ...config, device: 'COM4', sampling_rate: 100 });
  });

  it('reads a file saved with a BOM (Windows Notepad)', () => {
    const { store } = writeConfig(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(CLASSIC_EDITED)]));
    expect(store.load().config.device).toBe('20:16:07:18:15:26');
  });

  it('loads a file missing original keys with notices, without touching it', () => {
    const { store } = writeConfig(JSON.stringify({ device: 'COM3', token: 'abc-0123456789abcdef' }));
    const before = snapshot(dir);
    const { config, notices } = store.load();
    expect(config).toEqual({ ...defaultConfig(), device: 'COM3', token: 'abc-0123456789abcdef' });
    expect(notices).toEqual(expect.arrayContaining(['"port" is missing; using 9001.', '"channels" is missing; using [1,2,3,4,5,6].']));
    // Not a byte changes; it holds the token, so it is made readable by its owner only.
    const was = before[path.join('ServerBIT', 'config.json')] as { mode: number };
    expect(snapshot(dir)).toEqual({ ...before, [path.join('ServerBIT', 'config.json')]: { ...was, mode: was.mode & ~0o077 } });
  });
});

describe('invalid files are reported and never touched', () => {
  const classic = JSON.parse(CLASSIC_EDITED) as Record<string, unknown>;
  const withKeys = (patch: Record<string, unknown>): string => JSON.stringify({ ...classic, ...patch }, null, 2);
  const { labels: _labels, ...noLabels } = classic;

  const cases: { name: string; content: string | Buffer; code: string; key?: string; message: RegExp[] }[] = [
    { name: 'invalid JSON (trailing comma)', content: '{\n  "device": "COM3",\n  "port": 9001,\n}\n', code: 'CONFIG_INVALID_JSON', message: [/is not valid JSON: .* at line 4, column 1/] },
    { name: 'invalid JSON (cut short)', content: '{"device": "COM3", "port": 90', code: 'CONFIG_INVALID_JSON', message: [/is not valid JSON/] },
    { name: 'empty file', content: '', code: 'CONFIG_INVALID_JSON', message: [/is empty; allowed: a JSON object/] },
    { name: 'whitespace only', content: '  \n', code: 'CONFIG_INVALID_JSON', message: [/is empty/] },
    { name: 'not UTF-8', content: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), code: 'CONFIG_INVALID_JSON', message: [/is not UTF-8 text/] },
    { name: 'not an object', content: '[1, 2, 3]', code: 'CONFIG_INVALID_VALUE', message: [/the file holds \[1,2,3\]; allowed: a JSON object/] },
    { name: 'port as a string', content: withKeys({ port: '9001' }), code: 'CONFIG_INVALID_VALUE', key: 'port', message: [/port is "9001"; allowed: an integer from 1 to 65535/] },
    { name: 'device as a number', content: withKeys({ device: 42 }), code: 'CONFIG_INVALID_VALUE', key: 'device', message: [/device is 42; allowed: "simulator", a MAC address/] },
    { name: 'channels as a string', content: withKeys({ channels: '1,2,3' }), code: 'CONFIG_INVALID_VALUE', key: 'channels', message: [/channels is "1,2,3"; allowed: a list of 1 to 6 different channel numbers/] },
    { name: 'sampling_rate 500', content: withKeys({ sampling_rate: 500 }), code: 'CONFIG_INVALID_VALUE', key: 'sampling_rate', message: [/sampling_rate is 500; allowed: 1, 10, 100 or 1000/] },
    { name: 'channel 7', content: withKeys({ channels: [1, 7] }), code: 'CONFIG_INVALID_VALUE', key: 'channels[1]', message: [/channels\[1\] is 7; allowed: a channel number from 1 to 6/] },
    { name: 'channel 0', content: withKeys({ channels: [0, 1] }), code: 'CONFIG_INVALID_VALUE', key: 'channels[0]', message: [/channels\[0\] is 0; allowed: a channel number from 1 to 6 \(1-based/] },
    { name: 'duplicate channel', content: withKeys({ channels: [2, 2] }), code: 'CONFIG_INVALID_VALUE', key: 'channels', message: [/channels has 2 more than once/] },
    { name: 'port 70000', content: withKeys({ port: 70000 }), code: 'CONFIG_INVALID_VALUE', key: 'port', message: [/port is 70000; allowed: an integer from 1 to 65535/] },
    { name: 'labels of the wrong length', content: withKeys({ labels: ['A1', 'A2', 'A3'] }), code: 'CONFIG_INVALID_VALUE', key: 'labels', message: [/labels has 3 items; allowed: 11 different names: the columns nSeq, I1, I2, O1, O2/] },
    { name: 'an empty label', content: withKeys({ labels: ['nSeq', 'I1', 'I2', 'O1', 'O2', '', 'A2', 'A3', 'A4', 'A5', 'A6'] }), code: 'CONFIG_INVALID_VALUE', key: 'labels[5]', message: [/labels\[5\] is ""; allowed: a non-empty string of up to 64 characters/] },
    { name: 'missing key and a wrong one', content: JSON.stringify({ ...noLabels, stall_timeout_s: 'slow' }), code: 'CONFIG_INVALID_VALUE', key: 'stall_timeout_s', message: [/stall_timeout_s is "slow"; allowed: a number from 0.5 to 600/] },
    { name: '(r)evolution with a riot only', content: JSON.stringify({ ...(JSON.parse(REVOLUTION_ORIGINAL) as object), device: [['10.0.0.2', 'riot']] }), code: 'CONFIG_INVALID_VALUE', key: 'device', message: [/device lists only \["riot"\] devices/] },
    { name: 'far too big', content: `{"device": "COM3", "pad": "${'x'.repeat(1024 * 1024)}"}`, code: 'CONFIG_UNREADABLE', message: [/more than the 1 MiB/] },
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.code}${c.key ? ` naming ${c.key}` : ''}`, () => {
      const { store, file } = writeConfig(c.content);
      const before = snapshot(dir);
      const error = catchConfigError(() => store.load());
      expect(error.code).toBe(c.code);
      expect(error.key).toBe(c.key);
      expect(error.message).toContain(file);
      for (const m of c.message) expect(error.message).toMatch(m);
      // The file is named once (issue 10 item 9), in the message.
      expect(`${error.message} ${error.hint}`.split(file).length - 1).toBe(1);
      if (c.code !== 'CONFIG_UNREADABLE') expect(error.hint).toMatch(/Fix it in the file, or delete the file to start again with defaults/);
      expect(snapshot(dir)).toEqual(before);

      // Saving over a file that cannot be parsed would clobber it: refused, nothing written.
      if (c.code !== 'CONFIG_INVALID_VALUE' || c.name === 'not an object') {
        expect(() => store.save({ ...defaultConfig(), token: 'x-0123456789abcdef' })).toThrow(ConfigError);
        expect(snapshot(dir)).toEqual(before);
      }
    });
  }

  it('a folder where the file should be: CONFIG_UNREADABLE, folder untouched', () => {
    const file = path.join(dir, 'ServerBIT', 'config.json');
    fs.mkdirSync(file, { recursive: true });
    fs.writeFileSync(path.join(file, 'inside.txt'), 'keep me');
    const before = snapshot(dir);
    const store = ConfigStore.open({ path: file });
    const error = catchConfigError(() => store.load());
    expect(error.code).toBe('CONFIG_UNREADABLE');
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/folder/);
    expect(error.hint).toMatch(/Move .* out of the way|--config/);
    expect(() => store.save({ ...defaultConfig(), token: 'x-0123456789abcdef' })).toThrow(ConfigError);
    expect(snapshot(dir)).toEqual(before);
  });

  it('a file where a folder should be: CONFIG_UNREADABLE, nothing created', () => {
    fs.writeFileSync(path.join(dir, 'ServerBIT'), 'not a folder');
    const before = snapshot(dir);
    const error = catchConfigError(() => ConfigStore.open({ path: path.join(dir, 'ServerBIT', 'config.json') }).load());
    expect(error.code).toBe('CONFIG_UNREADABLE');
    expect(error.message).toMatch(/ENOTDIR/);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('failures of the file system', () => {
  // Tests run as root, where chmod cannot make a file unreadable: simulate the errno instead.
  it('EACCES on read: CONFIG_UNREADABLE with a permissions hint, nothing written', () => {
    const { store, file } = writeConfig(CLASSIC_EDITED);
    const before = snapshot(dir);
    const real = fs.readFileSync;
    vi.spyOn(fs, 'readFileSync').mockImplementation(((p: fs.PathOrFileDescriptor, o?: never) => {
      if (p === file) throw errno('EACCES');
      return real(p, o);
    }) as typeof fs.readFileSync);
    const error = catchConfigError(() => store.load());
    expect(error.code).toBe('CONFIG_UNREADABLE');
    expect(error.message).toBe(`Cannot read ${file}: permission denied (EACCES).`);
    expect(error.hint).toMatch(/may read .* \(owner and permissions\)/);
    expect(() => store.save({ ...defaultConfig(), token: 'x-0123456789abcdef' })).toThrow(/permission denied/);
    vi.restoreAllMocks();
    expect(snapshot(dir)).toEqual(before);
  });

  it('a failed first-launch write: CONFIG_WRITE_FAILED naming the folder', () => {
    vi.spyOn(fs, 'mkdirSync').mockImplementation(() => {
      throw errno('EROFS');
    });
    const file = path.join(dir, 'ServerBIT', 'config.json');
    const error = catchConfigError(() => ConfigStore.open({ path: file }).load());
    expect(error.code).toBe('CONFIG_WRITE_FAILED');
    expect(error.message).toBe(`Could not write ${file}: the disk is read-only (EROFS).`);
    expect(error.hint).toContain(path.dirname(file));
  });

  it('a token that cannot be saved is used for this run and the notice says how to keep one', () => {
    const { store } = writeConfig(CLASSIC_EDITED);
    const before = snapshot(dir);
    vi.spyOn(fs, 'mkdirSync').mockImplementation(() => {
      throw errno('EROFS');
    });
    const { config, notices } = store.load();
    expect(config.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(notices.join('\n')).toMatch(/Could not save a generated token .*read-only.*Add "token"/);
    vi.restoreAllMocks();
    // The bytes are untouched; the file was only made readable by its owner (test/security/config-file.test.ts).
    const was = before[path.join('ServerBIT', 'config.json')] as { mode: number };
    expect(snapshot(dir)).toEqual({ ...before, [path.join('ServerBIT', 'config.json')]: { ...was, mode: was.mode & ~0o077 } });
  });
});

describe('save', () => {
  it('with invalid data throws, naming the key, and writes nothing', () => {
    const { store, file } = writeConfig(CLASSIC_EDITED);
    const { config } = store.load();
    const before = snapshot(dir);
    for (const [bad, key, text] of [
      [{ ...config, sampling_rate: 500 }, 'sampling_rate', /sampling_rate is 500; allowed: 1, 10, 100 or 1000/],
      [{ ...config, channels: [1, 7] }, 'channels[1]', /channels\[1\] is 7/],
      [{ ...config, port: 70000 }, 'port', /port is 70000/],
      [{ ...config, labels: ['x'] }, 'labels', /labels has 1 item/],
      [{ ...config, extra: true }, 'extra', /extra is not a known key/],
    ] as const) {
      const error = catchConfigError(() => store.save(bad as never));
      expect(error.code).toBe('CONFIG_INVALID_VALUE');
      expect(error.key).toBe(key);
      expect(error.message).toMatch(text);
      expect(error.hint).toMatch(/Nothing was written/);
    }
    expect(snapshot(dir)).toEqual(before);
    expect(readJson(file).port).toBe(9001);
  });

  it('writes atomically: the result parses and no temp file is left', () => {
    const { store, file } = writeConfig(CLASSIC_EDITED);
    const { config } = store.load();
    for (let i = 0; i < 20; i++) store.save({ ...config, port: 9000 + i });
    expect(readJson(file).port).toBe(9019);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['config.json']);
    expect(fs.readFileSync(file, 'utf8').endsWith('}\n')).toBe(true);
  });

  it('creates the file when it is missing', () => {
    const file = path.join(dir, 'new', 'config.json');
    const store = ConfigStore.open({ path: file });
    store.save({ ...defaultConfig(), token: 'tok-0123456789abcdef', port: 9100 });
    expect(store.load().config).toEqual({ ...defaultConfig(), token: 'tok-0123456789abcdef', port: 9100 });
  });

  it('writes through a symlinked config file and keeps the link', () => {
    const real = path.join(dir, 'dotfiles', 'serverbit.json');
    fs.mkdirSync(path.dirname(real));
    fs.writeFileSync(real, CLASSIC_EDITED);
    const link = path.join(dir, 'config.json');
    fs.symlinkSync(real, link);
    const store = ConfigStore.open({ path: link });
    const { config } = store.load();
    store.save({ ...config, port: 9200 });
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readJson(real).port).toBe(9200);
  });
});
