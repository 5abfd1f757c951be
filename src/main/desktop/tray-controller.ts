/**
 * The tray and the notifications, driven by every device: what src/main/electron/main.ts hands
 * to Electron's Tray and Notification, decided here so tests run it against a real Acquisition.
 *
 * It follows the hub's `status` and `removed` events (and the client count), redraws the tray
 * view when anything it shows changed, turns each device's transitions into notifications that
 * name the device (notifications.ts, one rate limit for all), and runs the menu's actions
 * through the same control path as every other client (Acquisition start/stop).
 */
import type { DeviceStatus } from '../../shared/acquisition.js';
import type { Acquisition } from '../acquisition/acquisition.js';
import { createNotifier, type DesktopNotification, type NotificationLimits } from './notifications.js';
import { trayView, type AppProblem, type MenuItemId, type TrayView } from './tray-model.js';

export interface TrayControllerOptions {
  acquisition: Pick<Acquisition, 'statuses' | 'start' | 'stop' | 'startAll' | 'stopAll'> & { hub: Pick<Acquisition['hub'], 'subscribe'> };
  /** Clients connected now (the server's count). */
  clients: () => number;
  /** The app's problem now (config file, listener), if any. */
  problem: () => AppProblem | undefined;
  platform: NodeJS.Platform;
  openAtLogin: () => boolean;
  /** Draws the view (TrayController.update in electron/tray.ts); called only when it changed. */
  render: (view: TrayView) => void;
  /** Shows a notification (Electron's Notification). */
  notify: (n: DesktopNotification) => void;
  /** The menu's items that are not about devices. */
  actions: { openWindow(): void; openConfigFolder(): void; setOpenAtLogin(on: boolean): void; quit(): void };
  limits?: NotificationLimits;
  now?: () => number;
  log?: { warn(format: string, ...args: unknown[]): void };
}

export class DesktopTray {
  private readonly notifier;
  private shown = '';
  private readonly unsubscribe: () => void;

  constructor(private readonly o: TrayControllerOptions) {
    this.notifier = createNotifier(o.limits, o.now);
    this.unsubscribe = o.acquisition.hub.subscribe({
      status: (s) => this.onStatus(s),
      removed: (id) => {
        this.notifier.forget(id);
        this.refresh();
      },
    });
  }

  /** The view for the devices and problem now. */
  view(): TrayView {
    return trayView({ devices: this.o.acquisition.statuses(), clients: this.o.clients(), problem: this.o.problem(), platform: this.o.platform, openAtLogin: this.o.openAtLogin() });
  }

  /** Redraws if anything shown changed (the problem, the client count, login setting…). */
  refresh(): void {
    const view = this.view();
    const key = JSON.stringify(view);
    if (key === this.shown) return;
    this.shown = key;
    this.o.render(view);
  }

  /** A menu item was clicked (`device` for a device's own items). */
  action(id: MenuItemId, checked: boolean, device?: string): void {
    const acq = this.o.acquisition;
    const warn = (what: string) => (error: unknown) => this.o.log?.warn(`${what} failed: %O`, error);
    switch (id) {
      case 'start':
      case 'start-all':
        acq.startAll().catch(warn('start'));
        break;
      case 'stop':
      case 'stop-all':
        acq.stopAll().catch(warn('stop'));
        break;
      case 'device-start':
        if (device !== undefined) acq.start(device).catch(warn(`starting ${device}`));
        break;
      case 'device-stop':
        if (device !== undefined) acq.stop(device).catch(warn(`stopping ${device}`));
        break;
      case 'open-window':
        this.o.actions.openWindow();
        break;
      case 'open-config-folder':
        this.o.actions.openConfigFolder();
        break;
      case 'start-at-login':
        this.o.actions.setOpenAtLogin(checked);
        this.refresh();
        break;
      case 'quit':
        this.o.actions.quit();
        break;
      case 'status':
      case 'problem':
      case 'device':
      case 'device-status':
        break;
    }
  }

  close(): void {
    this.unsubscribe();
  }

  private onStatus(s: DeviceStatus): void {
    this.refresh();
    const n = this.notifier(s);
    if (n) this.o.notify(n);
  }
}
