/**
 * The window's end of the /v2 protocol: one /v2 session per window (trusted: the app's own UI
 * needs no token), fed with the messages that pass ipc-guard.ts, its output pushed back to that
 * window. Transport-free so it is tested under Node; src/main/electron/ipc.ts connects it to
 * ipcMain and webContents.
 *
 * Lifecycle: the glue opens a session when a page of ours has loaded in the window
 * (`did-finish-load`: the renderer has registered its listener by then, so it receives `hello`)
 * and closes it when the page goes away (reload, crash, window destroyed). A reload therefore
 * starts a fresh session, like a WebSocket reconnect. The page sends its `subscribe` while its
 * script runs, before `did-finish-load`: messages from the app's own page that arrive before its
 * session are held (at most MAX_EARLY_MESSAGES; later ones are dropped and logged) and handed to
 * the session when it opens, so the window's subscription is not lost.
 */
import { DESKTOP_ACTIONS, type DesktopAction } from '../../shared/api.js';
import { toWireError } from '../../shared/errors.js';
import type { ServerMessage } from '../../shared/v2.js';
import { checkRendererMessage, isAppFrameUrl } from './ipc-guard.js';
import type { AppProblem } from './tray-model.js';

/** What the bridge needs of a /v2 session (src/main/api/session.ts). */
export interface V2SessionLike {
  /** One client message as JSON text, exactly as a WebSocket client would send it. */
  receive(raw: string): void;
  close(): void;
}

/** Makes a session whose output goes to `send` (the glue passes `trusted: true`). */
export type SessionFactory = (send: (message: ServerMessage) => void) => V2SessionLike;

/** A window's page, as the bridge sees it. */
export interface BridgeTarget {
  /** webContents.id */
  id: number;
  send(message: ServerMessage): void;
}

/** Where an IPC message came from (from the IpcMainEvent). */
export interface IpcSender {
  /** event.sender.id */
  targetId: number;
  /** event.senderFrame?.url (undefined when the frame is gone). */
  frameUrl: unknown;
  /** event.senderFrame === event.sender.mainFrame */
  isMainFrame: boolean;
}

export type ReceiveResult = 'forwarded' | 'held' | 'desktop' | 'untrusted-sender' | 'no-session' | 'malformed';

/** Messages of a page held until its session opens (its subscribe, maybe a first command). */
export const MAX_EARLY_MESSAGES = 16;

export interface IpcBridgeOptions {
  createSession: SessionFactory;
  /** file:// URL of dist/renderer/, from paths.ts. */
  rendererUrlPrefix: string;
  /** Compare frame URLs case-insensitively (Windows). */
  caseInsensitive?: boolean;
  /**
   * A problem of the app that the /v2 session does not know of (the WebSocket port could not be
   * opened: the window works over IPC anyway), shown in the window's banner. The config file's
   * problem comes from the session itself (Settings.problem in its `server` message).
   */
  problem?: () => AppProblem | undefined;
  /**
   * Runs what only the desktop app can do for its window (src/shared/api.ts DesktopRequest, e.g.
   * open_recordings_folder): resolves with the reply's result, or rejects with a ServerBitError.
   * Absent: such requests get a NOT available reply (the page in a browser never sends them).
   */
  desktop?: (action: DesktopAction) => Promise<unknown>;
  log?: { debug(format: string, ...args: unknown[]): void; warn(format: string, ...args: unknown[]): void };
}

/**
 * Adds the app's problem to `server` messages that carry none of their own, so the window's
 * banner shows "the port is in use" while the devices stream (and no device's status claims it).
 */
export function withProblem(message: ServerMessage, problem: AppProblem | undefined): ServerMessage {
  if (!problem || message.type !== 'server' || message.problem) return message;
  return { ...message, problem: { code: problem.code, message: problem.message, ...(problem.hint ? { hint: problem.hint } : {}) } };
}

export class IpcBridge {
  private readonly sessions = new Map<number, { target: BridgeTarget; session: V2SessionLike }>();
  /** Checked messages of pages whose session is not open yet, by window (bounded per window). */
  private readonly early = new Map<number, string[]>();

  constructor(private readonly options: IpcBridgeOptions) {}

