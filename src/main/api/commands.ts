/**
 * /v2 commands (docs/protocol.md "Commands"): the token check, one handler per command, and the
 * rule that device and config commands run one at a time per service. Every command gets exactly
 * one reply: its result, or an error with a stable code.
 */
import type { ServiceStatus } from '../../shared/acquisition.js';
import { SIMULATOR_DEVICE, type ServerBitConfig } from '../../shared/config.js';
import { validateConfig } from '../../shared/config-schema.js';
import { ConfigError, ServerBitError } from '../../shared/errors.js';
import { jsonEqual } from '../../shared/schema.js';
import type { CommandArgs, CommandMessage, CommandName, PortInfo, ReplyMessage, StateResult } from '../../shared/v2.js';
import type { ConfigStore } from '../config/config-store.js';
import { listPorts } from '../devices/ports.js';
import type { AcquisitionService } from '../acquisition/device-runner.js';
import { testDevice } from '../devices/probe.js';
import { createLogger } from '../log.js';
import { tokenMatches, unauthorized } from './auth.js';

const log = createLogger('serverbit:v2');

export type ReplyError = Extract<ReplyMessage, { ok: false }>['error'];

export interface CommandRunnerOptions {
  service: AcquisitionService;
  /** Where set_config saves (atomically). Without it, set_config applies for this run only. */
  configStore?: Pick<ConfigStore, 'save' | 'path'>;
  /** Whether commands are accepted without a per-command token right now. */
  hasControl: () => boolean;
  /** The token the connection presented, if any (named in the UNAUTHORIZED message). */
  connectToken: () => string | undefined;
  reply: (id: string | number, result: unknown) => void;
  replyError: (id: string | number, error: ReplyError) => void;
}

/** Device and config commands run one at a time per service, whoever sends them. */
const controlQueues = new WeakMap<AcquisitionService, Promise<unknown>>();
function serialised<T>(service: AcquisitionService, fn: () => Promise<T>): Promise<T> {
  const prev = controlQueues.get(service) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  controlQueues.set(service, run.catch(() => undefined));
  return run;
}

const SERIAL_COMMANDS: ReadonlySet<CommandName> = new Set(['start', 'stop', 'outputs', 'pwm', 'battery_threshold', 'state', 'set_config']);

type Handler<N extends CommandName> = (args: CommandArgs[N]) => Promise<unknown>;

/** Returns what runs one parsed command message and replies to it (asynchronously). */
export function createCommandRunner(options: CommandRunnerOptions): (msg: CommandMessage) => void {
  const { service, configStore, reply, replyError } = options;

  const handlers: { [N in CommandName]: Handler<N> } = {
    start: async () => {
      await service.start();
      return summary(service.status);
    },
    stop: async () => {
      await service.stop();
      return summary(service.status);
    },
    outputs: async ({ outputs }) => {
      const board = service.status.device?.board;
      const n = board === 'legacy' ? 4 : 2;
      if (board && outputs.length !== n) {
        throw new ServerBitError('BAD_ARGUMENTS', `outputs: this ${board === 'legacy' ? 'legacy BITalino has 4 digital outputs' : 'BITalino (r)evolution has 2 digital outputs'}, got ${outputs.length} values`, `Send ${board === 'legacy' ? '[O1, O2, O3, O4]' : '[O1, O2]'}, each 0 or 1.`);
      }
      await service.setOutputs(outputs);
      return { outputs };
    },
    pwm: async ({ duty }) => {
      await service.setPwm(duty);
      return { duty };
    },
    battery_threshold: async ({ value }) => {
      await service.setBatteryThreshold(value);
      return { value };
    },
    state: async () => {
      const st = await service.readState();
      const result: StateResult = { analog: st.analog, battery: st.battery, batteryVolts: st.batteryVolts, batteryThreshold: st.batteryThreshold, digital: [...st.digital] };
      if (st.pwm !== undefined) result.pwm = st.pwm;
      return result;
    },
    get_config: async () => ({ config: { ...service.currentConfig }, ...(configStore ? { path: configStore.path } : {}) }),
    set_config: async ({ config }) => setConfig(service, config, configStore),
    list_ports: async () => ({ ports: await portList() }),
    test_device: async ({ device }) => testDevice(service, device),
  };

  return (msg) => {
    if (!options.hasControl() && !tokenMatches(msg.token, service.currentConfig.token)) {
      replyError(msg.id, unauthorized(msg.command, msg.token ?? options.connectToken(), configStore?.path));
      return;
    }
    const handler = handlers[msg.command] as Handler<CommandName>;
    const exec = () => handler(msg.args ?? {});
    const run = SERIAL_COMMANDS.has(msg.command) ? serialised(service, exec) : exec();
    run.then(
      (result) => reply(msg.id, result),
      (e: unknown) => replyError(msg.id, errorOf(e)),
    );
  };
}

function errorOf(e: unknown): ReplyError {
  if (e instanceof ServerBitError) return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  log.warn('/v2 command failed unexpectedly: %O', e);
  return { code: 'INTERNAL', message: `internal error: ${e instanceof Error ? e.message : String(e)}`, hint: 'This is a ServerBIT bug; please report it with the steps that led to it.' };
}

function summary(s: ServiceStatus): { state: string; error?: ReplyError } {
  return s.error ? { state: s.state, error: s.error } : { state: s.state };
}

/** Keys the listener binds at start: a change applies after a restart (allowed_origins and labels are read live, see app.ts). */
const LISTENER_KEYS = ['port', 'host'] as const;

async function setConfig(service: AcquisitionService, partial: Partial<ServerBitConfig>, store: CommandRunnerOptions['configStore']): Promise<unknown> {
  const current = service.currentConfig;
  const next: ServerBitConfig = { ...current, ...partial };
  if (partial.channels) next.channels = [...partial.channels].sort((a, b) => a - b); // as the CLI does
  const issues = validateConfig(next);
  if (issues.length > 0) {
    throw new ConfigError('CONFIG_INVALID_VALUE', `Not applied: ${issues.map((i) => i.message).join('; ')}.`, issues[0].path || undefined, 'Nothing was changed; correct the value and send set_config again.');
  }
  store?.save(next); // atomic (temp file + rename); throws ConfigError and writes nothing on failure
  const changed = LISTENER_KEYS.filter((k) => !jsonEqual(current[k], next[k]));
  await service.applyConfig(next);
  return {
    config: { ...next },
    saved: store !== undefined,
    ...(store ? { path: store.path } : {}),
    restartRequired: changed,
    ...(changed.length > 0 ? { note: `${changed.join(', ')}: saved, but the WebSocket listener keeps its current address until ServerBIT restarts.` } : {}),
  };
}

async function portList(): Promise<PortInfo[]> {
  const ports = await listPorts();
  return [
    { path: SIMULATOR_DEVICE, label: 'Simulated BITalino (built in: synthetic EMG, ECG, EDA, EEG, ACC, LUX)', isBitalino: true },
    ...ports.map((p): PortInfo => ({
      path: p.path,
      label: p.label,
      isBitalino: p.isBitalino,
      ...(p.mac ? { mac: p.mac } : {}),
      ...(p.manufacturer ? { manufacturer: p.manufacturer } : {}),
    })),
  ];
}
