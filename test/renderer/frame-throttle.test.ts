import { describe, expect, it } from 'vitest';
import { FrameThrottle } from '../../src/renderer/frame-throttle.js';

/** A fake requestAnimationFrame driven at 60 Hz by `frame()`. */
function fakeRaf() {
  let queue: ((t: number) => void)[] = [];
  let now = 0;
  return {
    raf: (cb: (t: number) => void) => queue.push(cb),
    caf: () => (queue = []),
    frame() {
      now += 1000 / 60;
      const q = queue;
      queue = [];
      for (const cb of q) cb(now);
    },
    get pending() {
      return queue.length;
    },
  };
}

describe('FrameThrottle', () => {
  it('draws at most maxFps times a second however often data arrives', () => {
    const f = fakeRaf();
    let draws = 0;
    const t = new FrameThrottle(() => draws++, { maxFps: 30, raf: f.raf, caf: f.caf });
    for (let i = 0; i < 60; i++) {
      for (let k = 0; k < 10; k++) t.request();
      f.frame();
    }
    expect(draws).toBeGreaterThanOrEqual(29);
    expect(draws).toBeLessThanOrEqual(31);
  });

  it('does not draw (or keep a frame scheduled) when nothing changed', () => {
    const f = fakeRaf();
    let draws = 0;
    const t = new FrameThrottle(() => draws++, { raf: f.raf, caf: f.caf });
    t.request();
    f.frame();
    for (let i = 0; i < 10; i++) f.frame();
    expect(draws).toBe(1);
    expect(f.pending).toBe(0);
  });

  it('stop() cancels a pending draw and ignores later requests', () => {
    const f = fakeRaf();
    let draws = 0;
    const t = new FrameThrottle(() => draws++, { raf: f.raf, caf: f.caf });
    t.request();
    t.stop();
    t.request();
    f.frame();
    expect(draws).toBe(0);
  });
});
