import { describe, expect, it } from 'vitest';
import { bannerFor } from '../../src/renderer/banner-view.js';
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
    for (const s of ['switched on', 'PIN 1234', 'address right', 'port match', 'another program']) expect(text).toContain(s);
  });

  it('while reconnecting it is a warning that says ServerBIT keeps trying', () => {
    const v = describeError({ code: 'DEVICE_DISCONNECTED', message: 'link closed' }, { state: 'reconnecting' });
    expect(v.severity).toBe('warning');
    expect(v.title).toMatch(/keeps trying/);
  });

  it('names the failed action; non-device errors get their own steps', () => {
    const v = describeError({ code: 'PORT_IN_USE', message: 'Cannot listen on 127.0.0.1:9001' }, { action: 'Saving' });
    expect(v.title).toBe('Saving failed: the port is already in use');
    expect(v.steps.join(' ')).toMatch(/another port/);
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

describe('bannerFor', () => {
  const state = (over: Partial<AppState>): AppState => ({
    connection: 'open',
    host: 'browser',
    address: 'ws://127.0.0.1:9001/',
    hello: undefined,
    meta: undefined,
    status: undefined,
    config: undefined,
    samplesPerSecond: 0,
    commandError: undefined,
    ...over,
  });
  const status = (st: string, error?: { code: string; message: string }) =>
    ({ type: 'status', state: st, rate: 1000, channels: [1], counters: { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0, clients: 1 }, ...(error ? { error } : {}) }) as AppState['status'];

  it('nothing to show when all is well', () => {
    expect(bannerFor(state({ status: status('streaming') }))).toBeUndefined();
  });

  it('the lost connection comes first, then the service error, then a failed command', () => {
    const commandError = describeError({ code: 'TIMEOUT', message: 't' });
    const err = status('error', { code: 'DEVICE_OPEN_FAILED', message: 'busy' });
    expect(bannerFor(state({ connection: 'closed', status: err, commandError }))!.view.title).toBe('Lost the connection to ServerBIT');
    expect(bannerFor(state({ status: err, commandError }))!.view.title).toBe('Could not open the device');
    const b = bannerFor(state({ status: status('streaming'), commandError }))!;
    expect(b.view).toBe(commandError);
    expect(b.dismissable).toBe(true);
  });
});
