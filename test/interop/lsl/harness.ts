/**
 * What the interoperability tests share: a real Hub fed with synthetic StreamMeta and batches (the
 * lead wires real devices later), the LslOutput under test on the standard LSL ports, and a paced
 * publisher that sends batches at the device's rate.
 */
import { Hub } from '../../../src/main/acquisition/hub.js';
import { LslOutput } from '../../../src/main/outputs/lsl/lsl-output.js';
import type { LslSettings } from '../../../src/main/outputs/lsl/settings.js';
import type { SampleBatch, StreamMeta } from '../../../src/shared/acquisition.js';
import { waitFor } from '../../outputs/lsl/helpers.js';
import { batchOf, bitalinoMeta, type MetaOptions } from '../../outputs/lsl/synthetic.js';

export { batchOf, bitalinoMeta, waitFor };

export async function startOutput(hub: Hub, settings: Partial<LslSettings> = {}): Promise<LslOutput> {
  const out = new LslOutput(hub, { enabled: true, ...settings });
  await out.start();
  return out;
}

export async function streamOpen(out: LslOutput, device = '0', notUid?: string): Promise<{ uid: string; dataPort: number; servicePort: number }> {
  await waitFor(() => out.streams().some((s) => s.device === device && s.uid !== undefined && s.uid !== notUid), `device ${device}'s LSL stream`);
  const s = out.streams().find((x) => x.device === device)!;
  return { uid: s.uid!, dataPort: s.dataPort!, servicePort: s.servicePort! };
}

/** A batch whose raw values spell the sample index (A1 = low 10 bits, A2 = next 10): raw-format tests decode it. */
export function indexBatch(meta: StreamMeta, index: number, count: number): SampleBatch {
  const b = batchOf(meta, index, count);
  b.analog = meta.channels.map((_, slot) => Uint16Array.from({ length: count }, (_, i) => (slot === 0 ? (index + i) & 1023 : slot === 1 ? ((index + i) >> 10) & 1023 : 0)));
  return b;
}

export function decodeIndex(values: ArrayLike<number>, offset: number): number {
  return values[offset] + values[offset + 1] * 1024;
}

/**
 * Publishes batches of `batchSize` samples in real time (as a device would: the next batch when its
 * samples are due) until stop(); `make` builds each batch.
 */
export function pace(hub: Hub, meta: StreamMeta, options: { from?: number; batchSize?: number; until?: number; make?: typeof batchOf } = {}): { stop(): void; next(): number; done: Promise<void> } {
  const batchSize = options.batchSize ?? 40;
  const make = options.make ?? batchOf;
  let next = options.from ?? 0;
  const start = performance.now();
  let stopped = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const tick = (): void => {
    if (stopped) return;
    const due = (options.from ?? 0) + Math.floor(((performance.now() - start) / 1000) * meta.rate);
    while (next + batchSize <= due && (options.until === undefined || next < options.until)) {
      const n = options.until === undefined ? batchSize : Math.min(batchSize, options.until - next);
      hub.publishBatch(make(meta, next, n));
      next += n;
    }
    if (options.until !== undefined && next >= options.until) {
      stopped = true;
      resolveDone();
      return;
    }
    setTimeout(tick, 5);
  };
  tick();
  return {
    stop: () => {
      stopped = true;
      resolveDone();
    },
    next: () => next,
    done,
  };
}

export type { MetaOptions };