  /** Starts a fresh session for the page now in `target` (closing a previous one), and hands it what the page sent before. */
  open(target: BridgeTarget): void {
    const held = this.early.get(target.id) ?? [];
    this.early.delete(target.id);
    this.close(target.id);
    const entry = { target, session: undefined as unknown as V2SessionLike };
    this.sessions.set(target.id, entry);
    const send = (message: ServerMessage) => {
      // A late message from a session already replaced or closed goes nowhere.
      if (this.sessions.get(target.id) !== entry) return;
      target.send(withProblem(message, this.options.problem?.()));
    };
    entry.session = this.options.createSession(send);
    for (const raw of held) entry.session.receive(raw);
  }

  close(targetId: number): void {
    this.early.delete(targetId);
    const entry = this.sessions.get(targetId);
    if (!entry) return;
    this.sessions.delete(targetId);
    try {
      entry.session.close();
    } catch (error) {
      this.options.log?.warn('closing the /v2 session of window %d failed: %O', targetId, error);
    }
  }

  closeAll(): void {
    for (const id of [...this.sessions.keys()]) this.close(id);
  }

  get openCount(): number {
    return this.sessions.size;
  }

  /** One message on IPC_SEND. Untrusted senders are dropped without an answer. */
  receive(sender: IpcSender, payload: unknown): ReceiveResult {
    const entry = this.sessions.get(sender.targetId);
    if (!sender.isMainFrame || !isAppFrameUrl(sender.frameUrl, this.options.rendererUrlPrefix, { caseInsensitive: this.options.caseInsensitive })) {
      this.options.log?.warn('dropped an IPC message from a frame that is not the app window (%s)', typeof sender.frameUrl === 'string' ? sender.frameUrl.slice(0, 200) : 'no frame');
      return 'untrusted-sender';
    }
    const check = checkRendererMessage(payload);
    if (!entry) {
      // The page is still loading: keep its first messages for its session (bounded).
      const held = this.early.get(sender.targetId) ?? [];
      if (!check.ok || held.length >= MAX_EARLY_MESSAGES) {
        this.options.log?.debug('IPC message from window %d before its page finished loading; dropped', sender.targetId);
        return 'no-session';
      }
      held.push(check.raw);
      this.early.set(sender.targetId, held);
      return 'held';
    }
    if (check.ok && check.type === 'desktop') {
      this.desktop(entry, payload as Record<string, unknown>);
      return 'desktop';
    }
    if (!check.ok) {
      const id = (payload as { id?: unknown } | null)?.id;
      entry.target.send({
        type: 'reply',
        id: typeof id === 'string' || typeof id === 'number' ? id : null,
        ok: false,
        error: { code: 'BAD_MESSAGE', message: `Not sent: ${check.reason}.`, hint: 'Send {"type": "subscribe", …} or {"type": "command", "id": …, "command": …}.' },
      });
      return 'malformed';
    }
    entry.session.receive(check.raw);
    return 'forwarded';
  }

  /** A desktop request: checked (an id, a known action), run, answered like a /v2 command. */
  private desktop(entry: { target: BridgeTarget }, m: Record<string, unknown>): void {
    const id = typeof m.id === 'string' && m.id.length <= 128 ? m.id : null;
    const fail = (e: { code: string; message: string; hint?: string }) => entry.target.send({ type: 'reply', id, ok: false, error: e });
    if (id === null || typeof m.action !== 'string' || !(DESKTOP_ACTIONS as readonly string[]).includes(m.action) || Object.keys(m).some((k) => k !== 'type' && k !== 'id' && k !== 'action')) {
      fail({ code: 'BAD_MESSAGE', message: `Not run: a desktop request is {"type": "desktop", "id": "<string>", "action": ${DESKTOP_ACTIONS.map((a) => `"${a}"`).join(' | ')}}.` });
      return;
    }
    const handler = this.options.desktop;
    if (!handler) {
      fail({ code: 'UNKNOWN_COMMAND', message: `"${m.action}" is done by the desktop app only`, hint: 'Open the ServerBIT window of the desktop app.' });
      return;
    }
    handler(m.action as DesktopAction).then(
      (result) => {
        if (this.sessions.get(entry.target.id) === entry) entry.target.send({ type: 'reply', id, ok: true, result: result ?? null });
      },
      (error: unknown) => {
        const w = toWireError(error);
        if (this.sessions.get(entry.target.id) === entry) fail({ code: w.code, message: w.message, ...(w.hint ? { hint: w.hint } : {}) });
      },
    );
  }
}
