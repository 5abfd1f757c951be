import { describe, expect, it } from 'vitest';
import type { ServiceState } from '../../src/shared/acquisition.js';
import {
  MAX_TOOLTIP_CHARS,
  TRAY_ICON_STATES,
  trayIconFile,
  trayIconState,
  trayMenu,
  trayView,
  tooltipText,
  statusLine,
  type TrayInput,
} from '../../src/main/desktop/tray-model.js';
import { LINK_LOST, REAL, SIMULATED, status } from './helpers.js';

const base = (state: ServiceState, extra: Partial<TrayInput> = {}): TrayInput => ({
  status: status(state),
  device: 'simulator',
  platform: 'linux',
  openAtLogin: false,
  ...extra,
});

describe('tray icon', () => {
  it.each<[ServiceState, string]>([
    ['idle', 'idle'],
    ['stopped', 'idle'],
    ['connecting', 'connecting'],
    ['streaming', 'streaming'],
    ['stalled', 'stalled'],
    ['reconnecting', 'stalled'],
    ['error', 'error'],
  ])('service state %s shows the %s icon', (state, icon) => {
    expect(trayIconState(status(state))).toBe(icon);
  });

  it('an app problem (invalid config, port in use) shows the error icon whatever the service does', () => {
    const problem = { code: 'CONFIG_INVALID_JSON', message: 'config.json is not valid JSON' };
    for (const s of ['streaming', 'connecting', 'idle'] as const) expect(trayIconState(status(s), problem)).toBe('error');
  });

  it('uses black template images on macOS and coloured dots elsewhere', () => {
    for (const s of TRAY_ICON_STATES) {
      expect(trayIconFile(s, 'darwin')).toBe(`tray-${s}Template.png`);
      expect(trayIconFile(s, 'win32')).toBe(`tray-${s}.png`);
      expect(trayIconFile(s, 'linux')).toBe(`tray-${s}.png`);
    }
  });

  it('trayView picks the file for state and platform', () => {
    expect(trayView(base('streaming', { platform: 'darwin' })).icon).toBe('tray-streamingTemplate.png');
    expect(trayView(base('reconnecting', { platform: 'win32' })).icon).toBe('tray-stalled.png');
  });
});

describe('tooltip', () => {
  it('says state, device, rate and clients', () => {
    const t = tooltipText({ status: status('streaming', { device: SIMULATED, counters: { frames: 9, crcErrors: 0, gaps: 0, lostSamples: 0, clients: 2 } }), device: 'simulator' });
    expect(t).toBe('ServerBIT — streaming\nsimulator · 1000 Hz · 2 clients');
  });

  it('names a real device by its configured id before and after it connected, and says "1 client"', () => {
    const before = tooltipText({ status: status('connecting', { rate: 100 }), device: '20:16:07:18:15:26' });
    expect(before).toContain('20:16:07:18:15:26 · 100 Hz · 0 clients');
    const after = tooltipText({ status: status('streaming', { device: REAL, counters: { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0, clients: 1 } }), device: '20:16:07:18:15:26' });
    expect(after).toContain('20:16:07:18:15:26 · 1000 Hz · 1 client');
    expect(after).not.toContain('1 clients');
  });

  it('adds the reason while reconnecting or in error, and the app problem first of all', () => {
    expect(tooltipText({ status: status('reconnecting', { error: LINK_LOST }), device: 'x' })).toContain('the link to /dev/rfcomm0 closed');
    const problem = { code: 'CONFIG_INVALID_JSON', message: '/home/u/ServerBIT/config.json is not valid JSON' };
    expect(tooltipText({ status: status('streaming'), device: 'simulator', problem })).toContain('⚠ /home/u/ServerBIT/config.json is not valid JSON');
  });

  it('is cut to what Windows keeps (127 characters)', () => {
    const problem = { code: 'CONFIG_INVALID_VALUE', message: 'x'.repeat(500) };
    const t = tooltipText({ status: status('streaming'), device: 'simulator', problem });
    expect(t.length).toBe(MAX_TOOLTIP_CHARS);
    expect(t.endsWith('…')).toBe(true);
  });
});

