import { describe, expect, it } from 'vitest';
import type { ServiceState } from '../../src/shared/acquisition.js';
import { createNotifier, NotificationGate, notificationFor, type DesktopNotification } from '../../src/main/desktop/notifications.js';
import { LINK_LOST, REAL, status } from './helpers.js';

const DEVICE = REAL.id;
const at = (state: ServiceState, error?: typeof LINK_LOST) => status(state, { device: REAL, ...(error ? { error } : {}) });

describe('notificationFor', () => {
  it('streaming → reconnecting or stalled: disconnected, with the reason and hint', () => {
    const n = notificationFor(at('streaming'), at('reconnecting', LINK_LOST), DEVICE);
    expect(n).toEqual({ kind: 'disconnected', title: `${DEVICE} disconnected`, body: 'the link to /dev/rfcomm0 closed ServerBIT reconnects by itself.' });
    const stalled = { code: 'DEVICE_STALLED', message: 'no data from /dev/rfcomm0 for 5 s' };
    expect(notificationFor(at('streaming'), at('stalled', stalled), DEVICE)?.kind).toBe('disconnected');
  });

  it('stalled or reconnecting → streaming: reconnected', () => {
    expect(notificationFor(at('reconnecting'), at('streaming'), DEVICE)).toEqual({ kind: 'reconnected', title: `${DEVICE} reconnected`, body: 'Streaming again at 1000 Hz.' });
    expect(notificationFor(at('stalled'), at('streaming'), DEVICE)?.kind).toBe('reconnected');
  });

  it('connecting → reconnecting: the first attempt failed (unreachable)', () => {
    const notFound = { code: 'DEVICE_OPEN_FAILED', message: 'cannot open COM7: File not found' };
    expect(notificationFor(at('connecting'), at('reconnecting', notFound), DEVICE)).toMatchObject({ kind: 'unreachable', title: `Cannot reach ${DEVICE}`, body: 'cannot open COM7: File not found' });
  });

  it('anything → error: failed, with the reason', () => {
    const bad = { code: 'DEVICE_BAD_ARGUMENT', message: 'the device refused rate 7', hint: 'Use 1, 10, 100 or 1000 Hz.' };
    for (const from of [undefined, 'connecting', 'streaming', 'reconnecting'] as const) {
      const n = notificationFor(from && at(from), at('error', bad), DEVICE);
      expect(n).toMatchObject({ kind: 'failed', body: 'the device refused rate 7 Use 1, 10, 100 or 1000 Hz.' });
    }
  });

  it('nothing for user actions and moves inside one outage', () => {
    const quiet: [ServiceState | undefined, ServiceState][] = [
      [undefined, 'connecting'],
      ['idle', 'connecting'],
      ['connecting', 'streaming'],
      ['streaming', 'stopped'],
      ['reconnecting', 'stopped'],
      ['stalled', 'reconnecting'],
      ['reconnecting', 'reconnecting'],
      ['stopped', 'connecting'],
      ['error', 'error'],
    ];
    for (const [from, to] of quiet) expect(notificationFor(from && at(from), at(to, LINK_LOST), DEVICE), `${from} → ${to}`).toBeUndefined();
  });

  it('names the simulator as such and cuts long reasons', () => {
    const long = { code: 'DEVICE_DISCONNECTED', message: 'x'.repeat(1000) };
    const n = notificationFor(status('streaming'), status('reconnecting', { error: long }), 'simulator');
    expect(n?.title).toBe('simulator disconnected');
    expect(n!.body.length).toBeLessThanOrEqual(240);
  });
});

describe('rate limit', () => {
  const n = (kind: DesktopNotification['kind']): DesktopNotification => ({ kind, title: kind, body: '' });

  it('one notification of a kind per interval', () => {
    let now = 0;
    const gate = new NotificationGate({ sameKindIntervalMs: 60_000, maxPerWindow: 10 }, () => now);
    expect(gate.admit(n('disconnected'))).toBe(true);
    now = 30_000;
    expect(gate.admit(n('disconnected'))).toBe(false);
    now = 60_000;
    expect(gate.admit(n('disconnected'))).toBe(true);
  });

  it('at most maxPerWindow in the window, whatever the kinds', () => {
    let now = 0;
    const gate = new NotificationGate({ sameKindIntervalMs: 0, maxPerWindow: 3, windowMs: 300_000 }, () => now);
    const shown = [];
    for (let i = 0; i < 10; i++) {
      now += 1000;
      shown.push(gate.admit(n(i % 2 ? 'unreachable' : 'disconnected')));
    }
    expect(shown.filter(Boolean)).toHaveLength(3);
    now += 300_000;
    expect(gate.admit(n('disconnected'))).toBe(true);
  });

  it('"reconnected" only when its outage was announced', () => {
    let now = 0;
    const gate = new NotificationGate({ sameKindIntervalMs: 60_000 }, () => now);
    expect(gate.admit(n('disconnected'))).toBe(true);
    now += 2000;
    expect(gate.admit(n('reconnected'))).toBe(true);
    now += 2000;
    expect(gate.admit(n('disconnected'))).toBe(false); // within the interval: silent…
    now += 2000;
    expect(gate.admit(n('reconnected'))).toBe(false); // …so its end is silent too
  });

  it('"failed" always shows', () => {
    let now = 0;
    const gate = new NotificationGate({ maxPerWindow: 1 }, () => now);
    expect(gate.admit(n('disconnected'))).toBe(true);
    now += 10;
    expect(gate.admit(n('failed'))).toBe(true);
    now += 10;
    expect(gate.admit(n('failed'))).toBe(true);
  });

  it('a link flapping every second for ten minutes gives a handful of notifications', () => {
    let now = 0;
    const notify = createNotifier(() => DEVICE, undefined, () => now);
    const shown: DesktopNotification[] = [];
    const push = (s: ReturnType<typeof at>) => {
      const x = notify(s);
      if (x) shown.push(x);
    };
    push(at('connecting'));
    push(at('streaming'));
    for (let t = 0; t < 600; t++) {
      now += 500;
      push(at('reconnecting', LINK_LOST));
      now += 500;
      push(at('streaming'));
    }
    // 10 min / 5 min window × 3 = at most 6 outages announced, each with its "reconnected".
    expect(shown.filter((x) => x.kind === 'disconnected').length).toBeLessThanOrEqual(6);
    expect(shown.filter((x) => x.kind === 'reconnected').length).toBe(shown.filter((x) => x.kind === 'disconnected').length);
    expect(shown.length).toBeGreaterThan(0);
  });
});
