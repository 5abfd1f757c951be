import { describe, expect, it } from 'vitest';
import { defaultConfig, type ServerBitConfig } from '../../src/shared/config.js';
import {
  checkForm,
  configFromResult,
  configToForm,
  fieldOf,
  formToPatch,
  hostFor,
  isDirty,
  isLoopbackHost,
  parsePort,
  resultNotes,
} from '../../src/renderer/config-form.js';

const base = (over: Partial<ServerBitConfig> = {}): ServerBitConfig => ({ ...defaultConfig(), token: 'secret-0123456789abcdef', ...over });

describe('config form ↔ config', () => {
  it('round-trips a config through the form unchanged', () => {
    const c = base({ device: '/dev/rfcomm0', channels: [1, 3, 6], sampling_rate: 100, port: 9002 });
    const form = configToForm(c);
    expect(form.channels).toEqual([true, false, true, false, false, true]);
    expect(form.samplingRate).toBe('100');
    expect(form.network).toBe(false);
    expect(formToPatch(form, c)).toEqual({ device: '/dev/rfcomm0', channels: [1, 3, 6], sampling_rate: 100, port: 9002, labels: c.labels, host: '127.0.0.1' });
    expect(isDirty(form, c)).toBe(false);
    const check = checkForm(form, c);
    expect(check.valid).toBe(true);
    expect(check.config).toEqual(c);
  });

  it('edits only the keys it shows; the others stay as loaded', () => {
    const c = base({ batch_ms: 20, allowed_origins: ['https://example.org'], stall_timeout_s: 9 });
    const form = { ...configToForm(c), channels: [true, true, false, false, false, false], samplingRate: '100' };
    const check = checkForm(form, c);
    expect(Object.keys(check.patch).sort()).toEqual(['channels', 'device', 'host', 'labels', 'port', 'sampling_rate']);
    expect(check.config).toMatchObject({ channels: [1, 2], sampling_rate: 100, batch_ms: 20, token: 'secret-0123456789abcdef', stall_timeout_s: 9 });
    expect(isDirty(form, c)).toBe(true);
  });

  it('reports an out-of-range port next to the port field', () => {
    const c = base();
    const check = checkForm({ ...configToForm(c), port: '70000' }, c);
    expect(check.valid).toBe(false);
    expect(check.errors.get('port')).toMatch(/port is 70000; allowed: an integer from 1 to 65535/);
    expect([...check.errors.keys()]).toEqual(['port']);
  });

  it('quotes a port that is not a number as typed', () => {
    expect(parsePort(' 9001 ')).toBe(9001);
    expect(parsePort('90a1')).toBe('90a1');
    const c = base();
    expect(checkForm({ ...configToForm(c), port: 'abc' }, c).errors.get('port')).toMatch(/"abc"/);
  });

  it('no channel, an empty device, an empty or duplicate label: each on its own field', () => {
    const c = base();
    const labels = [...c.labels];
    labels[6] = 'A1'; // duplicates A1 (index 5)
    labels[2] = '';
    const check = checkForm({ ...configToForm(c), channels: [false, false, false, false, false, false], device: '  ', labels }, c);
    expect(check.errors.get('channels')).toMatch(/channels has 0 items/);
    expect(check.errors.get('device')).toMatch(/device is ""/);
    expect(check.errors.get('labels.2')).toMatch(/labels\[2\] is ""/);
    expect(check.errors.get('labels')).toMatch(/more than once/);
  });

  it('maps issue paths to fields', () => {
    expect(fieldOf('port')).toBe('port');
    expect(fieldOf('channels[3]')).toBe('channels');
    expect(fieldOf('labels[10]')).toBe('labels.10');
    expect(fieldOf('token')).toBe('form');
    expect(fieldOf('')).toBe('form');
  });

  it('network checkbox ↔ host', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('192.168.1.5')).toBe(false);
    expect(hostFor(true, '127.0.0.1')).toBe('0.0.0.0');
    expect(hostFor(false, '0.0.0.0')).toBe('127.0.0.1');
    // A specific address the user put in the file survives as long as the checkbox agrees.
    expect(hostFor(true, '192.168.1.5')).toBe('192.168.1.5');
    expect(hostFor(false, 'localhost')).toBe('localhost');
    expect(configToForm(base({ host: '0.0.0.0' })).network).toBe(true);
  });

  it('reads configs and notes from command results', () => {
    const c = base();
    expect(configFromResult(c)).toEqual(c);
    expect(configFromResult({ config: c, restartRequired: true })).toEqual(c);
    expect(configFromResult({ config: { ...c, port: 0 } })).toBeUndefined();
    expect(configFromResult('nope')).toBeUndefined();
    expect(resultNotes({ notices: ['a', 3, 'b'] })).toEqual(['a', 'b']);
    expect(resultNotes({ restartRequired: ['port', 'host'] })).toEqual(['port, host: take effect when ServerBIT restarts.']);
    expect(resultNotes({ restartRequired: [], saved: true })).toEqual([]);
    // The service's own note says it best.
    expect(resultNotes({ restartRequired: ['port'], note: 'port: saved, but…' })).toEqual(['port: saved, but…']);
    expect(resultNotes(null)).toEqual([]);
  });
});
