#!/usr/bin/env node
/**
 * `serverbit` — the headless service: load the config, start every device, serve WebSockets,
 * print one LISTENING line when ready (then one line per device when there are several), stream
 * until Ctrl-C or SIGTERM, then stop every device and exit.
 */
import type { DeviceStatus } from '../shared/acquisition.js';
import { ServerBitError } from '../shared/errors.js';
import type { OutputStatus } from '../shared/outputs.js';
import { isRiotAddress, resolveOscInput, resolveOscOutput } from '../shared/outputs/osc-config.js';
import { createServerBit, packageVersion, type ServerBit } from './app.js';
import { CLI_USAGE, parseCliArgs, type CliArgs } from './config/cli-args.js';
import { ConfigStore } from './config/config-store.js';
import { watchLsl } from './outputs/lsl/describe.js';
import { Settings } from './config/settings.js';
import { isPlaybackAddress } from './devices/playback/playback-address.js';
import { followRecording } from './outputs/recorder/console-report.js';
import { describeOscInput, describeOscOutput } from './outputs/osc/describe.js';
import type { OscInput } from './outputs/osc/osc-input.js';
import { statusPageUrl } from './server/host-check.js';
import { brokerName, DEFAULT_RELAY_PREFIX } from '../shared/outputs/mqtt-config.js';

const out = (line: string) => process.stdout.write(line + '\n');
const err = (line: string) => process.stderr.write(line + '\n');

export function describeChannels(channels: readonly number[]): string {
  const contiguous = channels.every((c, i) => i === 0 || c === channels[i - 1] + 1);
  if (contiguous && channels.length > 2) return `A${channels[0]}..A${channels[channels.length - 1]}`;
  return channels.map((c) => `A${c}`).join(',');
}

/** The device and what it streams: "simulator (BITalino (r)evolution), A1..A6 @ 1000 Hz"; an R-IoT's values once it sent some. */
export function describeStream(s: DeviceStatus): string {
  if (!isRiotAddress(s.address)) return `${describeDevice(s)}, ${describeChannels(s.channels)} @ ${s.rate} Hz`;
  return s.info ? `${describeDevice(s)}, ${s.channels.length} values @ ${s.rate} Hz` : describeDevice(s);
}

/** "simulator (BITalino (r)evolution)", "/dev/rfcomm0 (BITalino (r)evolution, BITalino_v5.2)", or the address before the first connect. */
export function describeDevice(s: DeviceStatus): string {
  const info = s.info;
  // Another ServerBIT's device through a broker: where it comes from (never with credentials: the status address has none).
  if (s.kind === 'remote') return info ? `${s.address} (remote: ${info.simulated ? 'simulator, ' : ''}${info.board === 'legacy' ? 'BITalino (legacy)' : 'BITalino (r)evolution'}, ${info.firmware})` : `${s.address} (remote)`;
  if (isRiotAddress(s.address)) return info ? `${s.address} (R-IoT, receiving on ${info.address})` : `${s.address} (R-IoT, waiting for its first message)`;
  if (!info) return s.address;
  const board = info.board === 'revolution' ? 'BITalino (r)evolution' : 'BITalino (legacy)';
  return info.simulated ? `simulator (${board})` : `${s.address} (${board}, ${info.firmware})`;
}

/**
 * Where OSC goes and where the control input listens (docs/osc.md), then each OSC problem once,
 * with what to do: an unreachable destination repeats with every datagram, the message does not.
 */
function reportOsc(app: ServerBit): void {
  const shown = new Set<string>();
  const show = (s: OutputStatus): void => {
    if ((s.output !== 'osc' && s.output !== 'osc-in') || s.state !== 'error' || !s.error) return;
    const key = `${s.output} ${s.error.code} ${s.error.message}`;
    if (shown.has(key)) return;
    shown.add(key);
    err(`${s.output === 'osc' ? 'OSC' : 'OSC control'}: ${s.error.message}`);
    if (s.error.hint) err(`  → ${s.error.hint}`);
  };
  try {
    const output = resolveOscOutput(app.settings.config.osc);
    if (output && app.outputs.status('osc')?.state === 'running') err(describeOscOutput(output));
    const input = resolveOscInput(app.settings.config.osc);
    if (input && app.outputs.status('osc-in')?.state === 'running') err(describeOscInput(input, (app.outputs.output('osc-in') as OscInput | undefined)?.address));
  } catch {
    // an invalid section: its status says why (shown below)
  }
  for (const s of app.outputs.statuses()) show(s);
  app.outputs.onStatus(show);
}

