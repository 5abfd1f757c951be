/** The status panel: what is connected, how it streams, and the Start/Stop button. */
import type { CommandClient } from './commands.js';
import { el, setText } from './dom.js';
import { STATE_LABELS, formatBattery, formatChannels, formatDevice, formatFirmware, formatRate, formatSps, wsAddress } from './format.js';
import type { Store } from './store.js';

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
    el('div', { class: 'status-head' }, el('h2', { text: 'Status' }), badge),
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
        const v = typeof r === 'object' && r !== null ? (r as { batteryVolts?: unknown }).batteryVolts : undefined;
        if (typeof v === 'number' && Number.isFinite(v)) setText(batteryText, formatBattery(v));
      })
      .catch((e: unknown) => deps.onCommandError('Reading the battery', e))
      .finally(() => (batteryButton.disabled = false));
  });

  const render = () => {
    const s = store.state;
    const st = s.status;
    const state = s.connection !== 'open' ? 'offline' : (st?.state ?? 'idle');
    setText(badge, s.connection !== 'open' ? 'offline' : (STATE_LABELS[state] ?? state));
    badge.className = `badge state-${state}`;
    const running = RUNNING.has(st?.state ?? 'idle');
    setText(button, running ? 'Stop' : 'Start');
    button.classList.toggle('danger', running);
    const control = s.hello?.control ?? s.host === 'electron';
    button.disabled = busy || s.connection !== 'open' || !control;
    button.title = control ? '' : 'This connection may not control ServerBIT';

    setText(values.device, formatDevice(st, s.meta, s.config?.device));
    setText(values.firmware, formatFirmware(st, s.meta));
    setText(values.rate, formatRate(st?.rate ?? s.meta?.['sampling rate'] ?? s.config?.sampling_rate ?? 0));
    setText(values.channels, formatChannels(st?.channels ?? s.meta?.channels ?? []));
    setText(values.address, s.address ?? (s.config ? wsAddress(s.config.host, s.config.port) : '—'));
    const c = st?.counters;
    setText(values.clients, s.clients !== undefined ? String(s.clients) : '—');
    setText(values.sps, formatSps(s.samplesPerSecond));
    setText(values.crc, c ? String(c.crcErrors) : '—');
    setText(values.gaps, c ? (c.gaps > 0 ? `${c.gaps} (${c.lostSamples} samples lost)` : '0') : '—');
    if (st?.battery !== undefined) setText(batteryText, formatBattery(st.battery));
    else if (!batteryText.textContent) setText(batteryText, formatBattery(undefined));
    batteryButton.hidden = !(st?.state === 'streaming' && st.board !== 'legacy' && control);
  };
  store.subscribe(render);
}

/** The `device` argument of a device command: the device the window shows. */
function deviceArg(store: Store): { device?: string } {
  const d = store.state.device;
  return d !== undefined ? { device: d } : {};
}
