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
import { toWireError } from '../../shared/errors.js';
import type { OutputStatus } from '../../shared/outputs.js';
import type { OriginNotice, RecordingResult } from '../../shared/v2.js';
import type { Acquisition } from '../acquisition/acquisition.js';
import { CommandError } from '../../shared/command-error.js';
import type { CommandCaller } from './commands.js';
import { NotificationGate, actionFailedNotification, createNotifier, originNotificationFor, outputNotificationFor, type DesktopNotification, type NotificationLimits } from './notifications.js';
import { outputTitle, trayView, type AppProblem, type MenuItemId, type TrayOutput, type TrayView } from './tray-model.js';

/** The label the tray's "Mark" gives its markers (the /v2 `marker` command needs one). */
export const TRAY_MARK_LABEL = 'mark';

export interface TrayControllerOptions {
  acquisition: Pick<Acquisition, 'statuses' | 'start' | 'stop' | 'startAll' | 'stopAll'> & { hub: Pick<Acquisition['hub'], 'subscribe'> };
  /** Clients connected now (the server's count). */
  clients: () => number;
  /** The app's problem now (config file, listener), if any. */
  problem: () => AppProblem | undefined;
  platform: NodeJS.Platform;
  openAtLogin: () => boolean;
  /**
   * Draws the view (TrayController.update in electron/tray.ts); called when it changed, and with
   * `force` after a checkbox click (Electron ticks a checkbox itself: the service's answer redraws it).
   */
  render: (view: TrayView, force?: boolean) => void;
  /** The outputs (api/context.ts OutputsApi): their statuses, the recording, changes. */
  outputs?: { statuses(): OutputStatus[]; onChange(listener: () => void): () => void; recording?(): RecordingResult | undefined };
  /** The config's `<output>.enabled` now. */
  outputsEnabled?: () => Partial<Record<TrayOutput, boolean>>;
  /** Runs /v2 commands (desktop/commands.ts): Record, Stop, Mark and the outputs' checkboxes go through it. */
  commands?: CommandCaller;
  /** Pages refused for their Origin (api/origin-notices.ts), each told in a notification. */
  originNotices?: { onChange(listener: (n: OriginNotice) => void): () => void };
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
  /** Outputs and refused pages share one rate limit (devices have theirs in the notifier). */
  private readonly gate: NotificationGate;
  private readonly outputStates = new Map<string, Pick<OutputStatus, 'state' | 'error'>>();
  private shown = '';
  private readonly unsubscribe: () => void;
  private readonly offOutputs: (() => void) | undefined;
  private readonly offOrigins: (() => void) | undefined;

  constructor(private readonly o: TrayControllerOptions) {
    this.notifier = createNotifier(o.limits, o.now);
    this.gate = new NotificationGate(o.limits, o.now);
    for (const s of o.outputs?.statuses() ?? []) this.outputStates.set(s.output, s);
    this.offOutputs = o.outputs?.onChange(() => this.onOutputs());
    this.offOrigins = o.originNotices?.onChange((n) => this.show(originNotificationFor(n)));
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
    return trayView({
      devices: this.o.acquisition.statuses(),
      clients: this.o.clients(),
      problem: this.o.problem(),
      platform: this.o.platform,
      openAtLogin: this.o.openAtLogin(),
      outputs: this.o.outputs?.statuses() ?? [],
      recording: this.o.outputs?.recording?.(),
      outputsEnabled: this.o.outputsEnabled?.() ?? {},
    });
  }

  /** Redraws if anything shown changed (the problem, the client count, login setting…), or always with `force`. */
  refresh(force = false): void {
    const view = this.view();
    const key = JSON.stringify(view);
    if (key === this.shown && !force) return;
    this.shown = key;
    this.o.render(view, force);
  }

  /** A menu item was clicked (`device` for a device's own items, `output` for an output's checkbox). */
  action(id: MenuItemId, checked: boolean, device?: string, output?: TrayOutput): void {
    const acq = this.o.acquisition;
    const warn = (what: string) => (error: unknown) => this.o.log?.warn(`${what} failed: %O`, error);
    /** A command through the /v2 runner; its failure told in a notification (the service's words). */
    const run = (action: string, p: Promise<unknown> | undefined, after?: () => void) => {
      if (!p) return;
      p.then(
        () => after?.(),
        (error: unknown) => {
          this.o.log?.warn(`${action} failed: %O`, error);
          this.show(actionFailedNotification(action, error instanceof CommandError ? { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } : toWireError(error)));
          after?.();
        },
      );
    };
    const cmd = this.o.commands;
    switch (id) {
      case 'record':
        run('Record', cmd?.('record_start', {}));
        break;
      case 'record-stop':
        run('Stop recording', cmd?.('record_stop'));
        break;
      case 'mark':
        run('Mark', cmd?.('marker', { label: TRAY_MARK_LABEL }));
        break;
      case 'output':
        if (output !== undefined) run(`Turning ${outputTitle(output)} ${checked ? 'on' : 'off'}`, cmd?.(`${output}_${checked ? 'enable' : 'disable'}`), () => this.refresh(true));
        break;
      case 'recording-status':
        break;
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
    this.offOutputs?.();
    this.offOrigins?.();
  }

  private show(n: DesktopNotification): void {
    if (this.gate.admit(n)) this.o.notify(n);
  }

  private onOutputs(): void {
    this.refresh();
    for (const s of this.o.outputs?.statuses() ?? []) {
      const n = outputNotificationFor(this.outputStates.get(s.output), s);
      this.outputStates.set(s.output, s);
      if (n) this.show(n);
    }
  }

  private onStatus(s: DeviceStatus): void {
    this.refresh();
    const n = this.notifier(s);
    if (n) this.o.notify(n);
  }
}
