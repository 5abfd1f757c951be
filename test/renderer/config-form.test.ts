import { describe, expect, it } from 'vitest';
import { defaultConfig, type ServerBitConfig } from '../../src/shared/config.js';
import { checkForm, configFromResult, configToForm, fieldOf, formToEdit, hostFor, isDirty, isLoopbackHost, parsePort, saveOutcome, userMessage, type EditTarget } from '../../src/renderer/config-form.js';
import type { InvalidSetting } from '../../src/shared/v2.js';

const base = (over: Partial<ServerBitConfig> = {}): ServerBitConfig => ({ ...defaultConfig(), token: 'secret-0123456789abcdef', ...over });
const first: EditTarget = { id: '0', board: 'revolution', deviceCount: 1 };
const KIT = ['EMG', 'ECG', 'EDA', 'EEG', 'ACC', 'LUX'];

describe('one device, a classic file: the classic keys', () => {
  it('round-trips a config through the form unchanged', () => {
    const c = base({ device: '/dev/rfcomm0', channels: [1, 3, 6], sampling_rate: 100, port: 9002 });
    const form = configToForm(c, first);
    expect(form).toMatchObject({ name: '', device: '/dev/rfcomm0', channels: [true, false, true, false, false, true], samplingRate: '100', network: false, sensors: KIT });
    const { edit, shape } = formToEdit(form, c, first);
    expect(shape).toBe('classic');
    // The kit's sensors need no key: the file keeps its shape.
    expect(edit).toEqual({ device: '/dev/rfcomm0', channels: [1, 3, 6], sampling_rate: 100, labels: c.labels, port: 9002, host: '127.0.0.1' });
    const check = checkForm(form, c, first);
    expect(check.valid).toBe(true);
    expect(check.config).toEqual(c);
  });

  it('the legacy board\'s kit is its default; a sensor changed is sent as the whole list', () => {
    const c = base();
    expect(configToForm(c, { id: '0', board: 'legacy' }).sensors).toEqual(['EMG', 'EDA', 'ECG', 'ACC', 'LUX', 'BAT']);
    const form = { ...configToForm(c, first), sensors: ['ECG', 'ECG', 'EDA', 'EEG', 'ACC', 'RAW'] };
    expect(formToEdit(form, c, first).edit.sensors).toEqual(['ECG', 'ECG', 'EDA', 'EEG', 'ACC', 'RAW']);
    expect(checkForm(form, c, first).valid).toBe(true);
    // A file that names sensors keeps naming them, and an OpenSignals code reads as its name.
    expect(configToForm(base({ sensors: ['ECGBIT', 'EMG', 'EDA', 'EEG', 'ACC', 'LUX'] }), first).sensors[0]).toBe('ECG');
  });

  it('edits only the keys it shows; the others stay as loaded', () => {
    const c = base({ batch_ms: 20, allowed_origins: ['https://example.org'], stall_timeout_s: 9 });
    const form = { ...configToForm(c, first), channels: [true, true, false, false, false, false], samplingRate: '100' };
    const check = checkForm(form, c, first);
    expect(Object.keys(check.edit).sort()).toEqual(['channels', 'device', 'host', 'labels', 'port', 'sampling_rate']);
    expect(check.config).toMatchObject({ channels: [1, 2], sampling_rate: 100, batch_ms: 20, token: 'secret-0123456789abcdef', stall_timeout_s: 9 });
    expect(isDirty(form, configToForm(c, first))).toBe(true);
  });

  it('a name makes it a devices list (only an entry has one)', () => {
    const c = base();
    const { edit, shape } = formToEdit({ ...configToForm(c, first), name: 'Left arm' }, c, first);
    expect(shape).toBe('devices');
    expect(edit).toEqual({ devices: [{ address: 'simulator', name: 'Left arm' }], port: 9001, host: '127.0.0.1' });
  });
});

