/**
 * The project's byte-exact BITalino emulator on one end of a real socat pty pair, running in real
 * time, for tests that point ServerBIT (the CLI, or the service in-process) at `path` as at a
 * serial port. It records every byte the device receives, so a test can tell whether it was told
 * to stop.
 *
 * CTS mode by default: a (r)evolution in that mode keeps acquiring when the link goes down
 * (docs/bitalino-protocol.md §7.2), so an idle emulator after ServerBIT exits proves a stop byte
 * arrived, not merely that the port closed.
 */
import { BitalinoEmulator, type BitalinoEmulatorOptions } from '../../src/main/devices/emulator.js';
import { SerialTransport } from '../../src/main/devices/serial-transport.js';
import { ptyPair, type PtyPair } from './pty.js';

export interface EmulatorOnPty {
  /** The serial path to give ServerBIT. */
  path: string;
  emu: BitalinoEmulator;
  /** Every byte the device received, with the time (Date.now()) it arrived. */
  received: { byte: number; at: number }[];
  close(): Promise<void>;
}

export async function emulatorOnPty(options: Partial<BitalinoEmulatorOptions> = {}): Promise<EmulatorOnPty> {
  const pty: PtyPair = await ptyPair();
  const emu = new BitalinoEmulator({ firmware: 'BITalino_v5.2', ctsMode: true, ...options });
  const end = new SerialTransport(pty.b, { baudRate: 115200 });
  try {
    await end.open();
  } catch (e) {
    await pty.close();
    throw e;
  }
  emu.attach(end);
  const received: { byte: number; at: number }[] = [];
  // attach() routes received chunks to the emulator; record them on the way.
  end.onData((chunk) => {
    const at = Date.now();
    for (const byte of chunk) received.push({ byte, at });
    emu.receive(chunk);
  });
  emu.run();
  let closed: Promise<void> | undefined;
  return {
    path: pty.a,
    emu,
    received,
    close: () =>
      (closed ??= (async () => {
        emu.halt();
        await end.close();
        await pty.close();
      })()),
  };
}
