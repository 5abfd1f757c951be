/**
 * The tray and notifications against a real Acquisition: two devices (the simulator, and a
 * serial path that does not exist), the view redrawn as their states change, notifications
 * naming the failing device, and the menu's per-device Stop/Start reaching the right runner.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Acquisition } from '../../src/main/acquisition/acquisition.js';
import type { DesktopNotification } from '../../src/main/desktop/notifications.js';
import { DesktopTray } from '../../src/main/desktop/tray-controller.js';
import type { MenuItemModel, TrayView } from '../../src/main/desktop/tray-model.js';
import { DEFAULT_LABELS } from '../../src/shared/config.js';

const settings = (id: string, address: string, name: string) => ({ id, address, name, channels: [1, 2], sampling_rate: 100 as const, labels: [...DEFAULT_LABELS], stall_timeout_s: 5 });

let acq: Acquisition | undefined;
afterEach(async () => {
  await acq?.stopAll();
  acq = undefined;
});

async function until(pred: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  expect(pred()).toBe(true);
}

describe('DesktopTray with a real Acquisition', () => {
  it('shows the worst device, a submenu each, notifies naming the device, and Stop/Start one device only', async () => {
    acq = new Acquisition({ backoff: { initialMs: 200, maxMs: 400 } });
    const views: TrayView[] = [];
    const shown: DesktopNotification[] = [];
    const calls: string[] = [];
    const tray = new DesktopTray({
      acquisition: acq,
      clients: () => 3,
      problem: () => undefined,
      platform: 'linux',
      openAtLogin: () => false,
      render: (v) => views.push(v),
      notify: (n) => shown.push(n),
      actions: { openWindow: () => calls.push('open'), openConfigFolder: () => calls.push('folder'), setOpenAtLogin: () => calls.push('login'), quit: () => calls.push('quit') },
    });
    await acq.add(settings('0', 'simulator', 'Left arm'), { start: true });
    await acq.add(settings('1', '/nonexistent/serverbit-tty', 'Right arm'), { start: true }).catch(() => undefined);
    await until(() => acq!.status('0').state === 'streaming' && acq!.status('1').state === 'reconnecting');
    await until(() => views.at(-1)?.icon === 'tray-stalled.png');
    const last = views.at(-1)!;
    expect(last.tooltip.split('\n')[0]).toBe('ServerBIT — 2 devices: 1 reconnecting, 1 streaming');
    expect(last.tooltip).toContain('Right arm: reconnecting — ');
    const subs = last.menu.filter((i): i is MenuItemModel & { submenu: MenuItemModel[] } => i.type === 'submenu');
    expect(subs.map((s) => s.label)).toEqual(['Left arm — streaming', 'Right arm — reconnecting']);
    // The first attempt failed: one notification, naming the device.
    await until(() => shown.length > 0);
    expect(shown[0]).toMatchObject({ kind: 'unreachable', device: '1', title: 'Cannot reach Right arm' });
    expect(shown.every((n) => n.device === '1')).toBe(true);

    // Stop the failing device from its submenu: the other keeps streaming, the icon turns green.
    tray.action('device-stop', false, '1');
    await until(() => acq!.status('1').state === 'stopped');
    expect(acq.status('0').state).toBe('streaming');
    await until(() => views.at(-1)?.icon === 'tray-streaming.png');
    tray.action('device-stop', false, '0');
    await until(() => acq!.status('0').state === 'stopped');
    await until(() => views.at(-1)?.icon === 'tray-idle.png');
    tray.action('device-start', false, '0');
    await until(() => acq!.status('0').state === 'streaming');
    expect(acq.status('1').state).toBe('stopped');

    // Removing a device redraws without it.
    await acq.remove('1');
    await until(() => views.at(-1)?.menu.every((i) => i.type !== 'submenu') === true);
    expect(views.at(-1)!.menu.find((i) => i.id === 'stop')).toBeDefined();
    tray.action('open-window', false);
    tray.action('quit', false);
    expect(calls).toEqual(['open', 'quit']);
    tray.close();
  });
});
