import { describe, expect, it } from 'vitest';
import { RingBuffer, SampleSeries } from '../../src/renderer/ring-buffer.js';

describe('RingBuffer', () => {
  it('keeps values oldest first and overwrites the oldest when full', () => {
    const r = new RingBuffer(3);
    expect(r.toArray()).toEqual([]);
    r.push(1);
    r.push(2);
    expect(r.toArray()).toEqual([1, 2]);
    r.push(3);
    r.push(4);
    expect(r.length).toBe(3);
    expect(r.toArray()).toEqual([2, 3, 4]);
    expect(r.get(0)).toBe(2);
    expect(r.get(3)).toBeNaN();
    expect(r.get(-1)).toBeNaN();
  });

  it('pushAll of a run longer than the ring keeps only the last capacity values', () => {
    const r = new RingBuffer(4);
    r.push(0);
    r.pushAll([1, 2, 3, 4, 5, 6, 7]);
    expect(r.toArray()).toEqual([4, 5, 6, 7]);
  });

  it('fill writes at most capacity values', () => {
    const r = new RingBuffer(3);
    r.push(9);
    r.fill(NaN, 1_000_000_000);
    expect(r.length).toBe(3);
    expect(r.toArray().every(Number.isNaN)).toBe(true);
  });

  it('clear empties it', () => {
    const r = new RingBuffer(2);
    r.pushAll([1, 2, 3]);
    r.clear();
    expect(r.length).toBe(0);
    r.push(5);
    expect(r.toArray()).toEqual([5]);
  });

  it('rejects a bad capacity', () => {
    expect(() => new RingBuffer(0)).toThrow(TypeError);
    expect(() => new RingBuffer(1.5)).toThrow(/capacity/);
  });
});

describe('SampleSeries', () => {
  it('appends consecutive runs', () => {
    const s = new SampleSeries(10);
    s.append(0, [1, 2]);
    s.append(2, [3]);
    expect(s.ring.toArray()).toEqual([1, 2, 3]);
    expect(s.nextIndex).toBe(3);
  });

  it('stores lost samples (a forward jump) as NaN', () => {
    const s = new SampleSeries(10);
    s.append(0, [1, 2]);
    s.append(5, [6]);
    const a = s.ring.toArray();
    expect(a.slice(0, 2)).toEqual([1, 2]);
    expect(a.slice(2, 5).every(Number.isNaN)).toBe(true);
    expect(a[5]).toBe(6);
  });

  it('starts over when the index goes back (a new acquisition)', () => {
    const s = new SampleSeries(10);
    s.append(100, [1, 2, 3]);
    s.append(0, [7]);
    expect(s.ring.toArray()).toEqual([7]);
    expect(s.nextIndex).toBe(1);
  });

  it('a huge gap costs at most one ring of NaN', () => {
    const s = new SampleSeries(4);
    s.append(0, [1]);
    s.append(2 ** 40, [2]);
    expect(s.ring.length).toBe(4);
    expect(s.ring.get(3)).toBe(2);
  });
});
