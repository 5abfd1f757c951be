import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { oscFromOriginalConfig } from '../../../src/shared/osc-original-config.js';
import { RIOT_LABELS, validateOscInputSettings, validateOscOutputSettings, validateRiotDeviceSettings } from '../../../src/shared/osc-settings.js';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/osc/revolution-osc.json');
const original = JSON.parse(fs.readFileSync(fixture, 'utf8')) as Record<string, unknown>;

describe('oscFromOriginalConfig', () => {
  it('a (r)evolution file with protocol OSC: OSC to ip_address:port, /<id>/bitalino, input off, one R-IoT per "R-IoT (OSC)" entry', () => {
    const r = oscFromOriginalConfig(original);
    expect(r.issues).toEqual([]);
    expect(r.notices).toEqual([]);
    expect(r.output).toMatchObject({ enabled: true, destinations: [{ host: '192.168.1.20', port: 8000 }], addresses: 'consolidated', maxRate: 0, values: 'raw' });
    expect(r.input).toEqual({ enabled: false, host: '127.0.0.1', port: 12000, maxCommandsPerSecond: 50 });
    expect(r.riot).toEqual([
      { kind: 'riot', id: '1', module: 0, host: '192.168.1.100', port: 8888, labels: [...RIOT_LABELS], rate: 200 },
      { kind: 'riot', id: '2', module: 3, host: '192.168.1.100', port: 8888, labels: [...RIOT_LABELS], rate: 200 },
    ]);
    expect(validateOscOutputSettings(r.output)).toEqual([]);
    expect(validateOscInputSettings(r.input)).toEqual([]);
    for (const d of r.riot) expect(validateRiotDeviceSettings(d)).toEqual([]);
  });

  it('consolidate_outputs true (or "True", as its settings page wrote it) means per-label addresses, as its code did', () => {
    expect(oscFromOriginalConfig({ ...original, consolidate_outputs: true }).output.addresses).toBe('per-label');
    expect(oscFromOriginalConfig({ ...original, consolidate_outputs: 'True' }).output.addresses).toBe('per-label');
    expect(oscFromOriginalConfig({ ...original, consolidate_outputs: 'false' }).output.addresses).toBe('consolidated');
    expect(oscFromOriginalConfig({ ...original, consolidate_outputs: 1 }).issues).toEqual([{ path: 'consolidate_outputs', message: 'consolidate_outputs is 1; allowed: true or false' }]);
  });

  it('protocol Websockets: OSC stays off and ip_address/port are left to the WebSocket settings', () => {
    const r = oscFromOriginalConfig({ ...original, protocol: 'Websockets', ip_address: 'not a host!', port: 70000 });
    expect(r.output.enabled).toBe(false);
    expect(r.output.destinations).toEqual([{ host: '127.0.0.1', port: 8000 }]);
    expect(r.issues).toEqual([]);
    expect(r.riot.length).toBe(2); // R-IoTs are devices whatever the protocol
  });

  it('defaults and notices when keys are missing; localhost means 127.0.0.1', () => {
    const r = oscFromOriginalConfig({ protocol: 'osc', device: [['/0/raw', 'R-IoT (OSC)']] });
    expect(r.output.destinations).toEqual([{ host: '127.0.0.1', port: 8000 }]);
    expect(r.notices).toEqual(['"ip_address" is missing; OSC goes to 127.0.0.1.', '"port" is missing; OSC goes to port 8000.']);
    expect(r.riot).toEqual([{ kind: 'riot', id: '0', module: 0, host: '192.168.1.100', port: 8888, labels: [...RIOT_LABELS], rate: 200 }]);
    expect(oscFromOriginalConfig({ protocol: 'OSC', ip_address: 'localhost', port: 9000 }).output.destinations).toEqual([{ host: '127.0.0.1', port: 9000 }]);
  });

  it('OSC_config and riot_labels: a numeric or string port, checked; custom labels', () => {
    const r = oscFromOriginalConfig({ ...original, OSC_config: ['0.0.0.0', 9999, 'x', 'en0'], riot_labels: ['AX', 'AY', 'AZ'] });
    expect(r.riot[0]).toMatchObject({ host: '0.0.0.0', port: 9999, labels: ['AX', 'AY', 'AZ'] });
    expect(oscFromOriginalConfig({ ...original, OSC_config: ['192.168.1.100', '88888'] }).issues).toEqual([{ path: 'OSC_config[1]', message: 'OSC_config[1] is 88888; allowed: an integer from 1 to 65535' }]);
    expect(oscFromOriginalConfig({ ...original, OSC_config: 'riot' }).issues[0].message).toContain('allowed: [address, port, network name, interface]');
    expect(oscFromOriginalConfig({ ...original, riot_labels: ['A', 'A'] }).issues[0].path).toBe('riot_labels');
  });

  it('an R-IoT entry whose address is not /<id>/raw listens for /0/raw and says so; other device types are not R-IoTs', () => {
    const r = oscFromOriginalConfig({ device: [['192.168.1.103', 'riot'], ['COM3', 'bitalino'], 'junk', ['/999/raw', 'R-IoT (OSC)']] });
    expect(r.riot.map((d) => [d.id, d.module])).toEqual([['0', 0], ['3', 0]]);
    expect(r.notices).toEqual([
      'device[0] is ["192.168.1.103","riot"]: an R-IoT address has the form "/<id>/raw" (id 0..255); listening for /0/raw.',
      'device[3] is ["/999/raw","R-IoT (OSC)"]: an R-IoT address has the form "/<id>/raw" (id 0..255); listening for /0/raw.',
    ]);
  });

  it('never throws on any JSON value', () => {
    for (const v of [null, 1, 'x', [], { device: 'COM3' }, { device: [null, [1, 2]] }, { OSC_config: [null, null] }, { protocol: 5 }]) {
      expect(() => oscFromOriginalConfig(v)).not.toThrow();
    }
  });
});
