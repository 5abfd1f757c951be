/**
 * The banners: what happened and what to try, in plain words. By priority: the lost
 * connection; the service's own problem (the config file not, or not fully, in use — naming the
 * file and the bad settings — or a listener that could not start); the selected device's error
 * (status.error); the last failed command (dismissable). At most the first two are shown.
 */
import type { ConfigProblem, OriginNotice } from '../shared/v2.js';
import { el, replaceChildren } from './dom.js';
import { connectionLost, describeError, titleFor, type ErrorView } from './errors.js';
import { deviceLabel, type AppState, type Store } from './store.js';

export interface Banner {
  view: ErrorView;
  dismissable: boolean;
  /** For tests and styling: which kind of banner. */
  kind: 'connection' | 'problem' | 'device' | 'origin' | 'command';
}

/** How long the window shows a refused page after the service reported it, ms. */
export const ORIGIN_NOTICE_MS = 10 * 60_000;

/** A page the service refused for its Origin: which, and exactly how to allow it (the service's words). */
export function originView(n: OriginNotice, now = Date.now()): ErrorView {
  const when = new Date(n.time).toLocaleTimeString('en-GB');
  const times = n.count > 1 ? ` (${n.count} attempts)` : '';
  const minutes = Math.max(0, Math.round((now - n.time) / 60_000));
  return {
    title: n.opaque ? `ServerBIT refused a page opened from disk${times}` : `ServerBIT refused a web page from ${n.origin}${times}`,
    message: `At ${when}${minutes > 0 ? ` (${minutes} min ago)` : ''}, a WebSocket from Origin "${n.origin}" was refused.`,
    hint: n.guidance,
    steps: [],
    severity: 'warning',
  };
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

/** The banners for a state (pure apart from its input and the clock). */
export function bannersFor(s: AppState, now = Date.now()): Banner[] {
  if (s.connection === 'closed') return [{ view: connectionLost(s.address ?? 'ServerBIT'), dismissable: false, kind: 'connection' }];
  const out: Banner[] = [];
  if (s.problem && s.connection === 'open') out.push({ view: problemView(s.problem), dismissable: false, kind: 'problem' });
  const err = s.status?.error;
  if (err && s.connection === 'open') {
    const view = describeError(err, { state: s.status!.state });
    if (s.devices.length > 1 && s.device !== undefined) view.title = `${deviceLabel(s.status, s.device)}: ${view.title}`;
    out.push({ view, dismissable: false, kind: 'device' });
  }
  const o = s.origin;
  if (o && s.connection === 'open' && o.time !== s.originDismissed && now - o.time < ORIGIN_NOTICE_MS) out.push({ view: originView(o, now), dismissable: true, kind: 'origin' });
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
            ? el('button', {
                class: 'banner-close',
                text: '×',
                attrs: { type: 'button', 'aria-label': 'Dismiss' },
                on: { click: () => store.set(b.kind === 'origin' ? { originDismissed: s.origin?.time } : { commandError: undefined }) },
              })
            : null,
        );
      }),
    );
  });
}
