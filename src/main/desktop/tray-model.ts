/**
 * What the tray shows, as plain data: the icon file for the worst state of all devices, the
 * tooltip naming the devices that need attention, and the context menu (a submenu per device
 * with its state and Start/Stop when there are several). src/main/electron/tray.ts turns it into
 * a Tray and a Menu; everything decided here is tested under Node.
 */
import type { DeviceStatus, ServiceState } from '../../shared/acquisition.js';
import { SIMULATOR_DEVICE } from '../../shared/config.js';
import type { OutputStatus } from '../../shared/outputs.js';
import { baseName } from '../../shared/recording-format.js';
import type { RecordingResult } from '../../shared/v2.js';

/** The outputs the tray turns on and off (a checkbox each). */
export type TrayOutput = 'osc' | 'lsl' | 'mqtt';
export const TRAY_OUTPUTS: readonly TrayOutput[] = ['osc', 'lsl', 'mqtt'];
const OUTPUT_TITLES: Record<string, string> = { recorder: 'Recording', osc: 'OSC', 'osc-in': 'OSC control input', lsl: 'LSL', mqtt: 'MQTT', 'mqtt-relay': 'MQTT relay' };

/** What the user calls an output ("OSC", "LSL", "MQTT", "Recording"). */
export function outputTitle(name: string): string {
  return OUTPUT_TITLES[name] ?? name;
}

/** The five looks of the tray icon (assets/tray-<state>*.png, drawn by scripts/make-icons.mjs). */
export type TrayIconState = 'idle' | 'connecting' | 'streaming' | 'stalled' | 'error';
export const TRAY_ICON_STATES: readonly TrayIconState[] = ['idle', 'connecting', 'streaming', 'stalled', 'error'];

/**
 * A problem of the app rather than of a device, shown like an error state while acquisition
 * may still run: the config file is not (fully) in use, or the WebSocket port could not be opened.
 */
export interface AppProblem {
  code: string;
  message: string;
  hint?: string;
}

export type MenuItemId =
  | 'status'
  | 'problem'
  | 'start'
  | 'stop'
  | 'start-all'
  | 'stop-all'
  | 'device'
  | 'device-status'
  | 'device-start'
  | 'device-stop'
  | 'record'
  | 'record-stop'
  | 'recording-status'
  | 'mark'
  | 'output'
  | 'open-window'
  | 'open-config-folder'
  | 'start-at-login'
  | 'quit';

export interface MenuItemModel {
  id?: MenuItemId;
  label?: string;
  type: 'normal' | 'separator' | 'checkbox' | 'submenu';
  checked?: boolean;
  enabled: boolean;
  /** The device a device item is for. */
  device?: string;
  /** The output an output item is for. */
  output?: TrayOutput;
  submenu?: MenuItemModel[];
}

export interface TrayInput {
  /** Every device's status, in the service's order. */
  devices: readonly DeviceStatus[];
  /** Clients connected (the server's count). */
  clients: number;
  problem?: AppProblem | undefined;
  platform: NodeJS.Platform;
  /** app.getLoginItemSettings().openAtLogin. */
  openAtLogin: boolean;
  /** Every output's status (the recorder's first), as /v2 `server` messages carry them. */
  outputs?: readonly OutputStatus[];
  /** The current or last recording (its folder and files). */
  recording?: RecordingResult | undefined;
  /** The config's `<output>.enabled` for each output (what a checkbox shows while its state is "error" or "stopped"). */
  outputsEnabled?: Partial<Record<TrayOutput, boolean>>;
}

export interface TrayView {
  icon: string;
  tooltip: string;
  menu: MenuItemModel[];
}

const ICON_FOR_STATE: Record<ServiceState, TrayIconState> = {
  idle: 'idle',
  stopped: 'idle',
  connecting: 'connecting',
  streaming: 'streaming',
  stalled: 'stalled',
  reconnecting: 'stalled',
  error: 'error',
};

/**
 * How bad each icon state is: the tray shows the worst device. A stopped device is not a
 * problem (the user stopped it), so "idle" shows only when no device runs.
 */
const ICON_RANK: Record<TrayIconState, number> = { idle: 0, streaming: 1, connecting: 2, stalled: 3, error: 4 };

const STATE_WORD: Record<ServiceState, string> = {
  idle: 'idle',
  stopped: 'stopped',
  connecting: 'connecting',
  streaming: 'streaming',
  stalled: 'no data (stalled)',
  reconnecting: 'reconnecting',
  error: 'error',
};

