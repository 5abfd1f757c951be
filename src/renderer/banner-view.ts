/**
 * The banners: what happened and what to try, in plain words. By priority: the lost
 * connection; the service's own problem (the config file not, or not fully, in use — naming the
 * file and the bad settings — or a listener that could not start); the selected device's error
 * (status.error); the last failed command (dismissable). At most the first two are shown.
 */
import type { ConfigProblem } from '../shared/v2.js';
import { el, replaceChildren } from './dom.js';
import { connectionLost, describeError, titleFor, type ErrorView } from './errors.js';
import { deviceLabel, type AppState, type Store } from './store.js';

export interface Banner {
  view: ErrorView;
  dismissable: boolean;
  /** For tests and styling: which kind of banner. */
  kind: 'connection' | 'problem' | 'device' | 'command';
}

/** The service's problem as a banner: what is wrong with which file, and what ServerBIT does meanwhile. */
export function problemView(p: ConfigProblem): ErrorView {
  const config = p.code.startsWith('CONFIG_');
  const title = !config
    ? titleFor(p.code)
    : p.invalid && p.invalid.length > 0
      ? `${p.invalid.length === 1 ? 'A setting' : `${p.invalid.length} settings`} in the config file ${p.invalid.length === 1 ? 'is' : 'are'} not valid: ${[...new Set(p.invalid.map((i) => i.path))].join(', ')}`
      : `The config file cannot be used: it ${titleFor(p.code, 'could not be read').replace(/^The settings file /, '')}`;
  const steps: string[] = [];
  if (config && p.saveable === false) steps.push('Fix the file in a text editor (or delete it to start again with defaults). Until then ServerBIT runs on default settings and Settings cannot save.');
  else if (config) steps.push('Open Settings: the invalid value is marked there. Choose a valid one and Save, or correct the file.');
  const view: ErrorView = { title, message: p.message, steps, severity: config ? 'warning' : 'error' };
  if (p.hint && p.hint !== p.message) view.hint = p.hint;
  return view;
}

/** The banners for a state (pure apart from its input). */
export function bannersFor(s: AppState): Banner[] {
  if (s.connection === 'closed') return [{ view: connectionLost(s.address ?? 'ServerBIT'), dismissable: false, kind: 'connection' }];
  const out: Banner[] = [];
  if (s.problem && s.connection === 'open') out.push({ view: problemView(s.problem), dismissable: false, kind: 'problem' });
  const err = s.status?.error;
  if (err && s.connection === 'open') {
    const view = describeError(err, { state: s.status!.state });
    if (s.devices.length > 1 && s.device !== undefined) view.title = `${deviceLabel(s.status, s.device)}: ${view.title}`;
    out.push({ view, dismissable: false, kind: 'device' });
  }
  if (s.commandError) out.push({ view: s.commandError, dismissable: true, kind: 'command' });
  return out.slice(0, 2);
}

/** The first banner of bannersFor (the one that matters most). */
export function bannerFor(s: AppState): Banner | undefined {
  return bannersFor(s)[0];
}

export function mountBanner(root: HTMLElement, store: Store): void {
  let shown = '';
  store.subscribe((s) => {
    const banners = bannersFor(s);
    const key = JSON.stringify(banners);
    if (key === shown) return;
    shown = key;
    root.hidden = banners.length === 0;
    replaceChildren(
      root,
      ...banners.map((b) => {
        const { view } = b;
        return el(
          'div',
          { class: `banner ${view.severity}`, attrs: { 'data-testid': `banner-${b.kind}` } },
          el(
            'div',
            { class: 'banner-body' },
            el('strong', { class: 'banner-title', text: view.title }),
            el('p', { class: 'banner-message', text: view.message }),
            view.hint ? el('p', { class: 'banner-hint', text: view.hint }) : null,
            view.steps.length > 0 ? el('p', { class: 'banner-steps-title', text: b.kind === 'problem' ? 'What to do:' : 'Please check:' }) : null,
            view.steps.length > 0 ? el('ol', { class: 'banner-steps' }, ...view.steps.map((t) => el('li', { text: t }))) : null,
          ),
          b.dismissable
            ? el('button', { class: 'banner-close', text: '×', attrs: { type: 'button', 'aria-label': 'Dismiss' }, on: { click: () => store.set({ commandError: undefined }) } })
            : null,
        );
      }),
    );
  });
}
