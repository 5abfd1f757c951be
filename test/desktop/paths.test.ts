import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { assetPath, desktopPaths } from '../../src/main/desktop/paths.js';

describe('desktop paths', () => {
  it('development: everything under the repository', () => {
    const p = desktopPaths({ mainFile: '/src/serverbit/dist/main/electron/main.js', homeDir: '/home/ana', pathApi: path.posix });
    expect(p).toEqual({
      root: '/src/serverbit',
      packaged: false,
      rendererDir: '/src/serverbit/dist/renderer',
      rendererIndex: '/src/serverbit/dist/renderer/index.html',
      rendererUrlPrefix: 'file:///src/serverbit/dist/renderer/',
      preload: '/src/serverbit/dist/main/electron/preload.cjs',
      assetsDir: '/src/serverbit/assets',
      appIcon: '/src/serverbit/assets/icon.png',
      configDir: '/home/ana/ServerBIT',
      configFile: '/home/ana/ServerBIT/config.json',
    });
  });

  it('packaged on Linux: inside app.asar', () => {
    const p = desktopPaths({ mainFile: '/opt/ServerBIT/resources/app.asar/dist/main/electron/main.js', homeDir: '/home/ana', pathApi: path.posix });
    expect(p.packaged).toBe(true);
    expect(p.root).toBe('/opt/ServerBIT/resources/app.asar');
    expect(p.rendererIndex).toBe('/opt/ServerBIT/resources/app.asar/dist/renderer/index.html');
    expect(p.preload).toBe('/opt/ServerBIT/resources/app.asar/dist/main/electron/preload.cjs');
    expect(assetPath(p, 'tray-streaming.png', path.posix)).toBe('/opt/ServerBIT/resources/app.asar/assets/tray-streaming.png');
  });

  it('packaged on macOS and Windows', () => {
    const mac = desktopPaths({ mainFile: '/Applications/ServerBIT.app/Contents/Resources/app.asar/dist/main/electron/main.js', homeDir: '/Users/ana', pathApi: path.posix });
    expect(mac.packaged).toBe(true);
    expect(mac.configFile).toBe('/Users/ana/ServerBIT/config.json');
    const win = desktopPaths({ mainFile: 'C:\\Users\\ana\\AppData\\Local\\Programs\\ServerBIT\\resources\\app.asar\\dist\\main\\electron\\main.js', homeDir: 'C:\\Users\\ana', pathApi: path.win32 });
    expect(win.packaged).toBe(true);
    expect(win.rendererIndex).toBe('C:\\Users\\ana\\AppData\\Local\\Programs\\ServerBIT\\resources\\app.asar\\dist\\renderer\\index.html');
    expect(win.rendererUrlPrefix).toBe('file:///C:/Users/ana/AppData/Local/Programs/ServerBIT/resources/app.asar/dist/renderer/');
    expect(win.configFile).toBe('C:\\Users\\ana\\ServerBIT\\config.json');
  });

  it('asset names must be plain file names', () => {
    const p = desktopPaths({ mainFile: '/r/dist/main/electron/main.js', homeDir: '/h', pathApi: path.posix });
    expect(() => assetPath(p, '../package.json', path.posix)).toThrow(TypeError);
    expect(() => assetPath(p, 'sub/x.png', path.posix)).toThrow(TypeError);
  });

  it('this repository’s layout: the assets the tray asks for exist where the paths point', () => {
    const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
    const p = desktopPaths({ mainFile: path.join(repo, 'dist', 'main', 'electron', 'main.js'), homeDir: '/h' });
    expect(p.root).toBe(repo);
    expect(existsSync(p.appIcon)).toBe(true);
    expect(existsSync(assetPath(p, 'tray-idle.png'))).toBe(true);
  });
});
