/** The Live tab: channel picker, raw/converted toggle and the live plot. */
import type { MetaMessage } from '../shared/v2.js';
import { defaultTrace, tracesFromMeta } from './traces.js';
import { el, setText } from './dom.js';
import { LivePlot, type Units } from './plot.js';
import type { TraceSpec } from './traces.js';

/** The select's value that overlays every acquired channel. */
export const ALL_CHANNELS = '*';

export interface PlotView {
  plot: LivePlot;
  setMeta(meta: MetaMessage): void;
}

export function mountPlotView(root: HTMLElement): PlotView {
  const select = el('select', { attrs: { id: 'plot-channel', 'data-testid': 'plot-channel', 'aria-label': 'Channel' } });
  const rawRadio = el('input', { attrs: { type: 'radio', name: 'units', value: 'raw', id: 'units-raw', 'data-testid': 'units-raw' } });
  const convRadio = el('input', { attrs: { type: 'radio', name: 'units', value: 'converted', id: 'units-converted', 'data-testid': 'units-converted' } });
  rawRadio.checked = true;
  const legend = el('div', { class: 'legend', attrs: { 'data-testid': 'plot-legend' } });
  const canvas = el('canvas', { attrs: { 'data-testid': 'plot', 'aria-label': 'Live signal plot', role: 'img' } });
  const empty = el('div', { class: 'plot-empty', text: 'Waiting for data…' });

  root.replaceChildren(
    el(
      'div',
      { class: 'plot-toolbar' },
      el('label', { attrs: { for: 'plot-channel' }, text: 'Channel' }),
      select,
      el('span', { class: 'segmented', attrs: { role: 'radiogroup', 'aria-label': 'Units' } }, rawRadio, el('label', { attrs: { for: 'units-raw' }, text: 'Raw (ADC)' }), convRadio, el('label', { attrs: { for: 'units-converted' }, text: 'Converted' })),
      legend,
    ),
    el('div', { class: 'plot-box' }, canvas, empty),
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
      ...keys.map((k, i) => {
        const s = specs.find((x) => x.key === k)!;
        const unit = units() === 'raw' ? `raw, ${s.resolution}-bit` : (s.unit ?? 'converted');
        return el('span', { class: 'legend-item' }, el('span', { class: 'swatch', attrs: { 'data-color': String(i % plot.colors.length) } }), `${s.label} (${unit})`);
      }),
    );
  };
  select.addEventListener('change', apply);
  rawRadio.addEventListener('change', apply);
  convRadio.addEventListener('change', apply);

  return {
    plot,
    setMeta(meta: MetaMessage) {
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
