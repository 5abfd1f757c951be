import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRecordingsFolder, recordingsFolderToOpen } from '../../src/main/desktop/recordings-folder.js';
import { RecordingError } from '../../src/shared/errors.js';
import { createServerBit, type ServerBit } from '../../src/main/app.js';
import { IpcBridge, MAX_EARLY_MESSAGES, withProblem, type BridgeTarget, type V2SessionLike } from '../../src/main/desktop/ipc-bridge.js';
import { defaultConfig } from '../../src/shared/config.js';
import type { ServerMessage } from '../../src/shared/v2.js';
import { createV2Session } from '../../src/main/api/session.js';
import { status } from './helpers.js';
import { Settings } from '../../src/main/config/settings.js';

const PREFIX = 'file:///app/dist/renderer/';
const PAGE = `${PREFIX}index.html`;

function fakeSessions() {
  const made: { send: (m: ServerMessage) => void; received: string[]; closed: number }[] = [];
  const createSession = (send: (m: ServerMessage) => void): V2SessionLike => {
    const s = { send, received: [] as string[], closed: 0 };
    made.push(s);
    return { receive: (raw: string) => s.received.push(raw), close: () => s.closed++ };
  };
  return { made, createSession };
}

function target(id: number): BridgeTarget & { got: ServerMessage[] } {
  const got: ServerMessage[] = [];
  return { id, got, send: (m) => got.push(m) };
}

describe('IpcBridge', () => {
  it('forwards messages from the app window to its session, as JSON text', () => {
    const { made, createSession } = fakeSessions();
    const bridge = new IpcBridge({ createSession, rendererUrlPrefix: PREFIX });
    bridge.open(target(1));
    expect(bridge.receive({ targetId: 1, frameUrl: PAGE, isMainFrame: true }, { type: 'command', id: 'a', command: 'start' })).toBe('forwarded');
    expect(made[0].received).toEqual(['{"type":"command","id":"a","command":"start"}']);
  });

  it('drops messages from other frames and pages without an answer', () => {
    const { made, createSession } = fakeSessions();
    const t = target(1);
    const warnings: string[] = [];
    const bridge = new IpcBridge({ createSession, rendererUrlPrefix: PREFIX, log: { debug: () => undefined, warn: (f) => void warnings.push(f) } });
    bridge.open(t);
    const msg = { type: 'command', id: 1, command: 'stop' };
    expect(bridge.receive({ targetId: 1, frameUrl: 'https://evil.example/', isMainFrame: true }, msg)).toBe('untrusted-sender');
    expect(bridge.receive({ targetId: 1, frameUrl: PAGE, isMainFrame: false }, msg)).toBe('untrusted-sender');
    expect(bridge.receive({ targetId: 1, frameUrl: undefined, isMainFrame: true }, msg)).toBe('untrusted-sender');
    expect(made[0].received).toEqual([]);
    expect(t.got).toEqual([]);
    expect(warnings).toHaveLength(3);
  });

  it('answers a malformed message from the app with BAD_MESSAGE and does not forward it', () => {
    const { made, createSession } = fakeSessions();
    const t = target(1);
    const bridge = new IpcBridge({ createSession, rendererUrlPrefix: PREFIX });
    bridge.open(t);
    expect(bridge.receive({ targetId: 1, frameUrl: PAGE, isMainFrame: true }, { id: 9, command: 'start' })).toBe('malformed');
    expect(bridge.receive({ targetId: 1, frameUrl: PAGE, isMainFrame: true }, 'start')).toBe('malformed');
    expect(made[0].received).toEqual([]);
    expect(t.got).toMatchObject([
      { type: 'reply', id: 9, ok: false, error: { code: 'BAD_MESSAGE' } },
      { type: 'reply', id: null, ok: false, error: { code: 'BAD_MESSAGE' } },
    ]);
  });

  it('one session per window; a reload replaces it; late output of a closed session goes nowhere', () => {
    const { made, createSession } = fakeSessions();
    const a = target(1);
    const b = target(2);
    const bridge = new IpcBridge({ createSession, rendererUrlPrefix: PREFIX });
    bridge.open(a);
    bridge.open(b);
    expect(bridge.openCount).toBe(2);
    made[0].send({ type: 'server', clients: 0, devices: ['0'] });
    expect(a.got).toHaveLength(1);
    expect(b.got).toHaveLength(0);
    bridge.open(a); // reload
    expect(made[0].closed).toBe(1);
    made[0].send({ type: 'server', clients: 0, devices: ['0'] });
    expect(a.got).toHaveLength(1);
    bridge.closeAll();
    expect(made.map((m) => m.closed)).toEqual([1, 1, 1]);
    // Nothing forwarded once closed (held for a page that may load again, bounded).
    expect(bridge.receive({ targetId: 1, frameUrl: PAGE, isMainFrame: true }, { type: 'subscribe' })).toBe('held');
    expect(made.every((m) => m.received.length === 0)).toBe(true);
  });

  it('holds what the page sends while it loads (its subscribe) and hands it to its session when it opens; bounded', () => {
    const { made, createSession } = fakeSessions();
    const bridge = new IpcBridge({ createSession, rendererUrlPrefix: PREFIX });
    const from = { targetId: 3, frameUrl: PAGE, isMainFrame: true };
    expect(bridge.receive(from, { type: 'subscribe', format: 'both' })).toBe('held');
    for (let i = 0; i < MAX_EARLY_MESSAGES - 1; i++) expect(bridge.receive(from, { type: 'command', id: i, command: 'state' })).toBe('held');
    expect(bridge.receive(from, { type: 'command', id: 'over', command: 'state' })).toBe('no-session');
    expect(bridge.receive(from, { id: 'bad' })).toBe('no-session');
    bridge.open(target(3));
    expect(made[0].received).toHaveLength(MAX_EARLY_MESSAGES);
    expect(made[0].received[0]).toBe('{"type":"subscribe","format":"both"}');
    expect(made[0].received.some((r) => r.includes('"over"'))).toBe(false);
    // A reload starts with nothing held from before.
    bridge.open(target(3));
    expect(made[1].received).toEqual([]);
  });

  it('adds the app problem to server messages that carry none, and to nothing else', () => {
    const problem = { code: 'PORT_IN_USE', message: 'Cannot listen on 127.0.0.1:9001: another program is using port 9001', hint: 'Stop it.' };
    const server: ServerMessage = { type: 'server', clients: 1, devices: ['0'] };
    expect(withProblem(server, problem)).toEqual({ ...server, problem });
    const own: ServerMessage = { ...server, problem: { code: 'CONFIG_INVALID_VALUE', message: 'bad port' } };
    expect(withProblem(own, problem)).toBe(own);
    const st: ServerMessage = { type: 'status', device: '0', name: 'simulator', address: 'simulator', state: 'streaming', rate: 1000, channels: [1], counters: status('idle').counters };
    expect(withProblem(st, problem)).toBe(st);
    const reply: ServerMessage = { type: 'reply', id: 1, ok: true, result: null };
    expect(withProblem(reply, problem)).toBe(reply);
    expect(withProblem(server, undefined)).toBe(server);
  });
});

