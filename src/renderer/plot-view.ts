/** The Live tab: channel picker, raw/converted toggle and the live plot. */
import type { MetaMessage } from '../shared/v2.js';
import { el, setText } from './dom.js';
import { LivePlot, type TraceSpec, type Units } from './plot.js';

/** The select's value that overlays every acquired channel. */
export const ALL_CHANNELS = '*';

/** One trace per analog column of the stream, in column order. */
export function tracesFromMeta(meta: MetaMessage): TraceSpec[] {
  return meta.columns
    .filter((c) => c.kind === 'analog')
    .map((c) => {
      const phys = c.channel !== undefined ? `A${c.channel}` : '';
      const name = phys && phys !== c.name ? `${c.name} (${phys})` : c.name;
      return { key: c.name, label: c.sensor ? `${name} · ${c.sensor}` : name, unit: c.unit, resolution: c.resolution };
    });
}

/** A1 when acquired, else the first analog column. */
export function defaultTrace(meta: MetaMessage): string | undefined {
  const analog = meta.columns.filter((c) => c.kind === 'analog');
  return (analog.find((c) => c.channel === 1) ?? analog[0])?.name;
}

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
