import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// js-yaml is electron-builder's own YAML reader.
const config = yaml.load(readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as Record<string, any>;

const targets = (platform: string): string[] => (config[platform].target as ({ target: string } | string)[]).map((t) => (typeof t === 'string' ? t : t.target));

describe('electron-builder.yml', () => {
  it('identifies the app', () => {
    expect(config.appId).toBe('org.serverbit.app');
    expect(config.productName).toBe('ServerBIT');
  });

  it('packs the build, the icons and the manifest, with the Electron entry point', () => {
    expect(config.files).toEqual(expect.arrayContaining(['dist/**', 'assets/**', 'package.json']));
    expect(config.extraMetadata.main).toBe('dist/main/electron/main.js');
    expect(config.directories.output).toBe('release');
  });

  it('unpacks serialport’s native module from the asar and does not rebuild it', () => {
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toContain('**/node_modules/@serialport/bindings-cpp/**');
    expect(config.npmRebuild).toBe(false);
  });

  it('builds NSIS, dmg, AppImage and deb, each with an icon', () => {
    expect(targets('win')).toEqual(['nsis']);
    expect(targets('mac')).toEqual(['dmg']);
    expect(targets('linux')).toEqual(['AppImage', 'deb']);
    expect(config.mac.icon).toBe('assets/icon.png');
    expect(config.win.icon).toBe('assets/icon.png');
    expect(config.linux.icon).toBe('assets/icons');
    expect(config.mac.category).toMatch(/^public\.app-category\.(medical|developer-tools)$/);
    expect(config.linux.maintainer).toMatch(/<.+@.+>/);
  });

  it('hardens the Electron binary with fuses (no ELECTRON_RUN_AS_NODE, no --inspect, asar only)', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
    });
  });

  it('publishes nothing by itself', () => {
    expect(config.publish).toBeNull();
  });
});

describe('.github/workflows/release.yml', () => {
  const wf = yaml.load(readFileSync(path.join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8')) as Record<string, any>;
  const job = wf.jobs.installers;
  const runs = (job.steps as { run?: string }[]).map((s) => s.run ?? '').join('\n');

  it('runs on tag pushes, on all three OSes with Node 20', () => {
    expect(wf.on.push.tags).toEqual(['v*']);
    expect(job.strategy.matrix.os).toEqual(['ubuntu-latest', 'macos-latest', 'windows-latest']);
    expect(job.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/setup-node')).with['node-version']).toBe(20);
  });

  it('installs, builds, packages without publishing and uploads the installers', () => {
    expect(runs).toContain('npm ci');
    expect(runs).toContain('npm run build');
    expect(runs).toContain('npx electron-builder --publish never');
    expect(job.steps.some((s: { uses?: string }) => s.uses?.startsWith('actions/upload-artifact'))).toBe(true);
  });
});
