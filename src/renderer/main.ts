/**
 * The renderer's entry point, for both hosts: in the Electron window the preload provides
 * `window.serverbit` (IPC); in a browser the page talks to the service that served it over a
 * WebSocket to /v2 on the same origin. Everything else is the same code.
 *
 * The page receives every device (the default subscription); the device list shows them all and
 * the status panel, the plot and Settings follow the one selected.
 */
import type { ServerBitChannel } from '../shared/api.js';
import type { ServerMessage } from '../shared/v2.js';
import { CommandClient, toWireError } from './commands.js';
import { mountConfigView } from './config-view.js';
import { DeviceActivity, liveness } from './device-activity.js';
import { mountDeviceList } from './device-list-view.js';
import { byId } from './dom.js';
import { electronChannel } from './electron-channel.js';
import { describeError } from './errors.js';
import { mountBanner } from './banner-view.js';
import { mountPickerView } from './picker-view.js';
import { mountOutputsView } from './outputs-view.js';
import { mountPlotView } from './plot-view.js';
import { mountStatusView } from './status-view.js';
import { Store, pickDevice } from './store.js';
import { mountTabs } from './tabs.js';
import { WebSocketChannel, takePageToken, v2UrlFor, type TokenStorage } from './ws-channel.js';

/** The control token from this page's address or this tab's storage (browser only; the window uses IPC). */
let pageToken: string | undefined;

function tabStorage(): TokenStorage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

