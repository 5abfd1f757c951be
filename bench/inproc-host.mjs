/**
 * The service with the emulator in its own process (the way the built-in simulator runs): the
 * composition root from dist (createServerBit) with a device opener that puts the emulator,
 * with the benchmark's deterministic inputs, behind an in-memory link. No pty, no socat: the
 * latency figure uses it to separate what the service adds from what the pty link adds.
 *
 *   node bench/inproc-host.mjs --port N --batch-ms B [--writes frame|chunked] [--record]
 *
 * Speaks the same JSON lines as emulator-proc.mjs (start, mark, dump) and prints
 * "ServerBIT LISTENING on ws://…" when ready, like the CLI.
 */
import { createServerBit } from '../dist/main/app.js';
import { BitalinoEmulator } from '../dist/main/devices/emulator.js';
import { createMemoryPair } from '../dist/main/devices/memory-transport.js';
import { openedOver } from '../dist/main/devices/open-device.js';
import { frameLength } from '../dist/main/devices/codec.js';
import { defaultConfig } from '../dist/shared/config.js';
import { answerDeviceCommands, benchInput, framePerWrite, now, out } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const record = args.includes('--record');
const writes = opt('--writes', 'frame');
const log = [];
let lastTick = -1;
let written = -1;

function openEmulator(address, options) {
  const [host, device] = createMemoryPair({ pathA: 'bench-emulator', pathB: 'bench-emulator:device' });
  const emu = new BitalinoEmulator({
    firmware: 'BITalino_v5.2',
    inputs: (channel, k) => {
      if (emu.state !== 'idle' && k > lastTick) lastTick = k;
      return benchInput(channel, k);
    },
  });
  let frameLen = 8;
  const frames = framePerWrite(emu);
  device.onData((chunk) => {
    const was = emu.state;
    emu.receive(chunk);
    if (was === 'idle' && emu.state !== 'idle') {
      lastTick = -1;
      written = -1;
      let bits = 0;
      for (let m = emu.mask; m; m >>= 1) bits += m & 1;
      frameLen = frameLength(bits);
      const t0 = now();
      out({ type: 'start', t0, rate: emu.rate, mask: emu.mask, writes });
      if (writes === 'frame') frames.start(t0, emu.rate);
    }
  });
  device.onClose(() => emu.linkLost());
  emu.onTransmit((bytes) => {
    if (!device.isOpen) return;
    const n = emu.state !== 'idle' && bytes.length % frameLen === 0 ? bytes.length / frameLen : 0;
    const t = now();
    void device.write(bytes);
    if (n > 0) {
      written = lastTick;
      if (record) log.push(lastTick - n + 1, n, t, t);
    }
  });
  void device.open();
  if (writes === 'chunked') emu.run();
  // The ordinary BITalino driver over the in-memory link, as the runner's own opener builds it.
  return openedOver(host, options, {
    simulated: false,
    dispose: async () => {
      emu.halt();
      frames.stop();
      await device.close();
    },
  });
}

const config = { ...defaultConfig(), device: 'bench-emulator', port: Number(opt('--port', '0')), batch_ms: Number(opt('--batch-ms', '40')), token: 'bench-token-0123456789abcdef0123456789' };
const app = createServerBit({ config, openDevice: async (address, options) => openEmulator(address, options) });
await app.start();
process.stdout.write(`ServerBIT LISTENING on ${app.url} — in-process emulator\n`);

answerDeviceCommands(() => written, log);
const stop = () => app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
