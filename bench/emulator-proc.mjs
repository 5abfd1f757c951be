/**
 * The device end of the rig: the byte-exact BITalino emulator (dist) in real time on one end of
 * a pty pair, in its own process, as a real BITalino would be on the other side of a serial link.
 *
 *   node bench/emulator-proc.mjs --device /tmp/…/b [--writes frame|chunked] [--record]
 *
 * --writes frame (default): each frame in its own write, as soon as it is due (1000 writes/s at
 * 1000 Hz): what a USB-serial adapter with a 1 ms latency timer, or a Bluetooth link that
 * delivers frame by frame, hands the host. --writes chunked: the emulator's own real-time
 * scheduler (`run()`), which writes every 4 ms all the frames due (≈ 4 frames a write at
 * 1000 Hz), as the firmware's buffers fill.
 *
 * Inputs are deterministic (lib.mjs benchInput): every frame carries its own sample index.
 * stdout, JSON lines: {"type":"ready"} once the pty is open; {"type":"start","t0":…,"rate":…}
 * when the host starts acquisition (t0 on the shared clock: frame k is due at t0 + (k+1)/rate);
 * {"type":"stop"} when it stops.
 * stdin, JSON lines: {"cmd":"mark"} → {"type":"mark","tick":last frame index written,"t":now};
 * {"cmd":"dump","file":F} → writes the write log to F, then {"type":"dumped"}.
 * With --record, every write of frames is logged as [first index, frames, t written, t done]:
 * "written" is when the bytes were handed to the port (the frame's last byte leaving the
 * device), "done" when serialport reported the write complete.
 */
import { BitalinoEmulator } from '../dist/main/devices/emulator.js';
import { SerialTransport } from '../dist/main/devices/serial-transport.js';
import { frameLength } from '../dist/main/devices/codec.js';
import { answerDeviceCommands, benchInput, framePerWrite, now, out } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const device = opt('--device');
const record = args.includes('--record');
const writes = opt('--writes') ?? 'frame';
if (!device || (writes !== 'frame' && writes !== 'chunked')) {
  process.stderr.write('usage: emulator-proc.mjs --device PTY [--writes frame|chunked] [--record]\n');
  process.exit(2);
}

/** Highest frame index produced so far (the emulator reads its inputs while building each frame). */
let lastTick = -1;
/** Frame index of the last frame handed to the port. */
let written = -1;
const log = [];

const emu = new BitalinoEmulator({
  firmware: 'BITalino_v5.2',
  inputs: (channel, k) => {
    if (emu.state !== 'idle' && k > lastTick) lastTick = k;
    return benchInput(channel, k);
  },
});

const transport = new SerialTransport(device, { baudRate: 115200 });
await transport.open();

// As emulator.attach(), plus timing: the same bound on bytes in flight.
const MAX_IN_FLIGHT = 64 * 1024;
let inFlight = 0;
let frameLen = 8;
const frames = framePerWrite(emu);
transport.onData((chunk) => {
  const was = emu.state;
  emu.receive(chunk);
  if (was === 'idle' && emu.state !== 'idle') {
    lastTick = -1;
    written = -1;
    frameLen = frameLength(countBits(emu.mask));
    const t0 = now();
    out({ type: 'start', t0, rate: emu.rate, mask: emu.mask, writes });
    if (writes === 'frame') frames.start(t0, emu.rate);
  } else if (was !== 'idle' && emu.state === 'idle') out({ type: 'stop' });
});

transport.onClose(() => {
  emu.linkLost();
  out({ type: 'closed' });
});
emu.onTransmit((bytes) => {
  if (!transport.isOpen || inFlight + bytes.length > MAX_IN_FLIGHT) return;
  const acquiring = emu.state !== 'idle' && bytes.length % frameLen === 0;
  const n = acquiring ? bytes.length / frameLen : 0;
  const first = lastTick - n + 1;
  const t = now();
  inFlight += bytes.length;
  transport.write(bytes).then(
    () => {
      inFlight -= bytes.length;
      if (n > 0) {
        written = first + n - 1;
        if (record) log.push(first, n, t, now());
      }
    },
    () => (inFlight -= bytes.length),
  );
});
if (writes === 'chunked') emu.run();

function countBits(m) {
  let c = 0;
  for (; m; m >>= 1) c += m & 1;
  return c;
}

answerDeviceCommands(() => written, log);

const shutdown = async () => {
  emu.halt();
  frames.stop();
  await Promise.race([transport.close(), new Promise((r) => setTimeout(r, 1000))]);
  process.exit(0);
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
out({ type: 'ready' });
