/**
 * Where the desktop app finds its files, in both layouts:
 *
 *   development (`electron .`)        <repo>/dist/main/electron/main.js, <repo>/dist/renderer, <repo>/assets
 *   packaged (electron-builder, asar)  <resources>/app.asar/dist/main/electron/main.js, …/app.asar/assets
 *
 * Both keep the same tree under one root (electron-builder.yml `files`: dist/**, assets/**,
 * package.json), so everything is derived from the location of the compiled main module. Paths
 * inside app.asar are fine for Electron's fs, `loadFile`, the preload and `nativeImage`; the
 * serialport native module is the one thing that must live outside it (asarUnpack).
 *
 * No electron import: the caller passes `fileURLToPath(import.meta.url)` and `os.homedir()`.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface DesktopPaths {
  /** The app root: the repository in development, `<resources>/app.asar` when packaged. */
  root: string;
  /** True when the root is an asar archive (a packaged build). */
  packaged: boolean;
  rendererDir: string;
  rendererIndex: string;
  /** `file://` URL of the renderer folder, ending in "/": only frames under it may use IPC. */
  rendererUrlPrefix: string;
  /** The sandboxed preload, compiled from src/main/electron/preload.cts to CommonJS. */
  preload: string;
  assetsDir: string;
  /** 512×512 PNG (window icon on Linux and Windows). */
  appIcon: string;
  /** The folder "Open config folder" opens: `~/ServerBIT`. */
  configDir: string;
  /** `~/ServerBIT/config.json`, shared with the headless service. */
  configFile: string;
}

export interface DesktopPathsInput {
  /** Absolute path of the compiled `main.js` (dist/main/electron/main.js under the root). */
  mainFile: string;
  /** The user's home folder (os.homedir()). */
  homeDir: string;
  /** Path flavour, for tests of the other platform's layout. Default: this platform's. */
  pathApi?: path.PlatformPath;
}

/** main.js sits three folders below the root: dist/main/electron/. */
const MAIN_DEPTH = 3;

export function desktopPaths(input: DesktopPathsInput): DesktopPaths {
  const p = input.pathApi ?? path;
  let root = p.dirname(input.mainFile);
  for (let i = 0; i < MAIN_DEPTH; i++) root = p.dirname(root);
  const rendererDir = p.join(root, 'dist', 'renderer');
  const assetsDir = p.join(root, 'assets');
  const configDir = p.join(input.homeDir, 'ServerBIT');
  return {
    root,
    packaged: p.basename(root).toLowerCase() === 'app.asar',
    rendererDir,
    rendererIndex: p.join(rendererDir, 'index.html'),
    rendererUrlPrefix: fileUrlOfFolder(rendererDir, p),
    preload: p.join(root, 'dist', 'main', 'electron', 'preload.cjs'),
    assetsDir,
    appIcon: p.join(assetsDir, 'icon.png'),
    configDir,
    configFile: p.join(configDir, 'config.json'),
  };
}

/** The tray icon file for a name from tray-model.ts (`tray-streaming.png`, `tray-idleTemplate.png`…). */
export function assetPath(paths: Pick<DesktopPaths, 'assetsDir'>, file: string, pathApi: path.PlatformPath = path): string {
  if (file !== pathApi.basename(file) || file.includes('..')) throw new TypeError(`assetPath: "${file}" is not a plain file name`);
  return pathApi.join(paths.assetsDir, file);
}

/** `file:///…/folder/` for a folder, percent-encoded as Chromium reports frame URLs. */
export function fileUrlOfFolder(folder: string, pathApi: path.PlatformPath = path): string {
  const href = pathToFileURL(folder, { windows: pathApi === path.win32 }).href;
  return href.endsWith('/') ? href : `${href}/`;
}
