/**
 * Port discovery and address resolution: turns the `device` config value (a MAC, a serial path,
 * `host:port`, or "simulator"; docs/bitalino-protocol.md §1.1) into something a Transport can
 * open, and lists candidate ports for the device picker.
 *
 * ServerBIT never opens RFCOMM sockets itself: a MAC is mapped to the serial port the OS made when
 * the BITalino was paired (docs/bitalino-protocol.md §1.2, per OS). The
 * mapping is pure (`resolveMac`, `describePorts`) and fed from the live system by `resolveDevice`
 * and `listPorts`, so it is tested with recorded listings from each OS.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import { ORIGINAL_PLACEHOLDER_DEVICE, SIMULATOR_DEVICE } from '../../shared/config.js';
import { DeviceError } from '../../shared/errors.js';
import { parsePlaybackAddress } from './playback/playback-address.js';
import { RIOT_ADDRESS_FORMS, isRiotAddress, parseRiotAddress, type RiotAddress } from '../../shared/outputs/osc-config.js';
import { REMOTE_ADDRESS_FORMS, isRemoteAddress, parseRemoteAddress, type RemoteAddress } from '../../shared/device-address.js';
import { SerialTransport, loadSerialPort, type SerialTransportOptions } from './serial-transport.js';
import { TcpTransport, type TcpTransportOptions } from './tcp-transport.js';
import type { Transport } from './transport.js';

/** serialport's PortInfo, plus Windows' friendlyName. */
export type PortListing = {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  pnpId?: string;
  vendorId?: string;
  productId?: string;
  friendlyName?: string;
};

