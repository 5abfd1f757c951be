import { describe, expect, it } from 'vitest';
import type { ServiceState } from '../../src/shared/acquisition.js';
import { createNotifier, NotificationGate, notificationFor, type DesktopNotification } from '../../src/main/desktop/notifications.js';
import { LINK_LOST, REAL, device } from './helpers.js';

const NAME = REAL.address;
const at = (state: ServiceState, error?: typeof LINK_LOST, id = '0', name = NAME) => device(id, state, { address: REAL.address, name, info: REAL, ...(error ? { error } : {}) });

describe('notificationFor', () => {
  it('streaming → reconnecting or stalled: disconnected, with the reason and hint, naming the device', () => {
    const n = notificationFor(at('streaming'), at('reconnecting', LINK_LOST));
    expect(n).toEqual({ kind: 'disconnected', device: '0', title: `${NAME} disconnected`, body: 'the link to /dev/rfcomm0 closed ServerBIT reconnects by itself.' });
    const stalled = { code: 'DEVICE_STALLED', message: 'no data from /dev/rfcomm0 for 5 s' };
    expect(notificationFor(at('streaming'), at('stalled', stalled))?.kind).toBe('disconnected');
  });

  it('a device with a name is called by it', () => {
    expect(notificationFor(at('streaming'), at('reconnecting', LINK_LOST, '1', 'Right arm'))?.title).toBe('Right arm disconnected');
  });

  it('stalled or reconnecting → streaming: reconnected', () => {
    expect(notificationFor(at('reconnecting'), at('streaming'))).toEqual({ kind: 'reconnected', device: '0', title: `${NAME} reconnected`, body: 'Streaming again at 1000 Hz.' });
    expect(notificationFor(at('stalled'), at('streaming'))?.kind).toBe('reconnected');
  });

  it('connecting → reconnecting: the first attempt failed (unreachable)', () => {
    const notFound = { code: 'DEVICE_OPEN_FAILED', message: 'cannot open COM7: File not found' };
    expect(notificationFor(at('connecting'), at('reconnecting', notFound))).toMatchObject({ kind: 'unreachable', title: `Cannot reach ${NAME}`, body: 'cannot open COM7: File not found' });
  });

  it('anything → error: failed, with the reason', () => {
    const bad = { code: 'DEVICE_BAD_ARGUMENT', message: 'the device refused rate 7', hint: 'Use 1, 10, 100 or 1000 Hz.' };
    for (const from of [undefined, 'connecting', 'streaming', 'reconnecting'] as const) {
      const n = notificationFor(from && at(from), at('error', bad));
      expect(n).toMatchObject({ kind: 'failed', title: `${NAME} failed: ServerBIT stopped it`, body: 'the device refused rate 7 Use 1, 10, 100 or 1000 Hz.' });
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
    for (const [from, to] of quiet) expect(notificationFor(from && at(from), at(to, LINK_LOST)), `${from} → ${to}`).toBeUndefined();
  });

  it('names the simulator as such and cuts long reasons', () => {
    const long = { code: 'DEVICE_DISCONNECTED', message: 'x'.repeat(1000) };
    const n = notificationFor(device('0', 'streaming'), device('0', 'reconnecting', { error: long }));
    expect(n?.title).toBe('simulator disconnected');
    expect(n!.body.length).toBeLessThanOrEqual(240);
  });
});

describe('rate limit', () => {
  const n = (kind: DesktopNotification['kind'], dev = '0'): DesktopNotification => ({ kind, device: dev, title: kind, body: '' });

  it('one notification of a kind per interval and device', () => {
    let now = 0;
    const gate = new NotificationGate({ sameKindIntervalMs: 60_000, maxPerWindow: 10 }, () => now);
    expect(gate.admit(n('disconnected'))).toBe(true);
    // Another device losing its link at the same moment is news.
    expect(gate.admit(n('disconnected', '1'))).toBe(true);
    now = 30_000;
    expect(gate.admit(n('disconnected'))).toBe(false);
    now = 60_000;
    expect(gate.admit(n('disconnected'))).toBe(true);
  });

  it('at most maxPerWindow in the window, whatever the kinds and devices', () => {
    let now = 0;
    const gate = new NotificationGate({ sameKindIntervalMs: 0, maxPerWindow: 3, windowMs: 300_000 }, () => now);
    const shown = [];
    for (let i = 0; i < 10; i++) {
      now += 1000;
      shown.push(gate.admit(n(i % 2 ? 'unreachable' : 'disconnected', String(i % 3))));
    }
    expect(shown.filter(Boolean)).toHaveLength(3);
    now += 300_000;
    expect(gate.admit(n('disconnected'))).toBe(true);
  });

  it('"reconnected" only when the outage of the same device was announced', () => {
    let now = 0;
    const gate = new NotificationGate({ sameKindIntervalMs: 60_000 }, () => now);
    expect(gate.admit(n('disconnected'))).toBe(true);
    now += 2000;
    expect(gate.admit(n('reconnected', '1'))).toBe(false); // device 1's outage was never announced
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
    expect(gate.admit(n('failed', '1'))).toBe(true);
  });

  it('two links flapping every second for ten minutes give a handful of notifications, each naming its device', () => {
    let now = 0;
    const notify = createNotifier(undefined, () => now);
    const shown: DesktopNotification[] = [];
    const push = (s: ReturnType<typeof at>) => {
      const x = notify(s);
      if (x) shown.push(x);
    };
    for (const id of ['0', '1']) {
      push(at('connecting', undefined, id, `arm ${id}`));
      push(at('streaming', undefined, id, `arm ${id}`));
    }
    for (let t = 0; t < 600; t++) {
      for (const id of ['0', '1']) {
        now += 250;
        push(at('reconnecting', LINK_LOST, id, `arm ${id}`));
        now += 250;
        push(at('streaming', undefined, id, `arm ${id}`));
      }
    }
    // 10 min / 5 min window × 3 = at most 6 outages announced in all, each with its "reconnected".
    const outages = shown.filter((x) => x.kind === 'disconnected');
    expect(outages.length).toBeLessThanOrEqual(6);
    expect(outages.length).toBeGreaterThan(0);
    expect(shown.filter((x) => x.kind === 'reconnected').length).toBe(outages.length);
    for (const x of shown) expect(x.title).toContain(`arm ${x.device}`);
  });

  it('forget drops a removed device, so one added again with the same id starts afresh', () => {
    const notify = createNotifier();
    notify(at('streaming'));
    notify.forget('0');
    expect(notify(at('reconnecting', LINK_LOST))).toBeUndefined(); // no "streaming" before it any more
  });
});