function printError(prefix: string, e: unknown): void {
  if (e instanceof ServerBitError) {
    err(`${prefix}: ${e.message}`);
    if (e.hint) err(`  → ${e.hint}`);
  } else err(`${prefix}: ${e instanceof Error ? e.message : String(e)}`);
}

/**
 * The config file's settings: all of them, or its valid ones with defaults for the invalid ones,
 * or defaults when it cannot be read or parsed (and why, in each case). The file is never changed.
 */
function loadSettings(args: CliArgs): { settings: Settings; ok: boolean } | undefined {
  const store = ConfigStore.open({ ...(args.configPath ? { path: args.configPath } : {}), ...(args.overrides.port !== undefined ? { port: args.overrides.port } : {}) });
  const loaded = store.loadPartial();
  const { problem } = loaded;
  if (problem) {
    err(`Config: ${problem.message}`);
    if (problem.hint) err(`  → ${problem.hint}`);
    if (!loaded.saveable) err('  Running on the simulator with default settings until the file is fixed; the file was not changed.');
  }
  for (const n of loaded.notices) if (!problem || !n.startsWith(problem.message)) err(`note: ${n}`);
  try {
    const settings = new Settings({ file: loaded.config, ...(loaded.saveable ? { store } : {}), overrides: args.overrides, ...(problem ? { problem } : {}) });
    return { settings, ok: loaded.saveable };
  } catch (e) {
    printError('serverbit', e);
    return undefined;
  }
}

/**
 * The MQTT publisher's and the relay's changes of state on stderr (docs/mqtt.md "Troubleshooting"):
 * connected, lost (with why), refused (with what to fix).
 */
function watchMqtt(app: ServerBit): void {
  const last = new Map<string, string>();
  app.outputs.onStatus((s) => {
    if (s.output !== 'mqtt' && s.output !== 'mqtt-relay') return;
    const key = `${s.state} ${s.error?.code ?? ''} ${s.error?.message ?? ''}`;
    if (last.get(s.output) === key) return;
    const first = !last.has(s.output);
    last.set(s.output, key);
    if (s.state === 'running') err(`${s.output}: connected — ${s.detail ?? ''}`);
    else if (s.error && (s.state === 'error' || s.state === 'starting')) {
      err(`${s.output}: ${s.state === 'error' ? 'error' : 'not connected'} — ${s.error.message}`);
      if (s.error.hint) err(`  → ${s.error.hint}`);
    } else if (s.state === 'stopped' && !first) err(`${s.output}: stopped`);
  });
}

