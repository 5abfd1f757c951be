import { describe, expect, it } from 'vitest';
import { RateMeter } from '../../src/renderer/rate-meter.js';

describe('RateMeter', () => {
  it('measures samples per second from regular messages', () => {
    const m = new RateMeter(3000);
    for (let t = 0; t <= 6000; t += 40) m.add(40, t); // 40 samples every 40 ms = 1000/s
    expect(m.rate(6000)).toBeCloseTo(1000, 6);
    expect(m.rate(6030)).toBeCloseTo(1000, 6); // between two messages
  });

  it('does not overestimate right after connecting (the first message holds earlier samples)', () => {
    const m = new RateMeter(3000);
    m.add(40, 0);
    expect(m.rate(10)).toBe(0);
    m.add(40, 40);
    m.add(40, 80);
    expect(m.rate(80)).toBeCloseTo(1000, 6);
  });

  it('a burst after a stall is spread over the time it covers', () => {
    const m = new RateMeter(3000);
    for (let t = 0; t <= 1000; t += 40) m.add(40, t, t);
    // The page was busy for 500 ms; the queued messages are handled at once.
    for (let k = 1; k <= 12; k++) m.add(40, 1500, 1000 + 40 * k);
    expect(m.rate(1500)).toBeGreaterThan(900);
    expect(m.rate(1500)).toBeLessThan(1100);
  });

  it('a burst right after connecting reads the rate, not the burst (device time covers it)', () => {
    const m = new RateMeter(3000);
    // 12 messages (480 ms of samples) queued while the page started, handled within 30 ms.
    for (let k = 0; k < 12; k++) m.add(40, 1000 + k * 2.5, 5000 + 40 * (k + 1));
    expect(m.rate(1040)).toBeCloseTo(1000, 6);
    // Without device times the same burst would read several times the rate.
    const blind = new RateMeter(3000);
    for (let k = 0; k < 12; k++) blind.add(40, 1000 + k * 2.5);
    expect(blind.rate(1040)).toBeGreaterThan(5000);
  });

  it('lost samples (a jump in device time) read below the rate', () => {
    const m = new RateMeter(3000);
    let d = 0;
    for (let t = 0; t <= 2000; t += 40) {
      d += t === 1000 ? 540 : 40; // 500 ms of samples lost once
      m.add(40, t, d);
    }
    expect(m.rate(2000)).toBeLessThan(850);
  });

  it('falls to zero when data stops', () => {
    const m = new RateMeter(3000);
    for (let t = 0; t <= 3000; t += 40) m.add(40, t);
    const r1 = m.rate(4000);
    expect(r1).toBeLessThan(800);
    expect(r1).toBeGreaterThan(0);
    expect(m.rate(7000)).toBe(0);
    m.reset();
    expect(m.rate(8000)).toBe(0);
  });

  it('works at 1 Hz (one sample per message)', () => {
    const m = new RateMeter(3000);
    for (let t = 0; t <= 10_000; t += 1000) m.add(1, t);
    expect(m.rate(10_500)).toBeCloseTo(1, 6);
  });

  it('stays bounded under many tiny messages', () => {
    const m = new RateMeter(100);
    for (let t = 0; t < 100_000; t++) m.add(1, t);
    expect(m.rate(99_999)).toBeCloseTo(1000, 6);
    expect((m as unknown as { times: number[] }).times.length).toBeLessThan(1200);
  });
});