function openChannel(): ServerBitChannel {
  if (window.serverbit) return electronChannel(window.serverbit);
  pageToken = takePageToken(location, history, tabStorage());
  // A token pasted into the address of the open page: keep it and connect again with it.
  window.addEventListener('hashchange', () => {
    if (!/(^#|&)token=/.test(location.hash)) return;
    takePageToken(location, history, tabStorage());
    location.reload();
  });
  return new WebSocketChannel({ url: v2UrlFor(location, 'format=both', pageToken) });
}

const channel = openChannel();
const store = new Store({
  connection: channel.onConnection ? 'connecting' : 'open',
  host: channel.host,
  address: channel.host === 'browser' ? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/` : undefined,
  hello: undefined,
  devices: [],
  statuses: {},
  metas: {},
  device: undefined,
  meta: undefined,
  status: undefined,
  clients: undefined,
  problem: undefined,
  config: undefined,
  activity: {},
  samplesPerSecond: 0,
  commandError: undefined,
  outputs: [],
  recording: undefined,
  origin: undefined,
  originDismissed: undefined,
  lastMarker: undefined,
});
const commands = new CommandClient(channel);
const onCommandError = (action: string, e: unknown) => store.set({ commandError: describeError(toWireError(e), { action }) });
commands.onOrphanError = (e) => store.set({ commandError: describeError(e) });

mountBanner(byId('banner'), store);
mountViewOnlyNote();
mountDeviceList(byId('device-list'), store);
mountStatusView(byId('status'), { store, commands, onCommandError });
const plotView = mountPlotView(byId('panel-live'));
const configView = mountConfigView(byId('panel-settings'), { store, commands });
mountOutputsView({ quick: byId('outputs'), panel: byId('panel-outputs') }, { store, commands, reloadConfig: () => configView.reload() });
let pickerLoaded = false;
const tabs = mountTabs(byId('tabs'), (tab) => {
  plotView.plot.setOnScreen(tab === 'live');
  if (tab === 'devices' && !pickerLoaded && store.state.connection === 'open') {
    pickerLoaded = true;
    void picker.refresh();
  }
});
const picker = mountPickerView(byId('panel-devices'), {
  store,
  commands,
  onUse: (address) => {
    configView.useDevice(address);
    tabs.select('settings');
  },
  onDevicesChanged: () => void configView.reload(),
});

const activity = new DeviceActivity(3000);
/** Device time just after a message's last sample, ms (NaN before the device's first meta). */
const deviceEnd = (device: string, time: number, count: number): number => {
  const rate = store.state.metas[device]?.['sampling rate'];
  return rate ? time + (count * 1000) / rate : NaN;
};
let helloSeen = false;

/** The plot follows the selected device: its meta, then its data. */
let plotted: string | undefined;
let plottedMeta: unknown;
store.subscribe((s, changed) => {
  if (!changed.has('device') && !changed.has('meta')) return;
  if (s.device === plotted && s.meta === plottedMeta) return;
  plotted = s.device;
  plottedMeta = s.meta;
  plotView.setMeta(s.meta);
});

/** The device set changed: select a device still there, forget the others. */
function setDevices(ids: readonly string[]): void {
  const keep = <T>(m: Readonly<Record<string, T>>): Record<string, T> => Object.fromEntries(Object.entries(m).filter(([id]) => ids.includes(id)));
  const s = store.state;
  const same = ids.length === s.devices.length && ids.every((id, i) => id === s.devices[i]);
  activity.keep(ids);
  store.set({ devices: same ? s.devices : [...ids], device: pickDevice(ids, s.device), statuses: keep(s.statuses), metas: keep(s.metas) });
}

channel.onMessage((m: ServerMessage) => {
  switch (m.type) {
    case 'server': {
      const before = store.state.devices;
      store.set({ clients: m.clients, problem: m.problem, outputs: m.outputs, recording: m.recording, origin: m.origin });
      setDevices(m.devices);
      // A device added or removed (here or elsewhere): the settings follow the file.
      if (helloSeen && store.state.devices !== before && store.state.config) void configView.reload();
      break;
    }
    case 'data':
      activity.data(m.device, m.count, performance.now(), deviceEnd(m.device, m.time, m.count));
      if (m.device === store.state.device) {
        plotView.plot.append(m.index, m.raw, m.converted);
        // Data again after a pause: say "live" now, not at the next tick.
        if (!plotLive) tick();
      }
      break;
    case 'status':
      activity.status(m.device, m.state);
      if (!store.state.devices.includes(m.device)) setDevices([...store.state.devices, m.device]);
      store.set({ statuses: { ...store.state.statuses, [m.device]: m } });
      tick();
      break;
    case 'meta':
      // A new stream (rate or channels changed): measure it afresh rather than averaging both.
      if (store.state.metas[m.device]?.['sampling rate'] !== m['sampling rate']) activity.restart(m.device);
      store.set({ metas: { ...store.state.metas, [m.device]: m } });
      break;
    case 'hello':
      // A hello also acknowledges a subscribe message: only the first one per connection starts over.
      if (!helloSeen) {
        helloSeen = true;
        activity.clear();
        if (m.control) void configView.reload();
      }
      store.set({ hello: m });
      setDevices(m.devices);
      break;
    case 'marker':
      store.set({ lastMarker: m });
      break;
    case 'gap':
    case 'reply':
      break;
  }
});

channel.onConnection?.((state) => {
  store.set({ connection: state });
  if (state !== 'open') {
    helloSeen = false;
    activity.clear();
  }
});

// The WebSocket asks for both formats in its URL; over IPC the first message does.
if (channel.host === 'electron') channel.send({ type: 'subscribe', format: 'both' });

/** Rates, "last sample … ago" and the plot's live mark, twice a second. */
function tick(): void {
  const s = store.state;
  const now = performance.now();
  const snap = activity.snapshot(s.devices, now);
  const selected = s.device !== undefined ? snap[s.device] : undefined;
  store.set({ activity: snap, samplesPerSecond: selected?.sps ?? 0 });
  const live = s.connection === 'open' ? liveness(s.status?.state, selected) : { live: false, text: 'Not live — not connected to ServerBIT' };
  plotLive = live.live;
  plotView.setLive(live);
}
let plotLive = false;
setInterval(tick, 500);

window.addEventListener('pagehide', () => {
  plotView.plot.destroy();
  if (channel instanceof WebSocketChannel) channel.close();
});

/** In a browser without control: says so, and how to get it (docs/protocol.md "Access and threat model"). */
function mountViewOnlyNote(): void {
  if (channel.host !== 'browser') return;
  const note = document.createElement('p');
  note.className = 'note view-only';
  note.dataset.testid = 'view-only';
  note.setAttribute('role', 'status');
  note.hidden = true;
  document.querySelector('.layout')?.before(note);
  store.subscribe((s) => {
    note.hidden = s.hello === undefined || s.hello.control;
    if (note.hidden) return;
    const address = `${location.protocol}//${location.host}/#token=…`;
    note.textContent = pageToken
      ? `View only: the token this page was opened with is not ServerBIT's current one. Open the address serverbit printed when it started (${address}), or add #token=<token> to this address; "serverbit --show-token" prints the token.`
      : `View only: this page may watch but not control ServerBIT. For control, open the address serverbit printed when it started (${address}), or add #token=<token> to this address; "serverbit --show-token" prints the token.`;
  });
}

/** Read-only numbers for tests and benchmarks (test/e2e/plot-perf.ts). */
(window as unknown as { __serverbitDebug: unknown }).__serverbitDebug = {
  plot: plotView.plot.stats,
  axes: () => plotView.plot.axes(),
  colors: () => plotView.plot.colors,
  state: () => store.state,
};
