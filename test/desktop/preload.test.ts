/**
 * The preload as Electron runs it in a sandboxed renderer: compiled to CommonJS, wrapped in a
 * function whose only `require` knows `electron`, with fakes for contextBridge and ipcRenderer.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createContext, Script } from 'node:vm';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { IPC_MESSAGE, IPC_SEND } from '../../src/shared/api.js';

const SOURCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'main', 'electron', 'preload.cts');

interface Api {
  send(message: unknown): void;
  onMessage(listener: (m: unknown) => void): () => void;
}

function loadPreload() {
  const js = ts.transpileModule(readFileSync(SOURCE, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const exposed = new Map<string, unknown>();
  const sent: [string, unknown][] = [];
  const handlers = new Map<string, ((event: unknown, ...args: unknown[]) => void)[]>();
  const required: string[] = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
    ipcRenderer: {
      send: (channel: string, ...args: unknown[]) => sent.push([channel, args[0]]),
      on: (channel: string, fn: (event: unknown, ...args: unknown[]) => void) => handlers.set(channel, [...(handlers.get(channel) ?? []), fn]),
    },
  };
  const sandboxRequire = (name: string) => {
    required.push(name);
    if (name === 'electron') return electron;
    throw new Error(`a sandboxed preload cannot require ${name}`);
  };
  const errors: unknown[][] = [];
  // The page's realm is not ours: its TypeError is another TypeError, so tests match messages.
  const context = createContext({ console: { error: (...a: unknown[]) => errors.push(a) }, Promise });
  const wrapped = new Script(`(function (require, process, Buffer, global, setImmediate, clearImmediate, exports, module) {\n${js}\n})`).runInContext(context) as (...a: unknown[]) => void;
  const module = { exports: {} };
  wrapped(sandboxRequire, {}, undefined, context, undefined, undefined, module.exports, module);
  const push = (message: unknown) => {
    for (const fn of handlers.get(IPC_MESSAGE) ?? []) fn({ sender: 'ipcRenderer (must not leak)' }, message);
  };
  return { exposed, sent, handlers, required, push, errors, api: exposed.get('serverbit') as Api };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('preload', () => {
  it('requires only electron and exposes exactly window.serverbit = { send, onMessage }', () => {
    const p = loadPreload();
    expect(p.required).toEqual(['electron']);
    expect([...p.exposed.keys()]).toEqual(['serverbit']);
    expect(Object.keys(p.api).sort()).toEqual(['onMessage', 'send']);
    expect(typeof p.api.send).toBe('function');
    expect(typeof p.api.onMessage).toBe('function');
  });

  it('uses the channel names of src/shared/api.ts, and listens on IPC_MESSAGE only', () => {
    const p = loadPreload();
    expect([...p.handlers.keys()]).toEqual([IPC_MESSAGE]);
    p.api.send({ type: 'command', id: 1, command: 'start' });
    expect(p.sent).toEqual([[IPC_SEND, { type: 'command', id: 1, command: 'start' }]]);
  });

  it('send accepts only objects with a string type', () => {
    const p = loadPreload();
    for (const bad of [null, undefined, 'start', 1, [], [{ type: 'x' }], {}, { type: 1 }]) {
      expect(() => p.api.send(bad), JSON.stringify(bad)).toThrow(/^serverbit\.send: the message must be an object with a string "type"/);
    }
    expect(p.sent).toEqual([]);
  });

  it('onMessage delivers messages without the IPC event and returns an unsubscribe function', async () => {
    const p = loadPreload();
    const got: unknown[] = [];
    const off = p.api.onMessage((m) => got.push(m));
    expect(typeof off).toBe('function');
    await tick();
    p.push({ type: 'status', state: 'streaming' });
    expect(got).toEqual([{ type: 'status', state: 'streaming' }]);
    off();
    p.push({ type: 'status', state: 'stopped' });
    expect(got).toHaveLength(1);
    expect(() => p.api.onMessage('not a function' as unknown as () => void)).toThrow(/^serverbit\.onMessage: the listener must be a function/);
  });

  it('keeps hello/meta/status sent before the page subscribed (not data), and hands them to the first subscriber', async () => {
    const p = loadPreload();
    p.push({ type: 'hello' });
    p.push({ type: 'data', index: 0 });
    p.push({ type: 'meta' });
    p.push({ type: 'status', state: 'streaming' });
    const got: unknown[] = [];
    p.api.onMessage((m) => got.push(m));
    expect(got).toEqual([]); // delivered after onMessage returned
    await tick();
    expect(got).toEqual([{ type: 'hello' }, { type: 'meta' }, { type: 'status', state: 'streaming' }]);
    p.push({ type: 'data', index: 40 });
    expect(got).toHaveLength(4);
  });

  it('keeps at most 64 early messages', async () => {
    const p = loadPreload();
    for (let i = 0; i < 100; i++) p.push({ type: 'status', n: i });
    const got: { n: number }[] = [];
    p.api.onMessage((m) => got.push(m as { n: number }));
    await tick();
    expect(got).toHaveLength(64);
    expect(got[0].n).toBe(36);
  });

  it('one listener that throws does not starve the others', async () => {
    const p = loadPreload();
    const got: unknown[] = [];
    p.api.onMessage(() => {
      throw new Error('renderer bug');
    });
    p.api.onMessage((m) => got.push(m));
    await tick();
    p.push({ type: 'status' });
    expect(got).toEqual([{ type: 'status' }]);
    expect(p.errors).toHaveLength(1);
  });
});
