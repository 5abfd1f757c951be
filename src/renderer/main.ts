/**
 * The renderer's entry point, for both hosts: in the Electron window the preload provides
 * `window.serverbit` (IPC); in a browser the page talks to the service that served it over a
 * WebSocket to /v2 on the same origin. Everything else is the same code.
 */
import type { ServerBitChannel } from '../shared/api.js';
import type { ServerMessage } from '../shared/v2.js';
import { CommandClient, toWireError } from './commands.js';
import { mountConfigView } from './config-view.js';
import { byId } from './dom.js';
import { electronChannel } from './electron-channel.js';
import { describeError } from './errors.js';
import { mountBanner } from './banner-view.js';
import { mountPickerView } from './picker-view.js';
import { mountPlotView } from './plot-view.js';
import { RateMeter } from './rate-meter.js';
import { mountStatusView } from './status-view.js';
import { Store } from './store.js';
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
  meta: undefined,
  status: undefined,
  device: undefined,
  clients: undefined,
  config: undefined,
  samplesPerSecond: 0,
  commandError: undefined,
});
const commands = new CommandClient(channel);
const onCommandError = (action: string, e: unknown) => store.set({ commandError: describeError(toWireError(e), { action }) });
commands.onOrphanError = (e) => store.set({ commandError: describeError(e) });

mountBanner(byId('banner'), store);
mountViewOnlyNote();
mountStatusView(byId('status'), { store, commands, onCommandError });
const plotView = mountPlotView(byId('panel-live'));
const configView = mountConfigView(byId('panel-settings'), { store, commands });
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
});

const meter = new RateMeter(3000);
/** Device time just after a message's last sample, ms (NaN before the first meta). */
const deviceEnd = (time: number, count: number): number => {
  const rate = store.state.meta?.['sampling rate'];
  return rate ? time + (count * 1000) / rate : NaN;
};
let helloSeen = false;

/** Messages about other devices than the one shown are not for these views. */
const shown = (device: string | undefined): boolean => device === undefined || store.state.device === undefined || device === store.state.device;

channel.onMessage((m: ServerMessage) => {
  if ((m.type === 'data' || m.type === 'status' || m.type === 'meta' || m.type === 'gap') && !shown(m.device)) return;
  switch (m.type) {
    case 'server':
      store.set({ clients: m.clients });
      break;
    case 'data':
      plotView.plot.append(m.index, m.raw, m.converted);
      meter.add(m.count, performance.now(), deviceEnd(m.time, m.count));
      break;
    case 'status':
      store.set({ status: m });
      break;
    case 'meta':
      // A new stream (rate or channels changed): measure it afresh rather than averaging both.
      if (store.state.meta?.['sampling rate'] !== m['sampling rate']) meter.reset();
      store.set({ meta: m });
      plotView.setMeta(m);
      break;
    case 'hello':
      // A hello also acknowledges a subscribe message: only the first one per connection starts over.
      if (!helloSeen) {
        helloSeen = true;
        meter.reset();
        if (m.control) void configView.reload();
      }
      store.set({ hello: m, device: store.state.device !== undefined && m.devices.includes(store.state.device) ? store.state.device : m.devices[0] });
      break;
    case 'gap':
    case 'marker':
    case 'reply':
      break;
  }
});

channel.onConnection?.((state) => {
  store.set({ connection: state });
  if (state !== 'open') {
    helloSeen = false;
    meter.reset();
  }
});

// The WebSocket asks for both formats in its URL; over IPC the first message does.
if (channel.host === 'electron') channel.send({ type: 'subscribe', format: 'both' });

setInterval(() => store.set({ samplesPerSecond: meter.rate(performance.now()) }), 500);

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
  state: () => store.state,
};
