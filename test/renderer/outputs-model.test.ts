import { describe, expect, it } from 'vitest';
import { checkSection, enabledFrom, formToSection, recordingView, sectionToForm, toggleCommand } from '../../src/renderer/outputs-model.js';
import { defaultConfig, type ServerBitConfig } from '../../src/shared/config.js';
import type { OutputStatus } from '../../src/shared/outputs.js';

const config = (over: Record<string, unknown> = {}): ServerBitConfig => ({ ...defaultConfig(), ...over }) as ServerBitConfig;

describe('recording panel', () => {
  it('nothing recorded yet: Record, "Not recording", no time or size', () => {
    expect(recordingView({ output: 'recorder', state: 'off', counters: {} }, undefined)).toMatchObject({ active: false, button: 'Record', stateText: 'Not recording', elapsed: undefined, size: undefined, files: [] });
  });
  it('recording: Stop, the elapsed time and size from the counters; files named only once stopped', () => {
    const rec = { state: 'running' as const, folder: '/r', formats: ['txt'], files: ['/r/a.txt', '/r/a.events.json'], samples: 10, bytes: 2048 };
    const running = recordingView({ output: 'recorder', state: 'running', counters: { elapsedMs: 65_000, bytes: 2048, files: 2 } }, rec);
    expect(running).toMatchObject({ active: true, button: 'Stop', stateText: 'Recording', elapsed: '1:05', size: '2.0 kB in 2 files', folder: '/r', files: [] });
    const stopped = recordingView({ output: 'recorder', state: 'stopped', counters: { elapsedMs: 70_000, bytes: 4096, files: 2 } }, { ...rec, state: 'stopped' });
    expect(stopped).toMatchObject({ button: 'Record', stateText: 'Stopped', files: ['a.txt', 'a.events.json'] });
  });
  it('stopped on an error: the service\'s error', () => {
    const error = { code: 'RECORDING_WRITE_FAILED', message: 'the disk is full', hint: 'Free some space.' };
    expect(recordingView({ output: 'recorder', state: 'error', error, counters: {} }, undefined)).toMatchObject({ stateText: 'Stopped on an error', error });
  });
});

describe('switches', () => {
  const st = (state: OutputStatus['state']): OutputStatus => ({ output: 'osc', state, counters: {} });
  it.each<[OutputStatus['state'] | undefined, unknown, boolean | undefined]>([
    ['running', { enabled: false }, true],
    ['starting', undefined, true],
    ['off', { enabled: true }, false],
    ['error', { enabled: true }, true],
    ['error', { enabled: false }, false],
    ['stopped', undefined, false],
  ])('state %s with osc %j in the config → on %s', (state, osc, on) => {
    expect(enabledFrom(state ? st(state) : undefined, config(osc ? { osc } : {}), 'osc')).toBe(on);
  });
  it('unknown until the config or a state is known; the command is the opposite of what the service said', () => {
    expect(enabledFrom(st('error'), undefined, 'osc')).toBeUndefined();
    expect(toggleCommand('osc', true)).toBe('osc_disable');
    expect(toggleCommand('lsl', false)).toBe('lsl_enable');
    expect(toggleCommand('mqtt', undefined)).toBe('mqtt_enable');
  });
});

describe('settings sections', () => {
  it('OSC: the file\'s values, defaults for what it leaves out; an unchanged default is not written', () => {
    const c = config({ osc: { enabled: true, destinations: [{ host: '10.0.0.5', port: 9000 }, { host: '10.0.0.6', port: 9001 }] } });
    const v = sectionToForm(c, 'osc');
    expect(v).toEqual({ 'destinations.0.host': '10.0.0.5', 'destinations.0.port': '9000', addresses: 'consolidated', values: 'raw', maxRate: '0' });
    expect(formToSection(v, c, 'osc')).toEqual({ enabled: true, destinations: [{ host: '10.0.0.5', port: 9000 }, { host: '10.0.0.6', port: 9001 }] });
    expect(formToSection({ ...v, 'destinations.0.port': '8001', values: 'converted' }, c, 'osc')).toEqual({ enabled: true, values: 'converted', destinations: [{ host: '10.0.0.5', port: 8001 }, { host: '10.0.0.6', port: 9001 }] });
  });
  it('validated with the service\'s schema, each message at its field', () => {
    const c = config();
    const bad = checkSection({ ...sectionToForm(c, 'osc'), 'destinations.0.port': '70000', maxRate: 'fast' }, c, 'osc');
    expect(bad.valid).toBe(false);
    expect(bad.errors.get('destinations.0.port')).toMatch(/^osc\.destinations\[0\]\.port is 70000/);
    expect(bad.errors.get('maxRate')).toMatch(/^osc\.maxRate is "fast"/);
    const mqtt = checkSection({ ...sectionToForm(c, 'mqtt'), url: 'http://broker' }, c, 'mqtt');
    expect(mqtt.errors.get('url')).toMatch(/^mqtt\.url is "http:\/\/broker"/);
    expect(checkSection({ ...sectionToForm(c, 'mqtt'), url: 'mqtt://127.0.0.1:1883' }, c, 'mqtt')).toMatchObject({ valid: true, section: { url: 'mqtt://127.0.0.1:1883' } });
  });
  it('record: formats as boxes (at least one), an empty folder means the default', () => {
    const c = config({ record: { formats: ['txt', 'h5'], folder: '~/data' } });
    const v = sectionToForm(c, 'record');
    expect(v).toEqual({ folder: '~/data', 'formats.txt': true, 'formats.h5': true, 'formats.csv': false });
    expect(formToSection({ ...v, folder: '', 'formats.csv': true }, c, 'record')).toEqual({ formats: ['txt', 'h5', 'csv'] });
    expect(checkSection({ ...v, 'formats.txt': false, 'formats.h5': false }, c, 'record').errors.get('formats.txt')).toBe('Choose at least one format.');
    expect(checkSection({ ...v, folder: 'relative/dir' }, c, 'record').errors.get('folder')).toMatch(/^record\.folder is "relative\/dir"/);
    // Untouched defaults write nothing.
    expect(formToSection(sectionToForm(config(), 'record'), config(), 'record')).toEqual({});
  });
});
