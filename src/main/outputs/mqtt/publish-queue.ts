/**
 * What waits for the broker (docs/mqtt.md "When the broker is down or slow"): one FIFO in hub
 * order, so every device's meta, data, gaps and status reach the broker in the order they
 * happened. MQTT.js's own offline queue is never used (it is unbounded): the output hands a
 * message to MQTT.js only while connected and while the socket keeps up.
 *
 * Bounds:
 * - data: at most `maxDataBytes` bytes of payload queued. A data message that does not fit is
 *   dropped, and its samples join the device's pending overflow range; the range goes into the
 *   queue as ONE `gap` (reason output_overflow) just before that device's next message that fits
 *   (data, or any event about the device), so a subscriber sees the loss exactly where it was.
 * - everything else (meta, status, gap, marker, reply: small, and rare compared with data): at
 *   most `maxControl` messages. Past that (hours of outage with a device that keeps reconnecting)
 *   further ones are dropped and counted; the latest meta and status of every device are published
 *   again at every connect, so what a new subscriber reads stays right.
 */

export interface QueuedMessage {
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
  /** Data messages: the samples they carry, so a drop can be accounted as a gap. */
  samples?: { device: string; from: number; to: number };
}

export interface PublishQueueOptions {
  /** Bound on queued data payload, bytes (MqttSettings.queueBytes). */
  maxDataBytes: number;
  /** Bound on queued non-data messages. Default 4096. */
  maxControl?: number;
  /** The gap message announcing samples [from, to) of `device` lost here. */
  overflowGap: (device: string, from: number, to: number) => QueuedMessage;
}

export interface PublishQueueCounters {
  /** Data messages dropped because the queue was full. */
  droppedMessages: number;
  /** Samples in them. */
  droppedSamples: number;
  /** output_overflow gaps queued (each covers one run of dropped samples of one device). */
  overflowGaps: number;
  /** Non-data messages dropped past maxControl. */
  droppedControl: number;
}

export class PublishQueue {
  private readonly items: QueuedMessage[] = [];
  /** Index of the first item not yet shifted (an array with a moving head: O(1) shift). */
  private head = 0;
  private dataBytes = 0;
  private control = 0;
  private readonly pending = new Map<string, { from: number; to: number }>();
  private readonly opts: Required<PublishQueueOptions>;
  readonly counters: PublishQueueCounters = { droppedMessages: 0, droppedSamples: 0, overflowGaps: 0, droppedControl: 0 };

  constructor(options: PublishQueueOptions) {
    if (!(options.maxDataBytes > 0)) throw new TypeError(`PublishQueue: "maxDataBytes" must be > 0 (got ${options.maxDataBytes})`);
    this.opts = { maxControl: 4096, ...options };
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Bytes of data payload queued. */
  get bytes(): number {
    return this.dataBytes;
  }

  /** Devices with samples dropped and not yet announced. */
  get pendingGaps(): number {
    return this.pending.size;
  }

  /** Queues a non-data message (about `device`, when given: its pending overflow gap goes first). */
  pushControl(msg: QueuedMessage, device?: string): void {
    if (device !== undefined) this.flushGap(device);
    this.admitControl(msg);
  }

  /** Queues a data message, or drops it (false) and adds its samples to the device's overflow range. */
  pushData(msg: QueuedMessage & { samples: { device: string; from: number; to: number } }): boolean {
    const { device, from, to } = msg.samples;
    const size = msg.payload.length;
    if (this.dataBytes + size > this.opts.maxDataBytes) {
      this.counters.droppedMessages++;
      this.counters.droppedSamples += to - from;
      const p = this.pending.get(device);
      if (p && p.to === from) p.to = to;
      else {
        // Not contiguous with the pending range (never, for a device's data in hub order): announce that one first.
        if (p) this.flushGap(device);
        this.pending.set(device, { from, to });
      }
      return false;
    }
    this.flushGap(device);
    this.items.push(msg);
    this.dataBytes += size;
    return true;
  }

  /** Queues every pending overflow gap now (closing: say what was lost before going). */
  flushGaps(): void {
    for (const d of [...this.pending.keys()]) this.flushGap(d);
  }

  peek(): QueuedMessage | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): QueuedMessage | undefined {
    if (this.head >= this.items.length) return undefined;
    const m = this.items[this.head];
    this.items[this.head] = undefined as unknown as QueuedMessage;
    this.head++;
    if (m.samples) this.dataBytes -= m.payload.length;
    else this.control--;
    // Compact now and then, so the array does not grow with everything ever queued.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return m;
  }

  private flushGap(device: string): void {
    const p = this.pending.get(device);
    if (!p) return;
    this.pending.delete(device);
    this.counters.overflowGaps++;
    this.admitControl(this.opts.overflowGap(device, p.from, p.to));
  }

  private admitControl(msg: QueuedMessage): void {
    if (this.control >= this.opts.maxControl) {
      this.counters.droppedControl++;
      return;
    }
    this.items.push(msg);
    this.control++;
  }
}
