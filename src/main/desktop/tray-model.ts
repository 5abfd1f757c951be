/**
 * What the tray shows, as plain data: the icon file for the state, the tooltip and the context
 * menu. src/main/electron/tray.ts turns it into a Tray and a Menu; everything decided here is
 * tested under Node.
 */
import type { DeviceStatus, ServiceState, ServiceStatus } from '../../shared/acquisition.js';
import { SIMULATOR_DEVICE } from '../../shared/config.js';

/** The five looks of the tray icon (assets/tray-<state>*.png, drawn by scripts/make-icons.mjs). */
export type TrayIconState = 'idle' | 'connecting' | 'streaming' | 'stalled' | 'error';
export const TRAY_ICON_STATES: readonly TrayIconState[] = ['idle', 'connecting', 'streaming', 'stalled', 'error'];

/**
 * A problem of the app rather than of the device, shown like an error state while acquisition
 * may still run: the config file is invalid (the app then streams the simulator with defaults),
 * or the WebSocket port could not be opened.
 */
export interface AppProblem {
  code: string;
  message: string;
  hint?: string;
}

export type MenuItemId = 'status' | 'problem' | 'start' | 'stop' | 'open-window' | 'open-config-folder' | 'start-at-login' | 'quit';

export interface MenuItemModel {
  id?: MenuItemId;
  label?: string;
  type: 'normal' | 'separator' | 'checkbox';
  checked?: boolean;
  enabled: boolean;
}

export interface TrayInput {
  status: ServiceStatus;
  /** The configured device (status.device is only known once connected). */
  device: string;
  problem?: AppProblem;
  platform: NodeJS.Platform;
  /** app.getLoginItemSettings().openAtLogin. */
  openAtLogin: boolean;
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

const STATE_WORD: Record<ServiceState, string> = {
  idle: 'idle',
  stopped: 'stopped',
  connecting: 'connecting',
  streaming: 'streaming',
  stalled: 'no data (stalled)',
  reconnecting: 'reconnecting',
  error: 'error',
};

/** States in which acquisition is running (the menu offers Stop) — the service's loop is alive. */
const RUNNING: ReadonlySet<ServiceState> = new Set(['connecting', 'streaming', 'stalled', 'reconnecting']);

/** Windows keeps 127 characters of a tray tooltip (NOTIFYICONDATA.szTip holds 128 with the NUL). */
export const MAX_TOOLTIP_CHARS = 127;
/** Menu lines longer than this are cut: a menu as wide as the screen helps nobody. */
const MAX_MENU_LABEL_CHARS = 80;

export function trayIconState(status: Pick<ServiceStatus, 'state'>, problem?: AppProblem): TrayIconState {
  return problem ? 'error' : ICON_FOR_STATE[status.state];
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

/** "simulator", or the device id as configured (MAC, port, host:port). */
export function deviceName(input: Pick<TrayInput, 'status' | 'device'>): string {
  const d = input.status.device;
  if (d?.simulated || (!d && input.device === SIMULATOR_DEVICE)) return 'simulator';
  return d?.id ?? input.device;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function cut(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

/** The disabled first line of the menu. */
export function statusLine(input: Pick<TrayInput, 'status' | 'device'>): string {
  const { status } = input;
  const device = deviceName(input);
  switch (status.state) {
    case 'streaming':
      return cut(`Streaming ${device} · ${status.rate} Hz · ${plural(status.counters.clients, 'client')}`, MAX_MENU_LABEL_CHARS);
    case 'connecting':
      return cut(`Connecting to ${device}…`, MAX_MENU_LABEL_CHARS);
    case 'stalled':
      return cut(`No data from ${device} — reconnecting`, MAX_MENU_LABEL_CHARS);
    case 'reconnecting':
      return cut(`Reconnecting to ${device}…`, MAX_MENU_LABEL_CHARS);
    case 'error':
      return cut(`Error: ${status.error?.message ?? 'acquisition stopped'}`, MAX_MENU_LABEL_CHARS);
    case 'stopped':
      return 'Stopped';
    case 'idle':
      return 'Idle';
  }
}

/**
 * Two or three lines: the state, then device · rate · clients, then the app problem if any.
 * Cut to MAX_TOOLTIP_CHARS.
 */
export function tooltipText(input: Pick<TrayInput, 'status' | 'device' | 'problem'>): string {
  const { status, problem } = input;
  const lines = [
    `ServerBIT — ${STATE_WORD[status.state]}`,
    `${deviceName(input)} · ${status.rate} Hz · ${plural(status.counters.clients, 'client')}`,
  ];
  if (problem) lines.push(`⚠ ${problem.message.replace(/\s+/g, ' ').trim()}`);
  else if (status.error && (status.state === 'error' || status.state === 'reconnecting' || status.state === 'stalled')) lines.push(status.error.message.replace(/\s+/g, ' ').trim());
  const text = lines.join('\n');
  return text.length <= MAX_TOOLTIP_CHARS ? text : `${text.slice(0, MAX_TOOLTIP_CHARS - 1)}…`;
}

export function trayMenu(input: TrayInput): MenuItemModel[] {
  const running = isRunning(input.status.state);
  const items: MenuItemModel[] = [{ id: 'status', label: statusLine(input), type: 'normal', enabled: false }];
  if (input.problem) items.push({ id: 'problem', label: cut(`⚠ ${input.problem.message}`, MAX_MENU_LABEL_CHARS), type: 'normal', enabled: false });
  items.push(
    { type: 'separator', enabled: true },
    running ? { id: 'stop', label: 'Stop acquisition', type: 'normal', enabled: true } : { id: 'start', label: 'Start acquisition', type: 'normal', enabled: true },
    { type: 'separator', enabled: true },
    { id: 'open-window', label: 'Open ServerBIT', type: 'normal', enabled: true },
    { id: 'open-config-folder', label: 'Open config folder', type: 'normal', enabled: true },
  );
  if (loginItemSupported(input.platform)) items.push({ id: 'start-at-login', label: 'Start at login', type: 'checkbox', checked: input.openAtLogin, enabled: true });
  items.push({ type: 'separator', enabled: true }, { id: 'quit', label: 'Quit ServerBIT', type: 'normal', enabled: true });
  return items;
}

export function trayView(input: TrayInput): TrayView {
  return {
    icon: trayIconFile(trayIconState(input.status, input.problem), input.platform),
    tooltip: tooltipText(input),
    menu: trayMenu(input),
  };
}

/**
 * The first device's status in the shape the tray and notifications read (interim, until the
 * tray shows every device: its worst state and a submenu per device).
 */
export function trayStatusOf(device: DeviceStatus | undefined, clients: number, fallbackDevice: string): ServiceStatus {
  if (!device) return { state: 'idle', rate: 1000, channels: [], counters: { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0, clients } };
  const s: ServiceStatus = { state: device.state, rate: device.rate, channels: [...device.channels], counters: { ...device.counters, clients } };
  if (device.info) s.device = device.info;
  if (device.error) s.error = device.error;
  if (device.battery !== undefined) s.battery = device.battery;
  void fallbackDevice;
  return s;
}
