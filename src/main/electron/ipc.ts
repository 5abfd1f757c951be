/**
 * IPC: main listens on one channel only (IPC_SEND, the allow-list) and answers on IPC_MESSAGE.
 * Trust and payload checks, and the per-window /v2 session, are in src/main/desktop/ipc-bridge.ts.
 */
import { ipcMain, type IpcMainEvent, type WebContents } from 'electron';
import { IPC_MESSAGE, IPC_SEND } from '../../shared/api.js';
import type { ServerMessage } from '../../shared/v2.js';
import type { IpcBridge } from '../desktop/ipc-bridge.js';

/** Registers the IPC_SEND handler; returns the function that removes it. */
export function registerIpc(bridge: IpcBridge): () => void {
  const listener = (event: IpcMainEvent, payload: unknown) => {
    const frame = event.senderFrame;
    bridge.receive({ targetId: event.sender.id, frameUrl: frame?.url, isMainFrame: frame !== null && frame === event.sender.mainFrame }, payload);
  };
  ipcMain.on(IPC_SEND, listener);
  return () => {
    ipcMain.removeListener(IPC_SEND, listener);
  };
}

/**
 * Gives the page in `contents` a fresh /v2 session each time one of our pages finishes loading,
 * and closes it when the page goes (reload, crash, window destroyed).
 */
export function attachWindow(bridge: IpcBridge, contents: WebContents): void {
  const id = contents.id;
  const target = {
    id,
    send(message: ServerMessage) {
      if (!contents.isDestroyed()) contents.send(IPC_MESSAGE, message);
    },
  };
  contents.on('did-finish-load', () => bridge.open(target));
  contents.on('did-start-navigation', (details) => {
    if (details.isMainFrame && !details.isSameDocument) bridge.close(id);
  });
  contents.on('render-process-gone', () => bridge.close(id));
  contents.once('destroyed', () => bridge.close(id));
}
