/**
 * The config's `lsl` section (docs/lsl.md §11): strict schema, snake_case keys mapped to the
 * output's settings, one set of defaults, and a bad value named `lsl.<key>` wherever it enters —
 * the config file, /v2 set_config (Settings), the programmatic settings.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigStore } from '../../../src/main/config/config-store.js';
import { Settings } from '../../../src/main/config/settings.js';
import { BASE_PORT, DEFAULT_SESSION_ID, MULTICAST_PORT, PORT_RANGE } from '../../../src/main/outputs/lsl/protocol.js';
import { resolveLslSettings } from '../../../src/main/outputs/lsl/settings.js';
import { defaultConfig } from '../../../src/shared/config.js';
import { normalizeConfigFile } from '../../../src/shared/config-schema.js';
import { LSL_CONFIG_KEYS, LSL_CONFIG_SCHEMA, LSL_DEFAULTS, lslSettingsFromConfig, validateLslConfig } from '../../../src/shared/outputs/lsl-config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('the lsl section', () => {
  it('has the documented defaults, liblsl\'s where liblsl has the setting', () => {
    expect(LSL_DEFAULTS).toEqual({ enabled: false, format: 'converted', digital: false, backlogSeconds: 360, host: '127.0.0.1', interfaces: [], sessionId: 'default', maxConsumers: 16, basePort: 16572, portRange: 32, multicastPort: 16571 });
    // The protocol's own numbers, named separately as protocol facts, are the same.
    expect([LSL_DEFAULTS.multicastPort, LSL_DEFAULTS.basePort, LSL_DEFAULTS.portRange, LSL_DEFAULTS.sessionId]).toEqual([MULTICAST_PORT, BASE_PORT, PORT_RANGE, DEFAULT_SESSION_ID]);
    expect(lslSettingsFromConfig({})).toEqual(LSL_DEFAULTS);
    expect(lslSettingsFromConfig(undefined)).toEqual(LSL_DEFAULTS);
  });

  it('maps every snake_case file key to one setting, and the schema knows exactly those keys', () => {
    const file = { enabled: true, format: 'raw', digital: true, backlog_s: 12.5, host: '0.0.0.0', interfaces: ['192.168.1.20'], session_id: 'lab 3', max_inlets: 4, base_port: 20000, port_range: 8, multicast_port: 0 };
    expect(Object.keys(file).sort()).toEqual(Object.keys(LSL_CONFIG_KEYS).sort());
    expect(Object.keys(LSL_CONFIG_SCHEMA.properties).sort()).toEqual(Object.keys(LSL_CONFIG_KEYS).sort());
    expect(lslSettingsFromConfig(file)).toEqual({ enabled: true, format: 'raw', digital: true, backlogSeconds: 12.5, host: '0.0.0.0', interfaces: ['192.168.1.20'], sessionId: 'lab 3', maxConsumers: 4, basePort: 20000, portRange: 8, multicastPort: 0 });
    // Each schema default is the setting's default.
    for (const [fileKey, key] of Object.entries(LSL_CONFIG_KEYS)) expect((LSL_CONFIG_SCHEMA.properties as Record<string, { default: unknown }>)[fileKey].default, fileKey).toEqual(LSL_DEFAULTS[key]);
  });

  it('refuses a bad value naming lsl.<key> and what is allowed', () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ backlog_s: 0 }, 'lsl.backlog_s', /from 1 to 3600/],
      [{ backlog_s: '360' }, 'lsl.backlog_s', /allowed/],
      [{ format: 'xml' }, 'lsl.format', /"converted".*"raw"/],
      [{ host: 'localhost' }, 'lsl.host', /IPv4/],
      [{ host: '256.0.0.1' }, 'lsl.host', /IPv4/],
      [{ host: '127.0.0.01' }, 'lsl.host', /IPv4/],
      [{ interfaces: ['eth0'] }, 'lsl.interfaces[0]', /IPv4/],
      [{ session_id: "a'b" }, 'lsl.session_id', /without '/],
      [{ max_inlets: 0 }, 'lsl.max_inlets', /1 to 256/],
      [{ base_port: 70000 }, 'lsl.base_port', /65535/],
      [{ enabled: 'yes' }, 'lsl.enabled', /true or false|boolean/],
      [{ backlogSeconds: 60 }, 'lsl.backlogSeconds', /not a known key.*backlog_s/],
    ];
    for (const [section, key, allowed] of cases) {
      const issues = validateLslConfig(section);
      expect(issues[0]?.path, JSON.stringify(section)).toBe(key);
      expect(issues[0].message).toMatch(allowed);
      expect(() => lslSettingsFromConfig(section)).toThrow(expect.objectContaining({ name: 'ConfigError', code: 'LSL_INVALID_SETTING', key }));
    }
    expect(validateLslConfig([])).toHaveLength(1);
    expect(validateLslConfig(null)[0].message).toMatch(/backlog_s/);
  });

  it('accepts every IPv4 form node:net accepts and nothing else', () => {
    for (const ok of ['0.0.0.0', '127.0.0.1', '255.255.255.255', '10.0.0.9', '192.168.100.200']) expect(validateLslConfig({ host: ok }), ok).toEqual([]);
    for (const bad of ['1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.4 ', '::1', '', 'a.b.c.d', '1.2.3.-4']) expect(validateLslConfig({ host: bad }), bad).toHaveLength(1);
  });

  it('the programmatic settings go through the same schema, errors named as the file spells the key', () => {
    expect(resolveLslSettings({ backlogSeconds: 10, maxConsumers: 2 })).toMatchObject({ backlogSeconds: 10, maxConsumers: 2, host: '127.0.0.1' });
    expect(() => resolveLslSettings({ backlogSeconds: NaN })).toThrow(expect.objectContaining({ code: 'LSL_INVALID_SETTING', key: 'lsl.backlog_s' }));
    expect(() => resolveLslSettings({ sessionId: "x'" })).toThrow(expect.objectContaining({ key: 'lsl.session_id' }));
  });
});

describe('the lsl section in the config', () => {
  it('a config file with a bad lsl value is refused naming lsl.<key>; a good one is read as written', () => {
    const bad = normalizeConfigFile({ device: 'simulator', lsl: { enabled: true, backlog_s: 0 } });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.issues[0]).toMatchObject({ path: 'lsl.backlog_s' });
    const good = normalizeConfigFile({ device: 'simulator', lsl: { enabled: true, format: 'raw', max_inlets: 2 } });
    expect(good.ok && good.config.lsl).toEqual({ enabled: true, format: 'raw', max_inlets: 2 });
  });

  it('the store says which key of which file is wrong, and leaves the file as it was', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serverbit-lslcfg-'));
    dirs.push(dir);
    const file = path.join(dir, 'config.json');
    const text = JSON.stringify({ device: 'simulator', lsl: { enabled: true, host: 'my-laptop' } });
    fs.writeFileSync(file, text);
    const store = ConfigStore.open({ path: file });
    expect(() => store.load()).toThrow(expect.objectContaining({ name: 'ConfigError', key: 'lsl.host' }));
    expect(() => store.load()).toThrow(/lsl\.host is "my-laptop"; allowed: an IPv4 address/);
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
  });

  it('an edit (what /v2 set_config and lsl_enable apply) with a bad value is refused naming lsl.<key>, the running settings kept', () => {
    const settings = new Settings({ file: { ...defaultConfig(), token: 'test-token-0123456789' } });
    expect(() => settings.update({ lsl: { enabled: true, max_inlets: 1000 } })).toThrow(expect.objectContaining({ name: 'ConfigError', key: 'lsl.max_inlets' }));
    expect(settings.config.lsl).toBeUndefined();
    settings.update({ lsl: { enabled: true, max_inlets: 3 } });
    expect(lslSettingsFromConfig(settings.config.lsl).maxConsumers).toBe(3);
  });
});
