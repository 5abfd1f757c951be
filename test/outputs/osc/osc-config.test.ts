/**
 * The `osc` section (schema, defaults, resolvers), R-IoT device addresses, and a config file of
 * the original (r)evolution ServerBIT with protocol "OSC" and R-IoT pairs read by the config
 * loader and written back in its own shape.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig, type ServerBitConfig } from '../../../src/shared/config.js';
import { denormalizeConfig, normalizeConfigFile, validateConfig } from '../../../src/shared/config-schema.js';
import {
  RIOT_LABELS,
  formatRiotAddress,
  oscFromOriginalConfig,
  parseRiotAddress,
  resolveOscInput,
  resolveOscOutput,
  resolveRiotSettings,
  validateOscSection,
} from '../../../src/shared/outputs/osc-config.js';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/osc/revolution-osc.json');
const ORIGINAL_TEXT = fs.readFileSync(fixture, 'utf8');
const original = (): Record<string, unknown> => JSON.parse(ORIGINAL_TEXT) as Record<string, unknown>;

function ok(raw: unknown): { config: ServerBitConfig; notices: string[] } {
  const r = normalizeConfigFile(raw);
  if (!r.ok) throw new Error(`expected a valid file: ${r.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return r;
}
function issuesOf(raw: unknown): string[] {
  const r = normalizeConfigFile(raw);
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
}
/** Saves `config` into `raw` (JSON round trip, as the store writes it) and reads it back. */
function saveAndRead(raw: Record<string, unknown>, config: ServerBitConfig): { file: Record<string, unknown>; config: ServerBitConfig } {
  const file = JSON.parse(JSON.stringify(denormalizeConfig(raw, config, 'revolution'))) as Record<string, unknown>;
  return { file, config: ok(file).config };
}

describe('the osc section', () => {
  it('is strict: unknown keys and wrong values are named with what is allowed, at their path', () => {
    expect(validateOscSection({ enabled: true, destinations: [{ host: '127.0.0.1', port: 9000 }], control: { enabled: true, port: 12001 }, riot: { rate: 100 } })).toEqual([]);
    const base = { device: 'simulator' };
    expect(issuesOf({ ...base, osc: { enabled: 'yes' } })).toEqual(['osc.enabled: osc.enabled is "yes"; allowed: true or false']);
    expect(issuesOf({ ...base, osc: { destination: [] } })[0]).toMatch(/^osc\.destination: osc\.destination is not a known key; allowed keys: enabled, destinations, /);
    expect(issuesOf({ ...base, osc: { destinations: [{ host: '127.0.0.1', port: 70000 }] } })).toEqual(['osc.destinations[0].port: osc.destinations[0].port is 70000; allowed: an integer from 1 to 65535']);
    expect(issuesOf({ ...base, osc: { control: { enabled: true, listen: 1 } } })[0]).toEqual('osc.control.listen: osc.control.listen is not a known key; allowed keys: enabled, host, port or maxCommandsPerSecond');
    expect(issuesOf({ ...base, osc: { addresses: 'flat' } })[0]).toMatch(/^osc\.addresses: osc\.addresses is "flat"; allowed: "consolidated" or "per-label"/);
  });

  it('resolves with the defaults: off unless enabled, the control input on 127.0.0.1:12000, R-IoTs with the 22 labels at 200 Hz', () => {
    expect(resolveOscOutput(undefined)).toBeUndefined();
    expect(resolveOscOutput({ destinations: [{ host: '10.0.0.2', port: 9000 }] })).toBeUndefined();
    expect(resolveOscOutput({ enabled: true, maxRate: 100 })).toEqual({
      enabled: true,
      destinations: [{ host: '127.0.0.1', port: 8000 }],
      addresses: 'consolidated',
      maxRate: 100,
      values: 'raw',
      broadcast: false,
      multicastTtl: 1,
      maxDatagramBytes: 1400,
      timeTag: 'device',
    });
    expect(resolveOscInput({ enabled: true })).toBeUndefined(); // the output on does not turn the input on
    expect(resolveOscInput({ control: { enabled: true } })).toEqual({ enabled: true, host: '127.0.0.1', port: 12000, maxCommandsPerSecond: 50 });
    expect(resolveRiotSettings(undefined)).toEqual({ labels: [...RIOT_LABELS], rate: 200 });
    expect(resolveRiotSettings({ riot: { labels: ['X', 'Y'] } })).toEqual({ labels: ['X', 'Y'], rate: 200 });
    expect(() => resolveOscOutput({ enabled: true, maxDatagramBytes: 10 } as never)).toThrow(/maxDatagramBytes is 10; allowed: an integer from 128 to 65507/);
  });
});

