/**
 * The live strip chart: chart.js 4 with its cost under control (with default settings it took
 * ~53 % of a core for one channel at 1000 Hz, ~100 % for six, measured on the project's 2-core
 * machine):
 * - samples land in fixed-size rings (ring-buffer.ts), one per analog column and format, so
 *   switching channel or units shows the history at once;
 * - the chart is redrawn at most `maxFps` times a second, in requestAnimationFrame, and only
 *   when data arrived (frame-throttle.ts);
 * - each redraw decimates to min/max per pixel column (decimate.ts) into reused point objects,
 *   with `parsing: false`, `normalized: true`, no animation, no points, no hover events, and
 *   fixed axis ranges (no scale fitting from the data);
 * - 1 px lines (Skia's fast hairline path), and no redraws while the plot is off screen.
 * Measured with test/e2e/plot-perf.ts (6 channels streamed at 1000 Hz, 1280×800): about a
 * quarter of a core for A1 and a third for all six overlaid, of which the fixed cost of
 * redrawing a canvas 25–30 times a second is most; the stream alone costs ~3 %.
 */
import { Chart, LineController, LineElement, LinearScale, PointElement } from 'chart.js';
import { niceRange, rawRange } from './axis.js';
import { decimateMinMax, pixelsPerColumn, type XY } from './decimate.js';
import { FrameThrottle } from './frame-throttle.js';
import { SampleSeries } from './ring-buffer.js';
import { colorSlot, type TraceSpec } from './traces.js';

export type { TraceSpec } from './traces.js';

Chart.register(LineController, LineElement, PointElement, LinearScale);

export type Units = 'raw' | 'converted';

export interface PlotStats {
  /** Redraws so far. */
  draws: number;
  /** Time spent in redraws (decimation + chart.update), ms. */
  drawMs: number;
  /** Duration of the last redraw, ms. */
  lastDrawMs: number;
  /** Points handed to chart.js in the last redraw (all traces). */
  lastPoints: number;
}

export interface LivePlotOptions {
  /** Seconds of history. Default 5. */
  seconds?: number;
  /** Most redraws per second. Default 30. */
  maxFps?: number;
}

const COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bf3989'];
/** Upper bound on samples kept per ring (5 s at the top rate of 1000 Hz). */
const MAX_CAPACITY = 10_000;

interface Trace {
  spec: TraceSpec;
  raw: SampleSeries;
  converted: SampleSeries;
}

export class LivePlot {
  readonly stats: PlotStats = { draws: 0, drawMs: 0, lastDrawMs: 0, lastPoints: 0 };
  private readonly chart: Chart<'line', XY[]>;
  private readonly throttle: FrameThrottle;
  private readonly seconds: number;
  private traces = new Map<string, Trace>();
  private rate = 1;
  private visible: string[] = [];
  private units: Units = 'raw';
  private destroyed = false;
  /** False while the plot is not on screen (another tab): data is still buffered, nothing is drawn. */
  private visibleOnScreen = true;

