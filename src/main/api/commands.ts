/**
 * /v2 commands (docs/protocol.md "Commands"): the token check, one handler per command with a
 * typed result, and the device each command is for. Every command gets exactly one reply: its
 * result, or an error with a stable code. Device commands run one at a time per device
 * (Acquisition); config commands (set_config, add_device, remove_device) one at a time per server.
 */
import type { DeviceStatus } from '../../shared/acquisition.js';
import { SIMULATOR_DEVICE, resolveDevices, type DeviceEntry, type SamplingRate } from '../../shared/config.js';
import { ServerBitError, toWireError } from '../../shared/errors.js';
import type { OutputStatus } from '../../shared/outputs.js';
import type { CommandArgs, CommandMessage, CommandName, CommandResults, DeviceResult, NewDevice, PortInfo, ReplyMessage } from '../../shared/v2.js';
import { createLogger } from '../log.js';
import { tokenMatches, unauthorized } from './auth.js';
import type { ApiContext } from './context.js';

const log = createLogger('serverbit:v2');

export type ReplyError = Extract<ReplyMessage, { ok: false }>['error'];

export interface CommandRunnerOptions {
  context: ApiContext;
  /** Whether commands are accepted without a per-command token right now. */
  hasControl: () => boolean;
  /** The token the connection presented, if any (named in the UNAUTHORIZED message). */
  connectToken: () => string | undefined;
  reply: (id: string | number, result: unknown) => void;
  replyError: (id: string | number, error: ReplyError) => void;
  /** Who a `marker` command comes from, in the marker's `source` (docs/recording.md "Markers"): "window", "tray"; default "v2". */
  markerSource?: string;
}

type Handler<N extends CommandName> = (args: CommandArgs[N]) => Promise<CommandResults[N]>;

function badArguments(message: string, hint?: string): ServerBitError {
  return new ServerBitError('BAD_ARGUMENTS', message, hint);
}

function deviceResult(s: DeviceStatus): DeviceResult {
  return { device: s.device, state: s.state, ...(s.error ? { error: s.error } : {}) };
}

/** The device a command is for: `device` when given, else the only one. */
function pickDevice(ctx: ApiContext, device: string | undefined): string {
  const ids = ctx.acquisition.ids();
  if (device !== undefined) {
    if (!ids.includes(device)) throw badArguments(`there is no device ${JSON.stringify(device)}; allowed: ${ids.map((d) => JSON.stringify(d)).join(', ') || 'none (no device is configured)'}`);
    return device;
  }
  if (ids.length === 1) return ids[0];
  if (ids.length === 0) throw badArguments('no device is configured', 'Add one with add_device.');
  throw badArguments(`"device" is missing and there are ${ids.length} devices; allowed: ${ids.map((d) => JSON.stringify(d)).join(', ')}`, 'Name the device: "args": {"device": "0", …}.');
}

/** The file's device list (the classic single `device` as a one-entry list). */
function fileEntries(ctx: ApiContext): DeviceEntry[] {
  const file = ctx.settings.file;
  return file.devices ? file.devices.map((e) => ({ ...e })) : [{ id: '0', address: file.device }];
}

function nextId(taken: ReadonlySet<string>): string {
  let i = 0;
  while (taken.has(String(i))) i++;
  return String(i);
}

function entryOf(d: NewDevice, taken: ReadonlySet<string>): DeviceEntry {
  const e: DeviceEntry = { id: d.id ?? nextId(taken), address: d.address };
  if (d.name !== undefined) e.name = d.name;
  if (d.channels) e.channels = [...d.channels].sort((a, b) => a - b);
  if (d.sampling_rate !== undefined) e.sampling_rate = d.sampling_rate as SamplingRate;
  if (d.labels) e.labels = [...d.labels];
  if (d.sensors) e.sensors = [...d.sensors];
  return e;
}