describe('IpcBridge with the real /v2 session', () => {
  let app: ServerBit | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('the window gets hello (with control, no token), status, the config problem in the server message and replies to its commands', async () => {
    const problem = { code: 'CONFIG_INVALID_VALUE', message: 'Invalid setting in /x/config.json: sampling_rate is 500; allowed: 1, 10, 100 or 1000.', file: '/x/config.json', saveable: true, invalid: [{ key: 'sampling_rate', path: 'sampling_rate', message: 'sampling_rate is 500; allowed: 1, 10, 100 or 1000', value: 500 }] };
    const settings = new Settings({ file: { ...defaultConfig(), port: 0, token: 'secret-token-0123456789' }, problem });
    app = createServerBit({ settings });
    await app.start();
    const serverbit = app;
    const t = target(7);
    const listener = { code: 'PORT_IN_USE', message: 'port in use' };
    const bridge = new IpcBridge({
      createSession: (send) => createV2Session({ context: serverbit.api, send, trusted: true }),
      rendererUrlPrefix: PREFIX,
      problem: () => listener,
    });
    bridge.open(t);
    expect(bridge.receive({ targetId: 7, frameUrl: PAGE, isMainFrame: true }, { type: 'command', id: 'cfg', command: 'get_config' })).toBe('forwarded');
    const until = async (pred: () => boolean) => {
      for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(pred()).toBe(true);
    };
    await until(() => t.got.some((m) => m.type === 'reply' && m.id === 'cfg'));
    expect(t.got.find((m) => m.type === 'hello')).toMatchObject({ type: 'hello', control: true });
    const reply = t.got.find((m) => m.type === 'reply' && m.id === 'cfg');
    expect(reply).toMatchObject({ ok: true, result: { problem } });
    await until(() => t.got.some((m) => m.type === 'status'));
    // The config problem (the session's own) wins over the app's listener problem.
    expect(t.got.find((m) => m.type === 'server')).toMatchObject({ problem });
    expect(t.got.find((m) => m.type === 'status')).not.toHaveProperty('error');
    bridge.closeAll();
  });
});

