import { describe, expect, it } from 'vitest';
import { createSignalSource } from '../../src/main/devices/signals.js';

describe('synthetic signals', () => {
  it('are deterministic: same (seed, rate, channel, index) → same value, whatever the call order', () => {
    const a = createSignalSource({ seed: 42, rate: 1000 });
    const b = createSignalSource({ seed: 42, rate: 1000 });
    const idx = [0, 1, 999, 123_456, 7, 86_400_000, 3];
    const forward = idx.flatMap((i) => [1, 2, 3, 4, 5, 6].map((ch) => a(ch, i)));
    const backward = [...idx].reverse().flatMap((i) => [6, 5, 4, 3, 2, 1].map((ch) => b(ch, i))).reverse();
    expect(backward).toEqual(forward);
    // Another seed gives other signals.
    const c = createSignalSource({ seed: 43, rate: 1000 });
    const other = idx.flatMap((i) => [1, 2, 3, 4, 5, 6].map((ch) => c(ch, i)));
    expect(other).not.toEqual(forward);
  });

  it('are integers in 0..1023 on every channel, around mid-scale', () => {
    for (const rate of [1, 10, 100, 1000]) {
      const src = createSignalSource({ seed: 5, rate });
      for (let ch = 1; ch <= 6; ch++) {
        let sum = 0;
        const bad: string[] = [];
        const n = 20_000;
        for (let i = 0; i < n; i++) {
          const v = src(ch, i);
          if (!(Number.isInteger(v) && v >= 0 && v <= 1023)) bad.push(`A${ch}[${i}] = ${v} at ${rate} Hz`);
          sum += v;
        }
        expect(bad).toEqual([]);
        expect(Math.abs(sum / n - 512), `mean of A${ch} at ${rate} Hz`).toBeLessThan(200);
      }
    }
  });

  it('ECG (A2) shows R peaks at a plausible heart rate with slight variability', () => {
    const rate = 1000;
    const src = createSignalSource({ seed: 9, rate });
    const seconds = 60;
    const peaks: number[] = [];
    let last = -Infinity;
    for (let i = 1; i < seconds * rate - 1; i++) {
      const v = src(2, i);
      // An R peak: well above baseline, a local maximum, 250 ms after the previous one.
      if (v > 512 + 180 && v >= src(2, i - 1) && v >= src(2, i + 1) && i - last > 0.25 * rate) {
        peaks.push(i);
        last = i;
      }
    }
    const bpm = (peaks.length / seconds) * 60;
    expect(bpm).toBeGreaterThan(60);
    expect(bpm).toBeLessThan(80);
    const rr = peaks.slice(1).map((p, k) => (p - peaks[k]) / rate);
    expect(Math.min(...rr)).toBeGreaterThan(0.65);
    expect(Math.max(...rr)).toBeLessThan(1.05);
    expect(new Set(rr).size).toBeGreaterThan(5); // not a metronome
  });

  it('EMG (A1) alternates rest and bursts of activity', () => {
    const rate = 1000;
    const src = createSignalSource({ seed: 3, rate });
    // Peak deviation from baseline per 250 ms window over 40 s.
    const windows: number[] = [];
    for (let w = 0; w < 160; w++) {
      let dev = 0;
      for (let i = w * 250; i < (w + 1) * 250; i++) dev = Math.max(dev, Math.abs(src(1, i) - 512));
      windows.push(dev);
    }
    const quiet = windows.filter((d) => d < 20).length;
    const active = windows.filter((d) => d > 80).length;
    expect(quiet).toBeGreaterThan(40);
    expect(active).toBeGreaterThan(10);
  });

  it('EEG (A4) is small around 512 and ACC (A5) stays within about ±60', () => {
    const src = createSignalSource({ seed: 11, rate: 100 });
    let eeg = 0;
    let acc = 0;
    for (let i = 0; i < 30_000; i++) {
      eeg = Math.max(eeg, Math.abs(src(4, i) - 512));
      acc = Math.max(acc, Math.abs(src(5, i) - 512));
    }
    expect(eeg).toBeLessThan(80);
    expect(acc).toBeLessThan(80);
    expect(acc).toBeGreaterThan(20); // it does move
  });

  it('rejects bad options and channels', () => {
    expect(() => createSignalSource({ seed: 1, rate: 0 })).toThrow(TypeError);
    expect(() => createSignalSource({ seed: Number.NaN, rate: 100 })).toThrow(TypeError);
    expect(() => createSignalSource({ seed: 1, rate: 100 })(7, 0)).toThrow(RangeError);
  });
});
