/**
 * The /v2 half of the shared batcher policy: sessions with the same subscription key (batch
 * size, columns, format) share one StreamGroup (acquisition/stream-group.ts) with a /v2 data
 * encoder, so each batch is encoded at most once, in the forms its members ask for (an object
 * over IPC, text over a WebSocket). What one client then receives is client-stream.ts.
 */
import { samplesPerBatch } from '../../shared/config.js';
import type { DataMessage } from '../../shared/v2.js';
import type { BatchDemand } from '../acquisition/batch-demand.js';
import type { HubSource } from '../acquisition/hub.js';
import { StreamGroup, type GroupMember } from '../acquisition/stream-group.js';
import { DataEncoder } from './meta.js';
import { subscriptionKey, type ResolvedSubscription } from './subscription.js';

/** One batch, encoded lazily and at most once for all members, in the forms they ask for. */
export interface Encoded {
  readonly message: DataMessage;
  readonly text: string;
}

export type V2Member = GroupMember<Encoded>;

export interface V2GroupsOptions {
  hub: HubSource;
  /** Where each group says which batch size it cuts, so drivers can pace their reads. */
  demand?: BatchDemand;
  /** The server's batch period for "auto" subscriptions, ms (config batch_ms, read at every batch). */
  batchMs: () => number;
}

/** The /v2 groups of one server, by subscription key. */
export class V2Groups {
  private readonly groups = new Map<string, StreamGroup<Encoded>>();

  constructor(private readonly options: V2GroupsOptions) {}

  join(sub: ResolvedSubscription, member: V2Member): StreamGroup<Encoded> {
    const key = subscriptionKey(sub);
    let g = this.groups.get(key);
    if (!g) {
      const encoder = new DataEncoder({ columns: sub.columns, format: sub.format });
      const fixed = sub.batch;
      g = new StreamGroup<Encoded>({
        hub: this.options.hub,
        ...(this.options.demand ? { demand: this.options.demand } : {}),
        batchSize: (rate) => fixed ?? samplesPerBatch(rate, this.options.batchMs()),
        encode: (out, meta) => {
          let message: DataMessage | undefined;
          let text: string | undefined;
          return {
            get message() {
              return (message ??= encoder.encode(out, meta));
            },
            get text() {
              return (text ??= JSON.stringify(this.message));
            },
          };
        },
      });
      this.groups.set(key, g);
    }
    g.add(member);
    return g;
  }

  leave(sub: ResolvedSubscription, member: V2Member): void {
    const key = subscriptionKey(sub);
    const g = this.groups.get(key);
    if (!g) return;
    g.delete(member);
    if (g.size === 0) this.groups.delete(key);
  }

  /** The batch size an "auto" subscription gets at `rate` right now. */
  autoBatch(rate: number): number {
    return samplesPerBatch(rate, this.options.batchMs());
  }
}
