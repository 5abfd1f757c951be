/**
 * Reads the OSC and R-IoT keys of a config file written by the original ServerBIT (r)evolution
 * into this version's settings (docs/osc.md "Config files from the original"). Pure: the config
 * loader calls it with the parsed file and merges the result; nothing here touches a socket.
 *
 * What the original's code did with each key (docs/osc.md):
 * - `protocol` "OSC" (any case, "osc" anywhere in it): data goes out as OSC instead of WebSockets,
 *   to `ip_address`:`port`.
 * - `consolidate_outputs` false: one `/<id>/bitalino` message per device; true: one
 *   `/<id>/bitalino/<label>` message per column. (The name reads the other way round; the
 *   original's code did this, so files keep meaning what they meant.)
 * - `OSC_config`: [address this computer receives R-IoT data on, its UDP port, Wi-Fi network
 *   name, network interface]; only the first two matter here.
 * - `riot_labels`: the names of the values of an R-IoT's `/<id>/raw` message.
 * - `device`: a list of [address, type] pairs; type "R-IoT (OSC)" with address "/<n>/raw" is an
 *   R-IoT with module id n. A device's id is its position in the list.
 */
import { isPlainObject, preview, validate, type JsonSchema, type ValidationIssue } from './schema.js';
import {
  DEFAULT_OSC_PORT,
  RIOT_DEVICE_SCHEMA,
  defaultOscInputSettings,
  defaultOscOutputSettings,
  defaultRiotDeviceSettings,
  type OscInputSettings,
  type OscOutputSettings,
  type RiotDeviceSettings,
} from './osc-settings.js';

export interface OriginalOscSettings {
  /** The OSC output: enabled when the file's `protocol` is OSC, else present but disabled. */
  output: OscOutputSettings;
  /** The original's control input never worked (commented out), so this is always the disabled default. */
  input: OscInputSettings;
  /** One entry per "R-IoT (OSC)" device in the file's device list, in list order. */
  riot: RiotDeviceSettings[];
  /** What was assumed or ignored, one sentence each, for the start-up log. */
  notices: string[];
  /** Values that cannot be used; when not empty the caller treats the file as invalid. */
  issues: ValidationIssue[];
}

const MAX_DEVICES = 64;

/** Maps the OSC/R-IoT keys of `raw` (the parsed file, untrusted). Never throws. */
export function oscFromOriginalConfig(raw: unknown): OriginalOscSettings {
  const output = defaultOscOutputSettings();
  const input = defaultOscInputSettings();
  const riot: RiotDeviceSettings[] = [];
  const notices: string[] = [];
  const issues: ValidationIssue[] = [];
  if (!isPlainObject(raw)) return { output, input, riot, notices, issues };
  const has = (k: string) => Object.hasOwn(raw, k);
  const check = (key: string, schema: JsonSchema): boolean => {
    const found = validate(schema, raw[key], { path: key });
    issues.push(...found);
    return found.length === 0;
  };

  if (has('protocol') && check('protocol', { type: 'string', maxLength: 64 })) {
    output.enabled = (raw.protocol as string).toLowerCase().includes('osc');
  }

  // ip_address and port are the OSC destination only when OSC is the protocol (the original
  // served WebSockets on `port` otherwise); the WebSocket keys are the config loader's business.
  if (output.enabled) {
    let host = '127.0.0.1';
    let port = DEFAULT_OSC_PORT;
    if (!has('ip_address')) notices.push(`"ip_address" is missing; OSC goes to 127.0.0.1.`);
    else if (check('ip_address', RIOT_DEVICE_SCHEMA.properties.host)) host = raw.ip_address === 'localhost' ? '127.0.0.1' : (raw.ip_address as string);
    if (!has('port')) notices.push(`"port" is missing; OSC goes to port ${DEFAULT_OSC_PORT}.`);
    else if (check('port', RIOT_DEVICE_SCHEMA.properties.port)) port = raw.port as number;
    output.destinations = [{ host, port }];
  }

  if (has('consolidate_outputs')) {
    const v = raw.consolidate_outputs;
    // Its settings page wrote "True"/"False" strings as well as JSON booleans.
    const b = typeof v === 'boolean' ? v : typeof v === 'string' && /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : undefined;
    if (b === undefined) issues.push({ path: 'consolidate_outputs', message: `consolidate_outputs is ${preview(v)}; allowed: true or false` });
    else output.addresses = b ? 'per-label' : 'consolidated';
  }

  const riotBase = defaultRiotDeviceSettings();
  if (has('OSC_config')) readOscConfig(raw.OSC_config, riotBase, issues);
  if (has('riot_labels') && check('riot_labels', RIOT_DEVICE_SCHEMA.properties.labels)) riotBase.labels = [...(raw.riot_labels as string[])];

  if (Array.isArray(raw.device)) {
    const list = raw.device as unknown[];
    for (let i = 0; i < Math.min(list.length, MAX_DEVICES); i++) {
      const pair = list[i];
      if (!Array.isArray(pair) || typeof pair[1] !== 'string' || !isRiotType(pair[1])) continue;
      const address = typeof pair[0] === 'string' ? pair[0] : '';
      const m = /^\/(\d{1,3})\/raw$/.exec(address);
      const module = m ? Number(m[1]) : 0;
      if (!m || module > 255) {
        notices.push(`device[${i}] is ${preview(pair)}: an R-IoT address has the form "/<id>/raw" (id 0..255); listening for /0/raw.`);
      }
      riot.push({ ...riotBase, labels: [...riotBase.labels], id: String(i), module: module > 255 ? 0 : module });
    }
  }
  return { output, input, riot, notices, issues };
}

/** "R-IoT (OSC)" as the original's device finder wrote it ("R-Iot (OSC)" in some versions), or "riot". */
function isRiotType(type: string): boolean {
  return /^r-?iot( \(osc\))?$/i.test(type.trim());
}

function readOscConfig(v: unknown, riot: RiotDeviceSettings, issues: ValidationIssue[]): void {
  if (!Array.isArray(v) || v.length < 2 || v.length > 8) {
    issues.push({ path: 'OSC_config', message: `OSC_config is ${preview(v)}; allowed: [address, port, network name, interface], e.g. ["192.168.1.100", "8888", "riot", ""]` });
    return;
  }
  const hostIssues = validate(RIOT_DEVICE_SCHEMA.properties.host, v[0], { path: 'OSC_config[0]' });
  if (hostIssues.length > 0) issues.push(...hostIssues);
  else riot.host = v[0] === 'localhost' ? '127.0.0.1' : (v[0] as string);
  // The original stored the port as a string and converted it with int().
  const port = typeof v[1] === 'string' && /^\s*\d{1,5}\s*$/.test(v[1]) ? Number(v[1]) : v[1];
  const portIssues = validate(RIOT_DEVICE_SCHEMA.properties.port, port, { path: 'OSC_config[1]' });
  if (portIssues.length > 0) issues.push(...portIssues);
  else riot.port = port as number;
}