describe('R-IoT device addresses', () => {
  it('riot:<port>/<module> receives where a factory R-IoT sends; riot:<host>:<port>/<module> anywhere', () => {
    expect(parseRiotAddress('riot:8888/0')).toEqual({ host: '192.168.1.100', port: 8888, module: 0 });
    expect(parseRiotAddress('riot:0.0.0.0:9000/3')).toEqual({ host: '0.0.0.0', port: 9000, module: 3 });
    expect(parseRiotAddress('RIOT:localhost:8888/255')).toEqual({ host: '127.0.0.1', port: 8888, module: 255 });
    expect(parseRiotAddress('riot:[::1]:8888/1')).toEqual({ host: '::1', port: 8888, module: 1 });
    for (const bad of ['riot:8888', 'riot:0/0', 'riot:70000/0', 'riot:8888/256', 'riot:a b:1/0', 'riot:/0/raw', 'riot::8888/0']) expect(parseRiotAddress(bad), bad).toBeUndefined();
    for (const a of ['riot:192.168.1.100:8888/0', 'riot:[::1]:9/7']) expect(formatRiotAddress(parseRiotAddress(a)!)).toBe(a);
  });

  it('the config refuses a malformed one (in "device" and in "devices"), naming the forms', () => {
    expect(issuesOf({ device: 'riot:8888' })).toEqual([
      'device: device is "riot:8888"; allowed: an R-IoT address "riot:<port>/<module>" or "riot:<host>:<port>/<module>", e.g. "riot:8888/0" or "riot:0.0.0.0:8888/0" (module 0 to 255)',
    ]);
    expect(issuesOf({ device: 'simulator', devices: [{ address: 'simulator' }, { address: 'riot:1/300' }] })[0]).toMatch(/^devices\[1\]\.address: devices\[1\]\.address is "riot:1\/300"; allowed: an R-IoT address/);
    expect(ok({ device: 'simulator', devices: [{ address: 'simulator' }, { address: 'riot:127.0.0.1:9000/0' }] }).config.devices![1].address).toBe('riot:127.0.0.1:9000/0');
  });
});

