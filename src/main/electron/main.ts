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
import type { ServiceStatus } from '../../shared/acquisition.js';
import { ServerBitError } from '../../shared/errors.js';
import type { ServerMessage } from '../../shared/v2.js';
import { createServerBit } from '../app.js';
import { Settings } from '../config/settings.js';
import { loadDesktopConfig, reloadDesktopConfig } from '../desktop/desktop-config.js';
import { IpcBridge } from '../desktop/ipc-bridge.js';
import { createQuitter } from '../desktop/lifecycle.js';
import { createNotifier, type DesktopNotification } from '../desktop/notifications.js';
import { desktopPaths } from '../desktop/paths.js';
import { loginItemSupported, trayStatusOf, trayView, type AppProblem, type MenuItemId } from '../desktop/tray-model.js';
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
  app.whenReady().then(run, (error: unknown) => {
    log.warn('startup failed: %O', error);
    app.exit(1);
  });
}

function problemOf(error: unknown): AppProblem {
  if (error instanceof ServerBitError) return { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

async function run(): Promise<void> {
  hardenSession(session.defaultSession, paths, platform);

  // --- config: the file's, or defaults on the simulator when the file is broken -----------------
  const store = openConfigStore(paths.configFile);
  const loaded = loadDesktopConfig(store);
  for (const notice of loaded.notices) log.warn('%s', notice);
  let configProblem = loaded.problem;
  let serverProblem: AppProblem | undefined;
  const problem = () => configProblem ?? serverProblem;
  // As the CLI: set_config saves only when the file was readable; otherwise changes last for this run.
  const settings = new Settings({ file: loaded.config, ...(configProblem ? { problem: configProblem } : { store }) });
  const serverbit = createServerBit({ settings });
  const firstStatus = (): ServiceStatus => {
    const id = serverbit.acquisition.ids()[0];
    return trayStatusOf(id !== undefined ? serverbit.acquisition.status(id) : undefined, serverbit.clients.clients(), settings.config.device);
  };

  // --- window and IPC ----------------------------------------------------------------------------
  const bridge = new IpcBridge({
    createSession: (send: (message: ServerMessage) => void) => createV2Session({ context: serverbit.api, send, trusted: true }),
    rendererUrlPrefix: paths.rendererUrlPrefix,
    caseInsensitive: platform === 'win32',
    problem,
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
  app.on('second-instance', showWindow);
  // macOS: clicking the Dock icon. Also emitted at launch, when the app should stay in the tray.
  let started = false;
  app.on('activate', () => {
    if (started) showWindow();
  });

  // --- tray and notifications --------------------------------------------------------------------
  let openAtLogin = loginItemSupported(platform) && app.getLoginItemSettings().openAtLogin;
  const view = () =>
    trayView({
      status: firstStatus(),
      device: settings.config.device,
      ...(problem() ? { problem: problem() } : {}),
      platform,
      openAtLogin,
    });
  const onAction = (id: MenuItemId, checked: boolean) => {
    switch (id) {
      case 'start':
        serverbit.acquisition.startAll().catch((error: unknown) => log.warn('start failed: %O', error));
        break;
      case 'stop':
        serverbit.acquisition.stopAll().catch((error: unknown) => log.warn('stop failed: %O', error));
        break;
      case 'open-window':
        showWindow();
        break;
      case 'open-config-folder':
        try {
          fs.mkdirSync(paths.configDir, { recursive: true });
        } catch (error) {
          log.warn('could not create %s: %O', paths.configDir, error);
        }
        shell.openPath(paths.configDir).then((failure) => failure && log.warn('could not open %s: %s', paths.configDir, failure), () => undefined);
        break;
      case 'start-at-login':
        app.setLoginItemSettings({ openAtLogin: checked });
        openAtLogin = app.getLoginItemSettings().openAtLogin;
        tray.update(view());
        break;
      case 'quit':
        void quitter.quit();
        break;
      case 'status':
      case 'problem':
        break;
    }
  };
  const tray = new TrayController(paths, platform, view(), onAction, showWindow);

  const notify = createNotifier(() => settings.config.device);
  const show = (n: DesktopNotification) => {
    if (!Notification.isSupported()) return;
    const toast = new Notification({ title: n.title, body: n.body, ...(platform === 'darwin' ? {} : { icon: paths.appIcon }) });
    toast.on('click', showWindow);
    toast.show();
  };
  serverbit.acquisition.hub.subscribe({
    status: () => {
      tray.update(view());
      const n = notify(firstStatus());
      if (n) show(n);
    },
  });

  // --- config edits made outside the app ---------------------------------------------------------
  stopWatching = watchConfigFile(
    paths.configFile,
    () => {
      const outcome = reloadDesktopConfig(store, settings.file);
      configProblem = outcome.problem;
      if (outcome.changed || (!outcome.problem && !settings.saveable)) serverbit.reload(outcome.config, outcome.problem ? undefined : store).catch((error: unknown) => log.warn('applying the edited config failed: %O', error));
      tray.update(view());
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
  tray.update(view());
  started = true;
  // First launch, or something the user must fix: show the window rather than hide in the tray.
  if (loaded.created || problem()) showWindow();
}
