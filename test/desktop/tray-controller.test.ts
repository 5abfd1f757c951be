/**
 * The tray and notifications against a real Acquisition: two devices (the simulator, and a
 * serial path that does not exist), the view redrawn as their states change, notifications
 * naming the failing device, and the menu's per-device Stop/Start reaching the right runner.
 * Then against the real service (createServerBit): Record/Mark/Stop writing real files, an MQTT
 * output pointed at a closed port failing with the service's hint, a refused page.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Acquisition } from '../../src/main/acquisition/acquisition.js';
import { createServerBit, type ServerBit } from '../../src/main/app.js';
import { ConfigStore } from '../../src/main/config/config-store.js';
import { createCommandCaller } from '../../src/main/desktop/commands.js';
import type { DesktopNotification } from '../../src/main/desktop/notifications.js';
import { DesktopTray, TRAY_MARK_LABEL } from '../../src/main/desktop/tray-controller.js';
import type { MenuItemModel, TrayView } from '../../src/main/desktop/tray-model.js';
import { DEFAULT_LABELS, defaultConfig, type ServerBitConfig } from '../../src/shared/config.js';

const settings = (id: string, address: string, name: string) => ({ id, address, name, channels: [1, 2], sampling_rate: 100 as const, labels: [...DEFAULT_LABELS], stall_timeout_s: 5 });

let acq: Acquisition | undefined;
afterEach(async () => {
  await acq?.stopAll();
  acq = undefined;
});

async function until(pred: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  expect(pred()).toBe(true);
}

describe('DesktopTray with a real Acquisition', () => {
  it('shows the worst device, a submenu each, notifies naming the device, and Stop/Start one device only', async () => {
    acq = new Acquisition({ backoff: { initialMs: 200, maxMs: 400 } });
    const views: TrayView[] = [];
    const shown: DesktopNotification[] = [];
    const calls: string[] = [];
    const tray = new DesktopTray({
      acquisition: acq,
      clients: () => 3,
      problem: () => undefined,
      platform: 'linux',
      openAtLogin: () => false,
      render: (v) => views.push(v),
      notify: (n) => shown.push(n),
      actions: { openWindow: () => calls.push('open'), openConfigFolder: () => calls.push('folder'), setOpenAtLogin: () => calls.push('login'), quit: () => calls.push('quit') },
    });
    await acq.add(settings('0', 'simulator', 'Left arm'), { start: true });
    await acq.add(settings('1', '/nonexistent/serverbit-tty', 'Right arm'), { start: true }).catch(() => undefined);
    await until(() => acq!.status('0').state === 'streaming' && acq!.status('1').state === 'reconnecting');
    await until(() => views.at(-1)?.icon === 'tray-stalled.png');
    const last = views.at(-1)!;
    expect(last.tooltip.split('\n')[0]).toBe('ServerBIT — 2 devices: 1 reconnecting, 1 streaming');
    expect(last.tooltip).toContain('Right arm: reconnecting — ');
    const subs = last.menu.filter((i): i is MenuItemModel & { submenu: MenuItemModel[] } => i.type === 'submenu');
    expect(subs.map((s) => s.label)).toEqual(['Left arm — streaming', 'Right arm — reconnecting']);
    // The first attempt failed: one notification, naming the device.
    await until(() => shown.length > 0);
    expect(shown[0]).toMatchObject({ kind: 'unreachable', device: '1', title: 'Cannot reach Right arm' });
    expect(shown.every((n) => n.device === '1')).toBe(true);

    // Stop the failing device from its submenu: the other keeps streaming, the icon turns green.
    tray.action('device-stop', false, '1');
    await until(() => acq!.status('1').state === 'stopped');
    expect(acq.status('0').state).toBe('streaming');
    await until(() => views.at(-1)?.icon === 'tray-streaming.png');
    tray.action('device-stop', false, '0');
    await until(() => acq!.status('0').state === 'stopped');
    await until(() => views.at(-1)?.icon === 'tray-idle.png');
    tray.action('device-start', false, '0');
    await until(() => acq!.status('0').state === 'streaming');
    expect(acq.status('1').state).toBe('stopped');

    // Removing a device redraws without it.
    await acq.remove('1');
    await until(() => views.at(-1)?.menu.every((i) => i.type !== 'submenu') === true);
    expect(views.at(-1)!.menu.find((i) => i.id === 'stop')).toBeDefined();
    tray.action('open-window', false);
    tray.action('quit', false);
    expect(calls).toEqual(['open', 'quit']);
    tray.close();
  });
});

describe('DesktopTray with the real service: the outputs (issues 12–15)', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  async function service(over: Partial<ServerBitConfig>): Promise<ServerBit> {
    const dir = await mkdtemp(path.join(tmpdir(), 'serverbit-tray-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const store = ConfigStore.open({ path: path.join(dir, 'config.json') });
    const config: ServerBitConfig = { ...defaultConfig(), device: 'simulator', sampling_rate: 100, record: { folder: path.join(dir, 'recordings') }, ...over };
    store.save(config);
    const app = createServerBit({ config, configStore: store });
    cleanups.push(() => app.close());
    await app.startDevices();
    return app;
  }

  function trayFor(app: ServerBit) {
    const views: TrayView[] = [];
    const shown: DesktopNotification[] = [];
    const tray = new DesktopTray({
      acquisition: app.acquisition,
      clients: () => 0,
      problem: () => undefined,
      platform: 'linux',
      openAtLogin: () => false,
      render: (v) => views.push(v),
      notify: (n) => shown.push(n),
      actions: { openWindow: () => undefined, openConfigFolder: () => undefined, setOpenAtLogin: () => undefined, quit: () => undefined },
      outputs: app.api.outputs,
      outputsEnabled: () => ({ osc: app.settings.config.osc?.enabled === true, lsl: app.settings.config.lsl?.enabled === true, mqtt: app.settings.config.mqtt?.enabled === true }),
      commands: createCommandCaller(app.api),
      originNotices: app.originNotices,
    });
    cleanups.push(() => tray.close());
    const menu = () => tray.view().menu;
    const item = (id: string, output?: string) => menu().find((i) => i.id === id && (output === undefined || i.output === output));
    return { tray, views, shown, menu, item };
  }

  it('Record, Mark and Stop from the menu write real files, the marker in the events file; the menu names the file', async () => {
    const app = await service({});
    const { tray, item } = trayFor(app);
    await until(() => app.acquisition.status('0').state === 'streaming');
    expect(item('record')).toMatchObject({ label: 'Record', enabled: true });
    tray.action('record', false);
    await until(() => item('record-stop') !== undefined && app.recording.summary()!.files.length > 0);
    const files = app.recording.summary()!.files;
    expect(item('record-stop')!.label).toBe(`Stop recording (${path.basename(files[0])}, <1 min)`);
    tray.action('mark', false);
    await until(() => (app.recording.recorder?.status().counters.markers ?? 0) === 1);
    tray.action('record-stop', false);
    await until(() => item('record') !== undefined && app.recording.summary()!.state === 'stopped');
    const events = app.recording.summary()!.files.find((f) => f.endsWith('.events.json'))!;
    const doc = JSON.parse(readFileSync(events, 'utf8')) as { markers: { label: string; source: string }[] };
    expect(doc.markers.map((m) => [m.label, m.source])).toEqual([[TRAY_MARK_LABEL, 'tray']]);
    const txt = app.recording.summary()!.files.find((f) => f.endsWith('.txt'))!;
    expect(readFileSync(txt, 'utf8').split('\n').filter((l) => /^\d/.test(l)).length).toBeGreaterThan(10);
  });

  it('an output that fails: its checkbox stays as the service says, one notification with the service\'s message and hint', async () => {
    const closed = await closedPort();
    const app = await service({ mqtt: { url: `mqtt://127.0.0.1:${closed}`, keepalive_s: 5 } });
    const { tray, shown, item } = trayFor(app);
    expect(item('output', 'mqtt')).toMatchObject({ checked: false, label: 'MQTT — off' });
    tray.action('output', true, undefined, 'mqtt');
    // A broker that cannot be reached: the output retries ("starting") and says why.
    await until(() => app.outputs.status('mqtt')?.error?.code === 'MQTT_UNREACHABLE', 20_000);
    const status = app.outputs.status('mqtt')!;
    expect(status.state).toBe('starting');
    await until(() => shown.some((n) => n.kind === 'output-failed'));
    const n = shown.find((x) => x.kind === 'output-failed')!;
    expect(n).toMatchObject({ device: 'output:mqtt' });
    expect(n.title).toMatch(/^MQTT: cannot reach the broker .* — retrying$/);
    expect(n.body).toBe(`${status.error!.message} ${status.error!.hint}`.slice(0, 240));
    expect(item('output', 'mqtt')!.checked).toBe(true);
    expect(item('output', 'mqtt')!.label!.startsWith(`MQTT — starting: cannot reach the broker`)).toBe(true);
    expect(shown.filter((x) => x.kind === 'output-failed')).toHaveLength(1);
    // Turned off from the menu: off, unticked.
    tray.action('output', false, undefined, 'mqtt');
    await until(() => item('output', 'mqtt')?.checked === false);
    expect(app.settings.file.mqtt?.enabled).toBe(false);
  });

  it('a Record that fails is told with the service\'s words; a refused page is told with how to allow it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'serverbit-tray-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    writeFileSync(path.join(dir, 'a-file'), 'x');
    const app = await service({ record: { folder: path.join(dir, 'a-file', 'recordings') } });
    const { tray, shown, item } = trayFor(app);
    tray.action('record', false);
    await until(() => shown.some((n) => n.kind === 'action-failed'));
    const n = shown.find((x) => x.kind === 'action-failed')!;
    expect(n.title).toBe('Record failed');
    expect(n.body).toContain('a file (not a folder) is in the way');
    expect(item('record')).toBeDefined();

    app.originNotices.add({ origin: 'null', opaque: true, guidance: 'Add "null" to "allowed_origins".' });
    await until(() => shown.some((x) => x.kind === 'origin-refused'));
    expect(shown.find((x) => x.kind === 'origin-refused')).toEqual({ kind: 'origin-refused', device: 'origin:null', title: 'ServerBIT refused a page opened from disk', body: 'Add "null" to "allowed_origins".' });
  });
});

/** A TCP port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}
