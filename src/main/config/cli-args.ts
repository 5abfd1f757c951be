/**
 * `serverbit` command-line flags. Pure: no I/O, no process.exit — the entry point prints
 * CLI_USAGE / the version and exits. Flags override the loaded config for this run only; they
 * are never written to the file. Each value is checked with the config schema, so a bad flag
 * fails with the same "allowed: …" wording as a bad file, naming the flag instead of the key.
 */
import { resolve as resolvePath } from 'node:path';
import { MAX_DEVICES, type ServerBitConfig } from '../../shared/config.js';
import { REMOTE_ADDRESS_FORMS, isRemoteAddress, parseRemoteAddress } from '../../shared/device-address.js';
import { CONFIG_SCHEMA, validateConfig } from '../../shared/config-schema.js';
import { ConfigError } from '../../shared/errors.js';
import { validate } from '../../shared/schema.js';
import { MQTT_CONFIG_SCHEMA, RELAY_FILTER_SCHEMA } from '../../shared/outputs/mqtt-config.js';

export type CliOverrides = Partial<Pick<ServerBitConfig, 'port' | 'host' | 'sampling_rate' | 'channels'>> & {
  /** `--device`, once or repeated: the devices for this run, in order (ids "0", "1", …). */
  devices?: string[];
  /** `--record [DIR]`: record from launch for this run (`record.on_launch`), into DIR (absolute) when given. */
  record?: { folder?: string };
  /** `--mqtt URL` (and `--prefix`): publish to this broker for this run (docs/mqtt.md); laid over the file's `mqtt` section. */
  mqtt?: { enabled: true; url: string; prefix?: string } | { prefix: string };
  /** `--relay URL` (and `--prefix`): run with no device of its own, serving the devices published to this broker (docs/mqtt.md "Relay"). Not a config key. */
  relay?: { url: string; prefix?: string };
};

export interface CliArgs {
  help: boolean;
  version: boolean;
  /** --config PATH, as given (the store resolves it against the working directory). */
  configPath: string | undefined;
  overrides: CliOverrides;
}

export const CLI_USAGE = `Usage: serverbit [options]

Streams a BITalino (or the built-in simulator) as JSON over WebSockets.
Settings come from ~/ServerBIT/config.json; these options override them for this run only.

  --config PATH     use this config file instead of ~/ServerBIT/config.json
  --device X        "simulator", a MAC address (20:16:07:18:15:26), a serial port (COM3, /dev/rfcomm0),
                    host:port, or a device another ServerBIT publishes to an MQTT broker
                    (mqtt://broker:1883/serverbit/lab-pc/0); repeat it to stream several devices at once
  --port N          WebSocket port, 1 to 65535
  --host H          address to listen on (127.0.0.1 = this computer only, 0.0.0.0 = every network)
  --rate N          sampling rate in Hz: 1, 10, 100 or 1000
  --channels LIST   analog channels, 1-based, comma-separated (e.g. 1,2,6)
  --record [DIR]    record every device from launch until exit, into DIR (default: the config's
                    "record" folder, ~/ServerBIT/recordings); the formats come from the config
  --mqtt URL        also publish every device to this MQTT broker (mqtt://, mqtts://, ws://, wss://)
  --relay URL       no device of its own: serve the devices other ServerBITs publish to this broker
  --prefix P        topic prefix: where --mqtt publishes (default serverbit/<host name>), or what
                    --relay reads (default serverbit/+, every ServerBIT; a whole level may be +)
  -h, --help        show this help
  -v, --version     show the version
`;

type ValueFlag = '--config' | '--device' | '--port' | '--host' | '--rate' | '--channels' | '--mqtt' | '--relay' | '--prefix';
const VALUE_FLAGS: readonly ValueFlag[] = ['--config', '--device', '--port', '--host', '--rate', '--channels', '--mqtt', '--relay', '--prefix'];
const HINT = 'Run serverbit --help for the list of options.';

