/**
 * Live-plot cost in Chromium at 1000 Hz, reusable by the benchmark (bench/) and checked by
 * plot-perf.e2e.test.ts. For each view it loads the page from the real service, waits for
 * "streaming", shows the view, warms up, then measures for `seconds`:
 *
 * - fps: frames the browser produced (requestAnimationFrame callbacks per second) and the 99th
 *   percentile frame interval, measured in a second, shorter window (the rAF counter itself asks
 *   for a frame at every vsync, which would inflate the CPU figures);
 * - draws per second: plot redraws (capped at 30 by design) and their mean duration;
 * - long tasks: PerformanceObserver 'longtask' entries (main-thread tasks over 50 ms);
 * - renderer CPU: CDP Performance.getMetrics TaskDuration delta / Timestamp delta, i.e. the
 *   share of one core the page's main thread was busy (script, style, layout, paint, GC…); wall
 *   time, so it grows when the machine is busy: ThreadTime (main-thread CPU time) and
 *   ProcessTime (the whole renderer process) are reported too;
 * - samples/s the page received (its own status panel), to check the stream kept up.
 *
 * Views: 'A1' (the default plot), 'all' (all six channels overlaid), 'hidden' (Settings tab:
 * data still arrives and is buffered, nothing is drawn: the cost of the stream alone).
 */
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser, startService, type Service } from './harness.js';

export type PlotView = 'A1' | 'all' | 'hidden';

export interface PlotPerfResult {
  view: PlotView;
  seconds: number;
  /** Browser frames per second (rAF). */
  fps: number;
  /** 99th percentile interval between frames, ms. */
  frameP99Ms: number;
  /** Plot redraws per second. */
  drawsPerSecond: number;
  /** Mean duration of a redraw (decimation + chart.update), ms. */
  drawMeanMs: number;
  /** Points handed to chart.js in the last redraw (all traces). */
  points: number;
  longTasks: { count: number; totalMs: number; maxMs: number };
  /** Busy share of one core on the renderer's main thread (TaskDuration / wall time), 0..1. Inflated when the machine is loaded. */
  cpu: number;
  /** Of which JavaScript, 0..1. */
  scriptCpu: number;
  /** CPU time of the renderer's main thread / wall time (ThreadTime): robust to a busy machine. */
  threadCpu: number;
  /** CPU time of the whole renderer process (main, compositor, raster threads) / wall time. */
  processCpu: number;
  /** Samples per second received, as the page measured them. */
  samplesPerSecond: number;
}

export interface MeasureOptions {
  context: BrowserContext;
  /** The page's URL (http://127.0.0.1:<port>/). */
  url: string;
  view: PlotView;
  /** Measurement window, s. Default 10. */
  seconds?: number;
  /** Time to settle before measuring, ms. Default 3000. */
  warmupMs?: number;
}

type Metrics = Record<string, number>;