  constructor(canvas: HTMLCanvasElement, options: LivePlotOptions = {}) {
    this.seconds = options.seconds ?? 5;
    this.throttle = new FrameThrottle(() => this.draw(), { maxFps: options.maxFps ?? 30 });
    this.chart = new Chart<'line', XY[]>(canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        spanGaps: false,
        events: [],
        // A 1 px line is a hairline to Skia, which strokes it several times faster than any wider
        // line (measured: about half the renderer CPU of 1.25 px for one noisy channel at 1000 Hz).
        elements: { point: { radius: 0, hitRadius: 0, hoverRadius: 0 }, line: { borderWidth: 1, tension: 0, capBezierPoints: false } },
        scales: {
          x: {
            type: 'linear',
            min: -this.seconds,
            max: 0,
            ticks: { stepSize: 1, callback: (v) => `${Number(v)} s`, maxRotation: 0, color: '#57606a' },
            grid: { color: '#eaeef2' },
          },
          y: { type: 'linear', min: 0, max: 1023, ticks: { maxTicksLimit: 7, includeBounds: false, color: '#57606a' }, grid: { color: '#eaeef2' } },
        },
      },
    });
  }

  /** Starts over for a new stream: one ring pair per analog column. */
  configure(rate: number, specs: readonly TraceSpec[]): void {
    this.rate = rate > 0 ? rate : 1;
    const capacity = Math.max(2, Math.min(MAX_CAPACITY, Math.ceil(this.seconds * this.rate)));
    this.traces = new Map(specs.map((spec) => [spec.key, { spec, raw: new SampleSeries(capacity), converted: new SampleSeries(capacity) }]));
    this.visible = this.visible.filter((k) => this.traces.has(k));
    this.rebuildDatasets();
  }

  /** Which columns to draw (one, or several overlaid) and in which units. */
  show(keys: readonly string[], units: Units): void {
    this.visible = keys.filter((k) => this.traces.has(k));
    this.units = units;
    this.rebuildDatasets();
  }

  /** Appends a data message's samples (raw and/or converted, keyed by column). */
  append(index: number, raw: Record<string, ArrayLike<number | null>> | undefined, converted: Record<string, ArrayLike<number | null>> | undefined): void {
    for (const [key, t] of this.traces) {
      const r = raw && Object.hasOwn(raw, key) ? raw[key] : undefined;
      const c = converted && Object.hasOwn(converted, key) ? converted[key] : undefined;
      // null (JSON has no NaN) marks a missing value; the ring stores it as NaN.
      if (r) t.raw.append(index, r as ArrayLike<number>);
      if (c) t.converted.append(index, c as ArrayLike<number>);
    }
    if (this.visible.length > 0 && this.visibleOnScreen) this.throttle.request();
  }

  /** Tells the plot whether it is on screen; it catches up with one draw when it comes back. */
  setOnScreen(on: boolean): void {
    if (on === this.visibleOnScreen) return;
    this.visibleOnScreen = on;
    if (on) this.throttle.request();
  }

  get colors(): readonly string[] {
    return COLORS;
  }

  /** The y axes drawn now, top to bottom: their titles (one lane per trace when several). For tests. */
  axes(): string[] {
    const scales = this.chart.options.scales as Record<string, { title?: { text?: string } }>;
    return this.visible.map((_, i) => scales[this.axisId(i)]?.title?.text ?? '');
  }

  /** Has `key` any sample in the current units? (to tell "no converted values" from "no data"). */
  hasData(key: string, units: Units): boolean {
    const t = this.traces.get(key);
    return !!t && (units === 'raw' ? t.raw : t.converted).ring.length > 0;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.throttle.stop();
    this.chart.destroy();
  }

  /** The colour of a trace: its physical channel's (A3 is always the same colour). */
  colorOf(key: string): string {
    const t = this.traces.get(key);
    return COLORS[colorSlot(t?.spec ?? {}, Math.max(0, [...this.traces.keys()].indexOf(key)), COLORS.length)];
  }

  /** The y axis of each visible trace: one ("y") for a single trace, else one lane per trace. */
  private axisId(i: number): string {
    return this.visible.length > 1 ? `y${i}` : 'y';
  }

  /**
   * Several traces get stacked lanes, each with its own range and its unit in the axis title
   * (issue 10 item 7: mV, µS and g on one axis made the small signals flat lines).
   */
  private rebuildScales(): void {
    const x = {
      type: 'linear',
      min: -this.seconds,
      max: 0,
      ticks: { stepSize: 1, callback: (v: number | string) => `${Number(v)} s`, maxRotation: 0, color: '#57606a' },
      grid: { color: '#eaeef2' },
    };
    const tick = { color: '#57606a' };
    const grid = { color: '#eaeef2' };
    const next: Record<string, unknown> = { x };
    if (this.visible.length <= 1) {
      next.y = { type: 'linear', min: 0, max: 1023, ticks: { maxTicksLimit: 7, includeBounds: false, ...tick }, grid };
    } else {
      // chart.js stacks the first scale of a stack at the bottom: the last trace goes first, so A1 is on top.
      for (let i = this.visible.length - 1; i >= 0; i--) {
        const t = this.traces.get(this.visible[i])!;
        const unit = this.units === 'raw' ? 'raw' : (t.spec.unit ?? '');
        const name = t.spec.key;
        next[`y${i}`] = {
          type: 'linear',
          stack: 'lanes',
          stackWeight: 1,
          offset: true,
          min: 0,
          max: 1,
          title: { display: true, text: unit ? `${name} (${unit})` : name, color: this.colorOf(name), font: { size: 11 }, padding: 2 },
          ticks: { maxTicksLimit: 3, includeBounds: false, font: { size: 10 }, ...tick },
          grid,
          border: { color: '#d0d7de' },
        };
      }
    }
    this.chart.options.scales = next as typeof this.chart.options.scales;
  }

  private rebuildDatasets(): void {
    this.rebuildScales();
    this.chart.data.datasets = this.visible.map((key, i) => ({
      label: key,
      data: [] as XY[],
      yAxisID: this.axisId(i),
      borderColor: this.colorOf(key),
      backgroundColor: this.colorOf(key),
      borderWidth: 1,
      pointRadius: 0,
      fill: false,
    }));
    this.draw();
  }

  private draw(): void {
    if (this.destroyed) return;
    const t0 = performance.now();
    const area = this.chart.chartArea;
    const width = Math.round(area ? area.right - area.left : this.chart.width || 600);
    const columns = Math.max(50, Math.round(width / pixelsPerColumn(this.visible.length)));
    let points = 0;
    const scales = this.chart.options.scales as Record<string, { min?: number; max?: number }>;
    this.visible.forEach((key, i) => {
      const t = this.traces.get(key)!;
      const ring = (this.units === 'raw' ? t.raw : t.converted).ring;
      const dx = 1 / this.rate;
      // Newest sample at x = 0, older ones to the left.
      const x0 = -(ring.length - 1) * dx;
      const ds = this.chart.data.datasets[i];
      const r = decimateMinMax(ring, columns, x0, dx, ds.data);
      points += r.count;
      const range = this.units === 'raw' && t.spec.resolution > 0 ? rawRange(t.spec.resolution) : niceRange(r.min, r.max);
      const y = scales[this.axisId(i)];
      if (y) {
        y.min = range.min;
        y.max = range.max;
      }
    });
    this.chart.update('none');
    const ms = performance.now() - t0;
    this.stats.draws++;
    this.stats.drawMs += ms;
    this.stats.lastDrawMs = ms;
    this.stats.lastPoints = points;
  }
}