/** Parses argv without the node and script entries (process.argv.slice(2)). Throws ConfigError. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const out: CliArgs = { help: false, version: false, configPath: undefined, overrides: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      out.help = true;
      continue;
    }
    if (arg === '-v' || arg === '--version') {
      out.version = true;
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    if (flag === '--record') {
      // The folder is optional: `--record`, `--record DIR`, `--record=DIR`.
      let dir: string | undefined;
      if (eq !== -1) dir = arg.slice(eq + 1);
      else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('-')) dir = argv[++i];
      out.overrides.record = dir === undefined ? {} : { folder: recordFolder(dir) };
      continue;
    }
    if (!(VALUE_FLAGS as readonly string[]).includes(flag)) {
      throw usage(arg.startsWith('-') ? `Unknown option ${flag}.` : `Unexpected argument ${JSON.stringify(arg)}: serverbit takes only options.`);
    }
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      // "--port --host x" is a missing value, not a port called "--host".
      if (next === undefined || next.startsWith('--')) throw usage(`${flag} needs a value.`, key(flag as ValueFlag));
      value = next;
      i++;
    }
    apply(out, flag as ValueFlag, value);
  }
  placePrefix(out);
  return out;
}

/** `--prefix` belongs to `--relay` when given, else to the publisher (`--mqtt` or the file's `mqtt`). */
function placePrefix(out: CliArgs & { prefix?: string }): void {
  const prefix = out.prefix;
  delete out.prefix;
  const o = out.overrides;
  if (o.relay && o.mqtt) throw usage('--mqtt and --relay cannot be used together: a relay serves what others publish and publishes nothing itself.');
  if (o.relay && o.devices) throw usage('--device and --relay cannot be used together: a relay has no device of its own.', 'devices');
  if (prefix === undefined) return;
  if (o.relay) {
    const issues = validate(RELAY_FILTER_SCHEMA, prefix, { path: '--prefix' });
    if (issues.length > 0) throw usage(issues.map((i) => i.message).join('; ') + '.');
    o.relay.prefix = prefix;
    return;
  }
  const issues = validate(MQTT_CONFIG_SCHEMA.properties.prefix, prefix, { path: '--prefix' });
  if (issues.length > 0) throw usage(issues.map((i) => i.message).join('; ') + '.', 'mqtt.prefix');
  o.mqtt = { ...(o.mqtt ?? {}), prefix } as NonNullable<CliOverrides['mqtt']>;
}

function apply(out: CliArgs, flag: ValueFlag, value: string): void {
  switch (flag) {
    case '--config':
      if (value === '') throw usage('--config needs a file path.');
      out.configPath = value;
      return;
    case '--device':
      (out.overrides.devices ??= []).push(checkedRemote(checked(flag, 'device', value)));
      if (out.overrides.devices.length > MAX_DEVICES) throw usage(`--device is given ${out.overrides.devices.length} times; allowed: at most ${MAX_DEVICES} devices.`, 'devices');
      return;
    case '--host':
      out.overrides.host = checked(flag, 'host', value);
      return;
    case '--port':
      out.overrides.port = checked(flag, 'port', toInteger(value));
      return;
    case '--rate':
      out.overrides.sampling_rate = checked(flag, 'sampling_rate', toInteger(value));
      return;
    case '--mqtt':
      out.overrides.mqtt = { enabled: true, url: checkedUrl(flag, value) };
      return;
    case '--relay':
      out.overrides.relay = { url: checkedUrl(flag, value) };
      return;
    case '--prefix':
      (out as CliArgs & { prefix?: string }).prefix = value;
      return;
    case '--channels': {
      const list = value.split(',').map((s) => toInteger(s.trim()));
      out.overrides.channels = checked(flag, 'channels', list).sort((a, b) => a - b);
      return;
    }
  }
}

/**
 * Merges flags over the loaded config and validates the result (throws ConfigError). `--device`
 * replaces the device set for this run; `--rate` and `--channels` apply to every device.
 */
