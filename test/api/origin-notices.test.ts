import { afterEach, describe, expect, it, vi } from 'vitest';
import { OriginNotices } from '../../src/main/api/origin-notices.js';

afterEach(() => vi.useRealTimers());

describe('OriginNotices: the last refused page, at a bounded rate', () => {
  it('publishes the first refusal at once, the same origin again only after repeatMs (with its count), a new one after minIntervalMs', () => {
    vi.useFakeTimers();
    let t = 1_000_000;
    const n = new OriginNotices({ minIntervalMs: 2000, repeatMs: 60_000, now: () => t });
    const seen: string[] = [];
    n.onChange((x) => seen.push(`${x.origin}×${x.count}`));
    const r = (origin: string) => n.add({ origin, opaque: origin === 'null', guidance: `allow ${origin}` });
    r('null');
    expect(seen).toEqual(['null×1']);
    for (let i = 0; i < 100; i++) {
      t += 500;
      r('null');
    }
    expect(seen).toEqual(['null×1']); // 50 s of retries: nothing new
    t += 11_000;
    r('null');
    expect(seen).toEqual(['null×1', 'null×102']);
    expect(n.current()).toMatchObject({ origin: 'null', opaque: true, guidance: 'allow null', count: 102, time: t });
    // A hostile page with a new Origin each time: one publication per interval, the latest wins.
    for (let i = 0; i < 50; i++) r(`http://evil${i}.example`);
    expect(seen).toHaveLength(2);
    t += 2000;
    vi.advanceTimersByTime(2000);
    expect(seen.at(-1)).toBe('http://evil49.example×1');
    expect(seen).toHaveLength(3);
    n.close();
  });

  it('keeps the Origin printable and short', () => {
    const n = new OriginNotices();
    n.add({ origin: `http://a\u0000b${'x'.repeat(500)}`, opaque: false, guidance: 'g' });
    expect(n.current()!.origin).toMatch(/^http:\/\/a\?bx+$/);
    expect(n.current()!.origin.length).toBe(200);
    n.close();
  });
});
