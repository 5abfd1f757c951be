/**
 * The `mqtt` section (src/shared/outputs/mqtt-config.ts, docs/mqtt.md "Settings") and the
 * `--mqtt`, `--relay`, `--prefix` flags (src/main/config/cli-args.ts): strict, defaults filled in,
 * flags for one run only, merged over the file's section.
 */
import { describe, expect, it } from 'vitest';
import { applyCliOverrides, parseCliArgs } from '../../../src/main/config/cli-args.js';
import { Settings } from '../../../src/main/config/settings.js';
import { defaultConfig } from '../../../src/shared/config.js';
import { validateConfig } from '../../../src/shared/config-schema.js';
import { instanceName, resolveMqttSettings, resolveRelaySettings } from '../../../src/shared/outputs/mqtt-config.js';

const ENV = { hostname: 'Lab PC#2', randomHex: 'abcd1234' };
const base = { ...defaultConfig(), token: 'a-token-of-16-chars-or-more' };

describe('mqtt settings', () => {
  it('fills in the defaults: prefix serverbit/<instance>, the instance from the host name, a unique client id', () => {
    expect(instanceName('Lab PC#2')).toBe('Lab-PC-2');
    expect(resolveMqttSettings({ enabled: true, url: 'mqtt://broker' }, ENV)).toEqual({
      url: 'mqtt://broker', clientId: 'serverbit-Lab-PC-2-abcd1234', instance: 'Lab-PC-2', prefix: 'serverbit/Lab-PC-2',
      dataQos: 0, dataFormat: 'raw', batchMs: 40, queueBytes: 4 * 1024 * 1024, keepaliveS: 30, control: false,
    });
    expect(resolveMqttSettings({ url: 'wss://b.example:8884/mqtt', instance: 'left', username: 'u', password: 'p', data_qos: 1 }, ENV)).toMatchObject({ prefix: 'serverbit/left', username: 'u', password: 'p', dataQos: 1 });
  });

  it('is strict: the config file refuses unknown keys and bad values, naming them', () => {
    const bad = (mqtt: unknown) => validateConfig({ ...base, mqtt }).map((i) => i.message);
    expect(bad({ enabled: true, url: 'mqtt://b' })).toEqual([]);
    expect(bad({ urll: 'x' })[0]).toContain('mqtt.urll is not a known key');
    expect(bad({ url: 'http://b' })[0]).toMatch(/^mqtt.url is "http:\/\/b"; allowed: a broker URL/);
    expect(bad({ prefix: 'a/#' })[0]).toContain('no "+" or "#"');
    expect(bad({ prefix: 'a//b' })[0]).toContain('no empty level');
    expect(bad({ queue_bytes: 10 })[0]).toContain('mqtt.queue_bytes');
    expect(bad({ data_qos: 2 })[0]).toContain('mqtt.data_qos');
    expect(() => resolveMqttSettings({ enabled: true }, ENV)).toThrow(/mqtt.url is missing/);
    expect(() => resolveMqttSettings({ url: 'mqtt://b', cert: '/c.pem' }, ENV)).toThrow(/mqtt.cert is set but mqtt.key is not/);
  });

  it('the relay takes its URL and filter from the flags and its credentials from the section', () => {
    expect(resolveRelaySettings({ url: 'mqtt://b' }, { username: 'u', password: 'p', url: 'mqtt://other' }, ENV)).toMatchObject({ url: 'mqtt://b', prefix: 'serverbit/+', username: 'u', password: 'p' });
    expect(() => resolveRelaySettings({ url: 'mqtt://b', prefix: 'a/#' }, {}, ENV)).toThrow(/--prefix/);
  });
});

describe('--mqtt, --relay, --prefix', () => {
  it('--mqtt turns publishing on for this run, over the file\'s section (its credentials stay), and is never saved', () => {
    const args = parseCliArgs(['--mqtt', 'mqtt://127.0.0.1:1883', '--prefix', 'lab/pc']);
    expect(args.overrides.mqtt).toEqual({ enabled: true, url: 'mqtt://127.0.0.1:1883', prefix: 'lab/pc' });
    const file = { ...base, mqtt: { username: 'u', password: 'p', enabled: false } };
    expect(applyCliOverrides(file, args.overrides).mqtt).toEqual({ username: 'u', password: 'p', enabled: true, url: 'mqtt://127.0.0.1:1883', prefix: 'lab/pc' });
    const saved: unknown[] = [];
    const settings = new Settings({ file, overrides: args.overrides, store: { path: '/x', save: (c) => void saved.push(c) } });
    expect(settings.config.mqtt?.enabled).toBe(true);
    settings.update({ batch_ms: 20 });
    expect((saved[0] as typeof file).mqtt).toEqual({ username: 'u', password: 'p', enabled: false });
  });

  it('--relay with --prefix as a filter; refused with --mqtt or --device; bad URLs named', () => {
    expect(parseCliArgs(['--relay', 'mqtt://b:1883', '--prefix', 'serverbit/+']).overrides).toEqual({ relay: { url: 'mqtt://b:1883', prefix: 'serverbit/+' } });
    expect(applyCliOverrides(base, { relay: { url: 'mqtt://b' } })).toEqual(base);
    expect(() => parseCliArgs(['--relay', 'mqtt://b', '--mqtt', 'mqtt://b'])).toThrow(/cannot be used together/);
    expect(() => parseCliArgs(['--relay', 'mqtt://b', '--device', 'simulator'])).toThrow(/a relay has no device of its own/);
    expect(() => parseCliArgs(['--mqtt', 'broker:1883'])).toThrow(/--mqtt is "broker:1883"; allowed: a broker URL/);
    expect(() => parseCliArgs(['--mqtt', 'mqtt://b', '--prefix', 'a/+'])).toThrow(/--prefix/);
  });
});
