import { describe, expect, it } from 'vitest';
import type { ServiceState } from '../../src/shared/acquisition.js';
import type { OutputStatus } from '../../src/shared/outputs.js';
import type { RecordingResult } from '../../src/shared/v2.js';
import { MAX_TOOLTIP_CHARS, TRAY_ICON_STATES, elapsedMinutes, outputItems, statusLine, tooltipText, trayIconFile, trayIconState, trayMenu, trayView, type MenuItemModel, type TrayInput } from '../../src/main/desktop/tray-model.js';
import { LINK_LOST, REAL, SIMULATED, device, status } from './helpers.js';

const one = (state: ServiceState, extra: Partial<TrayInput> = {}): TrayInput => ({ devices: [status(state, { info: SIMULATED })], clients: 0, platform: 'linux', openAtLogin: false, ...extra });
const left = (state: ServiceState, extra = {}) => device('0', state, { name: 'Left arm', address: '/dev/rfcomm0', ...extra });
const right = (state: ServiceState, extra = {}) => device('1', state, { name: 'Right arm', address: '/dev/rfcomm1', ...extra });
const two = (a: ServiceState, b: ServiceState, extra: Partial<TrayInput> = {}): TrayInput => ({ devices: [left(a), right(b)], clients: 2, platform: 'linux', openAtLogin: false, ...extra });

describe('tray icon', () => {
  it.each<[ServiceState, string]>([
    ['idle', 'idle'],
    ['stopped', 'idle'],
    ['connecting', 'connecting'],
    ['streaming', 'streaming'],
    ['stalled', 'stalled'],
    ['reconnecting', 'stalled'],
    ['error', 'error'],
  ])('one device in state %s shows the %s icon', (state, icon) => {
    expect(trayIconState([status(state)])).toBe(icon);
  });

  it.each<[ServiceState, ServiceState, string]>([
    ['streaming', 'streaming', 'streaming'],
    ['streaming', 'reconnecting', 'stalled'],
    ['error', 'streaming', 'error'],
    ['stalled', 'error', 'error'],
    ['connecting', 'streaming', 'connecting'],
    // A device the user stopped is not a problem: the other one streams.
    ['streaming', 'stopped', 'streaming'],
    ['stopped', 'idle', 'idle'],
  ])('two devices %s and %s show the worst: %s', (a, b, icon) => {
    expect(trayIconState([left(a), right(b)])).toBe(icon);
    expect(trayIconState([right(b), left(a)])).toBe(icon);
  });

  it('no device is idle; an app problem (invalid config, port in use) shows the error icon whatever the devices do', () => {
    expect(trayIconState([])).toBe('idle');
    const problem = { code: 'CONFIG_INVALID_JSON', message: 'config.json is not valid JSON' };
    for (const s of ['streaming', 'connecting', 'idle'] as const) expect(trayIconState([status(s), right('streaming')], problem)).toBe('error');
  });

  it('uses black template images on macOS and coloured dots elsewhere', () => {
    for (const s of TRAY_ICON_STATES) {
      expect(trayIconFile(s, 'darwin')).toBe(`tray-${s}Template.png`);
      expect(trayIconFile(s, 'win32')).toBe(`tray-${s}.png`);
      expect(trayIconFile(s, 'linux')).toBe(`tray-${s}.png`);
    }
  });

  it('trayView picks the file for the worst state and the platform', () => {
    expect(trayView(one('streaming', { platform: 'darwin' })).icon).toBe('tray-streamingTemplate.png');
    expect(trayView(two('streaming', 'reconnecting', { platform: 'win32' })).icon).toBe('tray-stalled.png');
  });
});

