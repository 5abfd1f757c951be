/** Small formatters for the status panel (pure). */
import type { MetaMessage, StatusMessage } from '../shared/v2.js';

/** "A1, A2", or runs of three or more as ranges: "A1–A6", "A1, A3–A5". */
export function formatChannels(channels: readonly number[]): string {
  if (channels.length === 0) return '—';
  const parts: string[] = [];
  for (let i = 0; i < channels.length; ) {
    let j = i;
    while (j + 1 < channels.length && channels[j + 1] === channels[j] + 1) j++;
    if (j - i >= 2) parts.push(`A${channels[i]}–A${channels[j]}`);
    else for (let k = i; k <= j; k++) parts.push(`A${channels[k]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

export function formatRate(hz: number): string {
  return `${hz} Hz`;
}

export function formatSps(sps: number): string {
  if (!Number.isFinite(sps) || sps <= 0) return '0';
  return sps >= 100 ? Math.round(sps).toLocaleString('en-US') : sps.toFixed(1);
}

export function formatBattery(volts: number | undefined): string {
  return volts === undefined ? 'unknown' : `${volts.toFixed(2)} V`;
}

/** "BITalino_v5.2 ((r)evolution)"; "simulated" marked. */
export function formatFirmware(status: StatusMessage | undefined, meta: MetaMessage | undefined): string {
  const fw = status?.firmware ?? meta?.firmware;
  if (!fw) return '—';
  const board = status?.board ?? meta?.board;
  const boardText = board === 'revolution' ? ' · (r)evolution' : board === 'legacy' ? ' · legacy' : '';
  return `${fw}${boardText}`;
}

/**
 * The compatible stream of device `id` (docs/protocol.md): the first device at `base` (ws://…/),
 * every device also at ws://…/devices/<id>.
 */
export function compatAddress(base: string, id: string, ids: readonly string[]): string {
  const root = base.endsWith('/') ? base : `${base}/`;
  return ids.length <= 1 || ids[0] === id ? root : `${root}devices/${encodeURIComponent(id)}`;
}

/** The device's address (what the user configured), marked when it is the built-in simulator. */
export function formatDevice(status: StatusMessage | undefined, meta: MetaMessage | undefined, configDevice: string | undefined): string {
  const d = status?.address ?? meta?.address ?? configDevice;
  if (!d) return '—';
  return meta?.simulated && d === 'simulator' ? 'simulator (built-in)' : d;
}

/** The WebSocket address clients use: ws://host:port/ (0.0.0.0 shown as this computer's loopback). */
export function wsAddress(host: string, port: number | string): string {
  const h = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return `ws://${h.includes(':') && !h.startsWith('[') ? `[${h}]` : h}:${port}/`;
}

export const STATE_LABELS: Record<string, string> = {
  idle: 'idle',
  connecting: 'connecting',
  streaming: 'streaming',
  stalled: 'stalled',
  reconnecting: 'reconnecting',
  stopped: 'stopped',
  error: 'error',
};