/** States in which acquisition is running (the menu offers Stop) — the device's loop is alive. */
const RUNNING: ReadonlySet<ServiceState> = new Set(['connecting', 'streaming', 'stalled', 'reconnecting']);

/** Windows keeps 127 characters of a tray tooltip (NOTIFYICONDATA.szTip holds 128 with the NUL). */
export const MAX_TOOLTIP_CHARS = 127;
/** Menu lines longer than this are cut: a menu as wide as the screen helps nobody. */
const MAX_MENU_LABEL_CHARS = 80;

/** The icon for one device's state. */
export function deviceIconState(state: ServiceState): TrayIconState {
  return ICON_FOR_STATE[state];
}

/** The icon for the whole app: an app problem, else the worst device (idle when there is none). */
export function trayIconState(devices: readonly Pick<DeviceStatus, 'state'>[], problem?: AppProblem): TrayIconState {
  if (problem) return 'error';
  let worst: TrayIconState = 'idle';
  for (const d of devices) {
    const s = ICON_FOR_STATE[d.state];
    if (ICON_RANK[s] > ICON_RANK[worst]) worst = s;
  }
  return worst;
}

/**
 * The icon file name in assets/. macOS gets the black-and-alpha `…Template.png` (Electron marks
 * an image whose file name ends in "Template" as a template image, which macOS tints for light
 * and dark menu bars); the other platforms get the coloured dot. Electron picks the `@2x`
 * variant next to it on high-DPI screens.
 */
export function trayIconFile(state: TrayIconState, platform: NodeJS.Platform): string {
  return platform === 'darwin' ? `tray-${state}Template.png` : `tray-${state}.png`;
}

/** Electron's setLoginItemSettings works on macOS and Windows only. */
export function loginItemSupported(platform: NodeJS.Platform): boolean {
  return platform === 'darwin' || platform === 'win32';
}

export function isRunning(state: ServiceState): boolean {
  return RUNNING.has(state);
}

