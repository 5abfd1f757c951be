/**
 * The tray app's entry point (package.json "main"). One instance per user: a second launch
 * focuses the first one's window and exits. The Electron main process owns the acquisition
 * service and the WebSocket server (createServerBit), the tray, the window and IPC. Decisions are
 * made in src/main/desktop/ (plain modules, tested under Node); this file wires them to Electron.
 */
// The sandboxed preload is CommonJS (.cts): referenced here so `tsc -p tsconfig.json` compiles
// it to dist/main/electron/preload.cjs (the tsconfig's include pattern only matches *.ts).
/// <reference path="./preload.cts" />
import os from 'node:os';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { app, Notification, session, shell, type BrowserWindow } from 'electron';
import { ServerBitError } from '../../shared/errors.js';
import type { ServerMessage } from '../../shared/v2.js';
import { createServerBit } from '../app.js';
import { Settings } from '../config/settings.js';
import { loadDesktopConfig } from '../desktop/desktop-config.js';
import { createCommandCaller } from '../desktop/commands.js';
import { IpcBridge } from '../desktop/ipc-bridge.js';
import { openRecordingsFolder } from '../desktop/recordings-folder.js';
import { defaultRecordingFolder, recorderSettingsFromConfig } from '../outputs/recorder/settings.js';
import { createQuitter } from '../desktop/lifecycle.js';
import type { DesktopNotification } from '../desktop/notifications.js';
import { desktopPaths } from '../desktop/paths.js';
import { planConfigReload, registerEarlyEvents, showWindowAtStart, trayVisibility } from '../desktop/startup.js';
import { DesktopTray } from '../desktop/tray-controller.js';
import { loginItemSupported, type AppProblem } from '../desktop/tray-model.js';
import { createLogger } from '../log.js';
import { createV2Session } from '../api/session.js';
import { attachWindow, registerIpc } from './ipc.js';
import { openConfigStore, watchConfigFile } from './store.js';
import { TrayController } from './tray.js';
import { createMainWindow, hardenContents, hardenSession, revealWindow } from './window.js';

const APP_ID = 'org.serverbit.app';
const log = createLogger('serverbit:app');
const platform = process.platform;
const paths = desktopPaths({ mainFile: fileURLToPath(import.meta.url), homeDir: os.homedir() });

// Every renderer sandboxed, whatever its webPreferences say.
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  // Another ServerBIT runs: it gets 'second-instance' and shows its window.
  app.quit();
} else {
  if (platform === 'win32') app.setAppUserModelId(APP_ID); // notifications need it on Windows
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
  // The app lives in the tray: no window open is not a reason to quit.
  app.on('window-all-closed', () => undefined);
  // Before ready, so a second launch during start-up still shows the window (startup.ts).
  const early = registerEarlyEvents(app);
  app.whenReady().then(
    () => run(early),
    (error: unknown) => {
      log.warn('startup failed: %O', error);
      app.exit(1);
    },
  );
}