describe('tooltip', () => {
  it('one device: state, device, rate and clients', () => {
    expect(tooltipText({ ...one('streaming'), clients: 2 })).toBe('ServerBIT — streaming\nsimulator · 1000 Hz · 2 clients');
    expect(tooltipText({ devices: [status('connecting', { address: '20:16:07:18:15:26', name: '20:16:07:18:15:26', rate: 100 })], clients: 1 })).toBe('ServerBIT — connecting\n20:16:07:18:15:26 · 100 Hz · 1 client');
  });

  it('names a device by its configured name', () => {
    expect(tooltipText({ devices: [left('streaming', { info: REAL })], clients: 0 })).toContain('Left arm · 1000 Hz');
  });

  it('several devices: the summary, then each device that needs attention by name, worst first', () => {
    const t = tooltipText({ devices: [left('reconnecting', { error: { code: 'DEVICE_DISCONNECTED', message: 'link lost' } }), right('error', { error: { code: 'DEVICE_BAD_ARGUMENT', message: 'rate 7' } }), device('2', 'streaming', { name: 'Chest' })], clients: 1 });
    expect(t).toBe('ServerBIT — 3 devices: 1 error, 1 reconnecting, 1 streaming\nRight arm: error — rate 7\nLeft arm: reconnecting — link lost');
    expect(tooltipText(two('streaming', 'streaming'))).toBe('ServerBIT — 2 devices: 2 streaming\n2 clients');
  });

  it('adds the reason while reconnecting or in error, and the app problem', () => {
    expect(tooltipText({ devices: [status('reconnecting', { error: LINK_LOST })], clients: 0 })).toContain('the link to /dev/rfcomm0 closed');
    const problem = { code: 'CONFIG_INVALID_JSON', message: '/home/u/ServerBIT/config.json is not valid JSON' };
    expect(tooltipText({ ...one('streaming'), problem })).toContain('⚠ /home/u/ServerBIT/config.json is not valid JSON');
    expect(tooltipText({ ...two('streaming', 'streaming'), problem }).split('\n')[1]).toBe('⚠ /home/u/ServerBIT/config.json is not valid JSON');
  });

  it('is cut to what Windows keeps (127 characters)', () => {
    const problem = { code: 'CONFIG_INVALID_VALUE', message: 'x'.repeat(500) };
    for (const input of [one('streaming', { problem }), two('error', 'error', { problem })]) {
      const t = tooltipText(input);
      expect(t.length).toBe(MAX_TOOLTIP_CHARS);
      expect(t.endsWith('…')).toBe(true);
    }
  });
});