describe('a (r)evolution file with protocol "OSC" (test/fixtures/osc/revolution-osc.json)', () => {
  it('streams OSC to ip_address:port; the WebSocket server keeps its own address (127.0.0.1:9001); R-IoT pairs are devices with ids by position', () => {
    const { config, notices } = ok(original());
    expect(notices).toEqual([]);
    expect(config.osc).toEqual({ enabled: true, destinations: [{ host: '192.168.1.20', port: 8000 }] });
    expect(resolveOscOutput(config.osc)).toMatchObject({ enabled: true, destinations: [{ host: '192.168.1.20', port: 8000 }], addresses: 'consolidated' });
    expect(resolveOscInput(config.osc)).toBeUndefined(); // the original's never worked
    expect(config.port).toBe(9001);
    expect(config.host).toBe('127.0.0.1');
    expect(config.device).toBe('20:16:07:18:15:26');
    expect(config.devices).toEqual([
      { id: '0', address: '20:16:07:18:15:26' },
      { id: '1', address: 'riot:192.168.1.100:8888/0' },
      { id: '2', address: 'riot:192.168.1.100:8888/3' },
    ]);
    expect(validateConfig(config)).toEqual([]);
  });

  it('consolidate_outputs true (or "True", as its settings page wrote it) means per-label addresses, as its code did', () => {
    expect(ok({ ...original(), consolidate_outputs: true }).config.osc?.addresses).toBe('per-label');
    expect(ok({ ...original(), consolidate_outputs: 'True' }).config.osc?.addresses).toBe('per-label');
    expect(ok({ ...original(), consolidate_outputs: 'false' }).config.osc?.addresses).toBeUndefined(); // consolidated, the default
    expect(issuesOf({ ...original(), consolidate_outputs: 1 })).toEqual(['consolidate_outputs: consolidate_outputs is 1; allowed: true or false']);
  });

  it('defaults with notices; localhost means 127.0.0.1; the WebSocket server\'s own keys are "host" and "websocket_port"', () => {
    const { ip_address: _i, port: _p, ...rest } = original();
    const r = ok(rest);
    expect(r.notices).toEqual(['"ip_address" is missing; OSC goes to 127.0.0.1.', '"port" is missing; OSC goes to port 8000.']);
    expect(r.config.osc).toEqual({ enabled: true }); // 127.0.0.1:8000, the defaults
    expect(ok({ ...original(), ip_address: 'localhost', port: 9000 }).config.osc?.destinations).toEqual([{ host: '127.0.0.1', port: 9000 }]);
    const ws = ok({ ...original(), host: '0.0.0.0', websocket_port: 9100 }).config;
    expect([ws.host, ws.port, ws.osc?.destinations]).toEqual(['0.0.0.0', 9100, [{ host: '192.168.1.20', port: 8000 }]]);
    expect(issuesOf({ ...original(), port: 'eight' })).toEqual(['port: port is "eight"; allowed: an integer from 1 to 65535']);
  });

  it('protocol "Websockets": OSC stays off and ip_address/port are the WebSocket server\'s; R-IoTs are devices whatever the protocol', () => {
    const r = ok({ ...original(), protocol: 'Websockets', websocket_port: 9100 });
    expect(r.config.osc).toBeUndefined();
    expect([r.config.host, r.config.port]).toEqual(['192.168.1.20', 8000]);
    expect(r.notices).toEqual(['"websocket_port" is ignored in a (r)evolution-style file; "port" sets it.']);
    expect(r.config.devices?.map((d) => d.address)).toEqual(['20:16:07:18:15:26', 'riot:192.168.1.100:8888/0', 'riot:192.168.1.100:8888/3']);
  });

  it('OSC_config and riot_labels: a numeric or string port, checked; custom labels; other device types are not R-IoTs', () => {
    const r = ok({ ...original(), OSC_config: ['0.0.0.0', 9999, 'x', 'en0'], riot_labels: ['AX', 'AY', 'AZ'] }).config;
    expect(r.devices?.[1].address).toBe('riot:0.0.0.0:9999/0');
    expect(r.osc?.riot).toEqual({ labels: ['AX', 'AY', 'AZ'] });
    expect(issuesOf({ ...original(), OSC_config: ['192.168.1.100', '88888'] })).toEqual(['OSC_config[1]: OSC_config[1] is 88888; allowed: an integer from 1 to 65535']);
    expect(issuesOf({ ...original(), OSC_config: 'riot' })[0]).toContain('allowed: [address, port, network name, interface]');
    expect(issuesOf({ ...original(), riot_labels: ['A', 'A'] })[0]).toMatch(/^riot_labels: riot_labels has "A" more than once/);
    // Without R-IoT pairs OSC_config is not used, so it is not checked either.
    expect(ok({ ...original(), device: [['COM3', 'bitalino']], OSC_config: 'riot' }).config.device).toBe('COM3');
    // The original took a pair as an R-IoT when its type held "r-iot (osc)": "riot" is another device.
    const other = ok({ ...original(), device: [['192.168.1.103', 'riot'], ['/2/raw', 'R-IoT (OSC)']] }).config;
    expect([other.device, other.devices]).toEqual(['riot:192.168.1.100:8888/2', undefined]);
    expect(issuesOf({ ...original(), device: [['COM3', 'bitalino'], ['/999/raw', 'R-IoT (OSC)']] })).toEqual([
      'device[1][0]: device[1][0] is "/999/raw"; allowed: an R-IoT pair ["/<module>/raw", "R-IoT (OSC)"] with module 0 to 255, as the original\'s device finder wrote it',
    ]);
    expect(issuesOf({ ...original(), protocol: 5 })).toEqual(['protocol: protocol is 5; allowed: "Websockets" or "OSC"']);
  });

  it('never throws on any value of its keys, and what it accepts survives a save and a read unchanged', () => {
    const keys = ['protocol', 'ip_address', 'port', 'consolidate_outputs', 'OSC_config', 'riot_labels', 'websocket_port', 'host', 'osc', 'device'];
    const values = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom<unknown>('OSC', 'osc', 'Websockets', 'localhost', '10.0.0.9', 9000, true, 'True', [['/1/raw', 'R-IoT (OSC)']], [['COM3', 'bitalino'], ['/4/raw', 'R-Iot (OSC)']], ['0.0.0.0', '9999'], { enabled: false }, { maxRate: 10, riot: { rate: 50 } }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...keys), values, (key, value) => {
        const raw = { ...original(), [key]: value };
        const r = normalizeConfigFile(raw);
        if (!r.ok) {
          for (const i of r.issues) expect(i.message).toMatch(/allowed/);
          return;
        }
        expect(validateConfig(r.config)).toEqual([]);
        const again = normalizeConfigFile(JSON.parse(JSON.stringify(denormalizeConfig(raw, r.config, r.shape))));
        expect(again.ok && again.config).toEqual(r.config);
      }),
      { numRuns: 400 },
    );
  });
});

