/**
 * A recorder in a process of its own, for the tests that kill it, fill its disk or take its
 * folder away (crash.test.ts bundles and runs this file). Synthetic 1000 Hz samples go through a
 * real Hub; stdout says what happened, one line each:
 *   FILES <json paths>   after start
 *   FLUSHED <n>          after a flush completed with n samples written
 *   ERROR <json error>   when the recorder stopped on an error
 *   ALIVE <n>            samples the hub delivered to another subscriber (acquisition goes on)
 *   H5 BEGIN <k> / H5 END <k>   around the k-th HDF5 flush, the only time the .h5 changes on disk
 *                        after it is created (h5-writer.ts); a kill between the two may leave
 *                        it damaged (docs/recording.md "Limits"). Writes to a pipe are
 *                        synchronous on Linux, so the line is in the pipe before HDF5 starts.
 */
import { Hub } from '../../../src/main/acquisition/hub.js';
import { OpenSignalsH5File } from '../../../src/main/outputs/recorder/h5-writer.js';
import { Recorder } from '../../../src/main/outputs/recorder/recorder.js';
import type { RecorderSettings } from '../../../src/main/outputs/recorder/settings.js';
import { bitalinoMeta, synthBatch } from '../../helpers/opensignals-rig.js';

const h5Flush = OpenSignalsH5File.prototype.flush;
let h5Flushes = 0;
OpenSignalsH5File.prototype.flush = function (this: OpenSignalsH5File): void {
  const k = ++h5Flushes;
  process.stdout.write(`H5 BEGIN ${k}\n`);
  try {
    h5Flush.call(this);
  } finally {
    process.stdout.write(`H5 END ${k}\n`);
  }
};

const args = JSON.parse(process.argv[2] ?? '{}') as { settings: Partial<RecorderSettings>; channels?: number[]; rate?: number };
const hub = new Hub();
const meta = bitalinoMeta({ mac: '20:16:07:18:15:26', channels: args.channels ?? [1, 2, 3, 4, 5, 6], rate: args.rate ?? 1000, t0: Date.now() });
hub.publishMeta(meta);
let delivered = 0;
hub.subscribe({ batch: (b) => (delivered += b.count) });
const rec = new Recorder(hub, args.settings);
let errored = false;
rec.onStatus((s) => {
  if (s.state === 'error' && !errored) {
    errored = true;
    process.stdout.write(`ERROR ${JSON.stringify(s.error)}\n`);
  }
});
await rec.start().catch((err: { code?: string; message?: string }) => {
  process.stdout.write(`ERROR ${JSON.stringify({ code: err.code, message: err.message })}\n`);
  process.exit(0);
});
process.stdout.write(`FILES ${JSON.stringify(rec.files())}\n`);

const started = performance.now();
let next = 0;
setInterval(() => {
  const due = Math.floor(((performance.now() - started) * meta.rate) / 1000);
  while (next < due) {
    const n = Math.min(10, due - next);
    hub.publishBatch(synthBatch(meta, next, n));
    next += n;
  }
  if (errored) process.stdout.write(`ALIVE ${delivered}\n`);
}, 10);
setInterval(() => {
  void rec.flush().then(() => {
    if (rec.status().state === 'running') process.stdout.write(`FLUSHED ${rec.status().counters.samples}\n`);
  });
}, 100);
process.on('SIGTERM', () => void rec.close().then(() => process.exit(0)));
