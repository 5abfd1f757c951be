/**
 * The simulator: the byte-exact emulator with synthetic physiological signals (signals.ts) on
 * its live inputs, behind an in-memory transport and running in real time. The ordinary BITalino
 * driver connects to `transport` exactly as to a real device, so everything above the transport
 * (driver, decoder, runner, hub, server) is exercised for real.
 *
 * The in-memory link is one-shot: once the driver closes `transport`, the emulator sees the link
 * go down (it returns to idle, as the firmware does on a Bluetooth disconnect,
 * docs/bitalino-protocol.md §3) and a reconnect needs a new simulator.
 */
import { BitalinoEmulator } from './emulator.js';
import { createMemoryPair } from './memory-transport.js';
import { createSignalSource, type SignalSource } from './signals.js';
import type { Transport } from './transport.js';

export interface SimulatorOptions {
  /** Seed of the synthetic signals. Default 1. */
  seed?: number;
  /** Firmware the emulated device reports. Default "BITalino_v5.2". */
  firmware?: string;
}

export interface Simulator {
  /** The host end (path "simulator"): hand it to the driver, which opens and closes it. */
  transport: Transport;
  emulator: BitalinoEmulator;
  /** Stops the device clock and closes the link. Idempotent. */
  close(): Promise<void>;
}

export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const seed = options.seed ?? 1;
  const [host, device] = createMemoryPair({ pathA: 'simulator', pathB: 'simulator:device' });

  // Signals are shaped in seconds, so a source is made per sampling rate: the host picks the
  // rate with its set-rate command, after the simulator exists.
  const sources = new Map<number, SignalSource>();
  const sourceFor = (rate: number): SignalSource => {
    let s = sources.get(rate);
    if (!s) sources.set(rate, (s = createSignalSource({ seed, rate })));
    return s;
  };
  const emulator: BitalinoEmulator = new BitalinoEmulator({
    firmware: options.firmware ?? 'BITalino_v5.2',
    inputs: (channel, index) => sourceFor(emulator.rate)(channel, index),
  });

  void device.open(); // an in-memory end opens at once
  emulator.attach(device);
  emulator.run();

  let closed: Promise<void> | undefined;
  return {
    transport: host,
    emulator,
    close: () =>
      (closed ??= (async () => {
        emulator.halt();
        await device.close();
      })()),
  };
}
