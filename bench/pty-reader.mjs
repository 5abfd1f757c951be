/**
 * The link alone, for reference: what the service's end of the pty costs before ServerBIT does
 * anything. Opens the host end with SerialTransport (as the service does), starts the emulator at
 * 1000 Hz on A1..A6 with the two bytes the driver sends, and decodes with FrameDecoder — no hub,
 * no WebSocket. Records when each sample arrived, for the pty's share of the latency.
 *
 *   node bench/pty-reader.mjs --device /tmp/…/a --record FILE [--via serialport|tty]
 *
 * --via tty reads the same pty through Node's own tty.ReadStream (libuv polls the fd and reads
 * on the main thread) instead of serialport (a thread-pool read per chunk plus a poll after
 * each EAGAIN): what a cheaper transport would cost.
 *
 * stdout: {"type":"streaming"} at the first frame; on {"cmd":"stop"} writes [first index,
 * count, receive time] per chunk to FILE, prints {"type":"result",…} and exits.
 */
import { constants, openSync, writeFileSync, writeSync } from 'node:fs';
import tty from 'node:tty';
import { createInterface } from 'node:readline';
import { SerialTransport } from '../dist/main/devices/serial-transport.js';
import { FrameDecoder } from '../dist/main/devices/frame-decoder.js';
import { cmdSamplingRate, cmdStart, CMD_STOP } from '../dist/main/devices/codec.js';
import { indexOf, now } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const record = [];
let samples = 0;
let gaps = 0;
let next = -1;

const via = opt('--via') ?? 'serialport';
const decoder = new FrameDecoder(6, { firstSeq: 0 });
const onData = (chunk) => {
  const t = now();
  for (const item of decoder.push(chunk)) {
    if (item.kind !== 'frames') {
      gaps++;
      continue;
    }
    const [a1, a2, a3] = item.analog;
    const first = indexOf(a1[0], a2[0], a3[0]);
    if (next < 0) out({ type: 'streaming' });
    else if (first !== next) gaps++;
    next = first + item.count;
    samples += item.count;
    record.push(first, item.count, t);
  }
};
let write;
let close;
if (via === 'tty') {
  const fd = openSync(opt('--device'), constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  const stream = new tty.ReadStream(fd);
  stream.on('data', onData);
  write = async (bytes) => void writeSync(fd, bytes);
  close = async () => stream.destroy();
} else {
  const transport = new SerialTransport(opt('--device'));
  transport.onData(onData);
  await transport.open();
  write = (bytes) => transport.write(bytes);
  close = () => transport.close();
}
await write(Uint8Array.of(cmdSamplingRate(1000)));
await new Promise((r) => setTimeout(r, 5));
await write(Uint8Array.of(cmdStart([1, 2, 3, 4, 5, 6])));

createInterface({ input: process.stdin }).on('line', async (line) => {
  if (!line.includes('"stop"')) return;
  writeFileSync(opt('--record'), JSON.stringify(record));
  out({ type: 'result', samples, gaps, crcErrors: decoder.stats.crcErrors });
  await write(Uint8Array.of(CMD_STOP)).catch(() => undefined);
  await close();
  process.exit(0);
});
process.once('SIGTERM', () => process.exit(0));