/** Returns what runs one parsed command message and replies to it (asynchronously). */
export function createCommandRunner(options: CommandRunnerOptions): (msg: CommandMessage) => void {
  const { context: ctx, reply, replyError } = options;
  const acq = ctx.acquisition;
  const configQueue = { last: Promise.resolve() as Promise<unknown> };
  const serialConfig = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = configQueue.last.then(fn, fn);
    configQueue.last = run.catch(() => undefined);
    return run;
  };

  const handlers: { [N in CommandName]: Handler<N> } = {
    start: async ({ device }) => {
      const id = pickDevice(ctx, device);
      await acq.start(id);
      return deviceResult(acq.status(id));
    },
    stop: async ({ device }) => {
      const id = pickDevice(ctx, device);
      await acq.stop(id);
      return deviceResult(acq.status(id));
    },
    outputs: async ({ device, outputs }) => {
      const id = pickDevice(ctx, device);
      const board = acq.status(id).info?.board;
      const n = board === 'legacy' ? 4 : 2;
      if (board && outputs.length !== n) {
        throw badArguments(
          `outputs: this ${board === 'legacy' ? 'legacy BITalino has 4 digital outputs' : 'BITalino (r)evolution has 2 digital outputs'}, got ${outputs.length} values`,
          `Send ${board === 'legacy' ? '[O1, O2, O3, O4]' : '[O1, O2]'}, each 0 or 1.`,
        );
      }
      await acq.command(id, (r) => r.setOutputs(outputs));
      return { ...deviceResult(acq.status(id)), outputs };
    },
    pwm: async ({ device, duty }) => {
      const id = pickDevice(ctx, device);
      await acq.command(id, (r) => r.setPwm(duty));
      return { ...deviceResult(acq.status(id)), duty };
    },
    battery_threshold: async ({ device, value }) => {
      const id = pickDevice(ctx, device);
      await acq.command(id, (r) => r.setBatteryThreshold(value));
      return { ...deviceResult(acq.status(id)), value };
    },
    state: async ({ device }) => {
      const id = pickDevice(ctx, device);
      const st = await acq.command(id, (r) => r.readState());
      return {
        ...deviceResult(acq.status(id)),
        analog: st.analog,
        battery: st.battery,
        batteryVolts: st.batteryVolts,
        batteryThreshold: st.batteryThreshold,
        digital: [...st.digital],
        ...(st.pwm !== undefined ? { pwm: st.pwm } : {}),
      };
    },
    // The file's values (what a save starts from), not the command-line flags of this run.
    get_config: async () => ({
      config: { ...ctx.settings.file },
      ...(ctx.settings.path ? { path: ctx.settings.path } : {}),
      ...(ctx.settings.problem ? { problem: ctx.settings.problem } : {}),
    }),
    set_config: ({ config }) => serialConfig(() => ctx.configure(config)),
    list_ports: async () => ({ ports: await portList(ctx) }),
    test_device: async ({ device }) => ctx.testDevice(device),
    add_device: ({ device }) =>
      serialConfig(async () => {
        const entries = fileEntries(ctx);
        const taken = new Set(resolveDevices({ ...ctx.settings.file, devices: entries }).map((d) => d.id));
        if (device.id !== undefined && taken.has(device.id)) throw badArguments(`there is already a device ${JSON.stringify(device.id)}; allowed: a new id`, 'Leave "id" out to get the next free number.');
        const entry = entryOf(device, taken);
        const r = await ctx.configure({ devices: [...entries.map((e, i) => ({ ...e, id: e.id ?? String(i) })), entry] });
        return { ...deviceResult(acq.status(entry.id!)), saved: r.saved };
      }),
    remove_device: ({ device }) =>
      serialConfig(async () => {
        const entries = fileEntries(ctx).map((e, i) => ({ ...e, id: e.id ?? String(i) }));
        if (!entries.some((e) => e.id === device)) throw badArguments(`there is no device ${JSON.stringify(device)} in the config; allowed: ${entries.map((e) => JSON.stringify(e.id)).join(', ')}`);
        if (entries.length === 1) throw badArguments(`"${device}" is the only device; allowed: removing one of several`, 'Stop it with "stop", or add another device first.');
        const r = await ctx.configure({ devices: entries.filter((e) => e.id !== device) });
        return { device, saved: r.saved };
      }),
    marker: async ({ label, device, index }) => {
      if (device !== undefined) pickDevice(ctx, device);
      const m = acq.mark({ label, ...(device !== undefined ? { device } : {}), ...(index !== undefined ? { index } : {}), source: options.markerSource ?? 'v2' });
      return { id: m.id, time: m.time };
    },
    record_start: (args) => {
      for (const d of args.devices ?? []) pickDevice(ctx, d);
      return ctx.outputs.recordStart(args);
    },
    record_stop: () => ctx.outputs.recordStop(),
    osc_enable: () => serialConfig(() => setEnabled(ctx, 'osc', true)),
    osc_disable: () => serialConfig(() => setEnabled(ctx, 'osc', false)),
    lsl_enable: () => serialConfig(() => setEnabled(ctx, 'lsl', true)),
    lsl_disable: () => serialConfig(() => setEnabled(ctx, 'lsl', false)),
    mqtt_enable: () => serialConfig(() => setEnabled(ctx, 'mqtt', true)),
    mqtt_disable: () => serialConfig(() => setEnabled(ctx, 'mqtt', false)),
  };

  return (msg) => {
    if (!options.hasControl() && !tokenMatches(msg.token, ctx.settings.config.token)) {
      replyError(msg.id, unauthorized(msg.command, msg.token ?? options.connectToken()));
      return;
    }
    let run: Promise<unknown>;
    try {
      const handler = handlers[msg.command] as Handler<CommandName>;
      run = handler((msg.args ?? {}) as CommandArgs[CommandName]);
    } catch (e) {
      run = Promise.reject(e);
    }
    run.then(
      (result) => reply(msg.id, result),
      (e: unknown) => {
        if (!(e instanceof ServerBitError)) log.warn('/v2 command %s failed unexpectedly: %O', msg.command, e);
        replyError(msg.id, toWireError(e));
      },
    );
  };
}

/**
 * Turns an output on or off by saving `<key>.enabled` in the config (so it stays so), and answers
 * with the output's status once the outputs follow the change.
 */
async function setEnabled(ctx: ApiContext, key: 'osc' | 'lsl' | 'mqtt', enabled: boolean): Promise<OutputStatus> {
  const section = { ...(ctx.settings.file[key] ?? {}), enabled };
  await ctx.configure({ [key]: section });
  return ctx.outputs.statuses().find((s) => s.output === key) ?? { output: key, state: enabled ? 'error' : 'off', counters: {}, ...(enabled ? { error: { code: 'BAD_ARGUMENTS', message: `this ServerBIT has no ${key} output` } } : {}) };
}

async function portList(ctx: ApiContext): Promise<PortInfo[]> {
  const ports = await ctx.listPorts();
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
