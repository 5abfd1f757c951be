/**
 * Redraws at most `maxFps` times a second, and only when something changed: `request()` marks
 * the plot dirty; the draw runs in a requestAnimationFrame callback once at least 1000/maxFps ms
 * have passed since the previous draw. rAF also stops drawing in a hidden window for free.
 */
export interface FrameThrottleOptions {
  /** Upper bound on draws per second. Default 30. */
  maxFps?: number;
  raf?: (cb: (t: number) => void) => number;
  caf?: (handle: number) => void;
}

export class FrameThrottle {
  private readonly minInterval: number;
  private readonly raf: (cb: (t: number) => void) => number;
  private readonly caf: (handle: number) => void;
  private handle: number | undefined;
  private last = -Infinity;
  private dirty = false;
  private stopped = false;

  constructor(
    private readonly draw: (t: number) => void,
    options: FrameThrottleOptions = {},
  ) {
    // A frame arrives every ~16.7 ms at 60 Hz; allow a little slack so 30 fps is not rounded down to 20.
    this.minInterval = 1000 / (options.maxFps ?? 30) - 2;
    this.raf = options.raf ?? ((cb) => requestAnimationFrame(cb));
    this.caf = options.caf ?? ((h) => cancelAnimationFrame(h));
  }

  request(): void {
    if (this.stopped) return;
    this.dirty = true;
    if (this.handle === undefined) this.handle = this.raf(this.tick);
  }

  stop(): void {
    this.stopped = true;
    if (this.handle !== undefined) this.caf(this.handle);
    this.handle = undefined;
  }

  private readonly tick = (t: number): void => {
    this.handle = undefined;
    if (this.stopped || !this.dirty) return;
    if (t - this.last < this.minInterval) {
      this.handle = this.raf(this.tick);
      return;
    }
    this.last = t;
    this.dirty = false;
    this.draw(t);
  };
}
