/**
 * The Live tab: channel picker, raw/converted toggle and the live plot of the selected device.
 * When no data has arrived for a moment (stopped, failed, a link gone quiet) the plot is greyed
 * and says so, with the time since the last sample (issue 10 item 5).
 */
import type { MetaMessage } from '../shared/v2.js';
import { defaultTrace, tracesFromMeta } from './traces.js';
import { el, setText } from './dom.js';
import { LivePlot, type Units } from './plot.js';
import { colorSlot, type TraceSpec } from './traces.js';

/** The select's value that overlays every acquired channel. */
export const ALL_CHANNELS = '*';

export interface PlotView {
  plot: LivePlot;
  /** The selected device's stream (undefined: none, or it has not streamed yet). */
  setMeta(meta: MetaMessage | undefined): void;
  /** Live or not, and what to say when not (device-activity.ts liveness). */
  setLive(state: { live: boolean; text: string }): void;
}

export function mountPlotView(root: HTMLElement): PlotView {
  const select = el('select', { attrs: { id: 'plot-channel', 'data-testid': 'plot-channel', 'aria-label': 'Channel' } });
  const rawRadio = el('input', { attrs: { type: 'radio', name: 'units', value: 'raw', id: 'units-raw', 'data-testid': 'units-raw' } });
  const convRadio = el('input', { attrs: { type: 'radio', name: 'units', value: 'converted', id: 'units-converted', 'data-testid': 'units-converted' } });
  rawRadio.checked = true;
  const legend = el('div', { class: 'legend', attrs: { 'data-testid': 'plot-legend' } });
  const canvas = el('canvas', { attrs: { 'data-testid': 'plot', 'aria-label': 'Live signal plot', role: 'img' } });
  const empty = el('div', { class: 'plot-empty', text: 'Waiting for data…' });
  const stale = el('div', { class: 'plot-stale', attrs: { 'data-testid': 'plot-stale', role: 'status' } });
  stale.hidden = true;
  const box = el('div', { class: 'plot-box' }, canvas, empty, stale);

  root.replaceChildren(
    el(
      'div',
      { class: 'plot-toolbar' },
      el('label', { attrs: { for: 'plot-channel' }, text: 'Channel' }),
      select,
      el('span', { class: 'segmented', attrs: { role: 'radiogroup', 'aria-label': 'Units' } }, rawRadio, el('label', { attrs: { for: 'units-raw' }, text: 'Raw (ADC)' }), convRadio, el('label', { attrs: { for: 'units-converted' }, text: 'Converted' })),
      legend,
    ),
    box,
  );

  const plot = new LivePlot(canvas);
  let specs: TraceSpec[] = [];
  let chosen: string | undefined;

  const units = (): Units => (convRadio.checked ? 'converted' : 'raw');

  const apply = () => {
    const keys = select.value === ALL_CHANNELS ? specs.map((s) => s.key) : specs.some((s) => s.key === select.value) ? [select.value] : [];
    chosen = select.value || chosen;
    plot.show(keys, units());
    legend.replaceChildren(
      ...keys.map((k) => {
        const s = specs.find((x) => x.key === k)!;
        const unit = units() === 'raw' ? `raw, ${s.resolution}-bit` : (s.unit ?? 'no unit: raw');
        return el('span', { class: 'legend-item' }, el('span', { class: 'swatch', attrs: { 'data-color': String(colorSlot(s, specs.indexOf(s), plot.colors.length)) } }), `${s.label} (${unit})`);
      }),
    );
  };
  select.addEventListener('change', apply);
  rawRadio.addEventListener('change', apply);
  convRadio.addEventListener('change', apply);

  return {
    plot,
    setLive({ live, text }) {
      box.classList.toggle('stale', !live && specs.length > 0);
      stale.hidden = live || specs.length === 0;
      setText(stale, live ? '' : text);
    },
    setMeta(meta: MetaMessage | undefined) {
      if (!meta) {
        specs = [];
        plot.configure(1, []);
        select.replaceChildren();
        setText(empty, 'Waiting for data…');
        empty.hidden = false;
        stale.hidden = true;
        box.classList.remove('stale');
        apply();
        return;
      }
      specs = tracesFromMeta(meta);
      plot.configure(meta['sampling rate'], specs);
      const options = specs.map((s) => el('option', { attrs: { value: s.key }, text: s.label }));
      if (specs.length > 1) options.push(el('option', { attrs: { value: ALL_CHANNELS }, text: 'All channels' }));
      select.replaceChildren(...options);
      const keep = chosen && (chosen === ALL_CHANNELS ? specs.length > 1 : specs.some((s) => s.key === chosen));
      select.value = keep ? chosen! : (defaultTrace(meta) ?? '');
      setText(empty, specs.length === 0 ? 'No analog channels in this stream.' : '');
      empty.hidden = specs.length > 0;
      apply();
    },
  };
}