describe('menu', () => {
  const ids = (items: MenuItemModel[]): string[] => items.map((i) => (i.device !== undefined ? `${i.id}:${i.device}` : i.output !== undefined ? `${i.id}:${i.output}` : (i.id ?? '—')));
  const OUTPUT_IDS = ['—', 'record', 'mark', 'output:osc', 'output:lsl', 'output:mqtt'];

  it('one device: a disabled status line, start/stop, the window, the config folder, start at login and quit', () => {
    expect(ids(trayMenu(one('streaming', { platform: 'win32' })))).toEqual(['status', '—', 'stop', ...OUTPUT_IDS, '—', 'open-window', 'open-config-folder', 'start-at-login', '—', 'quit']);
    const menu = trayMenu(one('streaming', { platform: 'win32' }));
    expect(menu[0]).toMatchObject({ id: 'status', type: 'normal', enabled: false });
    expect(menu.find((i) => i.id === 'quit')).toMatchObject({ label: 'Quit ServerBIT', enabled: true });
    expect(menu.find((i) => i.id === 'open-window')?.label).toBe('Open ServerBIT');
  });

  it('several devices: a submenu per device with its state and Start or Stop, then start all / stop all', () => {
    const menu = trayMenu(two('streaming', 'error', { devices: [left('streaming', { info: REAL }), right('error', { error: { code: 'DEVICE_BAD_ARGUMENT', message: 'rate 7 is not supported' } })] }));
    expect(ids(menu)).toEqual(['status', '—', 'device:0', 'device:1', 'start-all', 'stop-all', ...OUTPUT_IDS, '—', 'open-window', 'open-config-folder', '—', 'quit']);
    expect(menu[0].label).toBe('2 devices: 1 error, 1 streaming · 2 clients');
    const [a, b] = menu.filter((i) => i.type === 'submenu');
    expect(a.label).toBe('Left arm — streaming');
    expect(ids(a.submenu!)).toEqual(['device-status:0', 'device-stop:0']);
    expect(a.submenu![0]).toMatchObject({ enabled: false, label: '/dev/rfcomm0 · 1000 Hz · BITalino_v5.2' });
    expect(b.label).toBe('Right arm — error');
    expect(ids(b.submenu!)).toEqual(['device-status:1', 'device-start:1']);
    expect(b.submenu![0].label).toBe('Right arm: rate 7 is not supported');
    expect(menu.find((i) => i.id === 'start-all')?.enabled).toBe(true);
    expect(menu.find((i) => i.id === 'stop-all')?.enabled).toBe(true);
    expect(trayMenu(two('stopped', 'stopped')).find((i) => i.id === 'stop-all')?.enabled).toBe(false);
  });

  it.each<[ServiceState, 'start' | 'stop']>([
    ['idle', 'start'],
    ['stopped', 'start'],
    ['error', 'start'],
    ['connecting', 'stop'],
    ['streaming', 'stop'],
    ['stalled', 'stop'],
    ['reconnecting', 'stop'],
  ])('one device in state %s offers %s', (state, action) => {
    const menu = trayMenu(one(state));
    expect(menu.some((i) => i.id === action && i.enabled)).toBe(true);
    expect(menu.some((i) => i.id === (action === 'start' ? 'stop' : 'start'))).toBe(false);
  });

  it('start at login is a checkbox showing the OS setting, on macOS and Windows only', () => {
    expect(trayMenu(one('idle', { platform: 'darwin', openAtLogin: true })).find((i) => i.id === 'start-at-login')).toEqual({ id: 'start-at-login', label: 'Start at login', type: 'checkbox', checked: true, enabled: true });
    expect(trayMenu(one('idle', { platform: 'win32' })).find((i) => i.id === 'start-at-login')?.checked).toBe(false);
    expect(ids(trayMenu(one('idle', { platform: 'linux' })))).not.toContain('start-at-login');
  });

  it('shows the app problem as a second disabled line', () => {
    const problem = { code: 'CONFIG_INVALID_JSON', message: 'config.json is not valid JSON: a trailing comma before ] at line 3, column 1.' };
    const menu = trayMenu(one('streaming', { problem }));
    expect(menu[1]).toMatchObject({ id: 'problem', type: 'normal', enabled: false });
    expect(menu[1].label).toContain('config.json is not valid JSON');
    expect(menu[1].label!.length).toBeLessThanOrEqual(80);
  });

  it('status lines per state', () => {
    expect(statusLine({ ...one('streaming'), clients: 3 })).toBe('Streaming simulator · 1000 Hz · 3 clients');
    expect(statusLine({ devices: [status('connecting', { address: '/dev/rfcomm0', name: '/dev/rfcomm0' })], clients: 0 })).toBe('Connecting to /dev/rfcomm0…');
    expect(statusLine({ devices: [left('stalled')], clients: 0 })).toBe('No data from Left arm — reconnecting');
    expect(statusLine({ devices: [status('reconnecting', { address: 'COM5', name: 'COM5' })], clients: 0 })).toBe('Reconnecting to COM5…');
    expect(statusLine({ devices: [status('error', { error: { code: 'DEVICE_BAD_ARGUMENT', message: 'rate 7 is not supported' } })], clients: 0 })).toBe('Error: rate 7 is not supported');
    expect(statusLine({ devices: [status('idle')], clients: 0 })).toBe('Idle');
    expect(statusLine({ devices: [status('stopped')], clients: 0 })).toBe('Stopped');
    expect(statusLine({ devices: [], clients: 0 })).toBe('No device');
  });

  it('every item but separators has a label and the ids (with the device) are unique, submenus included', () => {
    for (const input of [one('idle'), one('streaming'), two('error', 'streaming'), { ...two('idle', 'idle'), devices: Array.from({ length: 8 }, (_, i) => device(String(i), 'streaming')) }]) {
      for (const platform of ['darwin', 'win32', 'linux'] as const) {
        const all: MenuItemModel[] = [];
        const walk = (items: MenuItemModel[]) => items.forEach((i) => (all.push(i), i.submenu && walk(i.submenu)));
        walk(trayMenu({ ...input, platform, problem: { code: 'X', message: 'y' } }));
        const keyed = ids(all.filter((i) => i.id));
        expect(new Set(keyed).size).toBe(keyed.length);
        for (const item of all) if (item.type !== 'separator') expect(item.label).toBeTruthy();
      }
    }
  });
});

