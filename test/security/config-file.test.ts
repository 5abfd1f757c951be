/**
 * Issue 9, findings 8 and 9 (the token): config.json holds the control token. A copy others may
 * read is made owner-only when ServerBIT loads it (bits are only ever removed); a token shorter
 * than 16 characters is refused with a message naming the key and never showing the secret. And
 * the example client copied next to it never replaces a user's own file.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, TOKEN, openClient, startCli } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const modeOf = (file: string) => statSync(file).mode & 0o777;

describe('the config file', () => {
  it.each([
    [0o644, 0o600],
    [0o664, 0o600],
    [0o604, 0o600],
    [0o640, 0o600],
  ])('mode %o (others may read the token) becomes %o at start, and the user is told', async (mode, expected) => {
    const cli = await startCli(cleanup, { mode });
    expect(modeOf(cli.configPath)).toBe(expected);
    expect(cli.stderr()).toContain(`${cli.configPath} was readable by other users (mode ${mode.toString(8).padStart(4, '0')}) and holds the control token: made it readable by you only (mode 0${expected.toString(8)}).`);
  });

  it('a stricter mode is never widened (0400 stays 0400), and an owner-only file gets no note', async () => {
    const cli = await startCli(cleanup, { mode: 0o400 });
    expect(modeOf(cli.configPath)).toBe(0o400);
    expect(cli.stderr()).not.toMatch(/readable by other users/);
  });

  it('a token shorter than 16 characters is refused, naming the key, without showing it; control needs a new secret kept in memory', async () => {
    const cli = await startCli(cleanup, { config: { token: 'short-secret' } });
    const err = cli.stderr();
    expect(err).toContain(`Invalid setting in ${cli.configPath}: token has 12 characters; allowed: at least 16 (a secret nobody can guess), or remove "token" and ServerBIT generates one.`);
    expect(err).not.toContain('short-secret');
    // The file's other settings run (issue 10 item 1); the short token is set aside for a random one, in memory only.
    expect(err).toMatch(/uses the default for token and the file's other settings \(the file was not changed\)/);
    const url = new RegExp(`Status page \\(with control: keep this address to yourself\\): http://127\\.0\\.0\\.1:${cli.port}/#token=([A-Za-z0-9_-]{16,}) `).exec(err);
    expect(url, err).not.toBeNull();
    expect(url![1]).not.toBe('short-secret');
    expect(JSON.parse(readFileSync(cli.configPath, 'utf8')).token).toBe('short-secret');
    const c = await openClient(cleanup, `ws://127.0.0.1:${cli.port}/v2?token=short-secret`);
    expect(await c.next((m) => m.type === 'hello')).toMatchObject({ control: false });
  });

  it('set_config with a short token is refused, naming the key; nothing is saved', async () => {
    const cli = await startCli(cleanup);
    const before = readFileSync(cli.configPath, 'utf8');
    const c = await openClient(cleanup, `ws://127.0.0.1:${cli.port}/v2?token=${TOKEN}`);
    c.ws.send(JSON.stringify({ type: 'command', id: 1, command: 'set_config', args: { config: { token: 'abc' } } }));
    const r = await c.next((m) => m.type === 'reply' && m.id === 1);
    expect(r).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID_VALUE', message: expect.stringMatching(/token has 3 characters; allowed: at least 16/) } });
    expect(readFileSync(cli.configPath, 'utf8')).toBe(before);
  });

  it('a ClientBIT.html of the user’s own next to config.json is never replaced', async () => {
    const mine = '<!doctype html><title>my own client</title>';
    const cli = await startCli(cleanup, { files: { 'ClientBIT.html': mine } });
    expect(readFileSync(path.join(cli.home, 'ServerBIT', 'ClientBIT.html'), 'utf8')).toBe(mine);
    expect(cli.stderr()).not.toMatch(/Put the example client/);
  });

  it('the note about the example client names the port the service listens on, not the file’s', async () => {
    // The file says 9001 (the default); --port (startCli always gives a free one) wins for this run.
    const cli = await startCli(cleanup, { config: { port: 9001 } });
    expect(cli.port).not.toBe(9001);
    const note = /note: Put the example client ClientBIT\.html in .*/.exec(cli.stderr())?.[0];
    expect(note, cli.stderr()).toContain(`Open it from ServerBIT at http://127.0.0.1:${cli.port}/ClientBIT.html;`);
  });
});
