/**
 * ServerBitChannel in the Electron window: wraps the preload's `window.serverbit` (IPC). The
 * preload passes objects through structured clone, which keeps their shape but not their
 * trustworthiness: every message is checked like a WebSocket frame.
 */
import type { ServerBitChannel } from '../shared/api.js';
import type { ClientMessage, ServerMessage } from '../shared/v2.js';
import { parseServerMessage } from './validate.js';

export function electronChannel(bridge: Pick<ServerBitChannel, 'send' | 'onMessage'>): ServerBitChannel {
  return {
    host: 'electron',
    send(message: ClientMessage) {
      bridge.send(message);
    },
    onMessage(listener: (m: ServerMessage) => void) {
      return bridge.onMessage((raw: unknown) => {
        const m = parseServerMessage(raw);
        if (m) listener(m);
      });
    },
  };
}
