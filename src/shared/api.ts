/**
 * The renderer's one narrow API: a message channel that carries the /v2 protocol (src/shared/v2.ts).
 *
 * - In Electron, the preload exposes it as `window.serverbit` over IPC (contextBridge); the main
 *   process runs the same /v2 session logic as the WebSocket endpoint, marked trusted (the app's
 *   own window needs no token).
 * - In a plain browser, the page served by the headless service at http://127.0.0.1:<port>/
 *   implements it with a WebSocket to /v2 (same origin, so trusted too).
 *
 * Everything that arrives through it is validated against the schemas in ./v2-schemas.ts before use.
 */
import type { ClientMessage, ServerMessage } from './v2.js';

export interface ServerBitChannel {
  /** Sends a subscribe or command message (or, in the Electron window only, a desktop request). */
  send(message: ClientMessage | DesktopRequest): void;
  /** Listens to every server message; returns the unsubscribe function. */
  onMessage(listener: (message: ServerMessage) => void): () => void;
  /** Connection state of the channel itself (the WebSocket in a browser; always "open" over IPC). */
  onConnection?(listener: (state: 'connecting' | 'open' | 'closed') => void): () => void;
  /** "electron" or "browser". */
  readonly host: 'electron' | 'browser';
}

/**
 * What only the desktop app can do for its window (Electron host; the page in a browser never
 * sends it): carried on IPC_SEND like a /v2 message, answered by the main process itself with a
 * /v2 `reply` of the same id. The window names the action, never a path: the main process
 * decides which folder (src/main/desktop/recordings-folder.ts).
 */
export interface DesktopRequest {
  type: 'desktop';
  id: string;
  action: DesktopAction;
}

/** open_recordings_folder: the current (or last) recording's folder, else the configured one, in the file manager. */
export type DesktopAction = 'open_recordings_folder';
export const DESKTOP_ACTIONS: readonly DesktopAction[] = ['open_recordings_folder'];

/** IPC channel names (Electron): renderer → main messages, and main → renderer pushes. */
export const IPC_SEND = 'serverbit:send';
export const IPC_MESSAGE = 'serverbit:message';

declare global {
  interface Window {
    /** Present in the Electron window (preload). */
    serverbit?: Pick<ServerBitChannel, 'send' | 'onMessage'>;
  }
}
