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

  it('runs on tag pushes, on all three OSes with Node 22 (every engine electron-builder 26 declares)', () => {
    expect(wf.on.push.tags).toEqual(['v*']);
    expect(job.strategy.matrix.os).toEqual(['ubuntu-latest', 'macos-latest', 'windows-latest']);
    expect(job.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/setup-node')).with['node-version']).toBe(22);
  });

  it('installs, builds, packages without publishing and uploads the installers', () => {
    expect(runs).toContain('npm ci');
    expect(runs).toContain('npm run build');
    expect(runs).toContain('npx electron-builder --publish never');
    expect(job.steps.some((s: { uses?: string }) => s.uses?.startsWith('actions/upload-artifact'))).toBe(true);
  });

  describe('proves the packages start', () => {
    type Step = { name?: string; if?: string; run?: string; uses?: string; with?: Record<string, unknown> };
    const steps = job.steps as Step[];
    const index = (pred: (s: Step) => boolean, what: string) => {
      const i = steps.findIndex(pred);
      expect(i, what).toBeGreaterThanOrEqual(0);
      return i;
    };
    const pkg = index((s) => !!s.run?.includes('npx electron-builder --publish never'), 'the Package step');
    const linux = index((s) => s.if === "runner.os == 'Linux'" && !!s.run?.includes('smoke-packaged.mjs'), 'the Linux launch');
    const others = index((s) => s.if === "runner.os != 'Linux'" && !!s.run?.includes('smoke-packaged.mjs'), 'the macOS/Windows launch');
    const prep = index((s) => s.if === "runner.os == 'Linux'" && !!s.run?.includes('apt-get install'), 'the Linux desktop preparation');
    const upload = index((s) => s.uses?.startsWith('actions/upload-artifact') === true && String(s.with?.path).includes('.AppImage'), 'the installers upload');

    it('launches the package on every OS after packaging and before the upload', () => {
      expect(pkg).toBeLessThan(prep);
      expect(prep).toBeLessThan(linux);
      expect(Math.max(linux, others)).toBeLessThan(upload);
      // Together the two launch steps cover every runner: one is Linux-only, the other everything else.
      expect([steps[linux].if, steps[others].if].sort()).toEqual(["runner.os != 'Linux'", "runner.os == 'Linux'"]);
      // Neither step may be skipped on a failure of its own or made optional.
      for (const i of [linux, others]) expect(steps[i]).not.toHaveProperty('continue-on-error');
    });

    it('on Linux: under Xvfb with a screen, with ImageMagick for the screenshot and user namespaces for the sandbox', () => {
      expect(steps[linux].run).toMatch(/^xvfb-run -a -s "-screen 0 \d+x\d+x24" node scripts\/smoke-packaged\.mjs\b/);
      expect(steps[prep].run).toMatch(/apt-get install .*\bxvfb\b/);
      expect(steps[prep].run).toMatch(/apt-get install .*\bimagemagick\b/);
      expect(steps[prep].run).toContain('kernel.apparmor_restrict_unprivileged_userns=0');
    });

    it('uploads the screenshot (and the launch log) with the installers, and the log when the launch fails', () => {
      const paths = String(steps[upload].with?.path).split('\n').map((p) => p.trim()).filter(Boolean);
      for (const ext of ['exe', 'dmg', 'AppImage', 'deb']) expect(paths).toContain(`release/ServerBIT-*.${ext}`);
      expect(paths).toContain('release/ServerBIT-*-screenshot.png');
      expect(paths).toContain('release/ServerBIT-*-launch.log');
      expect(steps[upload].with?.['if-no-files-found']).toBe('error');
      const onFailure = steps.find((s) => s.if === 'failure()' && s.uses?.startsWith('actions/upload-artifact'));
      expect(String(onFailure?.with?.path)).toContain('release/ServerBIT-*-launch.log');
      // Artifact names must differ per runner and between the two uploads.
      expect(steps[upload].with?.name).toContain('${{ runner.os }}');
      expect(onFailure?.with?.name).toContain('${{ runner.os }}');
      expect(onFailure?.with?.name).not.toBe(steps[upload].with?.name);
    });

    it('the launch script exists and takes the options the workflow passes', () => {
      const script = readFileSync(path.join(ROOT, 'scripts', 'smoke-packaged.mjs'), 'utf8');
      for (const i of [linux, others]) {
        for (const flag of steps[i].run!.match(/--[a-z-]+/g) ?? []) expect(script, flag).toContain(`${flag.slice(2)}: {`);
      }
      // The file names it writes are the ones uploaded.
      expect(script).toContain('`ServerBIT-${platform}-screenshot.png`');
      expect(script).toContain("'-launch.log'");
    });
  });
});