/** What the user calls a device: its configured name, "simulator", or its address. */
export function deviceName(d: Pick<DeviceStatus, 'name' | 'address' | 'info'>): string {
  if (d.name && d.name !== d.address) return d.name;
  if (d.info?.simulated || d.address === SIMULATOR_DEVICE) return 'simulator';
  return d.address;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function cut(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

/** One device's state in a line: "Streaming simulator · 1000 Hz", "Reconnecting to Left arm…". */
export function deviceLine(d: DeviceStatus): string {
  const name = deviceName(d);
  switch (d.state) {
    case 'streaming':
      return cut(`Streaming ${name} · ${d.rate} Hz`, MAX_MENU_LABEL_CHARS);
    case 'connecting':
      return cut(`Connecting to ${name}…`, MAX_MENU_LABEL_CHARS);
    case 'stalled':
      return cut(`No data from ${name} — reconnecting`, MAX_MENU_LABEL_CHARS);
    case 'reconnecting':
      return cut(`Reconnecting to ${name}…`, MAX_MENU_LABEL_CHARS);
    case 'error':
      return cut(`${name}: ${d.error?.message ?? 'acquisition stopped'}`, MAX_MENU_LABEL_CHARS);
    case 'stopped':
      return cut(`${name}: stopped`, MAX_MENU_LABEL_CHARS);
    case 'idle':
      return cut(`${name}: idle`, MAX_MENU_LABEL_CHARS);
  }
}

/** "2 streaming, 1 reconnecting", worst first. */
function summary(devices: readonly DeviceStatus[]): string {
  const counts = new Map<ServiceState, number>();
  for (const d of devices) counts.set(d.state, (counts.get(d.state) ?? 0) + 1);
  const order: ServiceState[] = ['error', 'reconnecting', 'stalled', 'connecting', 'streaming', 'stopped', 'idle'];
  return order
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${STATE_WORD[s]}`)
    .join(', ');
}

/** The disabled first line of the menu. */
export function statusLine(input: Pick<TrayInput, 'devices' | 'clients'>): string {
  const { devices, clients } = input;
  if (devices.length === 0) return 'No device';
  if (devices.length === 1) {
    const d = devices[0];
    if (d.state === 'streaming') return cut(`${deviceLine(d)} · ${plural(clients, 'client')}`, MAX_MENU_LABEL_CHARS);
    if (d.state === 'error') return cut(`Error: ${d.error?.message ?? 'acquisition stopped'}`, MAX_MENU_LABEL_CHARS);
    if (d.state === 'stopped') return 'Stopped';
    if (d.state === 'idle') return 'Idle';
    return deviceLine(d);
  }
  return cut(`${devices.length} devices: ${summary(devices)} · ${plural(clients, 'client')}`, MAX_MENU_LABEL_CHARS);
}

/**
 * The state, then (one device) device · rate · clients or (several) the devices that need
 * attention by name, then the app problem if any. Cut to MAX_TOOLTIP_CHARS.
 */
export function tooltipText(input: Pick<TrayInput, 'devices' | 'clients' | 'problem' | 'outputs'>): string {
  const { devices, problem, clients } = input;
  const lines: string[] = [];
  const rec = input.outputs?.find((o) => o.output === 'recorder');
  if (devices.length <= 1) {
    const d = devices[0];
    lines.push(`ServerBIT — ${d ? STATE_WORD[d.state] : 'no device'}`);
    if (d) lines.push(`${deviceName(d)} · ${d.rate} Hz · ${plural(clients, 'client')}`);
    if (problem) lines.push(`⚠ ${problem.message}`);
    else if (d?.error && (d.state === 'error' || d.state === 'reconnecting' || d.state === 'stalled')) lines.push(d.error.message);
  } else {
    lines.push(`ServerBIT — ${devices.length} devices: ${summary(devices)}`);
    if (problem) lines.push(`⚠ ${problem.message}`);
    // The devices that need attention, worst first, each by name.
    const attention = devices.filter((d) => d.state !== 'streaming').sort((a, b) => ICON_RANK[ICON_FOR_STATE[b.state]] - ICON_RANK[ICON_FOR_STATE[a.state]]);
    for (const d of attention) lines.push(`${deviceName(d)}: ${STATE_WORD[d.state]}${d.error && d.state !== 'stopped' ? ` — ${d.error.message}` : ''}`);
    if (attention.length === 0) lines.push(plural(clients, 'client'));
  }
  if (rec?.state === 'running') lines.splice(1, 0, `● Recording ${elapsedMinutes(rec.counters.elapsedMs ?? 0)}`);
  const text = lines.map((l) => l.replace(/\s+/g, ' ').trim()).join('\n');
  return text.length <= MAX_TOOLTIP_CHARS ? text : `${text.slice(0, MAX_TOOLTIP_CHARS - 1)}…`;
}

/** The submenu of one device: its state and address, then Start or Stop. */
function deviceSubmenu(d: DeviceStatus): MenuItemModel {
  const running = isRunning(d.state);
  const details = [d.address !== deviceName(d) ? d.address : '', `${d.rate} Hz`, d.info?.firmware ?? ''].filter((s) => s !== '').join(' · ');
  return {
    id: 'device',
    device: d.device,
    type: 'submenu',
    enabled: true,
    label: cut(`${deviceName(d)} — ${STATE_WORD[d.state]}`, MAX_MENU_LABEL_CHARS),
    submenu: [
      { id: 'device-status', device: d.device, type: 'normal', enabled: false, label: cut(d.state === 'error' || d.state === 'reconnecting' ? deviceLine(d) : details, MAX_MENU_LABEL_CHARS) },
      running ? { id: 'device-stop', device: d.device, type: 'normal', enabled: true, label: 'Stop' } : { id: 'device-start', device: d.device, type: 'normal', enabled: true, label: 'Start' },
    ],
  };
}

export function trayMenu(input: TrayInput): MenuItemModel[] {
  const { devices } = input;
  const items: MenuItemModel[] = [{ id: 'status', label: statusLine(input), type: 'normal', enabled: false }];
  if (input.problem) items.push({ id: 'problem', label: cut(`⚠ ${input.problem.message}`, MAX_MENU_LABEL_CHARS), type: 'normal', enabled: false });
  items.push({ type: 'separator', enabled: true });
  if (devices.length <= 1) {
    const running = devices[0] !== undefined && isRunning(devices[0].state);
    items.push(running ? { id: 'stop', label: 'Stop acquisition', type: 'normal', enabled: true } : { id: 'start', label: 'Start acquisition', type: 'normal', enabled: devices.length === 1 });
  } else {
    items.push(...devices.map(deviceSubmenu));
    const anyRunning = devices.some((d) => isRunning(d.state));
    const anyIdle = devices.some((d) => !isRunning(d.state));
    items.push({ id: 'start-all', label: 'Start all', type: 'normal', enabled: anyIdle }, { id: 'stop-all', label: 'Stop all', type: 'normal', enabled: anyRunning });
  }
  items.push({ type: 'separator', enabled: true }, ...outputItems(input));
  items.push(
    { type: 'separator', enabled: true },
    { id: 'open-window', label: 'Open ServerBIT', type: 'normal', enabled: true },
    { id: 'open-config-folder', label: 'Open config folder', type: 'normal', enabled: true },
  );
  if (loginItemSupported(input.platform)) items.push({ id: 'start-at-login', label: 'Start at login', type: 'checkbox', checked: input.openAtLogin, enabled: true });
  items.push({ type: 'separator', enabled: true }, { id: 'quit', label: 'Quit ServerBIT', type: 'normal', enabled: true });
  return items;
}

/** "<1 min", "12 min", "1 h 05 min": the tray's menu is redrawn once a minute, not every second. */
export function elapsedMinutes(ms: number): string {
  const m = Math.floor(Math.max(0, ms) / 60_000);
  if (m < 1) return '<1 min';
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Whether an output is on, as the service says: running or starting is; "off" is not; otherwise the config's `enabled`. */
export function outputEnabled(status: OutputStatus | undefined, enabledInConfig: boolean | undefined): boolean {
  if (status?.state === 'running' || status?.state === 'starting') return true;
  if (status === undefined || status.state === 'off') return false;
  return enabledInConfig === true;
}

/** The recording's menu item: "Record", or "Stop recording (<file name>, <elapsed>)". */
export function recordItem(status: OutputStatus | undefined, rec: RecordingResult | undefined, anyDevice: boolean): MenuItemModel {
  const active = status?.state === 'running' || status?.state === 'starting';
  if (!active) return { id: 'record', label: 'Record', type: 'normal', enabled: anyDevice };
  const file = rec?.files[0] ?? rec?.folder;
  const what = [file ? baseName(file) : '', elapsedMinutes(status?.counters.elapsedMs ?? 0)].filter((x) => x !== '').join(', ');
  return { id: 'record-stop', label: cut(`Stop recording (${what})`, MAX_MENU_LABEL_CHARS), type: 'normal', enabled: true };
}

/** One output's checkbox: "OSC — on · → 127.0.0.1:8000", "MQTT — error: the broker …", "LSL — off". */
export function outputItem(name: TrayOutput, status: OutputStatus | undefined, enabledInConfig: boolean | undefined): MenuItemModel {
  const state = status?.state ?? 'off';
  const word = state === 'running' ? 'on' : state;
  // An error is said whatever the state (an output retrying says why: "starting: cannot reach the broker…").
  const rest = status?.error && state !== 'off' ? `: ${status.error.message}` : status?.detail && state !== 'off' ? ` · ${status.detail}` : '';
  return { id: 'output', output: name, type: 'checkbox', checked: outputEnabled(status, enabledInConfig), enabled: true, label: cut(`${outputTitle(name)} — ${word}${rest}`, MAX_MENU_LABEL_CHARS) };
}

/** The outputs section: Record/Stop, the recording's error if it stopped on one, Mark, then a checkbox per output. */
export function outputItems(input: Pick<TrayInput, 'devices' | 'outputs' | 'recording' | 'outputsEnabled'>): MenuItemModel[] {
  const outputs = input.outputs ?? [];
  const rec = outputs.find((o) => o.output === 'recorder');
  const items: MenuItemModel[] = [recordItem(rec, input.recording, input.devices.length > 0)];
  if (rec?.state === 'error' && rec.error) items.push({ id: 'recording-status', type: 'normal', enabled: false, label: cut(`⚠ Recording stopped: ${rec.error.message}`, MAX_MENU_LABEL_CHARS) });
  items.push({ id: 'mark', label: 'Mark', type: 'normal', enabled: input.devices.length > 0 });
  for (const name of TRAY_OUTPUTS) {
    items.push(outputItem(name, outputs.find((o) => o.output === name), input.outputsEnabled?.[name]));
  }
  return items;
}

export function trayView(input: TrayInput): TrayView {
  return {
    icon: trayIconFile(trayIconState(input.devices, input.problem), input.platform),
    tooltip: tooltipText(input),
    menu: trayMenu(input),
  };
}