export function applyCliOverrides(config: ServerBitConfig, overrides: CliOverrides): ServerBitConfig {
  const { devices: addresses, record, mqtt, relay: _relay, ...rest } = overrides;
  const merged: ServerBitConfig = { ...config, ...rest };
  if (record) merged.record = { ...config.record, on_launch: true, ...(record.folder !== undefined ? { folder: record.folder } : {}) };
  // --mqtt / --prefix change only the keys they name; the file's credentials and TLS files stay.
  if (mqtt) merged.mqtt = { ...(config.mqtt ?? {}), ...mqtt };
  if (overrides.channels) merged.channels = [...overrides.channels].sort((a, b) => a - b);
  if (addresses && addresses.length > 0) {
    merged.device = addresses[0];
    if (addresses.length === 1) delete merged.devices;
    else merged.devices = addresses.map((address, i) => ({ id: String(i), address }));
  }
  if (merged.devices && (overrides.channels || overrides.sampling_rate !== undefined)) {
    merged.devices = merged.devices.map((d) => {
      const e = { ...d };
      if (overrides.channels) delete e.channels;
      if (overrides.sampling_rate !== undefined) delete e.sampling_rate;
      return e;
    });
  }
  const issues = validateConfig(merged);
  if (issues.length > 0) throw usage(issues.map((i) => i.message).join('; ') + '.', issues[0].path);
  return merged;
}

/** `--record DIR`: made absolute against the working directory (the config wants an absolute folder). */
function recordFolder(dir: string): string {
  if (dir === '') throw usage('--record= needs a folder (or give --record alone for the default folder).', 'record.folder');
  const folder = dir === '~' || dir.startsWith('~/') || dir.startsWith('~\\') ? dir : resolvePath(dir);
  const issues = validate(CONFIG_SCHEMA.properties.record.properties.folder, folder, { path: '--record' });
  if (issues.length > 0) throw usage(issues.map((i) => i.message).join('; ') + '.', 'record.folder');
  return folder;
}

/** `--device mqtt://…`: a remote device's address, said wrong in the flag's own words (never with its password). */
function checkedRemote(address: string): string {
  if (!isRemoteAddress(address)) return address;
  const p = parseRemoteAddress(address);
  if (!p.ok) throw usage(`--device: ${p.problem}; allowed: ${REMOTE_ADDRESS_FORMS}.`, 'device');
  return address;
}

function checkedUrl(flag: ValueFlag, value: string): string {
  const issues = validate(MQTT_CONFIG_SCHEMA.properties.url, value, { path: flag });
  if (issues.length > 0) throw usage(issues.map((i) => i.message).join('; ') + '.', flag === '--mqtt' ? 'mqtt.url' : undefined);
  return value;
}

/** Digits only become numbers; anything else stays a string so the message shows what was typed. */
function toInteger(text: string): number | string {
  return /^\d{1,15}$/.test(text) ? Number(text) : text;
}

type FlagKey = 'device' | 'port' | 'host' | 'sampling_rate' | 'channels';

function checked<K extends FlagKey>(flag: ValueFlag, configKey: K, value: unknown): NonNullable<ServerBitConfig[K]> {
  const issues = validate(CONFIG_SCHEMA.properties[configKey], value, { path: flag });
  // "--channels[1] is 9" names an array slot nobody typed: say "--channels: 9 is not allowed".
  if (issues.length > 0) throw usage(issues.map((i) => i.message.replace(/^(--[a-z]+)\[\d+\] is (.*?); allowed: /, '$1: $2 is not allowed; allowed: ')).join('; ') + '.', configKey);
  return value as NonNullable<ServerBitConfig[K]>;
}

function key(flag: ValueFlag): string | undefined {
  const keys: Record<ValueFlag, string | undefined> = {
    '--config': undefined,
    '--device': 'device',
    '--port': 'port',
    '--host': 'host',
    '--rate': 'sampling_rate',
    '--channels': 'channels',
    '--mqtt': 'mqtt.url',
    '--relay': undefined,
    '--prefix': 'mqtt.prefix',
  };
  return keys[flag];
}

/** CLI mistakes are config mistakes made on the command line; `key` is the config key at fault. */
function usage(message: string, configKey?: string): ConfigError {
  return new ConfigError('CONFIG_INVALID_VALUE', message, configKey, HINT);
}