export type DeviceAddress =
  | { kind: 'simulator' }
  | { kind: 'mac'; mac: string }
  | { kind: 'serial'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  /** A recording played back as a device (devices/playback/playback-address.ts). */
  | { kind: 'file'; path: string; loop: boolean }
  /** An R-IoT streaming OSC to a UDP port (docs/osc.md "R-IoT devices"). */
  | ({ kind: 'riot' } & RiotAddress)
  /** A device another ServerBIT publishes to an MQTT broker (docs/mqtt.md "A remote device in the device list"). */
  | { kind: 'remote'; remote: RemoteAddress };

/** What to open: a serial path (with the MAC it was resolved from, if any) or a TCP endpoint. */
export type ResolvedDevice =
  | { kind: 'simulator'; path: string }
  | { kind: 'serial'; path: string; mac?: string }
  | { kind: 'tcp'; path: string; host: string; port: number }
  | ({ kind: 'riot'; path: string } & RiotAddress);

export type PortEntry = PortListing & { isBitalino: boolean; mac?: string; label: string };

/** Extra facts beyond serialport's listing. */
export interface PortExtras {
  /** Linux: `rfcomm -a` output, or lines in the same form built from /sys/class/tty/rfcomm*. */
  rfcommBindings?: string;
  /** macOS: names in /dev ("cu.BITalino-15-26-DevB"), since the listing may omit the cu.* twin. */
  devEntries?: string[];
}

const ACCEPTED_FORMS =
  'Use "simulator", a MAC address (20:16:07:18:15:26), a serial port (COM3, /dev/rfcomm0, /dev/cu.BITalino-15-26-DevB), host:port (192.168.4.1:8001, [::1]:8001), a recording to play back (file:/path/recording.txt), an R-IoT (riot:8888/0) or a device published to an MQTT broker (mqtt://broker.local:1883/serverbit/lab-pc/0).';

const MAC_RE = /^([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i;
const HOSTNAME_RE = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

function badAddress(message: string): DeviceError {
  return new DeviceError('DEVICE_BAD_ARGUMENT', message, ACCEPTED_FORMS);
}

/** Upper-case colon form of a MAC given with ':' or '-' separators, or undefined. */
export function normalizeMac(text: string): string | undefined {
  const m = MAC_RE.exec(text.trim());
  if (!m) return undefined;
  return [m[1], m[3], m[4], m[5], m[6], m[7]].join(':').toUpperCase();
}

/** Reads the `device` config value. Throws DeviceError DEVICE_BAD_ARGUMENT naming the accepted forms. */
export function classifyAddress(device: string): DeviceAddress {
  const text = device.trim();
  if (text === '') throw badAddress('No device is set.');
  if (text === ORIGINAL_PLACEHOLDER_DEVICE) throw badAddress('No device chosen yet: the config still holds the placeholder the original ServerBIT wrote.');
  if (text.toLowerCase() === SIMULATOR_DEVICE) return { kind: 'simulator' };
  const file = parsePlaybackAddress(text);
  if (file) return { kind: 'file', path: file.path, loop: file.loop };
  // An R-IoT streams to us over OSC/UDP (docs/osc.md "R-IoT devices").
  if (isRiotAddress(text)) {
    const riot = parseRiotAddress(text);
    if (!riot) throw new DeviceError('DEVICE_BAD_ARGUMENT', `"${text}" is not an R-IoT address.`, `Use ${RIOT_ADDRESS_FORMS}.`);
    return { kind: 'riot', ...riot };
  }
  // Another ServerBIT's device, through a broker; the message never repeats a password.
  if (isRemoteAddress(text)) {
    const remote = parseRemoteAddress(text);
    if (!remote.ok) throw new DeviceError('DEVICE_BAD_ARGUMENT', `${remote.problem}.`, `Use ${REMOTE_ADDRESS_FORMS}.`);
    return { kind: 'remote', remote: remote.value };
  }

  const mac = normalizeMac(text);
  if (mac) return { kind: 'mac', mac };

  // Windows names ports COMn, case-insensitively (as the C++ API accepts them).
  if (/^com\d{1,3}$/i.test(text)) return { kind: 'serial', path: text.toUpperCase() };
  // /dev/... on POSIX; any other absolute path too, because pty links made by socat (tests, the
  // emulator CLI) live in temp directories.
  if (text.startsWith('/') && text.length > 1 && !text.endsWith('/')) return { kind: 'serial', path: text };

  const tcp = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (tcp) {
    const port = Number(tcp[3]);
    const host = tcp[1] ?? tcp[2];
    if (port < 1 || port > 65535) throw badAddress(`"${text}": the TCP port must be 1..65535.`);
    if (tcp[1] !== undefined ? net.isIPv6(host) : isHostOrIPv4(host)) return { kind: 'tcp', host, port };
    throw badAddress(`"${text}": "${host}" is not a valid host name or IP address.`);
  }
  throw badAddress(`"${text}" is not a device address.`);
}

function isHostOrIPv4(host: string): boolean {
  // All-numeric dotted names must be real IPv4 addresses (catches 192.168.4.300).
  if (/^[\d.]+$/.test(host)) return net.isIPv4(host);
  return HOSTNAME_RE.test(host);
}

// ---------------------------------------------------------------------------------------------
// Windows: PnP ids of Bluetooth serial ports

/**
 * The remote MAC in a Windows Bluetooth serial port's PnP id, e.g.
 * `BTHENUM\{00001101-…}_LOCALMFG&000A\7&1D80C3F1&0&201607181526_C00000000` → 20:16:07:18:15:26.
 * Undefined for other ports and for the incoming port (all zeros), which never talks to the device.
 */
export function macFromPnpId(pnpId: string | undefined): string | undefined {
  if (!pnpId || !/^BTHENUM\\/i.test(pnpId)) return undefined;
  const m = /&([0-9A-F]{12})_[0-9A-F]+$/i.exec(pnpId);
  if (!m || /^0{12}$/.test(m[1])) return undefined;
  return m[1].match(/../g)!.join(':').toUpperCase();
}

// ---------------------------------------------------------------------------------------------
// Linux: rfcomm bindings

export interface RfcommBinding {
  path: string;
  mac: string;
  channel: number;
  /** "clean", "connected", "closed"… as rfcomm prints it. */
  state: string;
}

/**
 * Parses `rfcomm -a` output. BlueZ prints `rfcommN: <dst> channel <c> <state> [flags]`, or
 * `rfcommN: <src> -> <dst> …` when bound to a specific adapter; the device is the destination.
 */
export function parseRfcommBindings(text: string): RfcommBinding[] {
  const out: RfcommBinding[] = [];
  const re = /^\s*rfcomm(\d+):\s+(?:[0-9a-f:]{17}\s+->\s+)?([0-9a-f:]{17})\s+channel\s+(\d+)(?:\s+(\S+))?/gim;
  for (const m of text.matchAll(re)) {
    const mac = normalizeMac(m[2]);
    if (mac) out.push({ path: `/dev/rfcomm${m[1]}`, mac, channel: Number(m[3]), state: m[4] ?? 'unknown' });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// macOS: /dev/{cu,tty}.BITalino-XX-XX-DevB

interface DarwinCandidate {
  /** Name without the cu./tty. prefix, e.g. "BITalino-15-26-DevB". */
  base: string;
  cu?: string;
  tty?: string;
}

/** BITalino-looking call-out/dial-in devices, twins grouped; from /dev names and the listing. */
function darwinBitalinos(listing: PortListing[], devEntries: string[] = []): DarwinCandidate[] {
  const byBase = new Map<string, DarwinCandidate>();
  const names = [...devEntries.map((n) => `/dev/${n.replace(/^\/dev\//, '')}`), ...listing.map((p) => p.path)];
  for (const path of names) {
    const m = /^\/dev\/(cu|tty)\.(.*bitalino.*)$/i.exec(path);
    if (!m) continue;
    const key = m[2].toLowerCase();
    const c = byBase.get(key) ?? { base: m[2] };
    c[m[1] === 'cu' ? 'cu' : 'tty'] = path;
    byBase.set(key, c);
  }
  return [...byBase.values()];
}

/** "BITalino-15-26…" carries the last four hex digits of the MAC; older units just "BITalino-DevB". */
function darwinSuffix(base: string): string | undefined {
  return /^bitalino-([0-9a-f]{2}-[0-9a-f]{2})(?:-|$)/i.exec(base)?.[1].toUpperCase();
}

// ---------------------------------------------------------------------------------------------
// MAC → port

/** What to do on THIS OS so a MAC becomes a usable port. */
export function macNotFoundHint(mac: string, platform: NodeJS.Platform): string {
  const suffix = mac.slice(-5).replace(':', '-');
  switch (platform) {
    case 'win32':
      return `Pair the BITalino in Settings > Bluetooth & devices (PIN 1234), then use the outgoing COM port shown in "More Bluetooth options > COM Ports" (or set that COMn as the device).`;
    case 'darwin':
      return `Pair the BITalino in System Settings > Bluetooth (PIN 1234); it then appears as /dev/cu.BITalino-${suffix}-DevB, which you can also set as the device.`;
    case 'linux':
      return `Pair it with bluetoothctl (scan on, pair ${mac}, PIN 1234, trust ${mac}), then run "sudo rfcomm bind 0 ${mac} 1" to create /dev/rfcomm0.`;
    default:
      return 'Pair the BITalino with your OS (PIN 1234) and set the serial port it creates as the device.';
  }
}

function notFound(mac: string, platform: NodeJS.Platform, looked: string): DeviceError {
  return new DeviceError('DEVICE_NOT_FOUND', `No serial port found for BITalino ${mac}: ${looked}.`, macNotFoundHint(mac, platform));
}

/**
 * The serial port the OS created for a paired BITalino. Pure: give it the OS, serialport's
 * listing and (Linux) rfcomm bindings or (macOS) /dev names. Throws DeviceError DEVICE_NOT_FOUND
 * with pairing instructions for that OS.
 */
export function resolveMac(mac: string, platform: NodeJS.Platform, listing: PortListing[], extra: PortExtras = {}): string {
  const wanted = normalizeMac(mac);
  if (!wanted) throw badAddress(`"${mac}" is not a MAC address.`);

  if (platform === 'win32') {
    // Pairing makes an outgoing port (the device's MAC in its PnP id) and an incoming one
    // (all zeros); only the outgoing one connects to the device.
    const port = listing.find((p) => macFromPnpId(p.pnpId) === wanted);
    if (port) return port.path;
    throw notFound(wanted, platform, 'no "Standard Serial over Bluetooth link" port carries this MAC');
  }

  if (platform === 'darwin') {
    const candidates = darwinBitalinos(listing, extra.devEntries);
    const suffix = wanted.slice(-5).replace(':', '-');
    // Prefer cu.*: on recent macOS it works where tty.* waits for carrier and hangs.
    const exact = candidates.find((c) => darwinSuffix(c.base) === suffix);
    if (exact) return (exact.cu ?? exact.tty)!;
    // Older units are "BITalino-DevB" with no MAC digits: usable only when it is unambiguous.
    const unnamed = candidates.filter((c) => darwinSuffix(c.base) === undefined);
    if (unnamed.length === 1) return (unnamed[0].cu ?? unnamed[0].tty)!;
    throw notFound(
      wanted,
      platform,
      unnamed.length > 1 ? `several BITalino-DevB ports exist (${unnamed.map((c) => c.cu ?? c.tty).join(', ')}); set the path instead` : `no /dev/cu.BITalino-${suffix}-DevB`,
    );
  }

  if (platform === 'linux') {
    const bindings = parseRfcommBindings(extra.rfcommBindings ?? '');
    const bound = bindings.find((b) => b.mac === wanted);
    if (bound) return bound.path;
    throw notFound(wanted, platform, bindings.length > 0 ? `no rfcomm binding for it (bound: ${bindings.map((b) => `${b.path} → ${b.mac}`).join(', ')})` : 'no rfcomm binding exists');
  }

  throw notFound(wanted, platform, `MAC addresses are not resolved on ${platform}`);
}

// ---------------------------------------------------------------------------------------------
// Listing for the device picker

/** Ports labelled for the picker, BITalinos first (macOS cu.* before tty.*). Pure. */
export function describePorts(platform: NodeJS.Platform, listing: PortListing[], extra: PortExtras = {}): PortEntry[] {
  const all: PortListing[] = [...listing];
  const known = new Set(listing.map((p) => p.path));
  const bindings = platform === 'linux' ? parseRfcommBindings(extra.rfcommBindings ?? '') : [];
  // A bound rfcomm device may be missing from serialport's listing until it is first opened.
  for (const b of bindings) if (!known.has(b.path)) all.push({ path: b.path });
  if (platform === 'darwin') {
    for (const c of darwinBitalinos(listing, extra.devEntries)) {
      for (const path of [c.cu, c.tty]) if (path && !known.has(path)) all.push({ path });
    }
  }

  const entries = all.map((p): PortEntry => {
    const isBtPort = /^BTHENUM\\/i.test(p.pnpId ?? '');
    const mac = macFromPnpId(p.pnpId) ?? bindings.find((b) => b.path === p.path)?.mac;
    const named = /bitalino/i.test(`${p.path} ${p.friendlyName ?? ''} ${p.manufacturer ?? ''}`);
    const isBitalino = named || mac !== undefined;
    const what = [p.friendlyName ?? p.manufacturer, isBtPort && !mac ? 'incoming Bluetooth port, not used' : undefined].filter(Boolean).join(', ');
    const label = [isBitalino ? `BITalino${mac ? ` ${mac}` : ''}` : undefined, p.path, what ? `(${what})` : undefined].filter(Boolean).join(' ');
    return { ...p, isBitalino, ...(mac ? { mac } : {}), label };
  });
  const rank = (e: PortEntry) => (e.isBitalino ? 0 : 2) + (/^\/dev\/tty\./.test(e.path) ? 1 : 0);
  return entries.sort((x, y) => rank(x) - rank(y) || x.path.localeCompare(y.path, 'en', { numeric: true }));
}

// ---------------------------------------------------------------------------------------------
// The live system

/** Where the live facts come from; injectable so resolveDevice/listPorts can be tested. */
export interface SystemProbe {
  platform: NodeJS.Platform;
  list(): Promise<PortListing[]>;
  rfcommBindings(): Promise<string>;
  devEntries(): Promise<string[]>;
}

/** Bounds the external `rfcomm` call: a hung BlueZ must not hang connecting. */
const RFCOMM_TIMEOUT_MS = 2000;

export const liveSystem: SystemProbe = {
  platform: process.platform,
  async list() {
    // Outside the try: serialport failing to load (a native binding built for another Node) is
    // not "no ports" and must say so.
    const SerialPort = await loadSerialPort();
    try {
      return await SerialPort.list();
    } catch {
      return []; // e.g. udevadm missing: a MAC then resolves from rfcomm bindings alone
    }
  },
  async rfcommBindings() {
    if (process.platform !== 'linux') return '';
    return [await sysfsRfcomm(), await rfcommTool()].join('\n');
  },
  async devEntries() {
    if (process.platform !== 'darwin') return [];
    return readdir('/dev').catch(() => []);
  },
};

/** The kernel exposes each bound rfcomm tty's remote address and channel in sysfs. */
async function sysfsRfcomm(): Promise<string> {
  const names = await readdir('/sys/class/tty').catch(() => [] as string[]);
  const lines: string[] = [];
  for (const name of names.filter((n) => /^rfcomm\d+$/.test(n))) {
    const read = (attr: string) => readFile(`/sys/class/tty/${name}/${attr}`, 'utf8').then((s) => s.trim(), () => '');
    const [address, channel] = await Promise.all([read('address'), read('channel')]);
    if (address) lines.push(`${name}: ${address} channel ${channel || '1'} unknown`);
  }
  return lines.join('\n');
}

/** `rfcomm -a`; '' when the tool is missing (newer BlueZ installs drop it) or fails. */
function rfcommTool(): Promise<string> {
  return new Promise((resolve) => {
    execFile('rfcomm', ['-a'], { timeout: RFCOMM_TIMEOUT_MS, windowsHide: true }, (err, stdout) => resolve(err ? '' : String(stdout)));
  });
}

/** Classifies the device and, for a MAC, finds its serial port on this machine. */
export async function resolveDevice(device: string, system: SystemProbe = liveSystem): Promise<ResolvedDevice> {
  const address = classifyAddress(device);
  switch (address.kind) {
    case 'simulator':
      return { kind: 'simulator', path: SIMULATOR_DEVICE };
    case 'serial':
      return { kind: 'serial', path: address.path };
    case 'tcp':
      return { kind: 'tcp', path: net.isIPv6(address.host) ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`, host: address.host, port: address.port };
    case 'riot':
      return { ...address, path: `${address.host}:${address.port}` };
    case 'mac': {
      const [listing, rfcommBindings, devEntries] = await Promise.all([system.list(), system.rfcommBindings(), system.devEntries()]);
      return { kind: 'serial', path: resolveMac(address.mac, system.platform, listing, { rfcommBindings, devEntries }), mac: address.mac };
    }
    case 'file':
      // openDevice() plays recordings itself; nothing here opens files.
      throw badAddress(`"${device.slice(0, 60)}" is a recording, not a port: it is played back by openDevice().`);
    case 'remote':
      // Acquisition streams remote devices from their broker itself (acquisition/remote-runner.ts).
      throw new DeviceError('DEVICE_REMOTE', `${address.remote.display} is a device published to an MQTT broker, not a port`, 'Add it to the device list: ServerBIT subscribes to it there (docs/mqtt.md "A remote device in the device list").');
  }
}

/** Candidate ports on this machine for the device picker, BITalinos first. */
export async function listPorts(system: SystemProbe = liveSystem): Promise<PortEntry[]> {
  const [listing, rfcommBindings, devEntries] = await Promise.all([system.list(), system.rfcommBindings(), system.devEntries()]);
  return describePorts(system.platform, listing, { rfcommBindings, devEntries });
}

export interface OpenTransportOptions {
  serial?: SerialTransportOptions;
  tcp?: TcpTransportOptions;
  system?: SystemProbe;
}

/**
 * A Transport (not yet opened) for a device address. The simulator is wired elsewhere (an
 * in-memory pair with the emulator), so it is refused here.
 */
export async function openTransport(device: string, options: OpenTransportOptions = {}): Promise<Transport> {
  const resolved = await resolveDevice(device, options.system);
  switch (resolved.kind) {
    case 'serial':
      return new SerialTransport(resolved.path, options.serial);
    case 'tcp':
      return new TcpTransport(resolved.host, resolved.port, options.tcp);
    case 'simulator':
      throw new DeviceError('DEVICE_BAD_ARGUMENT', 'The simulator has no transport to open here: the service connects it through an in-memory pair.');
    case 'riot':
      throw new DeviceError('DEVICE_BAD_ARGUMENT', 'An R-IoT has no transport to open: it streams OSC to a UDP port (openDevice opens it as an R-IoT device).');
  }
}
