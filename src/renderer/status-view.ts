/**
 * The status panel of the selected device: what is connected, how it streams, and the Start/Stop
 * button. What is no longer current is greyed (firmware, battery of a device that is not
 * streaming: the last known values) or cleared (a device whose address changed: its old firmware
 * and battery belong to another device) — issue 10 item 5.
 */
import type { CommandClient } from './commands.js';
import { el, setText } from './dom.js';
import { STATE_LABELS, compatAddress, formatBattery, formatChannels, formatDevice, formatFirmware, formatRate, formatSps, wsAddress } from './format.js';
import { deviceLabel, type Store } from './store.js';

export interface StatusViewDeps {
  store: Store;
  commands: CommandClient;
  /** Reports a failed command to the banner. */
  onCommandError: (action: string, error: unknown) => void;
}

/** States in which the button stops acquisition (otherwise it starts it). */
const RUNNING = new Set(['connecting', 'streaming', 'stalled', 'reconnecting']);

export function mountStatusView(root: HTMLElement, deps: StatusViewDeps): void {
  const { store, commands } = deps;
  const badge = el('span', { class: 'badge', attrs: { 'data-testid': 'state' } });
  const title = el('h2', { attrs: { 'data-testid': 'status-title' }, text: 'Status' });
  const button = el('button', { class: 'primary', attrs: { type: 'button', 'data-testid': 'startstop' }, text: 'Start' });
  const values = {
    device: el('dd', { attrs: { 'data-testid': 'device' } }),
    firmware: el('dd', { attrs: { 'data-testid': 'firmware' } }),
    rate: el('dd', { attrs: { 'data-testid': 'rate' } }),
    channels: el('dd', { attrs: { 'data-testid': 'channels' } }),
    address: el('dd', { class: 'mono', attrs: { 'data-testid': 'address' } }),
    clients: el('dd', { attrs: { 'data-testid': 'clients' } }),
    sps: el('dd', { attrs: { 'data-testid': 'sps' } }),
    crc: el('dd', { attrs: { 'data-testid': 'crc' } }),
    gaps: el('dd', { attrs: { 'data-testid': 'gaps' } }),
  };
  const batteryText = el('span', { attrs: { 'data-testid': 'battery' } });
  const batteryButton = el('button', { class: 'link', attrs: { type: 'button', title: 'Read the battery level from the device (pauses the stream for a moment)' }, text: 'Read' });
  const row = (label: string, dd: HTMLElement) => [el('dt', { text: label }), dd];
  /** A row whose value is too long to share the line: label above, value below. */
  const wide = (label: string, dd: HTMLElement) => {
    dd.classList.add('wide');
    return [el('dt', { class: 'wide', text: label }), dd];
  };

  root.replaceChildren(
    el('div', { class: 'status-head' }, title, badge),
    button,
    el(
      'dl',
      { class: 'facts' },
      ...row('Device', values.device),
      ...row('Firmware', values.firmware),
      ...row('Rate', values.rate),
      ...row('Channels', values.channels),
      ...wide('WebSocket', values.address),
      ...row('Clients', values.clients),
      ...row('Samples/s', values.sps),
      ...row('CRC errors', values.crc),
      ...row('Gaps', values.gaps),
      ...row('Battery', el('dd', {}, batteryText, ' ', batteryButton)),
    ),
  );

  let busy = false;
  button.addEventListener('click', () => {
    const running = RUNNING.has(store.state.status?.state ?? 'idle');
    const command = running ? 'stop' : 'start';
    busy = true;
    render();
    commands
      .call(command, deviceArg(store))
      .catch((e: unknown) => deps.onCommandError(running ? 'Stop' : 'Start', e))
      .finally(() => {
        busy = false;
        render();
      });
  });

  batteryButton.addEventListener('click', () => {
    batteryButton.disabled = true;
    commands
      .call('state', deviceArg(store))
      .then((r) => {
        if (`${store.state.device ?? ''}\u0000${store.state.status?.address ?? ''}` !== batteryOf) return; // another device by now
        const v = typeof r === 'object' && r !== null ? (r as { batteryVolts?: unknown }).batteryVolts : undefined;
        if (typeof v === 'number' && Number.isFinite(v)) setText(batteryText, formatBattery(v));
      })
      .catch((e: unknown) => deps.onCommandError('Reading the battery', e))
      .finally(() => (batteryButton.disabled = false));
  });

  /** The device and address the battery text was read for: another device's reading is not shown. */
  let batteryOf = '';
  const render = () => {
    const s = store.state;
    const st = s.status;
    const key = `${s.device ?? ''}\u0000${st?.address ?? ''}`;
    if (key !== batteryOf) {
      batteryOf = key;
      setText(batteryText, formatBattery(undefined));
    }
    // Current only while data flows; otherwise the last known value, greyed.
    const live = st?.state === 'streaming' || st?.state === 'stalled';
    // A meta of another address (the device was changed) says nothing of this one.
    const meta = s.meta && st && s.meta.address !== st.address ? undefined : s.meta;
    // With several devices the panel is titled by the one it shows.
    setText(title, s.devices.length > 1 && s.device !== undefined ? deviceLabel(st, s.device) : 'Status');
    title.title = s.devices.length > 1 ? 'Status of the device selected above' : '';
    const state = s.connection !== 'open' ? 'offline' : (st?.state ?? 'idle');
    setText(badge, s.connection !== 'open' ? 'offline' : (STATE_LABELS[state] ?? state));
    badge.className = `badge state-${state}`;
    const running = RUNNING.has(st?.state ?? 'idle');
    setText(button, running ? 'Stop' : 'Start');
    button.classList.toggle('danger', running);
    const control = s.hello?.control ?? s.host === 'electron';
    button.disabled = busy || s.connection !== 'open' || !control;
    button.title = control ? '' : 'This connection may not control ServerBIT';

    setText(values.device, formatDevice(st, meta, s.config?.device));
    setText(values.firmware, formatFirmware(st, meta));
    values.firmware.classList.toggle('stale', !live);
    values.firmware.title = live ? '' : 'Last known: the device is not streaming';
    setText(values.rate, formatRate(st?.rate ?? meta?.['sampling rate'] ?? s.config?.sampling_rate ?? 0));
    setText(values.channels, formatChannels(st?.channels ?? meta?.channels ?? []));
    const base = s.address ?? (s.config ? wsAddress(s.config.host, s.config.port) : undefined);
    setText(values.address, base && s.device !== undefined ? compatAddress(base, s.device, s.devices) : (base ?? '—'));
    const c = st?.counters;
    setText(values.clients, s.clients !== undefined ? String(s.clients) : '—');
    setText(values.sps, formatSps(s.samplesPerSecond));
    setText(values.crc, c ? String(c.crcErrors) : '—');
    setText(values.gaps, c ? (c.gaps > 0 ? `${c.gaps} (${c.lostSamples} samples lost)` : '0') : '—');
    if (st?.battery !== undefined) setText(batteryText, formatBattery(st.battery));
    else if (!batteryText.textContent) setText(batteryText, formatBattery(undefined));
    batteryText.classList.toggle('stale', !live);
    batteryButton.hidden = !(st?.state === 'streaming' && st.board !== 'legacy' && control);
  };
  store.subscribe(render);
}

/** The `device` argument of a device command: the device the window shows. */
function deviceArg(store: Store): { device?: string } {
  const d = store.state.device;
  return d !== undefined ? { device: d } : {};
}
