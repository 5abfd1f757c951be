/**
 * The device list (issue 11): every device the service runs, with its name, address, state
 * badge and samples per second; a click (or Enter/Space, arrow keys between rows) selects the
 * device the status panel, the plot and Settings show.
 */
import { el, setText } from './dom.js';
import { STATE_LABELS, formatSps } from './format.js';
import { deviceLabel, type AppState, type Store } from './store.js';

/** One row as shown (pure, for tests). */
export interface DeviceRow {
  id: string;
  name: string;
  address: string;
  /** The badge's state class and word. */
  state: string;
  stateText: string;
  sps: string;
  selected: boolean;
}

export function deviceRows(s: Pick<AppState, 'devices' | 'statuses' | 'activity' | 'device' | 'connection'>): DeviceRow[] {
  return s.devices.map((id) => {
    const st = s.statuses[id];
    const state = s.connection !== 'open' ? 'offline' : (st?.state ?? 'idle');
    return {
      id,
      name: deviceLabel(st, id),
      address: st?.address ?? '',
      state,
      stateText: STATE_LABELS[state] ?? state,
      sps: formatSps(s.activity[id]?.sps ?? 0),
      selected: id === s.device,
    };
  });
}

export function mountDeviceList(root: HTMLElement, store: Store): void {
  const list = el('ul', { class: 'devices', attrs: { role: 'listbox', 'aria-label': 'Devices', 'data-testid': 'devices' } });
  const count = el('span', { class: 'muted count' });
  root.replaceChildren(el('div', { class: 'devices-head' }, el('h2', { text: 'Devices' }), count), list);

  const select = (id: string) => {
    if (store.state.devices.includes(id)) store.set({ device: id });
  };
  list.addEventListener('click', (e) => {
    const li = (e.target as Element).closest<HTMLElement>('li[data-device]');
    if (li?.dataset.device !== undefined) select(li.dataset.device);
  });
  list.addEventListener('keydown', (e) => {
    const ids = store.state.devices;
    const i = ids.indexOf(store.state.device ?? '');
    const d = e.key === 'ArrowDown' ? 1 : e.key === 'ArrowUp' ? -1 : 0;
    if (d !== 0 && ids.length > 0) {
      e.preventDefault();
      select(ids[(i + d + ids.length) % ids.length]);
      list.querySelector<HTMLElement>('li[aria-selected="true"]')?.focus();
    }
  });

  const rows = new Map<string, { li: HTMLLIElement; name: HTMLElement; address: HTMLElement; badge: HTMLElement; sps: HTMLElement }>();
  const render = (s: AppState) => {
    const wanted = deviceRows(s);
    for (const [id, r] of rows) {
      if (!wanted.some((w) => w.id === id)) {
        r.li.remove();
        rows.delete(id);
      }
    }
    wanted.forEach((w, i) => {
      let r = rows.get(w.id);
      if (!r) {
        const name = el('span', { class: 'device-name', attrs: { 'data-testid': 'device-name' } });
        const address = el('span', { class: 'device-address mono', attrs: { 'data-testid': 'device-address' } });
        const badge = el('span', { class: 'badge', attrs: { 'data-testid': 'device-state' } });
        const sps = el('span', { class: 'device-sps muted', attrs: { 'data-testid': 'device-sps' } });
        const li = el('li', { attrs: { role: 'option', 'data-device': w.id, 'data-testid': `device-${w.id}` } }, el('div', { class: 'device-line' }, name, badge), el('div', { class: 'device-line' }, address, sps));
        r = { li, name, address, badge, sps };
        rows.set(w.id, r);
      }
      if (list.children[i] !== r.li) list.insertBefore(r.li, list.children[i] ?? null);
      setText(r.name, w.name);
      setText(r.address, w.address === w.name ? '' : w.address);
      setText(r.badge, w.stateText);
      r.badge.className = `badge state-${w.state}`;
      setText(r.sps, w.state === 'streaming' ? `${w.sps}/s` : '');
      r.li.setAttribute('aria-selected', String(w.selected));
      r.li.tabIndex = w.selected ? 0 : -1;
      r.li.title = w.address;
    });
    setText(count, s.devices.length > 1 ? String(s.devices.length) : '');
  };
  store.subscribe((s, changed) => {
    if (changed.has('devices') || changed.has('statuses') || changed.has('activity') || changed.has('device') || changed.has('connection')) render(s);
  });
}
