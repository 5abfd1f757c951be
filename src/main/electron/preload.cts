/**
 * The window's preload: exposes exactly `window.serverbit = { send, onMessage }` (src/shared/api.ts)
 * through contextBridge, and nothing of Electron or Node.
 *
 * It runs in a sandboxed renderer, where a preload is a plain script evaluated with a small
 * `require` that knows `electron` and a few builtins: no ES modules, no imports from our own
 * files. Hence CommonJS (.cts → dist/main/electron/preload.cjs) and the channel names repeated
 * below (test/desktop/preload.test.ts checks they equal IPC_SEND / IPC_MESSAGE in src/shared/api.ts).
 *
 * Messages that arrive before the page subscribes (the session's `hello`, `meta` and `status`
 * are sent as soon as the page has loaded) are kept, at most PENDING_LIMIT of them, and handed
 * to the first subscriber; `data` messages are not kept (they are stale by then). Past the limit
 * the oldest are dropped.
 */
import electron = require('electron');

const IPC_SEND = 'serverbit:send';
const IPC_MESSAGE = 'serverbit:message';
const PENDING_LIMIT = 64;

type Listener = (message: unknown) => void;

const listeners = new Set<Listener>();
let pending: unknown[] | undefined = [];

function deliver(message: unknown): void {
  for (const listener of [...listeners]) {
    try {
      listener(message);
    } catch (error) {
      // One broken listener must not starve the others.
      console.error('serverbit.onMessage listener threw:', error);
    }
  }
}

electron.ipcRenderer.on(IPC_MESSAGE, (_event, message: unknown) => {
  if (pending) {
    if ((message as { type?: unknown } | null)?.type === 'data') return;
    pending.push(message);
    if (pending.length > PENDING_LIMIT) pending.shift();
    return;
  }
  deliver(message);
});

electron.contextBridge.exposeInMainWorld('serverbit', {
  /** Sends a /v2 client message (subscribe or command). Throws TypeError for anything but an object with a string `type`. */
  send(message: unknown): void {
    if (typeof message !== 'object' || message === null || Array.isArray(message) || typeof (message as { type?: unknown }).type !== 'string') {
      throw new TypeError('serverbit.send: the message must be an object with a string "type", e.g. {"type": "command", "id": 1, "command": "start"}');
    }
    electron.ipcRenderer.send(IPC_SEND, message);
  },
  /** Calls `listener` with every server message; returns the function that unsubscribes it. */
  onMessage(listener: unknown): () => void {
    if (typeof listener !== 'function') throw new TypeError('serverbit.onMessage: the listener must be a function');
    // Wrapped so the page never sees the IPC event (it carries `sender`, i.e. ipcRenderer).
    const wrapped: Listener = (message) => (listener as Listener)(message);
    listeners.add(wrapped);
    if (pending) {
      const held = pending;
      pending = undefined;
      // After onMessage has returned, as any later message would arrive.
      void Promise.resolve().then(() => {
        for (const message of held) deliver(message);
      });
    }
    return () => {
      listeners.delete(wrapped);
    };
  },
});
