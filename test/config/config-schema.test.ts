import { describe, expect, it } from 'vitest';
import { defaultConfig, resolveDevices, SIMULATOR_DEVICE, type ServerBitConfig } from '../../src/shared/config.js';
import { denormalizeConfig, detectShape, normalizeConfigFile, validateConfig, type NormalizeResult } from '../../src/shared/config-schema.js';
import { CLASSIC_EDITED, CLASSIC_ORIGINAL, REVOLUTION_EARLY, REVOLUTION_ORIGINAL } from './fixtures.js';

function ok(result: NormalizeResult): Extract<NormalizeResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.issues)}`);
  return result;
}
function issuesOf(raw: unknown): string[] {
  const r = normalizeConfigFile(raw);
  if (r.ok) throw new Error('expected issues');
  return r.issues.map((i) => `${i.path}: ${i.message}`);
}
const valid = (): ServerBitConfig => ({ ...defaultConfig(), token: 't0ken-0123456789abcdef' });

describe('validateConfig', () => {
  it('accepts the defaults and rejects each key out of range with the allowed values', () => {
    expect(validateConfig(valid())).toEqual([]);
    const bad: [Partial<ServerBitConfig> | Record<string, unknown>, string][] = [
      [{ device: '' }, 'device is ""; allowed: "simulator", a MAC address'],
      [{ device: 'x'.repeat(257) }, 'up to 256 characters'],
      [{ channels: [] }, 'channels has 0 items; allowed: a list of 1 to 6 different channel numbers'],
      [{ channels: [1, 1] }, 'channels has 1 more than once'],
      [{ channels: [1, 7] }, 'channels[1] is 7; allowed: a channel number from 1 to 6'],
      [{ channels: [0] }, 'channels[0] is 0; allowed: a channel number from 1 to 6 (1-based'],
      [{ channels: [1.5] }, 'channels[0] is 1.5'],
      [{ channels: [3, 1] }, 'channels is [3,1]; allowed: channel numbers in ascending order (1, 3)'],
      [{ sampling_rate: 500 as never }, 'sampling_rate is 500; allowed: 1, 10, 100 or 1000'],
      [{ port: 70000 }, 'port is 70000; allowed: an integer from 1 to 65535'],
      [{ port: 0 }, 'port is 0; allowed: an integer from 1 to 65535'],
      [{ labels: ['a'] }, 'labels has 1 item; allowed: 11 different names: the columns nSeq, I1, I2, O1, O2 then one per channel A1..A6'],
      [{ labels: [...defaultConfig().labels.slice(0, 10), 'A1'] }, 'labels has "A1" more than once'],
      [{ labels: [...defaultConfig().labels.slice(0, 10), 'x'.repeat(65)] }, 'labels[10] is'],
      [{ host: '' }, 'host is ""; allowed: an address to listen on'],
      [{ host: 'a b' }, 'host is "a b"'],
      [{ batch_ms: 0 }, 'batch_ms is 0; allowed: an integer from 1 to 1000'],
      [{ allowed_origins: Array.from({ length: 33 }, () => 'null') }, 'allowed_origins has 33 items; allowed: a list of up to 32 origins'],
      [{ token: 5 as never }, 'token is 5; allowed: "" (ServerBIT then generates one) or a secret of 16 to 256 characters'],
      // A short token is refused by length, and the message never shows it.
      [{ token: 'short-secret' }, 'token has 12 characters; allowed: at least 16 (a secret nobody can guess), or remove "token" and ServerBIT generates one'],
      [{ allowed_hosts: ['evil.example/x'] }, 'allowed_hosts[0] is "evil.example/x"; allowed: a host name or address, optionally with ":port"'],
      [{ allowed_hosts: 'lab.example' }, 'allowed_hosts is "lab.example"; allowed: a list of up to 32 host names or addresses'],
      [{ max_clients: 0 }, 'max_clients is 0; allowed: an integer from 1 to 100000'],
      [{ stall_timeout_s: 0.1 }, 'stall_timeout_s is 0.1; allowed: a number from 0.5 to 600'],
      [{ extra: 1 }, 'extra is not a known key'],
    ];
    for (const [patch, expected] of bad) {
      const issues = validateConfig({ ...valid(), ...patch });
      expect(issues.map((i) => i.message).join(' | '), JSON.stringify(patch).slice(0, 80)).toContain(expected);
    }
    // 14 keys: more than describeSchema lists, so the message stays short.
    expect(validateConfig(null)[0].message).toBe('config is null; allowed: an object');
    const { token: _t, ...noToken } = valid();
    expect(validateConfig(noToken)).toEqual([{ path: 'token', message: 'token is missing; allowed: "" (ServerBIT then generates one) or a secret of 16 to 256 characters' }]);
    expect(validateConfig({ ...valid(), token: 'short-secret' }).map((i) => i.message).join()).not.toContain('short-secret');
    expect(validateConfig({ ...valid(), token: '' })).toEqual([]); // "" = generate one / no token control
  });
});

describe('normalizeConfigFile: classic', () => {
  it('reads the original first-launch file: placeholder means the simulator, new keys get defaults silently', () => {
    const r = ok(normalizeConfigFile(JSON.parse(CLASSIC_ORIGINAL)));
    expect(r.shape).toBe('classic');
    expect(r.config).toEqual({ ...defaultConfig(), device: SIMULATOR_DEVICE });
    expect(r.notices).toHaveLength(1);
    expect(r.notices[0]).toMatch(/placeholder.*simulator.*set "device" to its MAC address/);
  });

  it('reads an edited file: channels sorted, labels kept per physical channel', () => {
    const r = ok(normalizeConfigFile(JSON.parse(CLASSIC_EDITED)));
    expect(r.config.device).toBe('20:16:07:18:15:26');
    expect(r.config.channels).toEqual([1, 2, 6]);
    expect(r.config.sampling_rate).toBe(100);
    expect(r.config.labels[10]).toBe('EDA');
    expect(r.notices).toEqual([]);
  });

  it('missing original keys get defaults with a notice naming each key', () => {
    const r = ok(normalizeConfigFile({ device: 'COM3' }));
    expect(r.config).toEqual({ ...defaultConfig(), device: 'COM3' });
    expect(r.notices).toEqual([
      '"channels" is missing; using [1,2,3,4,5,6].',
      '"sampling_rate" is missing; using 1000.',
      '"port" is missing; using 9001.',
      '"labels" is missing; using ["nSeq","I1","I2","O1","O2","A1","A2","A3","A4","A5","A6"].',
    ]);
    const empty = ok(normalizeConfigFile({}));
    expect(empty.config.device).toBe(SIMULATOR_DEVICE);
    expect(empty.notices[0]).toMatch(/"device" is missing.*simulator.*--device/);
  });

  it('reports every bad key with its path in the file', () => {
    expect(issuesOf({ device: 3, channels: [1, 7, 7], sampling_rate: '1000', port: 70000, labels: ['A1'], batch_ms: 0 })).toEqual([
      expect.stringMatching(/^device: device is 3; allowed: "simulator"/),
      expect.stringMatching(/^channels: channels has 7 more than once/),
      'channels[1]: channels[1] is 7; allowed: a channel number from 1 to 6 (1-based: 1 = A1 … 6 = A6)',
      'channels[2]: channels[2] is 7; allowed: a channel number from 1 to 6 (1-based: 1 = A1 … 6 = A6)',
      'sampling_rate: sampling_rate is "1000"; allowed: 1, 10, 100 or 1000',
      'port: port is 70000; allowed: an integer from 1 to 65535',
      expect.stringMatching(/^labels: labels has 1 item; allowed: 11 different names/),
      'batch_ms: batch_ms is 0; allowed: an integer from 1 to 1000',
    ]);
    expect(issuesOf([1, 2])[0]).toMatch(/^: the file holds \[1,2\]; allowed: a JSON object/);
    expect(issuesOf({ port: null })).toEqual(['port: port is null; allowed: an integer from 1 to 65535']);
  });

  it('refuses a file nested deeper than any config, before anything recursive walks it (JSON.parse nests 200 000 levels without complaint)', () => {
    const deep = `${'['.repeat(200_000)}1${']'.repeat(200_000)}`;
    for (const key of ['channels', 'labels', 'record', 'some_key_of_another_tool']) {
      expect(issuesOf(JSON.parse(`{"${key}": ${deep}}`)), key).toEqual([': the file nests more than 64 levels deep; allowed: at most 64']);
    }
    // 64 levels under a key this version does not know are kept, as every unknown key is.
    const ok = normalizeConfigFile(JSON.parse(`{"device": "simulator", "other": ${'['.repeat(63)}1${']'.repeat(63)}}`));
    expect(ok.ok).toBe(true);
  });
});

describe('normalizeConfigFile: (r)evolution', () => {
  it('reads the device list, 6 labels, ip_address and buffer_size', () => {
    const r = ok(normalizeConfigFile(JSON.parse(REVOLUTION_ORIGINAL)));
    expect(r.shape).toBe('revolution');
    expect(r.config.device).toBe('20:16:07:18:15:26');
    expect(r.config.labels).toEqual(['nSeq', 'I1', 'I2', 'O1', 'O2', 'EMG', 'ECG', 'A3', 'A4', 'A5', 'EDA']);
    expect(r.config.host).toBe('127.0.0.1'); // "localhost"
    expect(r.config.port).toBe(8000);
    expect(r.config.batch_ms).toBe(100); // 100 samples at 1000 Hz
    expect(r.config.channels).toEqual([1, 2, 6]);
    expect(r.notices).toEqual([]);
  });

  it('reads an early file with one device string and 11 labels', () => {
    const r = ok(normalizeConfigFile(JSON.parse(REVOLUTION_EARLY)));
    expect(r.shape).toBe('revolution');
    expect(r.config.device).toBe(SIMULATOR_DEVICE);
    expect(r.notices[0]).toMatch(/placeholder/);
    expect(r.config.batch_ms).toBe(10);
    expect(r.config.labels).toEqual(defaultConfig().labels);
  });

  it('an empty device list or a placeholder pair means the simulator', () => {
    const base = JSON.parse(REVOLUTION_ORIGINAL) as Record<string, unknown>;
    for (const device of [[], [['XX:XX:XX:XX:XX:XX', 'bitalino']]]) {
      const r = ok(normalizeConfigFile({ ...base, device }));
      expect(r.config.device).toBe(SIMULATOR_DEVICE);
      expect(r.notices.join(' ')).toMatch(/simulator.*set "device"/);
    }
  });

  it('reads several BITalino pairs as several devices, numbered by their place in the list (the original\'s OSC ids), and rejects lists without one', () => {
    const base = JSON.parse(REVOLUTION_ORIGINAL) as Record<string, unknown>;
    const two = ok(normalizeConfigFile({ ...base, device: [['10.0.0.2', 'riot'], ['COM5', 'BITalino'], ['COM6', 'bitalino']] }));
    expect(two.config.device).toBe('COM5');
    expect(two.config.devices).toEqual([{ id: '1', address: 'COM5' }, { id: '2', address: 'COM6' }]);
    expect(two.notices).toEqual([]);
    expect(issuesOf({ ...base, device: [['10.0.0.2', 'riot']] })[0]).toMatch(/^device: device lists only \["riot"\] devices; allowed: at least one/);
    expect(issuesOf({ ...base, device: [['', 'bitalino']] })[0]).toMatch(/^device\[0\]\[0\]: device\[0\]\[0\] is ""/);
    expect(issuesOf({ ...base, device: [['COM5', 7]] })).toEqual(['device[0][1]: device[0][1] is 7; allowed: a string of at most 256 characters']);
  });

  it('clamps buffer_size to 1..1000 ms with a notice, and defaults the port to 8000', () => {
    const base = JSON.parse(REVOLUTION_ORIGINAL) as Record<string, unknown>;
    const big = ok(normalizeConfigFile({ ...base, sampling_rate: 10, buffer_size: 50 }));
    expect(big.config.batch_ms).toBe(1000);
    expect(big.notices[0]).toBe('buffer_size 50 at 10 Hz is 5000 ms per message; using 1000 ms (allowed: 1 to 1000 ms).');
    const { port: _p, ...noPort } = base;
    const r = ok(normalizeConfigFile(noPort));
    expect(r.config.port).toBe(8000);
    expect(r.notices).toEqual(['"port" is missing; using 8000.']);
    expect(issuesOf({ ...base, buffer_size: 0 })).toEqual(['buffer_size: buffer_size is 0; allowed: a whole number of samples per message, at least 1']);
  });

  it('rejects labels of the wrong length or that repeat a fixed column', () => {
    const base = JSON.parse(REVOLUTION_ORIGINAL) as Record<string, unknown>;
    expect(issuesOf({ ...base, labels: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] })).toEqual([expect.stringMatching(/^labels: labels has 7 names; allowed: 6 different names/)]);
    expect(issuesOf({ ...base, labels: ['a', 'b'] })[0]).toMatch(/labels has 2 items; allowed: 6 different names, one per channel A1..A6 \(or 11/);
    expect(issuesOf({ ...base, labels: ['nSeq', 'b', 'c', 'd', 'e', 'f'] })[0]).toMatch(/labels has "nSeq" more than once/);
  });

  it('notes keys it ignores (protocol "OSC": test/outputs/osc/osc-config.test.ts)', () => {
    const base = JSON.parse(REVOLUTION_ORIGINAL) as Record<string, unknown>;
    const r = ok(normalizeConfigFile({ ...base, host: '0.0.0.0' }));
    expect(r.config.host).toBe('127.0.0.1');
    expect(r.notices).toEqual(['"host" is ignored in a (r)evolution-style file; "ip_address" sets it.']);
  });
});

describe('denormalizeConfig', () => {
  it('writes a full classic file from nothing', () => {
    const c = valid();
    const raw = denormalizeConfig({}, c, 'classic');
    expect(Object.keys(raw)).toEqual(['device', 'channels', 'sampling_rate', 'port', 'labels', 'host', 'batch_ms', 'allowed_origins', 'allowed_hosts', 'max_clients', 'token', 'stall_timeout_s']);
    expect(ok(normalizeConfigFile(raw)).config).toEqual(c);
  });

  it('keeps unknown keys, key order and the spelling of unchanged values', () => {
    const raw = JSON.parse(CLASSIC_ORIGINAL) as Record<string, unknown>;
    raw.zzz = { keep: [1, 2] };
    const c = ok(normalizeConfigFile(raw)).config;
    const out = denormalizeConfig(raw, { ...c, port: 9002 }, 'classic');
    expect(out.device).toBe(raw.device); // still the placeholder: it still means the simulator
    expect(out.port).toBe(9002);
    expect(out.zzz).toEqual({ keep: [1, 2] });
    expect(Object.keys(out).slice(0, 6)).toEqual(['device', 'channels', 'sampling_rate', 'labels', 'port', 'zzz']);
    expect(raw.port).toBe(9001); // input untouched
  });

  it('writes a (r)evolution file back in its own shape', () => {
    const raw = JSON.parse(REVOLUTION_ORIGINAL) as Record<string, unknown>;
    const c = ok(normalizeConfigFile(raw)).config;
    const changed: ServerBitConfig = { ...c, device: 'COM7', labels: [...c.labels.slice(0, 5), 'a', 'b', 'c', 'd', 'e', 'f'], host: '0.0.0.0', sampling_rate: 100, batch_ms: 50 };
    const out = denormalizeConfig(raw, changed, 'revolution');
    expect(out.device).toEqual([['COM7', 'bitalino'], ['192.168.1.103', 'riot']]);
    expect(out.labels).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(out.ip_address).toBe('0.0.0.0');
    expect(out.buffer_size).toBe(5);
    expect(out).not.toHaveProperty('host');
    expect(out).not.toHaveProperty('batch_ms');
    for (const k of ['riot_labels', 'protocol', 'consolidate_outputs', 'OSC_config']) expect(out[k]).toEqual(raw[k]);
    const back = ok(normalizeConfigFile(out));
    expect(back.shape).toBe('revolution');
    expect(back.config).toEqual(changed);
    // Unchanged values keep their spelling.
    const same = denormalizeConfig(raw, c, 'revolution');
    expect(same.ip_address).toBe('localhost');
    expect(same.buffer_size).toBe(100);
  });

  it('writes 11 labels to a (r)evolution file when the fixed columns are renamed', () => {
    const raw = JSON.parse(REVOLUTION_ORIGINAL) as Record<string, unknown>;
    const c = ok(normalizeConfigFile(raw)).config;
    const labels = ['seq', ...c.labels.slice(1)];
    const out = denormalizeConfig(raw, { ...c, labels }, 'revolution');
    expect(out.labels).toEqual(labels);
    expect(ok(normalizeConfigFile(out)).config.labels).toEqual(labels);
  });

  it('adds a BITalino pair to an empty (r)evolution device list', () => {
    const raw = { ...(JSON.parse(REVOLUTION_ORIGINAL) as Record<string, unknown>), device: [] };
    const c = ok(normalizeConfigFile(raw)).config;
    expect(denormalizeConfig(raw, c, 'revolution').device).toEqual([]); // still the simulator
    expect(denormalizeConfig(raw, { ...c, device: 'COM3' }, 'revolution').device).toEqual([['COM3', 'bitalino']]);
  });

  it('detectShape', () => {
    expect(detectShape({ device: 'x' })).toBe('classic');
    expect(detectShape({ device: [] })).toBe('revolution');
    expect(detectShape({ device: 'x', buffer_size: 10 })).toBe('revolution');
  });
});

describe('several devices', () => {
  it('reads a "devices" list: each entry takes the top-level values it leaves out; the first is `device`', () => {
    const raw = {
      ...JSON.parse(CLASSIC_ORIGINAL),
      sensors: ['ECG', 'EMG', 'EDA', 'EEG', 'ACC', 'LUX'],
      devices: [
        { id: 'left', address: '/dev/rfcomm0', name: 'Left arm', channels: [2, 1] },
        { address: 'simulator', sampling_rate: 100, sensors: ['RAW', 'RAW', 'RAW', 'RAW', 'RAW', 'RAW'] },
      ],
    };
    const r = ok(normalizeConfigFile(raw));
    expect(r.config.device).toBe('/dev/rfcomm0');
    expect(r.config.devices).toEqual([
      { id: 'left', address: '/dev/rfcomm0', name: 'Left arm', channels: [1, 2] },
      { address: 'simulator', sampling_rate: 100, sensors: ['RAW', 'RAW', 'RAW', 'RAW', 'RAW', 'RAW'] },
    ]);
    const devices = resolveDevices(r.config);
    expect(devices.map((d) => [d.id, d.address, d.channels.join(), d.sampling_rate, d.sensors?.[0]])).toEqual([
      ['left', '/dev/rfcomm0', '1,2', 1000, 'ECG'],
      ['1', 'simulator', '1,2,3,4,5,6', 100, 'RAW'],
    ]);
    expect(r.notices).toEqual([]); // the placeholder `device` is simply replaced by the first device
    const other = ok(normalizeConfigFile({ ...raw, device: 'COM9' }));
    expect(other.notices).toEqual(['"device" ("COM9") is ignored: "devices" lists the devices, the first being "/dev/rfcomm0".']);
  });

  it('refuses duplicate ids (given or by position), bad ids, too many devices, and an entry without an address', () => {
    const base = JSON.parse(CLASSIC_EDITED) as Record<string, unknown>;
    expect(issuesOf({ ...base, devices: [{ id: '1', address: 'COM3' }, { address: 'COM4' }] })).toEqual([
      'devices[1].id: devices[1] has the id "1" of devices[0]; allowed: a different id for every device',
    ]);
    expect(issuesOf({ ...base, devices: [{ id: 'a/b', address: 'COM3' }] })[0]).toMatch(/^devices\[0\]\.id: devices\[0\]\.id is "a\/b"; allowed: an id of 1 to 32 letters/);
    expect(issuesOf({ ...base, devices: [{ name: 'x' }] })[0]).toMatch(/^devices\[0\]\.address: devices\[0\]\.address is missing/);
    expect(issuesOf({ ...base, devices: Array.from({ length: 17 }, (_, i) => ({ address: `COM${i + 1}` })) })[0]).toMatch(/^devices: devices has 17 items; allowed: a list of 1 to 16 devices/);
    expect(issuesOf({ ...base, devices: [] })[0]).toMatch(/^devices: devices has 0 items/);
  });

  it('saves a second device into a classic file as a "devices" list, keeping the other keys; one device stays classic', () => {
    const raw = JSON.parse(CLASSIC_EDITED) as Record<string, unknown>;
    const c = ok(normalizeConfigFile(raw)).config;
    expect(Object.keys(denormalizeConfig(raw, c, 'classic'))).not.toContain('devices');
    const two: ServerBitConfig = { ...c, devices: [{ id: '0', address: c.device }, { id: '1', address: 'simulator', channels: [1] }] };
    const out = denormalizeConfig(raw, two, 'classic');
    expect(out.devices).toEqual([{ id: '0', address: c.device }, { id: '1', address: 'simulator', channels: [1] }]);
    expect(out.device).toBe(c.device);
    expect(ok(normalizeConfigFile(out)).config).toEqual(two);
  });

  it('writes several plain devices of a (r)evolution file back as [address, "bitalino"] pairs, other pairs kept', () => {
    const raw = JSON.parse(REVOLUTION_ORIGINAL) as Record<string, unknown>;
    const c = ok(normalizeConfigFile(raw)).config;
    expect(c.devices).toBeUndefined(); // one BITalino and an R-IoT
    const two: ServerBitConfig = { ...c, devices: [{ id: '0', address: '20:16:07:18:15:26' }, { id: '2', address: 'COM7' }] };
    const out = denormalizeConfig(raw, two, 'revolution');
    expect(out.device).toEqual([['20:16:07:18:15:26', 'bitalino'], ['192.168.1.103', 'riot'], ['COM7', 'bitalino']]);
    expect(out.devices).toBeUndefined();
    const back = ok(normalizeConfigFile(out)).config;
    expect(resolveDevices(back).map((d) => [d.id, d.address])).toEqual([['0', '20:16:07:18:15:26'], ['2', 'COM7']]);
    // A device with settings of its own cannot be a pair: the list goes to "devices".
    const own: ServerBitConfig = { ...c, devices: [{ id: '0', address: '20:16:07:18:15:26' }, { id: '1', address: 'COM7', sampling_rate: 100 }] };
    const out2 = denormalizeConfig(raw, own, 'revolution');
    expect(out2.devices).toEqual(own.devices);
    expect(ok(normalizeConfigFile(out2)).config.devices).toEqual(own.devices);
  });
});

describe('sensors per channel', () => {
  it('takes the canonical names and OpenSignals codes, and names a wrong one with the list of allowed names', () => {
    const base = JSON.parse(CLASSIC_EDITED) as Record<string, unknown>;
    expect(ok(normalizeConfigFile({ ...base, sensors: ['ECG', 'EMGBITREV', 'raw', 'EEG', 'ACC', 'PZT'] })).config.sensors).toEqual(['ECG', 'EMGBITREV', 'raw', 'EEG', 'ACC', 'PZT']);
    expect(issuesOf({ ...base, sensors: ['ECG', 'EMG', 'EDA', 'EEG', 'ACC', 'FOO'] })).toEqual([
      'sensors[5]: sensors[5] is "FOO"; allowed: RAW, EMG, ECG, EDA, EEG, EOG, EGG, ACC, LUX, PZT, BAT (or an OpenSignals code such as "ECGBIT")',
    ]);
    expect(issuesOf({ ...base, devices: [{ address: 'simulator', sensors: ['ECG', 'X', 'EDA', 'EEG', 'ACC', 'LUX'] }] })[0]).toMatch(/^devices\[0\]\.sensors\[1\]: devices\[0\]\.sensors\[1\] is "X"/);
    expect(issuesOf({ ...base, sensors: ['ECG'] })[0]).toMatch(/^sensors: sensors has 1 item; allowed: 6 sensor names/);
  });
});