async function main(argv: string[]): Promise<number> {
  const showToken = argv.includes('--show-token');
  let args: CliArgs;
  try {
    args = parseCliArgs(argv.filter((a) => a !== '--show-token'));
  } catch (e) {
    printError('serverbit', e);
    return 2;
  }
  if (args.help) {
    out(CLI_USAGE.trimEnd());
    out('  --show-token      print the /v2 control token and exit');
    return 0;
  }
  if (args.version) {
    out(packageVersion());
    return 0;
  }

  const loaded = loadSettings(args);
  if (!loaded) return 2;
  const { settings } = loaded;
  if (showToken) {
    if (!loaded.ok || !settings.file.token || settings.problem?.invalid?.some((i) => i.key === 'token')) {
      err(`serverbit: no token to show: ${settings.problem ? `${settings.problem.file ?? 'the config file'} ${settings.problem.invalid ? 'has no valid "token"' : 'could not be used (see above)'}` : 'the config file has none'}; fix it, then run serverbit --show-token again.`);
      return 1;
    }
    out(settings.file.token);
    return 0;
  }

  const relay = args.overrides.relay;
  const app: ServerBit = createServerBit({ settings, relay });
  watchMqtt(app);
  let announced = false;
  let shuttingDown = false;
  const lastState = new Map<string, string>();
  const several = () => app.acquisition.ids().length > 1;
  const name = (s: DeviceStatus) => (several() ? `device ${s.device}` : 'device');
  app.acquisition.hub.subscribe({
    status: (s) => {
      if (lastState.get(s.device) === s.state) return;
      lastState.set(s.device, s.state);
      if (!announced) return;
      if (s.state === 'streaming') err(`${name(s)}: streaming — ${describeDevice(s)}`);
      else if (s.state === 'stopped' && !shuttingDown && isPlaybackAddress(s.address)) err(`${name(s)}: stopped — the recording ${s.address.slice(5)} played to its end (add ?loop=1 to the address to loop it)`);
      else if (s.error && (s.state === 'reconnecting' || s.state === 'error' || s.state === 'stalled')) {
        err(`${name(s)}: ${s.state} — ${s.error.message}`);
        if (s.error.hint) err(`  → ${s.error.hint}`);
        if (s.state === 'error') err(`  ${name(s)} stays stopped until its setting is changed (it will not retry).`);
      }
    },
    removed: (id) => err(`device ${id}: removed`),
  });
  // The recording (--record DIR, record.on_launch, /v2 record_start): where files go, and when it stops.
  const recording = followRecording(app.recording, { out, err });
  // A web page refused for its Origin: how to allow it (at a bounded rate: api/origin-notices.ts).
  // Pages opened from disk ("null") are already explained by the server itself (ws-server.ts).
  app.originNotices.onChange((n) => {
    if (!n.opaque) err(`refused a WebSocket from a web page: ${n.guidance}${n.count > 1 ? ` (${n.count} times)` : ''}.`);
  });
  try {
    await app.start();
  } catch (e) {
    printError('serverbit', e);
    await app.close();
    return 1;
  }
  const statuses = app.acquisition.statuses();
  if (relay) {
    out(`ServerBIT LISTENING on ${app.url} — relay of ${brokerName(relay.url)} ${relay.prefix ?? DEFAULT_RELAY_PREFIX}/…`);
  } else if (statuses.length === 1) {
    const s = statuses[0];
    out(`ServerBIT LISTENING on ${app.url} — ${describeStream(s)}`);
  } else {
    out(`ServerBIT LISTENING on ${app.url} — ${statuses.length} devices`);
    for (const s of statuses) out(`  device ${s.device}: ${describeStream(s)} — ${app.url}devices/${encodeURIComponent(s.device)}`);
  }
  // The token rides in the fragment, which browsers never send (docs/protocol.md "The token").
  const { host, token } = app.settings.config;
  err(`Status page${token ? ' (with control: keep this address to yourself)' : ''}: ${statusPageUrl(host, app.server.address!.port, token)} · versioned stream: ${app.url}v2`);
  // LSL (docs/lsl.md §11): on or not, how many streams and for whom; errors with their hint.
  await watchLsl(app.outputs, { out, err }).startup();
  announced = true;
  recording.announce();
  reportOsc(app);
  for (const s of statuses) {
    lastState.set(s.device, s.state);
    if (s.state === 'error') {
      err(`${name(s)}: not streaming — ${(s.error?.message ?? 'error').replace(/[.;:]+$/, '')}; it stays stopped until its setting is changed.`);
      if (s.error?.hint) err(`  → ${s.error.hint}`);
    }
    else if (s.state !== 'streaming') err(`${name(s)}: not streaming yet — ServerBIT keeps retrying in the background (see the messages above).`);
  }

  return new Promise<number>((resolve) => {
    let stoppingAt = 0;
    const stop = (signal: string) => {
      if (stoppingAt) {
        // conf's atomic writer (when-exit) re-raises the first signal at once: only a second
        // Ctrl-C from the user, a moment later, means "exit now without stopping the device".
        if (Date.now() - stoppingAt < 1000) return;
        err(`${signal} again: exiting now.`);
        process.exit(130);
      }
      stoppingAt = Date.now();
      shuttingDown = true;
      err(`${signal}: stopping ${several() ? 'the devices' : 'the device'}${app.recording.recording ? ' and closing the recording' : ''}…`);
      app.close().then(
        () => {
          err('ServerBIT stopped.');
          resolve(0);
        },
        (e: unknown) => {
          printError('serverbit', e);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    printError('serverbit: unexpected error', e);
    process.exit(1);
  },
);