describe('menu', () => {
  const ids = (input: TrayInput) => trayMenu(input).map((i) => i.id ?? '—');

  it('has a disabled status line, start/stop, the window, the config folder, start at login and quit', () => {
    expect(ids(base('streaming', { platform: 'win32' }))).toEqual(['status', '—', 'stop', '—', 'open-window', 'open-config-folder', 'start-at-login', '—', 'quit']);
    const menu = trayMenu(base('streaming', { platform: 'win32' }));
    expect(menu[0]).toMatchObject({ id: 'status', type: 'normal', enabled: false });
    expect(menu.filter((i) => i.type === 'separator')).toHaveLength(3);
    expect(menu.find((i) => i.id === 'quit')).toMatchObject({ label: 'Quit ServerBIT', enabled: true });
    expect(menu.find((i) => i.id === 'open-window')?.label).toBe('Open ServerBIT');
    expect(menu.find((i) => i.id === 'open-config-folder')?.label).toBe('Open config folder');
  });

  it.each<[ServiceState, 'start' | 'stop']>([
    ['idle', 'start'],
    ['stopped', 'start'],
    ['error', 'start'],
    ['connecting', 'stop'],
    ['streaming', 'stop'],
    ['stalled', 'stop'],
    ['reconnecting', 'stop'],
  ])('in state %s offers %s', (state, action) => {
    const menu = trayMenu(base(state));
    expect(menu.some((i) => i.id === action && i.enabled)).toBe(true);
    expect(menu.some((i) => i.id === (action === 'start' ? 'stop' : 'start'))).toBe(false);
  });

  it('start at login is a checkbox showing the OS setting, on macOS and Windows only', () => {
    expect(trayMenu(base('idle', { platform: 'darwin', openAtLogin: true })).find((i) => i.id === 'start-at-login')).toEqual({
      id: 'start-at-login',
      label: 'Start at login',
      type: 'checkbox',
      checked: true,
      enabled: true,
    });
    expect(trayMenu(base('idle', { platform: 'win32' })).find((i) => i.id === 'start-at-login')?.checked).toBe(false);
    // Electron's setLoginItemSettings does nothing on Linux: no item that would lie.
    expect(ids(base('idle', { platform: 'linux' }))).not.toContain('start-at-login');
  });

  it('shows the app problem as a second disabled line', () => {
    const problem = { code: 'CONFIG_INVALID_JSON', message: 'config.json is not valid JSON: Unexpected token } at line 3, column 1.' };
    const menu = trayMenu(base('streaming', { problem }));
    expect(menu[1]).toMatchObject({ id: 'problem', type: 'normal', enabled: false });
    expect(menu[1].label).toContain('config.json is not valid JSON');
    expect(menu[1].label!.length).toBeLessThanOrEqual(80);
  });

  it('status lines per state', () => {
    const clients = { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0, clients: 3 };
    expect(statusLine({ status: status('streaming', { device: SIMULATED, counters: clients }), device: 'simulator' })).toBe('Streaming simulator · 1000 Hz · 3 clients');
    expect(statusLine({ status: status('connecting'), device: '/dev/rfcomm0' })).toBe('Connecting to /dev/rfcomm0…');
    expect(statusLine({ status: status('stalled', { device: REAL }), device: REAL.id })).toBe(`No data from ${REAL.id} — reconnecting`);
    expect(statusLine({ status: status('reconnecting'), device: 'COM5' })).toBe('Reconnecting to COM5…');
    expect(statusLine({ status: status('error', { error: { code: 'DEVICE_BAD_ARGUMENT', message: 'rate 7 is not supported' } }), device: 'COM5' })).toBe('Error: rate 7 is not supported');
    expect(statusLine({ status: status('idle'), device: 'COM5' })).toBe('Idle');
    expect(statusLine({ status: status('stopped'), device: 'COM5' })).toBe('Stopped');
  });

  it('every item but separators has a label and the ids are unique', () => {
    for (const state of ['idle', 'streaming', 'error'] as const) {
      for (const platform of ['darwin', 'win32', 'linux'] as const) {
        const menu = trayMenu(base(state, { platform, problem: { code: 'X', message: 'y' } }));
        const withIds = menu.filter((i) => i.id);
        expect(new Set(withIds.map((i) => i.id)).size).toBe(withIds.length);
        for (const item of menu) if (item.type !== 'separator') expect(item.label).toBeTruthy();
      }
    }
  });
});
