/**
 * Decisions the desktop app makes about its own life, kept out of src/main/electron/main.ts so
 * tests reach them (issue 10 item 20):
 * - `second-instance` (a second launch: show the window) is listened to before the app is
 *   ready, so a launch during start-up is not lost; it is acted on once the window can be made.
 * - Whether the window may save the config is decided live: `planConfigReload` after every edit
 *   of the file makes a file fixed later saveable at once (no restart), and a file broken later
 *   unsaveable.
 * - On Linux without a status-notifier host (GNOME without the AppIndicator extension) a tray
 *   icon is invisible: `trayVisibility` finds out, and `showWindowAtStart` then shows the window,
 *   so the app is never running where the user cannot see it.
 */
import { execFile } from 'node:child_process';
import type { ServerBitConfig } from '../../shared/config.js';
import { jsonEqual } from '../../shared/schema.js';
import type { ConfigProblem } from '../../shared/v2.js';
import type { PartialLoadResult } from '../config/config-store.js';
import { sameConfig } from './desktop-config.js';

/** The part of Electron's `app` these handlers need. */
export interface AppEvents {
  on(event: 'second-instance' | 'activate', listener: () => void): unknown;
}

export interface EarlyEvents {
  /** The window can be shown from now on; a second launch seen before this shows it now. */
  ready(showWindow: () => void): void;
}

/**
 * Registers `second-instance` and `activate` at once (call before `app.whenReady()`): a second
 * launch before ready is remembered and shows the window when `ready()` is called. `activate`
 * (macOS: a click on the Dock icon) is also emitted at launch, when the app should stay in the
 * tray, so it shows the window only after ready.
 */
export function registerEarlyEvents(app: AppEvents): EarlyEvents {
  let show: (() => void) | undefined;
  let pending = false;
  app.on('second-instance', () => {
    if (show) show();
    else pending = true;
  });
  app.on('activate', () => show?.());
  return {
    ready(showWindow) {
      show = showWindow;
      if (pending) {
        pending = false;
        showWindow();
      }
    },
  };
}

/** What the app knows of the config file now. */
export interface SettingsState {
  file: ServerBitConfig;
  saveable: boolean;
  problem: ConfigProblem | undefined;
}

export interface ReloadPlan {
  /** False: nothing to do (the same values, saveability and problem). */
  apply: boolean;
  /** The values to run with (the file's valid ones, the running values for its invalid ones). */
  config: ServerBitConfig;
  /** Saves may write the file from now on. */
  saveable: boolean;
  problem: ConfigProblem | undefined;
}

/**
 * After the file changed on disk (`next`: ConfigStore.loadPartial with the running values as the
 * fallback, so a typo while editing does not switch a device off): what to apply. Saveability
 * follows the file as it is now.
 */
export function planConfigReload(now: SettingsState, next: Pick<PartialLoadResult, 'config' | 'saveable' | 'problem'>): ReloadPlan {
  const problem = next.problem;
  const apply = !sameConfig(next.config, now.file) || next.saveable !== now.saveable || !jsonEqual(problem ?? null, now.problem ?? null);
  return { apply, config: next.config, saveable: next.saveable, problem };
}

/** Shows the window at start: first launch, something to fix, or no tray to live in. */
export function showWindowAtStart(o: { created: boolean; problem: unknown; trayVisible: boolean }): boolean {
  return o.created || o.problem !== undefined || !o.trayVisible;
}

/** Desktops whose panel shows old-style (XEmbed) tray icons, which Electron falls back to. */
const XEMBED_DESKTOPS = ['KDE', 'XFCE', 'MATE', 'LXDE', 'LXQT', 'CINNAMON', 'X-CINNAMON', 'BUDGIE', 'UNITY', 'PANTHEON', 'ENLIGHTENMENT', 'DEEPIN'];

/**
 * Whether a tray icon can be seen. Windows and macOS: always. Linux: when a StatusNotifier host
 * runs (the `org.kde.StatusNotifierWatcher` name on the session bus: KDE, GNOME with the
 * AppIndicator extension, Ubuntu's GNOME), or the desktop shows XEmbed icons. GNOME without the
 * extension has neither, and nothing tells the app: the icon is simply not there. Unknown (no
 * session bus, no desktop name): false, so the window is shown rather than nothing.
 */
export async function trayVisibility(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, hasWatcher: () => Promise<boolean | undefined> = () => statusNotifierWatcher(env)): Promise<boolean> {
  if (platform !== 'linux') return true;
  if ((await hasWatcher()) === true) return true;
  const desktops = (env.XDG_CURRENT_DESKTOP ?? env.DESKTOP_SESSION ?? '').toUpperCase().split(':').filter((d) => d !== '');
  return desktops.some((d) => XEMBED_DESKTOPS.includes(d));
}

/** gdbus's answer to NameHasOwner: "(true,)" or "(false,)". */
export function parseNameHasOwner(stdout: string): boolean | undefined {
  const m = /^\(\s*(true|false)\s*,?\s*\)\s*$/.exec(stdout.trim());
  return m ? m[1] === 'true' : undefined;
}

/**
 * Asks the session bus whether a StatusNotifierWatcher runs (`gdbus`, part of GLib, which every
 * desktop that runs Electron has). Undefined when it cannot tell: no bus, no gdbus, no answer
 * within `timeoutMs`.
 */
export function statusNotifierWatcher(env: NodeJS.ProcessEnv, timeoutMs = 2000, gdbus = 'gdbus'): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    try {
      execFile(
        gdbus,
        ['call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.NameHasOwner', 'org.kde.StatusNotifierWatcher'],
        { env, timeout: timeoutMs, windowsHide: true, maxBuffer: 4096 },
        (error, stdout) => resolve(error ? undefined : parseNameHasOwner(String(stdout))),
      );
    } catch {
      resolve(undefined);
    }
  });
}
