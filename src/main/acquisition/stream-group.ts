/**
 * The one batcher policy every stream shares (compatible stream and /v2 alike): clients that
 * want the same batching share one StreamGroup — one hub subscription, one Batcher per device
 * (so indices are contiguous and every batch has exactly `batchSize` samples, shorter only before
 * a gap, a new segment, or when the device leaves "streaming") and one encoding per batch for all
 * of them (ws costs per message, not per byte: docs/performance.md). What to encode is the
 * caller's: the compat encoder and the /v2 encoder plug in here.
 *
 * Order: the group flushes pending samples BEFORE it passes on the gap, status, meta or removal
 * that caused the flush, so each member sees data and events in one order.
 *
 * Boundaries: batches are cut where (index − segmentStart) is a multiple of the size, so a group
 * that starts mid-stream sends a shorter first batch, every group of a size cuts alike, and the
 * driver's read pacing (batch-demand.ts) knows when a batch completes.
 *
 * Bound: at most batchSize − 1 samples per device are held between hub events.
 */
import type { DeviceStatus, GapEvent, MarkerEvent, SampleBatch, StreamMeta } from '../../shared/acquisition.js';
import { createLogger } from '../log.js';
import { Batcher } from './batcher.js';
import type { BatchDemand } from './batch-demand.js';
import type { HubSource } from './hub.js';

const log = createLogger('serverbit:stream');

export interface GroupMember<E> {
  /** Only this device's events reach the member; undefined = every device. */
  readonly device?: string | undefined;
  data(batch: SampleBatch, encoded: E): void;
  gap?(gap: GapEvent): void;
  status?(status: DeviceStatus): void;
  meta?(meta: StreamMeta): void;
  marker?(marker: MarkerEvent): void;
  removed?(device: string): void;
}

export interface StreamGroupOptions<E> {
  hub: HubSource;
  /** Where the group says which batch size it cuts, so drivers can pace their reads to it. */
  demand?: BatchDemand;
  /** Samples per batch for a device at a rate (read at every batch, so a setting change applies at once). */
  batchSize: (rate: number, device: string) => number;
  /** Encodes one output batch, once for all members (make it lazy if members want different forms). */
  encode: (batch: SampleBatch, meta: StreamMeta | undefined) => E;
}

export class StreamGroup<E> {
  private readonly members = new Set<GroupMember<E>>();
  private readonly batchers = new Map<string, Batcher>();
  private readonly options: StreamGroupOptions<E>;
  private unsubscribe: (() => void) | undefined;

  constructor(options: StreamGroupOptions<E>) {
    this.options = options;
  }

  get size(): number {
    return this.members.size;
  }

  /** Adds a member; the first one subscribes the group to the hub. */
  add(member: GroupMember<E>): void {
    this.members.add(member);
    if (this.members.size === 1) this.options.demand?.want(this, this.options.batchSize);
    this.unsubscribe ??= this.options.hub.subscribe({
      batch: (b) => this.onBatch(b),
      gap: (g) => {
        this.flush(g.device); // a batch never straddles a gap
        this.each(g.device, (m) => m.gap?.(g));
      },
      status: (s) => {
        if (s.state !== 'streaming') this.flush(s.device);
        this.each(s.device, (m) => m.status?.(s));
      },
      meta: (meta) => {
        this.flush(meta.device); // a new segment: rate, channels or columns may differ
        this.each(meta.device, (m) => m.meta?.(meta));
      },
      marker: (k) => this.each(k.device, (m) => m.marker?.(k)),
      removed: (id) => {
        this.flush(id);
        this.batchers.delete(id);
        this.each(id, (m) => m.removed?.(id));
      },
    });
  }

  /** Removes a member; the last one ends the hub subscription (pending samples are dropped with it). */
  delete(member: GroupMember<E>): void {
    if (!this.members.delete(member)) return;
    if (this.members.size > 0) {
      // Samples pending for a device nobody wants any more would be flushed to no one.
      if (member.device !== undefined && ![...this.members].some((m) => m.device === undefined || m.device === member.device)) this.batchers.delete(member.device);
      return;
    }
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.batchers.clear();
    this.options.demand?.release(this);
  }

  /** Delivers what is pending for one device (or all) now, as a shorter batch. */
  flush(device?: string): void {
    if (device === undefined) for (const b of this.batchers.values()) b.flush();
    else this.batchers.get(device)?.flush();
  }

  private wanted(device: string): boolean {
    for (const m of this.members) if (m.device === undefined || m.device === device) return true;
    return false;
  }

  private onBatch(b: SampleBatch): void {
    if (!this.wanted(b.device)) return;
    const size = this.options.batchSize(b.rate, b.device);
    let batcher = this.batchers.get(b.device);
    if (batcher && batcher.size !== size) {
      batcher.flush(); // the batch setting changed: deliver what is pending in the old size first
      batcher = undefined;
    }
    if (!batcher) {
      const device = b.device;
      batcher = new Batcher(size, (out) => this.emit(device, out));
      this.batchers.set(device, batcher);
    }
    // Cut at the segment's boundaries (index − segmentStart a multiple of size), as every group does.
    batcher.push(b, this.options.hub.meta(b.device)?.segmentStart);
  }

  private emit(device: string, out: SampleBatch): void {
    const encoded = this.options.encode(out, this.options.hub.meta(device));
    this.each(device, (m) => m.data(out, encoded));
  }

  /** One member's failure must not cost the others their data. */
  private each(device: string | undefined, fn: (m: GroupMember<E>) => void): void {
    for (const m of this.members) {
      if (device !== undefined && m.device !== undefined && m.device !== device) continue;
      try {
        fn(m);
      } catch (err) {
        log.warn('a stream member threw: %O', err);
      }
    }
  }
}