async function metrics(cdp: { send(m: 'Performance.getMetrics'): Promise<{ metrics: { name: string; value: number }[] }> }): Promise<Metrics> {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

/** Measures one view on a fresh page; the page is closed afterwards. */
export async function measurePlotPerf(options: MeasureOptions): Promise<PlotPerfResult> {
  const { context, url, view } = options;
  const seconds = options.seconds ?? 10;
  const page: Page = await context.newPage();
  try {
    await page.goto(url);
    await page.waitForFunction(() => document.querySelector('[data-testid="state"]')?.textContent === 'streaming', undefined, { timeout: 15_000 });
    await page.waitForFunction(() => (document.querySelectorAll('[data-testid="plot-channel"] option').length ?? 0) > 0, undefined, { timeout: 15_000 });
    if (view === 'hidden') await page.locator('#tab-settings').click();
    else await page.locator('[data-testid="plot-channel"]').selectOption(view === 'all' ? '*' : 'A1');
    await page.waitForTimeout(options.warmupMs ?? 3000);

    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
    // Window 1, CPU: nothing of ours runs in the page but a passive long-task observer.
    await page.evaluate(() => {
      const w = window as unknown as { __perf: { long: { start: number; duration: number }[]; t0: number } };
      w.__perf = { long: [], t0: performance.now() };
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__perf.long.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask' });
    });
    const m0 = await metrics(cdp);
    const d0 = await page.evaluate(() => ({ ...(window as unknown as { __serverbitDebug: { plot: { draws: number; drawMs: number } } }).__serverbitDebug.plot }));
    await page.waitForTimeout(seconds * 1000);
    const m1 = await metrics(cdp);
    const out = await page.evaluate(() => {
      const w = window as unknown as {
        __perf: { long: { start: number; duration: number }[]; t0: number };
        __serverbitDebug: { plot: { draws: number; drawMs: number; lastPoints: number }; state: () => { samplesPerSecond: number } };
      };
      return { perf: w.__perf, plot: { ...w.__serverbitDebug.plot }, sps: w.__serverbitDebug.state().samplesPerSecond };
    });
    await cdp.detach();
    // Window 2, frame rate: a rAF counter (it asks for a frame at every vsync, so it is kept out of the CPU window).
    const frames = await page.evaluate(
      (ms) =>
        new Promise<number[]>((resolve) => {
          const times: number[] = [];
          const start = performance.now();
          const tick = (t: number) => {
            times.push(t);
            if (t - start < ms) requestAnimationFrame(tick);
            else resolve(times);
          };
          requestAnimationFrame(tick);
        }),
      Math.min(seconds, 4) * 1000,
    );

    const wall = m1.Timestamp - m0.Timestamp;
    const intervals = frames.slice(1).map((t, i) => t - frames[i]).sort((a, b) => a - b);
    const p99 = intervals.length > 0 ? intervals[Math.min(intervals.length - 1, Math.floor(intervals.length * 0.99))] : NaN;
    const long = out.perf.long.filter((e) => e.start >= out.perf.t0);
    const draws = out.plot.draws - d0.draws;
    return {
      view,
      seconds: wall,
      fps: frames.length > 1 ? ((frames.length - 1) * 1000) / (frames[frames.length - 1] - frames[0]) : 0,
      frameP99Ms: p99,
      drawsPerSecond: draws / wall,
      drawMeanMs: draws > 0 ? (out.plot.drawMs - d0.drawMs) / draws : 0,
      points: out.plot.lastPoints,
      longTasks: { count: long.length, totalMs: long.reduce((s, e) => s + e.duration, 0), maxMs: long.reduce((s, e) => Math.max(s, e.duration), 0) },
      cpu: (m1.TaskDuration - m0.TaskDuration) / wall,
      scriptCpu: (m1.ScriptDuration - m0.ScriptDuration) / wall,
      threadCpu: (m1.ThreadTime - m0.ThreadTime) / wall,
      processCpu: (m1.ProcessTime - m0.ProcessTime) / wall,
      samplesPerSecond: out.sps,
    };
  } finally {
    await page.close();
  }
}

export interface BenchmarkOptions {
  views?: PlotView[];
  seconds?: number;
  /** Use a running service instead of starting one (simulator, 6 channels at 1000 Hz). */
  url?: string;
}

/** Starts the service and Chromium, measures each view in turn, closes everything. */
export async function benchmarkPlot(options: BenchmarkOptions = {}): Promise<PlotPerfResult[]> {
  const views = options.views ?? ['A1', 'all'];
  let service: Service | undefined;
  const browser = await launchBrowser();
  try {
    let url = options.url;
    if (!url) {
      service = await startService({ channels: [1, 2, 3, 4, 5, 6], sampling_rate: 1000 });
      url = service.url;
    }
    const results: PlotPerfResult[] = [];
    for (const view of views) results.push(await measurePlotPerf({ context: browser.context, url, view, seconds: options.seconds ?? 10 }));
    return results;
  } finally {
    await browser.close();
    await service?.close();
  }
}

/** One line per result, for logs and reports. */
export function formatPlotPerf(r: PlotPerfResult): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return (
    `${r.view.padEnd(6)} cpu ${pct(r.cpu)} (script ${pct(r.scriptCpu)}; thread ${pct(r.threadCpu)}, process ${pct(r.processCpu)}), ${r.fps.toFixed(1)} fps (frame p99 ${r.frameP99Ms.toFixed(1)} ms), ` +
    `${r.drawsPerSecond.toFixed(1)} draws/s × ${r.drawMeanMs.toFixed(2)} ms (${r.points} points), ` +
    `long tasks ${r.longTasks.count} (max ${r.longTasks.maxMs.toFixed(0)} ms), ${Math.round(r.samplesPerSecond)} samples/s over ${r.seconds.toFixed(1)} s`
  );
}