describe('several devices: the whole devices list', () => {
  const c = base({ device: 'simulator', devices: [{ id: '0', address: 'simulator' }, { id: 'b', address: '/dev/rfcomm1', name: 'Right', sampling_rate: 100 }] });
  const second: EditTarget = { id: 'b', board: 'legacy', deviceCount: 2 };

  it('shows the selected device\'s own settings, defaults from the top level', () => {
    expect(configToForm(c, second)).toMatchObject({ name: 'Right', device: '/dev/rfcomm1', samplingRate: '100', channels: [true, true, true, true, true, true], sensors: ['EMG', 'EDA', 'ECG', 'ACC', 'LUX', 'BAT'] });
  });

  it('a save sends every entry, the edited one changed, keys equal to the top level left out', () => {
    const form = { ...configToForm(c, second), samplingRate: '1000', channels: [true, true, false, false, false, false], sensors: ['EMG', 'EDA', 'ECG', 'ACC', 'LUX', 'RAW'] };
    const { edit, shape } = formToEdit(form, c, second);
    expect(shape).toBe('devices');
    expect(edit.devices).toEqual([
      { id: '0', address: 'simulator' },
      { id: 'b', address: '/dev/rfcomm1', name: 'Right', sampling_rate: 1000, channels: [1, 2], sensors: ['EMG', 'EDA', 'ECG', 'ACC', 'LUX', 'RAW'] },
    ]);
    expect(checkForm(form, c, second).valid).toBe(true);
  });

  it('an issue of the edited entry goes to its field, with the field named in words', () => {
    const form = { ...configToForm(c, second), channels: [false, false, false, false, false, false] };
    const check = checkForm(form, c, second);
    expect(check.errors.get('channels')).toMatch(/^Channels has 0 items/);
    expect(fieldOf('devices[1].labels[6]', 1)).toBe('labels.6');
    expect(fieldOf('devices[0].channels', 1)).toBe('form');
    expect(fieldOf('devices[1].address', 1)).toBe('device');
  });
});

