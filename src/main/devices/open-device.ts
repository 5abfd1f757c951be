/**
 * `openDevice(address)`: turns a device address into a driver the runner can connect — the
 * built-in simulator (the byte-exact emulator on an in-memory pair, fed with synthetic signals,
 * driven by the ordinary BITalino driver), a serial port, a TCP endpoint, a MAC address
 * resolved to the port the OS made for it, a recording played back (`file:…`), or an R-IoT
 * streaming OSC to a UDP port (riot.ts, docs/osc.md "R-IoT devices"). Accepted forms: docs/configuration.md "Devices".
 */
import { SIMULATOR_DEVICE } from '../../shared/config.js';
import { DEFAULT_RIOT_RATE, RIOT_LABELS, type OscRiotSettings } from '../../shared/outputs/osc-config.js';
import { Bitalino } from './bitalino.js';
import type { DeviceDriver } from './driver.js';
import { PlaybackDevice } from './playback/playback-device.js';
import { classifyAddress, openTransport, type OpenTransportOptions } from './ports.js';
import { Riot } from './riot.js';
import { createSimulator } from './simulator.js';
import type { Transport } from './transport.js';

export interface OpenedDevice {
  driver: DeviceDriver;
  /** True for the built-in simulator. */
  simulated: boolean;
  /** Extra clean-up after the driver is closed (e.g. stop the simulator's clock). Never rejects. */
  dispose?(): Promise<void>;
}

export interface OpenDeviceOptions {
  /** Tags the driver's batches (the runner's device id). Default: the address. */
  id?: string;
  /** Version-request timeout at connect, ms. Default 3000 (bitalino.ts). */
  versionTimeoutMs?: number;
  /** Clock for device time, ms since epoch. Default Date.now. */
  now?: () => number;
  /** Seed of the simulator's synthetic signals (same seed, same signals). Default 1. */
  simulatorSeed?: number;
  /** Transport options (tests; the serial read path). */
  transport?: OpenTransportOptions;
  /** What R-IoT devices share: the config's `osc.riot` (labels, nominal rate). Default the 22 RIOT_LABELS at 200 Hz. */
  riot?: Partial<OscRiotSettings>;
}

/** Opens nothing yet: the runner calls `driver.connect()`. Rejects with DeviceError for an address it cannot use. */
export type DeviceOpener = (address: string, options?: OpenDeviceOptions) => Promise<OpenedDevice>;

export const openDevice: DeviceOpener = async (address, options = {}) => {
  const o = { ...options, id: options.id ?? address };
  const kind = address === SIMULATOR_DEVICE ? { kind: 'simulator' as const } : classifyAddress(address);
  if (kind.kind === 'simulator') {
    const sim = createSimulator({ seed: options.simulatorSeed ?? 1 });
    return openedOver(sim.transport, o, { simulated: true, dispose: () => sim.close().catch(() => undefined) });
  }
  if (kind.kind === 'file') {
    // A recording played back (docs/recording.md "Playback as a device"): its own driver, no transport.
    const driver = new PlaybackDevice({ path: kind.path, id: o.id, loop: kind.loop, ...(options.now ? { now: options.now } : {}) });
    return { driver, simulated: false };
  }
  if (kind.kind === 'riot') {
    const { host, port, module } = kind;
    const labels = [...(options.riot?.labels ?? RIOT_LABELS)];
    // Its first message stands for a BITalino's version reply: connect() waits as long for it.
    const riot = new Riot(
      { kind: 'riot', id: o.id, module, host, port, labels, rate: options.riot?.rate ?? DEFAULT_RIOT_RATE },
      { firstMessageTimeoutMs: options.versionTimeoutMs ?? 3000, ...(options.now ? { now: options.now } : {}) },
    );
    return { driver: riot, simulated: false };
  }
  return openedOver(await openTransport(address, options.transport), o);
};

/** A BITalino driver over a transport the caller made (tests, benchmarks, an emulator of one's own). */
export function openedOver(transport: Transport, options: OpenDeviceOptions = {}, extra: Partial<Pick<OpenedDevice, 'simulated' | 'dispose'>> = {}): OpenedDevice {
  const driver = new Bitalino(transport, {
    id: options.id ?? transport.path,
    ...(options.versionTimeoutMs !== undefined ? { versionTimeoutMs: options.versionTimeoutMs } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return { driver, simulated: extra.simulated ?? false, ...(extra.dispose ? { dispose: extra.dispose } : {}) };
}

/** An opener with fixed defaults (e.g. the simulator's seed in tests). */
export function createDeviceOpener(defaults: OpenDeviceOptions = {}): DeviceOpener {
  return (address, options = {}) => openDevice(address, { ...defaults, ...options });
}
