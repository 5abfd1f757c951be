#!/usr/bin/env node
/**
 * `serverbit` — the headless service: load the config, start acquisition, serve WebSockets,
 * print one LISTENING line when ready, stream until Ctrl-C or SIGTERM, then stop the device and exit.
 */
import { readFileSync } from 'node:fs';
import type { DeviceInfo, ServiceStatus } from '../shared/acquisition.js';
import { defaultConfig, SIMULATOR_DEVICE, type ServerBitConfig } from '../shared/config.js';
import { ServerBitError } from '../shared/errors.js';
import { createServerBit, type ServerBit } from './app.js';
import { applyCliOverrides, CLI_USAGE, parseCliArgs } from './config/cli-args.js';
import { ConfigStore } from './config/config-store.js';

const out = (line: string) => process.stdout.write(line + '\n');
const err = (line: string) => process.stderr.write(line + '\n');

function packageVersion(): string {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

export function describeChannels(channels: readonly number[]): string {
  const contiguous = channels.every((c, i) => i === 0 || c === channels[i - 1] + 1);
  if (contiguous && channels.length > 2) return `A${channels[0]}..A${channels[channels.length - 1]}`;
  return channels.map((c) => `A${c}`).join(',');
}

export function describeDevice(config: ServerBitConfig, info: DeviceInfo | undefined): string {
  if (!info) return config.device === SIMULATOR_DEVICE ? 'simulator' : config.device;
  const board = info.board === 'revolution' ? 'BITalino (r)evolution' : 'BITalino (legacy)';
  return info.simulated ? `simulator (${board})` : `${config.device} (${board}, ${info.firmware})`;
}

function printError(prefix: string, e: unknown): void {
  if (e instanceof ServerBitError) {
    err(`${prefix}: ${e.message}`);
    if (e.hint) err(`  → ${e.hint}`);
  } else err(`${prefix}: ${e instanceof Error ? e.message : String(e)}`);
}

async function main(argv: string[]): Promise<number> {
  const showToken = argv.includes('--show-token');
  let args;
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

  const store = ConfigStore.open(args.configPath ? { path: args.configPath } : {});
  let config: ServerBitConfig;
  let configOk = true;
  try {
    const loaded = store.load();
    config = loaded.config;
    for (const n of loaded.notices) err(`note: ${n}`);
  } catch (e) {
    // Never touch a file we could not read: run on the simulator with defaults and say so.
    printError(`Config ${store.path}`, e);
    err('  Running on the simulator with default settings until the file is fixed; the file was not changed.');
    config = defaultConfig();
    configOk = false;
  }
  if (showToken) {
    if (!configOk || !config.token) return 1;
    out(config.token);
    return 0;
  }
  try {
    config = applyCliOverrides(config, args.overrides);
  } catch (e) {
    printError('serverbit', e);
    return 2;
  }

  const app: ServerBit = createServerBit({ config, ...(configOk ? { configStore: store } : {}) });
  let lastState = '';
  app.service.on('status', (s: ServiceStatus) => {
    if (s.state === lastState) return;
    lastState = s.state;
    if (s.state === 'streaming' && announced) err(`device: streaming again — ${describeDevice(app.service.currentConfig, s.device)}`);
    else if (s.error && (s.state === 'reconnecting' || s.state === 'error' || s.state === 'stalled')) {
      err(`device: ${s.state} — ${s.error.message}`);
      if (s.error.hint) err(`  → ${s.error.hint}`);
    }
  });
  let announced = false;
  try {
    await app.start();
  } catch (e) {
    printError('serverbit', e);
    await app.close();
    return 1;
  }
  const cfg = app.service.currentConfig;
  const st = app.service.status;
  out(`ServerBIT LISTENING on ${app.url} — ${describeDevice(cfg, st.device)}, ${describeChannels(cfg.channels)} @ ${cfg.sampling_rate} Hz`);
  err(`Status page: ${app.url.replace(/^ws/, 'http')} · versioned stream: ${app.url}v2 · control token: serverbit --show-token`);
  announced = true;
  if (st.state !== 'streaming') err('device: not streaming yet — retrying in the background (see the messages above).');

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
      err(`${signal}: stopping the device…`);
      app.close().then(
        () => resolve(0),
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
