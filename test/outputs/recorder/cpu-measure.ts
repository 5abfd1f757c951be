/**
 * Quick in-process measurement of the recorder's added CPU at 1000 Hz × 6 channels, per format
 * (not a test; `npm run bench` is where this belongs once wired). Run:
 *   npx esbuild test/outputs/recorder/cpu-measure.ts --bundle --platform=node --format=esm \
 *     --packages=external --outfile=node_modules/.cache/serverbit-tests/cpu.mjs && node node_modules/.cache/serverbit-tests/cpu.mjs
 * Each run streams SECONDS of synthetic samples in real time (10-sample batches every 10 ms)
 * through a Hub; the baseline is the same stream with no recorder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hub } from '../../../src/main/acquisition/hub.js';
import { Recorder } from '../../../src/main/outputs/recorder/recorder.js';
import type { RecordingFormat } from '../../../src/main/outputs/recorder/settings.js';
import { bitalinoMeta, synthBatch } from '../../helpers/opensignals-rig.js';

const SECONDS = Number(process.env.SECONDS_PER_RUN ?? 10);

async function run(formats: RecordingFormat[] | null): Promise<number> {
  const folder = await mkdtemp(join(tmpdir(), 'serverbit-cpu-'));
  const hub = new Hub();
  const meta = bitalinoMeta({ mac: '20:16:07:18:15:26', t0: Date.now() });
  hub.publishMeta(meta);
  const rec = formats ? new Recorder(hub, { folder, formats }) : undefined;
  await rec?.start();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.floor((performance.now() - t0) * 1);
      while (next + 10 <= due) {
        hub.publishBatch(synthBatch(meta, next, 10));
        next += 10;
      }
      if (performance.now() - t0 >= SECONDS * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  await rec?.close();
  const c = process.cpuUsage(c0);
  const wall = performance.now() - t0;
  await rm(folder, { recursive: true, force: true });
  return ((c.user + c.system) / 1000 / wall) * 100;
}

await run(['txt', 'h5', 'csv']); // warm-up (JIT, h5wasm load)
const base = await run(null);
const rows: string[] = [`baseline (hub + synthetic source, no recorder): ${base.toFixed(1)} % of one core`];
for (const f of [['txt'], ['h5'], ['csv'], ['txt', 'h5', 'csv']] as RecordingFormat[][]) {
  const pct = await run(f);
  rows.push(`${f.join('+').padEnd(11)} ${pct.toFixed(1)} % total, +${(pct - base).toFixed(1)} % added`);
}
console.log(rows.join('\n'));
