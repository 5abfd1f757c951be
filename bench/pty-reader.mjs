/**
 * The link alone, for reference: what the service's end of the pty costs before ServerBIT does
 * anything. Opens the host end with SerialTransport (as the service does), starts the emulator at
 * 1000 Hz on A1..A6 with the two bytes the driver sends, and decodes with FrameDecoder — no hub,
 * no WebSocket. Records when each sample arrived, for the pty's share of the latency.
 *
 *   node bench/pty-reader.mjs --device /tmp/…/a --record FILE [--via serialport|tty] [--read-batch N]
 *
 * --via tty (default): the service's read path, TtyReader (src/main/devices/tty-reader.ts).
 * --via serialport: serialport's own read loop (a thread-pool read per chunk plus a poll after
 * each EAGAIN), as before TtyReader.
 * --read-batch N: pace the reads for batches of N samples (read-pacer.ts), as the driver does
 * with BitalinoOptions.readBatch; only with --via tty.
 *
 * stdout: {"type":"streaming"} at the first frame; on {"cmd":"stop"} writes [first index,
 * count, receive time] per chunk to FILE, prints {"type":"result",…} and exits.
 */
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SerialTransport } from '../dist/main/devices/serial-transport.js';
import { FrameDecoder } from '../dist/main/devices/frame-decoder.js';
import { ReadPacer } from '../dist/main/devices/read-pacer.js';
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
let chunks = 0;

const via = opt('--via') ?? 'tty';
const readBatch = Number(opt('--read-batch') ?? '1');
const decoder = new FrameDecoder(6, { firstSeq: 0 });
const transport = new SerialTransport(opt('--device'), { readPath: via === 'serialport' ? 'serialport' : 'auto' });
const pacer = readBatch > 1 ? new ReadPacer({ every: readBatch, rate: 1000 }) : undefined;
const sink = {
  frames(count, a, b, analog) {
    const [a1, a2, a3] = analog;
    const first = indexOf(a1[0], a2[0], a3[0]);
    if (next < 0) out({ type: 'streaming', readPath: transport.readPath });
    else if (first !== next) gaps++;
    next = first + count;
    samples += count;
    record.push(first, count, now());
  },
  gap() {
    gaps++;
  },
};
transport.onData((chunk) => {
  chunks++;
  decoder.decode(chunk, sink);
  if (pacer && next > 0) {
    const hold = pacer.next(next - 1, performance.now());
    if (hold > 0) transport.holdReads(hold);
  }
});
await transport.open();
const write = (bytes) => transport.write(bytes);
const close = () => transport.close();
await write(Uint8Array.of(cmdSamplingRate(1000)));
await new Promise((r) => setTimeout(r, 5));
await write(Uint8Array.of(cmdStart([1, 2, 3, 4, 5, 6])));

createInterface({ input: process.stdin }).on('line', async (line) => {
  if (!line.includes('"stop"')) return;
  writeFileSync(opt('--record'), JSON.stringify(record));
  out({ type: 'result', samples, gaps, chunks, crcErrors: decoder.stats.crcErrors, readPath: via });
  await write(Uint8Array.of(CMD_STOP)).catch(() => undefined);
  await close();
  process.exit(0);
});
process.once('SIGTERM', () => process.exit(0));
