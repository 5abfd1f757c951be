import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseNameHasOwner, registerEarlyEvents, showWindowAtStart, statusNotifierWatcher, trayVisibility } from '../../src/main/desktop/startup.js';

describe('registerEarlyEvents (second-instance before ready)', () => {
  it('a second launch during start-up shows the window once it can be made', () => {
    const app = new EventEmitter();
    const early = registerEarlyEvents(app);
    // Registered at once, before anything is ready.
    expect(app.listenerCount('second-instance')).toBe(1);
    app.emit('second-instance');
    app.emit('second-instance');
    let shown = 0;
    early.ready(() => shown++);
    expect(shown).toBe(1);
    app.emit('second-instance');
    expect(shown).toBe(2);
  });

  it('activate at launch (macOS) keeps the app in the tray; after ready it shows the window', () => {
    const app = new EventEmitter();
    const early = registerEarlyEvents(app);
    app.emit('activate');
    let shown = 0;
    early.ready(() => shown++);
    expect(shown).toBe(0);
    app.emit('activate');
    expect(shown).toBe(1);
  });
});

describe('showWindowAtStart', () => {
  it('first launch, a problem, or no tray: the window; otherwise the tray alone', () => {
    expect(showWindowAtStart({ created: false, problem: undefined, trayVisible: true })).toBe(false);
    expect(showWindowAtStart({ created: true, problem: undefined, trayVisible: true })).toBe(true);
    expect(showWindowAtStart({ created: false, problem: { code: 'X' }, trayVisible: true })).toBe(true);
    expect(showWindowAtStart({ created: false, problem: undefined, trayVisible: false })).toBe(true);
  });
});

describe('trayVisibility', () => {
  it('Windows and macOS always have a tray', async () => {
    expect(await trayVisibility('win32', {}, async () => false)).toBe(true);
    expect(await trayVisibility('darwin', {}, async () => undefined)).toBe(true);
  });

  it.each<[string, boolean | undefined, boolean]>([
    ['GNOME', false, false], // GNOME without the AppIndicator extension: invisible
    ['GNOME', true, true], // with it
    ['ubuntu:GNOME', true, true],
    ['KDE', false, true],
    ['XFCE', undefined, true],
    ['X-Cinnamon', false, true],
    ['', undefined, false], // nothing known: show the window rather than nothing
  ])('Linux, XDG_CURRENT_DESKTOP=%j, watcher %s: %s', async (desktop, watcher, visible) => {
    expect(await trayVisibility('linux', { XDG_CURRENT_DESKTOP: desktop }, async () => watcher)).toBe(visible);
  });

  it('parses gdbus answers', () => {
    expect(parseNameHasOwner('(true,)\n')).toBe(true);
    expect(parseNameHasOwner('(false,)')).toBe(false);
    expect(parseNameHasOwner('Error: no bus')).toBeUndefined();
  });
});

describe('statusNotifierWatcher against a real session bus (dbus-daemon, gdbus)', () => {
  let bus: ChildProcess | undefined;
  let dir: string | undefined;
  afterEach(() => {
    bus?.kill();
    bus = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('no StatusNotifierWatcher on a bare bus: false; no bus at all, or no gdbus: unknown', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'serverbit-dbus-'));
    const socket = path.join(dir, 'bus');
    const conf = path.join(dir, 'session.conf');
    writeFileSync(
      conf,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path=${socket}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`,
    );
    bus = spawn('dbus-daemon', ['--config-file', conf, '--nofork', '--print-address'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const address = await new Promise<string>((resolve, reject) => {
      bus!.stdout!.on('data', (b: Buffer) => resolve(b.toString().trim()));
      bus!.on('error', reject);
    });
    const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: address };
    expect(await statusNotifierWatcher(env, 10_000)).toBe(false);
    expect(await statusNotifierWatcher({ ...process.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(dir, 'nobody')}` }, 10_000)).toBeUndefined();
    expect(await statusNotifierWatcher(env, 10_000, path.join(dir, 'no-such-gdbus'))).toBeUndefined();
    // And so a GNOME session on that bus shows the window.
    expect(await trayVisibility('linux', { ...env, XDG_CURRENT_DESKTOP: 'GNOME' })).toBe(false);
  });
});
