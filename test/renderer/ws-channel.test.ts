import { describe, expect, it } from 'vitest';
import { TOKEN_STORAGE_KEY, WebSocketChannel, takePageToken, v2UrlFor, type WebSocketLike } from '../../src/renderer/ws-channel.js';
import type { ServerMessage } from '../../src/shared/v2.js';

class FakeSocket implements WebSocketLike {
  readyState = 0;
  onopen: WebSocketLike['onopen'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  sent: string[] = [];
  closed = false;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.closed = true;
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop() {
    this.readyState = 3;
    this.onerror?.({});
    this.onclose?.({ code: 1006, reason: '' });
  }
  receive(data: unknown) {
    this.onmessage?.({ data });
  }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const ch = new WebSocketChannel({
    url: 'ws://127.0.0.1:9001/v2?format=both',
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => (timers.length = 0),
  });
  const states: string[] = [];
  ch.onConnection((s) => states.push(s));
  const messages: ServerMessage[] = [];
  ch.onMessage((m) => messages.push(m));
  return { ch, sockets, timers, states, messages };
}

describe('WebSocketChannel', () => {
  it('connects to the URL, reports its state and delivers checked messages', () => {
    const { ch, sockets, states, messages } = setup();
    expect(sockets[0].url).toBe('ws://127.0.0.1:9001/v2?format=both');
    expect(ch.host).toBe('browser');
    sockets[0].open();
    expect(states).toEqual(['connecting', 'open']);
    sockets[0].receive(JSON.stringify({ type: 'gap', device: 'd', from: 1, to: 2, reason: 'crc_error' }));
    sockets[0].receive('{"type":"nonsense"}');
    sockets[0].receive('not json');
    expect(messages.map((m) => m.type)).toEqual(['gap']);
    expect(ch.dropped).toBe(2);
  });

  it('sends JSON only while open', () => {
    const { ch, sockets } = setup();
    ch.send({ type: 'command', id: 1, command: 'state' });
    expect(sockets[0].sent).toEqual([]);
    sockets[0].open();
    ch.send({ type: 'command', id: 2, command: 'state' });
    expect(JSON.parse(sockets[0].sent[0])).toEqual({ type: 'command', id: 2, command: 'state' });
  });

  it('reconnects with exponential backoff, reset after a successful open', () => {
    const { sockets, timers, states } = setup();
    sockets[0].drop();
    expect(states.at(-1)).toBe('closed');
    expect(timers.map((t) => t.ms)).toEqual([500]);
    timers.shift()!.fn();
    sockets[1].drop();
    timers.shift()!.fn();
    sockets[2].drop();
    expect(timers.map((t) => t.ms)).toEqual([2000]);
    for (let i = 0; i < 10; i++) {
      timers.shift()!.fn();
      sockets.at(-1)!.drop();
    }
    expect(timers[0].ms).toBe(10_000); // the ceiling
    timers.shift()!.fn();
    sockets.at(-1)!.open();
    sockets.at(-1)!.drop();
    expect(timers[0].ms).toBe(500);
  });

  it('close() closes the socket and stops reconnecting; idempotent', () => {
    const { ch, sockets, timers, states } = setup();
    sockets[0].open();
    ch.close();
    ch.close();
    expect(sockets[0].closed).toBe(true);
    expect(timers).toEqual([]);
    expect(states.at(-1)).toBe('closed');
    expect(sockets).toHaveLength(1);
  });

  it('builds the /v2 URL from the page location', () => {
    expect(v2UrlFor({ protocol: 'http:', host: '127.0.0.1:9001' })).toBe('ws://127.0.0.1:9001/v2?format=both');
    expect(v2UrlFor({ protocol: 'https:', host: 'x:1' }, '')).toBe('wss://x:1/v2');
    expect(v2UrlFor({ protocol: 'http:', host: '127.0.0.1:9001' }, 'format=both', 'a+b/c=')).toBe('ws://127.0.0.1:9001/v2?format=both&token=a%2Bb%2Fc%3D');
    expect(v2UrlFor({ protocol: 'http:', host: 'x:1' }, '', 'tok')).toBe('ws://x:1/v2?token=tok');
  });
});

describe('takePageToken', () => {
  const storage = () => {
    const items = new Map<string, string>();
    return { items, getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
  };
  const history = () => {
    const urls: string[] = [];
    return { urls, replaceState: (_d: unknown, _u: string, url?: string) => void urls.push(url ?? '') };
  };

  it('takes the token from the fragment, keeps it for the tab and removes it from the address (other fragment keys stay)', () => {
    const s = storage();
    const h = history();
    expect(takePageToken({ hash: '#token=abc-0123456789abcdef', pathname: '/', search: '' }, h, s)).toBe('abc-0123456789abcdef');
    expect(s.items.get(TOKEN_STORAGE_KEY)).toBe('abc-0123456789abcdef');
    expect(h.urls).toEqual(['/']);
    expect(takePageToken({ hash: '#tab=live&token=t2', pathname: '/x', search: '?a=1' }, h, s)).toBe('t2');
    expect(h.urls.at(-1)).toBe('/x?a=1#tab=live');
  });

  it('without one in the address, uses the one kept earlier in this tab; none at all: undefined', () => {
    const s = storage();
    const h = history();
    expect(takePageToken({ hash: '', pathname: '/', search: '' }, h, s)).toBeUndefined();
    s.setItem(TOKEN_STORAGE_KEY, 'kept');
    expect(takePageToken({ hash: '#other=1', pathname: '/', search: '' }, h, s)).toBe('kept');
    expect(h.urls).toEqual([]); // nothing to remove from the address
  });

  it('survives storage and history that throw (disabled, sandboxed): the token still works for this page load', () => {
    const throwing = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('SecurityError');
      },
    };
    const h = {
      replaceState: () => {
        throw new Error('SecurityError');
      },
    };
    expect(takePageToken({ hash: '#token=x', pathname: '/', search: '' }, h, throwing)).toBe('x');
    expect(takePageToken({ hash: '', pathname: '/', search: '' }, h, throwing)).toBeUndefined();
  });
});