describe('IpcBridge desktop requests (the window\'s "Open folder")', () => {
  const from = { targetId: 1, frameUrl: PAGE, isMainFrame: true };
  const until = async (pred: () => boolean) => {
    for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 5));
  };

  it('runs a known action from the app window and answers like a command; never reaches the /v2 session', async () => {
    const { made, createSession } = fakeSessions();
    const actions: string[] = [];
    const bridge = new IpcBridge({ createSession, rendererUrlPrefix: PREFIX, desktop: async (a) => (actions.push(a), { folder: '/r' }) });
    const t = target(1);
    bridge.open(t);
    expect(bridge.receive(from, { type: 'desktop', id: 'ui-1', action: 'open_recordings_folder' })).toBe('desktop');
    await until(() => t.got.length > 0);
    expect(actions).toEqual(['open_recordings_folder']);
    expect(t.got).toEqual([{ type: 'reply', id: 'ui-1', ok: true, result: { folder: '/r' } }]);
    expect(made[0].received).toEqual([]);
  });

  it('refuses an unknown action, extra keys (a path), and answers the handler\'s failure with its code and hint', async () => {
    const { createSession } = fakeSessions();
    const actions: string[] = [];
    const bridge = new IpcBridge({
      createSession,
      rendererUrlPrefix: PREFIX,
      desktop: async (a) => {
        actions.push(a);
        throw new RecordingError('RECORDING_FOLDER_MISSING', '/r does not exist yet', 'Press Record first.');
      },
    });
    const t = target(1);
    bridge.open(t);
    bridge.receive(from, { type: 'desktop', id: 'a', action: 'rm_rf' });
    bridge.receive(from, { type: 'desktop', id: 'b', action: 'open_recordings_folder', folder: '/etc' });
    bridge.receive(from, { type: 'desktop', id: 'c', action: 'open_recordings_folder' });
    await until(() => t.got.length === 3);
    expect(t.got.map((m) => (m.type === 'reply' && !m.ok ? [m.id, m.error.code] : m))).toEqual([
      ['a', 'BAD_MESSAGE'],
      ['b', 'BAD_MESSAGE'],
      ['c', 'RECORDING_FOLDER_MISSING'],
    ]);
    expect(t.got[2]).toMatchObject({ error: { message: '/r does not exist yet', hint: 'Press Record first.' } });
    expect(actions).toEqual(['open_recordings_folder']);
    // From another frame: dropped, nothing run.
    expect(bridge.receive({ targetId: 1, frameUrl: 'https://evil.example/', isMainFrame: true }, { type: 'desktop', id: 'd', action: 'open_recordings_folder' })).toBe('untrusted-sender');
    expect(actions).toHaveLength(1);
  });

  it('without a desktop handler (the page in a browser never sends one): UNKNOWN_COMMAND', async () => {
    const { createSession } = fakeSessions();
    const bridge = new IpcBridge({ createSession, rendererUrlPrefix: PREFIX });
    const t = target(1);
    bridge.open(t);
    bridge.receive(from, { type: 'desktop', id: 'x', action: 'open_recordings_folder' });
    expect(t.got).toMatchObject([{ type: 'reply', id: 'x', ok: false, error: { code: 'UNKNOWN_COMMAND' } }]);
  });
});

describe('recordingsFolderToOpen', () => {
  it('the current or last recording\'s folder, else the configured one; a missing or relative folder is refused with what to do', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'serverbit-folder-'));
    try {
      const isFolder = (p: string) => existsSync(p);
      expect(recordingsFolderToOpen({ recording: { folder: dir }, configured: '/nowhere', isFolder })).toEqual({ ok: true, folder: dir });
      expect(recordingsFolderToOpen({ recording: undefined, configured: dir, isFolder })).toEqual({ ok: true, folder: dir });
      expect(recordingsFolderToOpen({ recording: undefined, configured: path.join(dir, 'later'), isFolder })).toMatchObject({ ok: false, error: { code: 'RECORDING_FOLDER_MISSING', hint: 'ServerBIT creates it when a recording starts: press Record first.' } });
      expect(recordingsFolderToOpen({ recording: undefined, configured: 'recordings', isFolder: () => true })).toMatchObject({ ok: false, error: { code: 'RECORDING_FOLDER_MISSING' } });
      const opened: string[] = [];
      await expect(openRecordingsFolder({ recording: undefined, configured: dir, isFolder }, async (p) => (opened.push(p), ''))).resolves.toEqual({ folder: dir });
      await expect(openRecordingsFolder({ recording: undefined, configured: dir, isFolder }, async () => 'no file manager')).rejects.toMatchObject({ code: 'INTERNAL', message: `could not open ${dir}: no file manager` });
      expect(opened).toEqual([dir]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
