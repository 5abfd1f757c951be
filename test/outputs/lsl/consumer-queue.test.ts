import { describe, expect, it } from 'vitest';
import { ConsumerQueue } from '../../../src/main/outputs/lsl/consumer-queue.js';

/** n samples of 2 bytes each, numbered from `first`. */
function samples(first: number, n: number): Buffer {
  const b = Buffer.alloc(2 * n);
  for (let i = 0; i < n; i++) b.writeUInt16LE((first + i) & 0xffff, 2 * i);
  return b;
}

function drain(q: ConsumerQueue): number[] {
  const out: number[] = [];
  for (let c = q.take(); c; c = q.take()) for (let i = 0; i < c.length; i += 2) out.push(c.readUInt16LE(i));
  return out;
}

describe('ConsumerQueue (one inlet’s backlog)', () => {
  it('keeps everything below its capacity, in order', () => {
    const q = new ConsumerQueue(2, 10);
    expect(q.push(samples(0, 4))).toBe(0);
    expect(q.push(samples(4, 6))).toBe(0);
    expect(q.length).toBe(10);
    expect(drain(q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(q.length).toBe(0);
  });

  it('drops the oldest samples when full (as liblsl’s consumer_queue), splitting a chunk if needed', () => {
    const q = new ConsumerQueue(2, 5);
    q.push(samples(0, 3));
    q.push(samples(3, 3));
    expect(q.dropped).toBe(1);
    expect(q.push(samples(6, 2))).toBe(2);
    expect(q.length).toBe(5);
    expect(q.dropped).toBe(3);
    expect(drain(q)).toEqual([3, 4, 5, 6, 7]);
  });

  it('keeps only the newest part of a push larger than the capacity', () => {
    const q = new ConsumerQueue(2, 3);
    q.push(samples(0, 2));
    expect(q.push(samples(2, 10))).toBe(9);
    expect(drain(q)).toEqual([9, 10, 11]);
  });

  it('stays bounded over many pushes', () => {
    const q = new ConsumerQueue(2, 100);
    let next = 0;
    for (let i = 0; i < 10_000; i++) {
      q.push(samples(next, 7));
      next += 7;
      expect(q.length).toBeLessThanOrEqual(100);
    }
    const got = drain(q);
    expect(got).toHaveLength(100);
    expect(got[99]).toBe((next - 1) & 0xffff);
    expect(q.dropped).toBe(next - 100);
  });

  it('refuses a push of partial samples and nonsense sizes', () => {
    expect(() => new ConsumerQueue(2, 5).push(Buffer.alloc(3))).toThrow(RangeError);
    expect(() => new ConsumerQueue(0, 5)).toThrow(RangeError);
    expect(() => new ConsumerQueue(2, 0)).toThrow(RangeError);
  });
});
