/**
 * The shared half of the /v2 data path. Sessions with the same subscription (batch size, columns,
 * format) share one StreamGroup: one hub subscription, one Batcher per device (so indices are
 * contiguous and every batch has exactly `batch` samples, shorter only before a gap or when
 * acquisition stops) and one encoding per batch for all of them. A group flushes pending samples
 * BEFORE it passes on the gap or status that caused the flush, so each member sees data, gaps and
 * status in one order. What one client then receives is v2-client-stream.ts.
 */
import type { GapEvent, SampleBatch, ServiceStatus } from '../../shared/acquisition.js';
import { samplesPerBatch } from '../../shared/config.js';
import type { DataMessage } from '../../shared/v2.js';
import type { AcquisitionService } from '../acquisition/device-runner.js';
import { Batcher } from '../acquisition/batcher.js';
import { createLogger } from '../log.js';
import { DataEncoder } from './meta.js';
import { subscriptionKey, type ResolvedSubscription } from './subscription.js';

const log = createLogger('serverbit:v2');

/** One batch, encoded lazily and at most once for all members, in the forms they ask for. */
export interface Encoded {
  readonly message: DataMessage;
  readonly text: string;
}

export interface StreamMember {
  data(batch: SampleBatch, encoded: Encoded): void;
  gap(gap: GapEvent): void;
  status(status: ServiceStatus): void;
}

/** One per (service, subscription key). */
const groups = new WeakMap<AcquisitionService, Map<string, StreamGroup>>();

export class StreamGroup {
  private readonly members = new Set<StreamMember>();
  private readonly batchers = new Map<string, Batcher>();
  private readonly encoder: DataEncoder;
  private readonly unsubscribe: () => void;

  private constructor(
    private readonly service: AcquisitionService,
    private readonly key: string,
    private readonly sub: ResolvedSubscription,
  ) {
    // The encoder only reads columns and format; the batch size lives in the Batcher.
    this.encoder = new DataEncoder({ batch: sub.batch ?? 1, columns: sub.columns, format: sub.format });
    this.unsubscribe = service.hub.subscribe({
      batch: (b) => this.onBatch(b),
      gap: (g) => {
        this.batchers.get(g.device)?.flush(); // a batch never straddles a gap
        this.each((m) => m.gap(g));
      },
      status: (s) => {
        if (s.state !== 'streaming') for (const b of this.batchers.values()) b.flush();
        // Interim (one device): members describe the service's full status, not the hub's summary.
        const full = service.status;
        this.each((m) => m.status(full));
      },
    });
  }

  /** Adds `member` to the group for `sub`, creating it (and its hub subscription) if needed. */
  static join(service: AcquisitionService, sub: ResolvedSubscription, member: StreamMember): StreamGroup {
    let map = groups.get(service);
    if (!map) groups.set(service, (map = new Map()));
    const key = subscriptionKey(sub);
    let g = map.get(key);
    if (!g) map.set(key, (g = new StreamGroup(service, key, sub)));
    g.members.add(member);
    return g;
  }

  /** The last member to leave ends the hub subscription; pending samples are dropped with it. */
  leave(member: StreamMember): void {
    if (!this.members.delete(member) || this.members.size > 0) return;
    this.unsubscribe();
    this.batchers.clear();
    const map = groups.get(this.service);
    if (map?.get(this.key) === this) map.delete(this.key);
  }

  /** The batch size in force at `rate`. */
  sizeAt(rate: number): number {
    return this.sub.batch ?? samplesPerBatch(rate, this.service.currentConfig.batch_ms);
  }

  private onBatch(b: SampleBatch): void {
    const size = this.sizeAt(b.rate);
    let batcher = this.batchers.get(b.device);
    if (batcher && batcher.size !== size) {
      batcher.flush(); // the server's batch changed (batch_ms or rate): only "auto" groups get here
      batcher = undefined;
    }
    if (!batcher) this.batchers.set(b.device, (batcher = new Batcher(size, (out) => this.emit(out))));
    batcher.push(b);
  }

  private emit(out: SampleBatch): void {
    const board = this.service.status.device?.board ?? 'revolution';
    const labels = this.service.currentConfig.labels;
    const encoder = this.encoder;
    // Encoded at most once, and only in the forms some member asks for (object over IPC, text over ws).
    let message: DataMessage | undefined;
    let text: string | undefined;
    const encoded: Encoded = {
      get message() {
        return (message ??= encoder.encode(out, board, labels));
      },
      get text() {
        return (text ??= JSON.stringify(this.message));
      },
    };
    this.each((m) => m.data(out, encoded));
  }

  /** One member's failure must not cost the others their data. */
  private each(fn: (m: StreamMember) => void): void {
    for (const m of this.members) {
      try {
        fn(m);
      } catch (err) {
        log.warn('a /v2 session threw: %O', err);
      }
    }
  }
}