describe('saving into a (r)evolution file with protocol "OSC"', () => {
  it('an unchanged config leaves every key of the file as it was, and adds none of its OSC or WebSocket keys', () => {
    const raw = original();
    const out = denormalizeConfig(raw, ok(raw).config, 'revolution');
    expect(Object.keys(out).slice(0, Object.keys(raw).length)).toEqual(Object.keys(raw));
    for (const k of Object.keys(raw)) expect(out[k], k).toEqual(raw[k]);
    // Only this version's general keys (origins, token…) are added, as to any file.
    for (const k of ['osc', 'websocket_port', 'host', 'devices', 'port']) expect(Object.hasOwn(out, k) && !Object.hasOwn(raw, k), k).toBe(false);
  });

  it('osc_disable saves "osc": {"enabled": false} beside the original keys, which keep their values; enabling again removes it', () => {
    const raw = original();
    const c = ok(raw).config;
    const off = saveAndRead(raw, { ...c, osc: { ...c.osc, enabled: false } });
    expect(off.file.osc).toEqual({ enabled: false });
    for (const k of ['protocol', 'ip_address', 'port', 'consolidate_outputs', 'OSC_config', 'riot_labels', 'device']) expect(off.file[k], k).toEqual(raw[k]);
    expect(resolveOscOutput(off.config.osc)).toBeUndefined();
    const on = saveAndRead(off.file, { ...off.config, osc: { ...off.config.osc, enabled: true } });
    expect(on.file).not.toHaveProperty('osc');
    expect(on.config).toEqual(c);
  });

  it('the address mode and R-IoT labels go to consolidate_outputs and riot_labels; other OSC settings to "osc"; a WebSocket port to "websocket_port"', () => {
    const raw = original();
    const c = ok(raw).config;
    const edited: ServerBitConfig = { ...c, port: 9100, osc: { ...c.osc, addresses: 'per-label', maxRate: 100, destinations: [{ host: '192.168.1.21', port: 9000 }], riot: { labels: ['X', 'Y', 'Z'], rate: 100 }, control: { enabled: true } } };
    const { file, config } = saveAndRead(raw, edited);
    expect(file.consolidate_outputs).toBe(true);
    expect(file.riot_labels).toEqual(['X', 'Y', 'Z']);
    expect(file.osc).toEqual({ maxRate: 100, destinations: [{ host: '192.168.1.21', port: 9000 }], riot: { rate: 100 }, control: { enabled: true } });
    expect(file.websocket_port).toBe(9100);
    expect([file.port, file.ip_address, file.protocol]).toEqual([8000, '192.168.1.20', 'OSC']); // the original still reads what it wrote
    expect(config).toEqual(edited);
  });

  it('R-IoT devices go back to ["/<n>/raw", "R-IoT (OSC)"] pairs and OSC_config follows them; R-IoTs on several ports need the "devices" list', () => {
    const raw = original();
    const c = ok(raw).config;
    // All R-IoTs moved to another port, one more added at position 4.
    const moved: ServerBitConfig = {
      ...c,
      devices: [
        { id: '0', address: '20:16:07:18:15:26' },
        { id: '1', address: 'riot:0.0.0.0:9999/0' },
        { id: '2', address: 'riot:0.0.0.0:9999/3' },
        { id: '4', address: 'riot:0.0.0.0:9999/5' },
      ],
    };
    const a = saveAndRead(raw, moved);
    expect(a.file.device).toEqual([['20:16:07:18:15:26', 'bitalino'], ['/0/raw', 'R-IoT (OSC)'], ['/3/raw', 'R-Iot (OSC)'], ['/5/raw', 'R-IoT (OSC)']]);
    expect(a.file.OSC_config).toEqual(['0.0.0.0', '9999', 'riot', '']);
    expect(a.file).not.toHaveProperty('devices');
    expect(a.config.devices?.map((d) => [d.id, d.address])).toEqual([['0', '20:16:07:18:15:26'], ['1', 'riot:0.0.0.0:9999/0'], ['2', 'riot:0.0.0.0:9999/3'], ['3', 'riot:0.0.0.0:9999/5']]);
    // Two receiving ports cannot be one OSC_config.
    const two: ServerBitConfig = { ...c, devices: [{ id: '0', address: '20:16:07:18:15:26' }, { id: '1', address: 'riot:192.168.1.100:8888/0' }, { id: '2', address: 'riot:127.0.0.1:9000/3' }] };
    const b = saveAndRead(raw, two);
    expect(b.file.devices).toEqual(two.devices);
    expect(b.file.OSC_config).toEqual(raw.OSC_config);
    expect(b.config.devices).toEqual(two.devices);
    // Only an R-IoT left: one pair.
    const only = saveAndRead(raw, { ...c, device: 'riot:192.168.1.100:8888/3', devices: undefined });
    expect(only.file.device).toEqual([['/3/raw', 'R-IoT (OSC)'], ['/0/raw', 'R-IoT (OSC)'], ['/3/raw', 'R-Iot (OSC)']]);
    expect(only.config.device).toBe('riot:192.168.1.100:8888/3');
  });

  it('a classic file keeps "osc" as given and R-IoT addresses in "device"/"devices"', () => {
    const raw = { ...defaultConfig(), device: 'riot:127.0.0.1:9000/0', osc: { enabled: true, control: { enabled: true } } };
    const c = ok(raw).config;
    expect(c.osc).toEqual({ enabled: true, control: { enabled: true } });
    expect(c.device).toBe('riot:127.0.0.1:9000/0');
    const out = denormalizeConfig(raw, { ...c, osc: { ...c.osc, enabled: false } }, 'classic');
    expect(out.osc).toEqual({ enabled: false, control: { enabled: true } });
  });

  it('oscFromOriginalConfig never throws on any JSON value of its keys', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('protocol', 'ip_address', 'port', 'consolidate_outputs', 'OSC_config', 'riot_labels', 'device'), fc.jsonValue({ maxDepth: 3 })), (raw) => {
        const r = oscFromOriginalConfig(raw);
        expect(Array.isArray(r.issues)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
