/**
 * Turns a config `device` value into an opened-able transport: the built-in simulator (an
 * emulator on an in-memory pair, fed with synthetic signals), a serial port, a TCP endpoint, or a
 * MAC address resolved to the port the OS made for it.
 */
import { SIMULATOR_DEVICE } from '../../shared/config.js';
import { classifyAddress, openTransport } from './ports.js';
import { createSimulator } from './simulator.js';
import type { DeviceOpener, OpenedDevice } from '../acquisition/device-runner.js';

export interface DeviceOpenerOptions {
  /** Seed of the simulator's synthetic signals (same seed, same signals). */
  simulatorSeed?: number;
}

export function createDeviceOpener(options: DeviceOpenerOptions = {}): DeviceOpener {
  return async (device: string): Promise<OpenedDevice> => {
    if (device === SIMULATOR_DEVICE || classifyAddress(device).kind === 'simulator') {
      const sim = createSimulator({ seed: options.simulatorSeed ?? 1 });
      return { transport: sim.transport, simulated: true, dispose: () => sim.close() };
    }
    return { transport: await openTransport(device), simulated: false };
  };
}
