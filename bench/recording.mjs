/**
 * The recorder's added CPU at 1000 Hz × 6 channels, per format (docs/recording.md "Cost").
 *
 * In process, on the built code (dist/): a Hub fed in real time with synthetic BITalino-shaped
 * batches (10 samples every 10 ms, the shape the driver delivers), once with no recorder (the
 * baseline: hub + source) and once per format with a Recorder at its default settings (flush
 * every 500 ms, fsync on) writing to a temp folder. The figure is this process's CPU time
 * (process.cpuUsage, user + system) over wall time, in % of one core; "added" is a run's minus
 * the baseline of the same round. Runs are interleaved over `rounds` rounds and each figure is
 * the median, so a burst of load from another process hits every format alike.
 *
 *   node bench/recording.mjs [--seconds=N] [--rounds=N]   # prints one JSON line
 *
 * Needs `npm run build` first (it imports dist/).
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hub } from '../dist/main/acquisition/hub.js';
import { Recorder } from '../dist/main/outputs/recorder/recorder.js';

const RATE = 1000;
const CHANNELS = [1, 2, 3, 4, 5, 6];
const BATCH = 10;
/** What `npm run bench` reports: each format alone, then all three at once. */
export const RECORDING_BENCH_FORMATS = [['txt'], ['h5'], ['csv'], ['txt', 'h5', 'csv']];

function meta(t0) {
  const sensors = ['EMG', 'ECG', 'EDA', 'EEG', 'ACC', 'LUX'];
  const units = { EMG: 'mV', ECG: 'mV', EDA: 'µS', EEG: 'µV', ACC: 'g', LUX: '%' };
  return {
    device: '0',
    name: 'bench',
    kind: 'bitalino',
    address: '20:16:07:18:15:26',
    connection: '/dev/rfcomm0',
    mac: '20:16:07:18:15:26',
    board: 'revolution',
    firmware: 'BITalino_v5.2',
    version: 5.2,
    simulated: false,
    rate: RATE,
    irregular: false,
    channels: CHANNELS,
    columns: [
      { name: 'nSeq', label: 'nSeq', kind: 'sequence', resolution: 4 },
      ...['I1', 'I2', 'O1', 'O2'].map((n) => ({ name: n, label: n, kind: 'digital', resolution: 1 })),
      ...CHANNELS.map((ch, k) => ({ name: `A${ch}`, label: `A${ch}`, kind: 'analog', channel: ch, sensor: sensors[k], unit: units[sensors[k]], resolution: k >= 4 ? 6 : 10 })),
    ],
    t0,
    segmentStart: 0,
  };
}

function batch(m, index) {
  const seq = new Uint8Array(BATCH);
  const digital = new Uint8Array(BATCH);
  const analog = CHANNELS.map(() => new Uint16Array(BATCH));
  for (let j = 0; j < BATCH; j++) {
    const i = index + j;
    seq[j] = i & 15;
    digital[j] = (i >> 3) & 15;
    analog.forEach((a, k) => (a[j] = (i * (7 + k) + k * 101) % (k >= 4 ? 64 : 1024)));
  }
  return { device: '0', index, time: m.t0 + (index * 1000) / RATE, rate: RATE, count: BATCH, seq, digital, analog, channels: CHANNELS };
}

async function folderBytes(folder) {
  let n = 0;
  for (const f of await readdir(folder)) n += (await stat(path.join(folder, f))).size;
  return n;
}

/** One run: `seconds` of real-time samples through a hub, with a recorder for `formats` (null = none). */
async function run(formats, seconds) {
  const folder = await mkdtemp(path.join(tmpdir(), 'serverbit-bench-rec-'));
  try {
    const hub = new Hub();
    const m = meta(Date.now());
    hub.publishMeta(m);
    const rec = formats ? new Recorder(hub, { folder, formats }) : undefined;
    await rec?.start();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    await new Promise((resolve) => {
      const timer = setInterval(() => {
        const due = Math.floor(((performance.now() - t0) * RATE) / 1000);
        while (next + BATCH <= due) {
          hub.publishBatch(batch(m, next));
          next += BATCH;
        }
        if (performance.now() - t0 >= seconds * 1000) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    await rec?.close();
    const c = process.cpuUsage(c0);
    const wall = performance.now() - t0;
    const status = rec?.status();
    if (status && (status.state !== 'stopped' || status.counters.samples !== next)) throw new Error(`the recorder did not record every sample: ${JSON.stringify(status)}`);
    return { cpuPct: ((c.user + c.system) / 1000 / wall) * 100, samples: next, bytes: formats ? await folderBytes(folder) : 0, wallS: wall / 1000 };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round1 = (x) => Math.round(x * 10) / 10;

/**
 * Measures every format of RECORDING_BENCH_FORMATS. Resolves with
 * `{ figure, rate, channels, seconds, rounds, baselinePct, formats: [{ formats, cpuPct, addedPct, bytesPerSecond }] }`
 * (percentages of one core, medians over the rounds).
 */
export async function runRecordingBench({ seconds = 10, rounds = 3 } = {}) {
  await run(['txt', 'h5', 'csv'], Math.min(2, seconds)); // warm-up: JIT, h5wasm load
  const base = [];
  const per = RECORDING_BENCH_FORMATS.map(() => ({ cpu: [], added: [], bps: [] }));
  for (let r = 0; r < rounds; r++) {
    const b = await run(null, seconds);
    base.push(b.cpuPct);
    for (const [k, formats] of RECORDING_BENCH_FORMATS.entries()) {
      const x = await run(formats, seconds);
      per[k].cpu.push(x.cpuPct);
      per[k].added.push(x.cpuPct - b.cpuPct);
      per[k].bps.push(x.bytes / x.wallS);
    }
  }
  return {
    figure: 'recording',
    how: 'in process: hub fed 10-sample batches every 10 ms in real time; Recorder defaults (flush 500 ms, fsync); CPU time / wall time, % of one core; median of rounds',
    rate: RATE,
    channels: CHANNELS.length,
    seconds,
    rounds,
    baselinePct: round1(median(base)),
    formats: RECORDING_BENCH_FORMATS.map((formats, k) => ({
      formats: formats.join('+'),
      cpuPct: round1(median(per[k].cpu)),
      addedPct: round1(median(per[k].added)),
      bytesPerSecond: Math.round(median(per[k].bps)),
    })),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const a = process.argv.find((x) => x.startsWith(`--${name}=`));
    const v = a ? Number(a.slice(name.length + 3)) : fallback;
    if (!(v > 0)) {
      process.stderr.write(`bench/recording.mjs: --${name} must be a positive number\n`);
      process.exit(2);
    }
    return v;
  };
  console.log(JSON.stringify(await runRecordingBench({ seconds: arg('seconds', 10), rounds: arg('rounds', 3) })));
}
