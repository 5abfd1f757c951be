/**
 * How the live plot keeps its cost under control at 1000 Hz (chart.js with default settings
 * cost ~53 % of a core for one channel and ~100 % for six): redraws are capped, points
 * are decimated to the pixel columns, and nothing is drawn while the plot is not on screen.
 * These are behaviours, not timings: the frame rate, long tasks and CPU are measured by
 * `npm run bench` (docs/performance.md) and only printed here.
 */
import { describe, expect, it } from 'vitest';
import { buildRenderer } from './harness.js';
import { benchmarkPlot, formatPlotPerf } from './plot-perf.js';

describe('live plot at 1000 Hz', () => {
  it('caps redraws, decimates to pixel columns, and stops drawing while hidden', { timeout: 120_000 }, async () => {
    buildRenderer();
    const results = await benchmarkPlot({ views: ['hidden', 'A1', 'all'], seconds: Number(process.env.PLOT_PERF_SECONDS ?? 4) });
    for (const r of results) console.log(formatPlotPerf(r));
    for (const r of results) {
      if (r.view === 'hidden') {
        expect(r.drawsPerSecond, 'no redraws while the plot is not on screen').toBe(0);
        continue;
      }
      expect(r.drawsPerSecond, r.view).toBeGreaterThan(0);
      expect(r.drawsPerSecond, `${r.view}: redraws are capped at 30/s`).toBeLessThanOrEqual(31);
      expect(r.points, `${r.view}: at most a min/max pair per pixel column per trace`).toBeLessThanOrEqual(6 * 2 * 1280);
    }
  });
});
