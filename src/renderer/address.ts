/**
 * The forms a device address takes (docs/desktop.md "Choosing the device"), checked as the user
 * types: the same rules as the service's classifyAddress (src/main/devices/ports.ts), which the
 * window cannot import; the forms defined in src/shared (an R-IoT's, a remote device's) with the
 * service's own parsers. The service checks again when it opens the device.
 */
import { SIMULATOR_DEVICE } from '../shared/config.js';
import { isRemoteAddress, parseRemoteAddress } from '../shared/device-address.js';
import { RIOT_ADDRESS_FORMS, isRiotAddress, parseRiotAddress } from '../shared/outputs/osc-config.js';

/** What the field accepts, for the message. */
export const ADDRESS_FORMS =
  '"simulator", a MAC address (20:16:07:18:15:26), a serial port (COM3, /dev/rfcomm0, /dev/cu.BITalino-15-26-DevB), host:port (192.168.4.1:8001), a recording (file:/path/recording.txt), an R-IoT (riot:8888/0) or a device another ServerBIT publishes to an MQTT broker (mqtt://broker.local:1883/serverbit/lab-pc/0)';

const MAC = /^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$|^[0-9A-Fa-f]{12}$/;
const HOST_NAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export type AddressKind = 'simulator' | 'mac' | 'serial' | 'tcp' | 'file' | 'riot' | 'remote';

/** The kind of address `text` is, or undefined when it is none of them. */
export function addressKind(text: string): AddressKind | undefined {
  const t = text.trim();
  if (t.toLowerCase() === SIMULATOR_DEVICE) return 'simulator';
  if (isRemoteAddress(t)) return parseRemoteAddress(t).ok ? 'remote' : undefined;
  if (isRiotAddress(t)) return parseRiotAddress(t) ? 'riot' : undefined;
  // The service reads the path (and "~/", "?loop=1") when it opens the recording.
  if (/^file:\S/i.test(t)) return 'file';
  if (MAC.test(t)) return 'mac';
  if (/^com\d{1,3}$/i.test(t)) return 'serial';
  // Any absolute path: pty links (the emulator's) live in temp folders, not only under /dev/.
  if (t.startsWith('/') && t.length > 1 && !t.endsWith('/') && !/\s/.test(t)) return 'serial';
  const tcp = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(t);
  if (tcp) {
    const port = Number(tcp[3]);
    const host = tcp[1] ?? tcp[2];
    if (port < 1 || port > 65535) return undefined;
    if (tcp[1] !== undefined) return 'tcp';
    if (/^[\d.]+$/.test(host)) return /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(host) ? 'tcp' : undefined;
    return HOST_NAME.test(host) ? 'tcp' : undefined;
  }
  return undefined;
}

/** Why `text` is not an address, in words; undefined when it is one. */
export function addressProblem(text: string): string | undefined {
  const t = text.trim();
  if (t === '') return `Enter an address: ${ADDRESS_FORMS}.`;
  if (addressKind(t)) return undefined;
  // The parser's own words: what is wrong and how it should look (never the password).
  if (isRemoteAddress(t)) {
    const p = parseRemoteAddress(t);
    return p.ok ? undefined : `${p.problem}. A remote device looks like mqtt://broker.local:1883/serverbit/lab-pc/0 (mqtts:// for TLS, user:password@ before the host).`;
  }
  if (isRiotAddress(t)) return `"${t.slice(0, 60)}" is not an R-IoT address; allowed: ${RIOT_ADDRESS_FORMS}.`;
  if (/XX[:-]XX/i.test(t)) return `"${t}" is the original ServerBIT's placeholder, not an address; enter ${ADDRESS_FORMS}.`;
  if (/^[0-9A-Fa-f:-]{11,}$/.test(t)) return `"${t}" is not a MAC address: it has six pairs of hex digits, like 20:16:07:18:15:26.`;
  if (/:\d+$/.test(t)) return `"${t}" is not host:port: the host must be a name or an IP address, the port 1 to 65535.`;
  return `"${t.length > 60 ? `${t.slice(0, 59)}…` : t}" is not a device address; allowed: ${ADDRESS_FORMS}.`;
}