describe('validation as you type', () => {
  it('reports an out-of-range port next to the port field, in words', () => {
    const c = base();
    const check = checkForm({ ...configToForm(c, first), port: '70000' }, c, first);
    expect(check.valid).toBe(false);
    expect(check.errors.get('port')).toBe('The port is 70000; allowed: an integer from 1 to 65535');
    expect([...check.errors.keys()]).toEqual(['port']);
    expect(parsePort(' 9001 ')).toBe(9001);
    expect(parsePort('90a1')).toBe('90a1');
    expect(checkForm({ ...configToForm(c, first), port: 'abc' }, c, first).errors.get('port')).toMatch(/"abc"/);
  });

  it('an address that is none of the forms is refused as you type (issue 10 item 3)', () => {
    const c = base();
    for (const bad of ['hello world', 'COM', '20:16:07:18:15', '192.168.4.300:8001', 'host:99999', 'XX:XX:XX:XX:XX:XX'])
      expect(checkForm({ ...configToForm(c, first), device: bad }, c, first).errors.get('device'), bad).toBeTruthy();
    for (const good of ['simulator', '20:16:07:18:15:26', 'COM3', '/dev/rfcomm0', '/dev/cu.BITalino-15-26-DevB', '/tmp/x/bitalino', '192.168.4.1:8001', 'bitalino.local:8001', '[::1]:8001'])
      expect(checkForm({ ...configToForm(c, first), device: good }, c, first).errors.get('device'), good).toBeUndefined();
  });

  it('no channel, an empty device, an empty or duplicate label: each on its own field, no internal names', () => {
    const c = base();
    const labels = [...c.labels];
    labels[6] = 'A1';
    labels[2] = '';
    const check = checkForm({ ...configToForm(c, first), channels: [false, false, false, false, false, false], device: '  ', labels }, c, first);
    expect(check.errors.get('channels')).toMatch(/^Channels has 0 items/);
    expect(check.errors.get('device')).toMatch(/^Enter an address/);
    expect(check.errors.get('labels.2')).toBe('The label of I2 is ""; allowed: a non-empty string of up to 64 characters');
    expect(check.errors.get('labels')).toMatch(/more than once/);
    for (const m of check.errors.values()) expect(m).not.toMatch(/labels\[|channels\[|devices\[/);
  });

  it('userMessage names fields for people', () => {
    expect(userMessage('labels[5] is ""; allowed: x')).toBe('The label of A1 is ""; allowed: x');
    expect(userMessage('devices[1].sensors[2] is "X"; allowed: y')).toBe('The sensor on A3 is "X"; allowed: y');
    expect(userMessage('sampling_rate is 500; allowed: 1, 10, 100 or 1000')).toBe('The sampling rate is 500; allowed: 1, 10, 100 or 1000');
    expect(userMessage('something else')).toBe('something else');
  });
});

describe('a config file with invalid settings (issue 10 item 1)', () => {
  const bad: InvalidSetting[] = [{ key: 'sampling_rate', path: 'sampling_rate', message: 'sampling_rate is 500; allowed: 1, 10, 100 or 1000', value: 500 }];

  it('the field shows the file\'s own value, marked, until the user changes it', () => {
    const c = base({ port: 9206, channels: [1, 2] });
    const form = configToForm(c, first, bad);
    expect(form.samplingRate).toBe('500');
    expect(form.port).toBe('9206');
    const check = checkForm(form, c, first, bad);
    expect(check.valid).toBe(false);
    expect(check.errors.get('sampling_rate')).toMatch(/^The sampling rate is 500/);
    // Chosen: a valid value, and the file's other settings go with it.
    const fixed = checkForm({ ...form, samplingRate: '100' }, c, first, bad, new Set(['sampling_rate']));
    expect(fixed.valid).toBe(true);
    expect(fixed.edit).toMatchObject({ sampling_rate: 100, port: 9206, channels: [1, 2] });
  });

  it('a setting the form does not edit blocks Save and says to fix the file', () => {
    const c = base();
    const check = checkForm(configToForm(c, first), c, first, [{ key: 'batch_ms', path: 'batch_ms', message: 'batch_ms is 0; allowed: an integer from 1 to 1000', value: 0 }]);
    expect(check.valid).toBe(false);
    expect(check.errors.get('form')).toMatch(/batch_ms is 0.*correct it in the config file/);
  });
});

describe('helpers', () => {
  it('network checkbox ↔ host', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(hostFor(true, '127.0.0.1')).toBe('0.0.0.0');
    expect(hostFor(false, '0.0.0.0')).toBe('127.0.0.1');
    expect(hostFor(true, '192.168.1.5')).toBe('192.168.1.5');
    expect(hostFor(false, 'localhost')).toBe('localhost');
    expect(configToForm(base({ host: '0.0.0.0' }), first).network).toBe(true);
  });

  it('reads configs from command results', () => {
    const c = base();
    expect(configFromResult(c)).toEqual(c);
    expect(configFromResult({ config: c, restartRequired: [] })).toEqual(c);
    expect(configFromResult({ config: { ...c, port: 0 } })).toBeUndefined();
    expect(configFromResult('nope')).toBeUndefined();
  });

  it('what a save says (issue 10 item 4): green only when saved and in effect', () => {
    expect(saveOutcome({ saved: true, restartRequired: [] })).toEqual({ level: 'ok', title: 'Saved.', notes: [] });
    expect(saveOutcome({ saved: true, restartRequired: ['port'], note: 'port: saved; ServerBIT keeps listening on its current address until it restarts.' })).toEqual({
      level: 'warning',
      title: 'Saved.',
      notes: ['port: saved; ServerBIT keeps listening on its current address until it restarts.'],
    });
    expect(saveOutcome({ saved: true, restartRequired: ['port', 'host'] }).notes).toEqual(['port and host: saved; ServerBIT keeps listening on its current address until it restarts.']);
    expect(saveOutcome({ saved: false, restartRequired: [], note: 'Not saved: …' })).toMatchObject({ level: 'warning', title: 'Applied for this run, not saved.' });
  });
});