describe('outputs in the menu (issues 12–15)', () => {
  const rec = (state: OutputStatus['state'], elapsedMs: number, error?: OutputStatus['error']): OutputStatus => ({ output: 'recorder', state, counters: { elapsedMs, bytes: 100, files: 2 }, ...(error ? { error } : {}) });
  const summary: RecordingResult = {
    state: 'running',
    folder: '/home/me/ServerBIT/recordings',
    formats: ['txt'],
    files: ['/home/me/ServerBIT/recordings/serverbit_simulator_2026-05-01_10-22-03.txt', '/home/me/ServerBIT/recordings/serverbit_simulator_2026-05-01_10-22-03.events.json'],
    samples: 1000,
    bytes: 100,
  };
  const item = (items: MenuItemModel[], id: string, output?: string) => items.find((i) => i.id === id && (output === undefined || i.output === output));

  it('no recording: "Record" (disabled without a device), "Mark", and each output off and unticked', () => {
    const items = outputItems({ devices: one('streaming').devices, outputs: [] });
    expect(item(items, 'record')).toEqual({ id: 'record', label: 'Record', type: 'normal', enabled: true });
    expect(item(items, 'mark')).toMatchObject({ label: 'Mark', enabled: true });
    for (const [name, title] of [['osc', 'OSC'], ['lsl', 'LSL'], ['mqtt', 'MQTT']]) expect(item(items, 'output', name)).toEqual({ id: 'output', output: name, type: 'checkbox', checked: false, enabled: true, label: `${title} — off` });
    const none = outputItems({ devices: [], outputs: [] });
    expect(item(none, 'record')?.enabled).toBe(false);
    expect(item(none, 'mark')?.enabled).toBe(false);
  });

  it('recording: "Stop recording (<file name>, <elapsed>)", to the minute; starting counts as recording', () => {
    const at = (ms: number, state: OutputStatus['state'] = 'running') => item(outputItems({ devices: one('streaming').devices, outputs: [rec(state, ms)], recording: summary }), 'record-stop');
    expect(at(5_000)?.label).toBe('Stop recording (serverbit_simulator_2026-05-01_10-22-03.txt, <1 min)');
    expect(at(12 * 60_000 + 59_000)?.label).toBe('Stop recording (serverbit_simulator_2026-05-01_10-22-03.txt, 12 min)');
    expect(at(65 * 60_000)?.label).toBe('Stop recording (serverbit_simulator_2026-05-01_10-22-03.txt, 1 h 05 min)');
    // Before the first file exists, the folder names it.
    expect(item(outputItems({ devices: [], outputs: [rec('starting', 0)], recording: { ...summary, files: [] } }), 'record-stop')?.label).toBe('Stop recording (recordings, <1 min)');
    expect(elapsedMinutes(-5)).toBe('<1 min');
  });

  it('a recording stopped on an error: "Record" again, and the error as a disabled line', () => {
    const items = outputItems({ devices: one('streaming').devices, outputs: [rec('error', 30_000, { code: 'RECORDING_WRITE_FAILED', message: 'the disk is full' })], recording: { ...summary, state: 'error' } });
    expect(item(items, 'record')?.label).toBe('Record');
    expect(item(items, 'recording-status')).toEqual({ id: 'recording-status', type: 'normal', enabled: false, label: '⚠ Recording stopped: the disk is full' });
  });

  it.each<[OutputStatus, boolean | undefined, boolean, string]>([
    [{ output: 'osc', state: 'running', detail: '→ 127.0.0.1:8000 · 1000 bundles/s', counters: {} }, false, true, 'OSC — on · → 127.0.0.1:8000 · 1000 bundles/s'],
    [{ output: 'osc', state: 'starting', counters: {} }, undefined, true, 'OSC — starting'],
    [{ output: 'osc', state: 'off', counters: {} }, true, false, 'OSC — off'],
    // In error the checkbox shows what the config says: an enabled output that failed stays ticked, so a click turns it off.
    [{ output: 'osc', state: 'error', error: { code: 'OSC_HOST_UNRESOLVED', message: 'studio.local did not resolve' }, counters: {} }, true, true, 'OSC — error: studio.local did not resolve'],
    [{ output: 'osc', state: 'error', error: { code: 'CONFIG_INVALID_VALUE', message: 'osc.maxRate is -1' }, counters: {} }, false, false, 'OSC — error: osc.maxRate is -1'],
    [{ output: 'osc', state: 'stopped', counters: {} }, true, true, 'OSC — stopped'],
  ])('an output\'s checkbox: %j with enabled=%s in the config → checked %s, "%s"', (s, enabled, checked, label) => {
    const items = outputItems({ devices: [], outputs: [s], outputsEnabled: { osc: enabled } });
    expect(item(items, 'output', 'osc')).toMatchObject({ checked, label });
  });

  it('the tooltip says a recording runs, with its length', () => {
    expect(tooltipText({ ...one('streaming'), outputs: [rec('running', 3 * 60_000)] }).split('\n')).toEqual(['ServerBIT — streaming', '● Recording 3 min', 'simulator · 1000 Hz · 0 clients']);
    expect(tooltipText({ ...one('streaming'), outputs: [rec('stopped', 3 * 60_000)] })).not.toContain('Recording');
  });
});
