/**
 * The error banner: what happened and what to try, in plain words. Shows, by priority, the lost
 * connection, the service's error (status.error), then the last failed command (dismissable).
 */
import { el, replaceChildren } from './dom.js';
import { connectionLost, describeError, type ErrorView } from './errors.js';
import type { AppState, Store } from './store.js';

/** The banner for a state, or undefined for none (pure apart from its input). */
export function bannerFor(s: AppState): { view: ErrorView; dismissable: boolean } | undefined {
  if (s.connection === 'closed') return { view: connectionLost(s.address ?? 'ServerBIT'), dismissable: false };
  const err = s.status?.error;
  if (err && s.connection === 'open') return { view: describeError(err, { state: s.status!.state }), dismissable: false };
  if (s.commandError) return { view: s.commandError, dismissable: true };
  return undefined;
}

export function mountBanner(root: HTMLElement, store: Store): void {
  let shown = '';
  store.subscribe((s) => {
    const b = bannerFor(s);
    const key = b ? JSON.stringify(b.view) : '';
    if (key === shown) return;
    shown = key;
    if (!b) {
      root.hidden = true;
      root.replaceChildren();
      return;
    }
    const { view } = b;
    root.hidden = false;
    root.className = `banner ${view.severity}`;
    replaceChildren(
      root,
      el(
        'div',
        { class: 'banner-body' },
        el('strong', { class: 'banner-title', text: view.title }),
        el('p', { class: 'banner-message', text: view.message }),
        view.hint ? el('p', { class: 'banner-hint', text: view.hint }) : null,
        view.steps.length > 0 ? el('p', { class: 'banner-steps-title', text: 'Please check:' }) : null,
        view.steps.length > 0 ? el('ol', { class: 'banner-steps' }, ...view.steps.map((t) => el('li', { text: t }))) : null,
      ),
      b.dismissable
        ? el('button', { class: 'banner-close', text: '×', attrs: { type: 'button', 'aria-label': 'Dismiss' }, on: { click: () => store.set({ commandError: undefined }) } })
        : null,
    );
  });
}