function problemOf(error: unknown): AppProblem {
  if (error instanceof ServerBitError) return { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

async function run(early: ReturnType<typeof registerEarlyEvents>): Promise<void> {
  hardenSession(session.defaultSession, paths, platform);

  // --- config: the file's valid settings, defaults for the rest (desktop-config.ts) -------------
  const store = openConfigStore(paths.configFile);
  const loaded = loadDesktopConfig(store);
  for (const notice of loaded.notices) log.warn('%s', notice);
  if (loaded.problem) log.warn('%s', loaded.problem.message);
  let serverProblem: AppProblem | undefined;
  // As the CLI: saves go to the file when it could be parsed (Settings refuses a save that would
  // replace an invalid setting with a default); otherwise changes last for this run.
  const settings = new Settings({ file: loaded.config, ...(loaded.saveable ? { store } : {}), ...(loaded.problem ? { problem: loaded.problem } : {}) });
  const serverbit = createServerBit({ settings });
  const problem = (): AppProblem | undefined => settings.problem ?? serverProblem;

  // --- window and IPC ----------------------------------------------------------------------------
  // "Open folder" (window and tray): the current or last recording's folder, else the configured one (recordings-folder.ts).
  const folderFacts = () => ({
    recording: serverbit.recording.summary(),
    configured: (() => {
      try {
        return recorderSettingsFromConfig(settings.config.record).folder ?? defaultRecordingFolder();
      } catch {
        return defaultRecordingFolder(); // an invalid record section: the recorder says why when it starts
      }
    })(),
    isFolder: (p: string) => {
      try {
        return fs.statSync(p).isDirectory();
      } catch {
        return false;
      }
    },
  });
  const bridge = new IpcBridge({
    createSession: (send: (message: ServerMessage) => void) => createV2Session({ context: serverbit.api, send, trusted: true }),
    rendererUrlPrefix: paths.rendererUrlPrefix,
    caseInsensitive: platform === 'win32',
    problem: () => serverProblem,
    desktop: (action) => {
      switch (action) {
        case 'open_recordings_folder':
          return openRecordingsFolder(folderFacts(), (p) => shell.openPath(p));
      }
    },
    log,
  });
  registerIpc(bridge);

  let stopWatching: () => void = () => undefined;
  const quitter = createQuitter({
    shutdown: async () => {
      stopWatching();
      bridge.closeAll();
      await serverbit.close();
    },
    exit: (code) => app.exit(code),
    log,
  });
  app.on('before-quit', (event) => {
    // Cmd+Q, the Dock's Quit, logout: stop the device first, then exit (app.exit skips this event).
    event.preventDefault();
    void quitter.quit();
  });

  let win: BrowserWindow | undefined;
  const showWindow = () => {
    if (!win || win.isDestroyed()) {
      win = createMainWindow({ paths, platform, isQuitting: () => quitter.quitting, attach: (contents) => attachWindow(bridge, contents) });
    }
    revealWindow(win);
  };

  // --- tray and notifications: every device (tray-controller.ts) --------------------------------
  let openAtLogin = loginItemSupported(platform) && app.getLoginItemSettings().openAtLogin;
  let tray: TrayController | undefined;
  const showNotification = (n: DesktopNotification) => {
    if (!Notification.isSupported()) return;
    const toast = new Notification({ title: n.title, body: n.body, ...(platform === 'darwin' ? {} : { icon: paths.appIcon }) });
    toast.on('click', showWindow);
    toast.show();
  };
  const desktop = new DesktopTray({
    acquisition: serverbit.acquisition,
    clients: () => serverbit.clients.clients(),
    problem,
    platform,
    openAtLogin: () => openAtLogin,
    render: (view, force) => tray?.update(view, force),
    notify: showNotification,
    outputs: serverbit.api.outputs,
    outputsEnabled: () => ({ osc: settings.config.osc?.enabled === true, lsl: settings.config.lsl?.enabled === true, mqtt: settings.config.mqtt?.enabled === true }),
    commands: createCommandCaller(serverbit.api),
    originNotices: serverbit.originNotices,
    actions: {
      openWindow: showWindow,
      openConfigFolder: () => {
        try {
          fs.mkdirSync(paths.configDir, { recursive: true });
        } catch (error) {
          log.warn('could not create %s: %O', paths.configDir, error);
        }
        shell.openPath(paths.configDir).then((failure) => failure && log.warn('could not open %s: %s', paths.configDir, failure), () => undefined);
      },
      setOpenAtLogin: (on) => {
        app.setLoginItemSettings({ openAtLogin: on });
        openAtLogin = app.getLoginItemSettings().openAtLogin;
      },
      quit: () => void quitter.quit(),
    },
    log,
  });
  tray = new TrayController(paths, platform, desktop.view(), (id, checked, device, output) => desktop.action(id, checked, device, output), showWindow);
  serverbit.clients.onChange(() => desktop.refresh());
  settings.onChange(() => desktop.refresh());

  // --- config edits made outside the app: saveability decided live (startup.ts) ------------------
  stopWatching = watchConfigFile(
    paths.configFile,
    () => {
      const plan = planConfigReload(settings, store.loadPartial(settings.file));
      if (plan.apply) serverbit.reload(plan.config, plan.saveable ? store : undefined, plan.problem).catch((error: unknown) => log.warn('applying the edited config failed: %O', error));
      desktop.refresh();
    },
    (error) => log.warn('cannot watch %s for changes: %O', paths.configFile, error),
  );

  // --- start: listen, then stream (the simulator on first launch) ---------------------------------
  try {
    await serverbit.start();
    log.debug('listening on %s', serverbit.url);
  } catch (error) {
    // Typically the port is taken. The window still works over IPC, so acquisition starts anyway.
    serverProblem = problemOf(error);
    log.warn('the WebSocket server could not start: %s', serverProblem.message);
    await serverbit.startDevices().catch((e: unknown) => log.warn('start failed: %O', e));
  }
  desktop.refresh();
  early.ready(showWindow);
  // First launch, something the user must fix, or no tray to live in: show the window.
  const trayVisible = await trayVisibility(platform, process.env);
  if (!trayVisible) log.warn('no system tray to show ServerBIT in (on GNOME, install the AppIndicator extension): showing the window instead');
  if (showWindowAtStart({ created: loaded.created, problem: problem(), trayVisible })) showWindow();
}
