import { describe, expect, it } from 'vitest';
import { bannersFor, problemView } from '../../src/renderer/banner-view.js';
import { DEVICE_STEPS, connectionLost, describeError } from '../../src/renderer/errors.js';
import type { AppState } from '../../src/renderer/store.js';

describe('error → plain words', () => {
  it('a device error says what happened, the hint, and the checklist', () => {
    const v = describeError({ code: 'DEVICE_NO_ANSWER', message: 'No answer from /dev/rfcomm0 within 3 s', hint: 'Switch it on.' }, { state: 'error' });
    expect(v.title).toBe('The BITalino did not answer');
    expect(v.message).toBe('No answer from /dev/rfcomm0 within 3 s');
    expect(v.hint).toBe('Switch it on.');
    expect(v.severity).toBe('error');
    expect(v.steps).toEqual(DEVICE_STEPS);
    const text = v.steps.join(' ');
    for (const s of ['switched on', 'PIN 1234', 'address right', 'another program']) expect(text).toContain(s);
  });

  it('while reconnecting it is a warning that says ServerBIT keeps trying', () => {
    const v = describeError({ code: 'DEVICE_DISCONNECTED', message: 'link closed' }, { state: 'reconnecting' });
    expect(v.severity).toBe('warning');
    expect(v.title).toMatch(/keeps trying/);
  });

  it('names the failed action; the port-in-use advice is said once (the service\'s hint), not again as a step', () => {
    const hint = 'Stop the other program, or choose another port ("port" in ~/ServerBIT/config.json, or --port).';
    const v = describeError({ code: 'PORT_IN_USE', message: 'Cannot listen on 127.0.0.1:9001: another program (maybe another ServerBIT) is using port 9001', hint }, { action: 'Saving' });
    expect(v.title).toBe('Saving failed: the port is already in use');
    expect([v.message, v.hint, ...v.steps].join(' ').match(/another port/g)).toHaveLength(1);
    // The device checklist is about the device: nothing about the WebSocket port there.
    expect(describeError({ code: 'DEVICE_OPEN_FAILED', message: 'x' }).steps.join(' ')).not.toMatch(/WebSocket/);
    expect(describeError({ code: 'BAD_ARGUMENTS', message: 'x' }).steps).toEqual([]);
  });

  it('steps sent by the service win over ours; an unknown code still reads well', () => {
    expect(describeError({ code: 'DEVICE_OPEN_FAILED', message: 'busy' }, { steps: ['Close OpenSignals.'] }).steps).toEqual(['Close OpenSignals.']);
    const v = describeError({ code: 'SOMETHING_NEW', message: 'm', hint: 'm' });
    expect(v.title).toBe('Something went wrong');
    expect(v.hint).toBeUndefined(); // the same text twice says nothing more
    expect(describeError({ code: 'DEVICE_OPEN_FAILED', message: 'm', hint: 'Check it.' }, { steps: ['Check it.', 'Other.'] }).hint).toBeUndefined();
  });

  it('a lost connection is a warning naming the address', () => {
    const v = connectionLost('ws://127.0.0.1:9001/');
    expect(v.message).toContain('ws://127.0.0.1:9001/');
    expect(v.severity).toBe('warning');
  });
});

describe('banners', () => {
  const state = (over: Partial<AppState>): AppState => ({
    connection: 'open',
    host: 'browser',
    address: 'ws://127.0.0.1:9001/',
    hello: undefined,
    devices: ['0'],
    statuses: {},
    metas: {},
    device: '0',
    meta: undefined,
    status: undefined,
    clients: undefined,
    problem: undefined,
    config: undefined,
    activity: {},
    samplesPerSecond: 0,
    commandError: undefined,
    ...over,
  });
  const status = (st: string, error?: { code: string; message: string }, name = 'simulator') =>
    ({ type: 'status', device: '0', name, address: 'simulator', state: st, rate: 1000, channels: [1], counters: { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0 }, ...(error ? { error } : {}) }) as AppState['status'];

  it('nothing to show when all is well', () => {
    expect(bannersFor(state({ status: status('streaming') }))).toEqual([]);
  });

  it('the lost connection comes first and alone, then the service problem, the device error, a failed command (two at most)', () => {
    const commandError = describeError({ code: 'TIMEOUT', message: 't' });
    const err = status('error', { code: 'DEVICE_OPEN_FAILED', message: 'busy' });
    const problem = { code: 'CONFIG_INVALID_VALUE', message: 'Invalid setting in /h/config.json: port is "x"', file: '/h/config.json', saveable: true, invalid: [{ key: 'port', path: 'port', message: 'port is "x"' }] };
    expect(bannersFor(state({ connection: 'closed', status: err, commandError, problem })).map((b) => b.view.title)).toEqual(['Lost the connection to ServerBIT']);
    expect(bannersFor(state({ status: err, commandError })).map((b) => b.kind)).toEqual(['device', 'command']);
    expect(bannersFor(state({ status: err, commandError, problem })).map((b) => b.kind)).toEqual(['problem', 'device']);
    const [b] = bannersFor(state({ status: status('streaming'), commandError }));
    expect(b.view).toBe(commandError);
    expect(b.dismissable).toBe(true);
  });

  it('a config problem names the bad setting and the file; one that cannot be parsed says Settings cannot save', () => {
    const partial = problemView({ code: 'CONFIG_INVALID_VALUE', message: 'Invalid setting in /h/config.json: sampling_rate is 500; allowed: 1, 10, 100 or 1000.', file: '/h/config.json', saveable: true, invalid: [{ key: 'sampling_rate', path: 'sampling_rate', message: 'x', value: 500 }] });
    expect(partial.title).toBe('A setting in the config file is not valid: sampling_rate');
    expect(partial.message).toContain('/h/config.json');
    expect(partial.severity).toBe('warning');
    expect(partial.steps.join(' ')).toContain('Open Settings');
    const whole = problemView({ code: 'CONFIG_INVALID_JSON', message: '/h/config.json is not valid JSON: a trailing comma before ] at line 3, column 21.', file: '/h/config.json', saveable: false });
    expect(whole.title).toBe('The config file cannot be used: it is not valid JSON');
    expect(whole.steps.join(' ')).toContain('Settings cannot save');
    expect(problemView({ code: 'PORT_IN_USE', message: 'in use' }).severity).toBe('error');
  });

  it('with several devices the device error names the device', () => {
    const err = status('reconnecting', { code: 'DEVICE_DISCONNECTED', message: 'gone' }, 'Left arm');
    expect(bannersFor(state({ devices: ['0', '1'], status: err }))[0].view.title).toMatch(/^Left arm: The device disconnected/);
  });
});
