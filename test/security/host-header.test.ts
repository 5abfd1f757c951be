/**
 * Issue 9, finding 5: DNS rebinding. A page whose own name is made to resolve to 127.0.0.1 reaches
 * ServerBIT "same-origin", but its requests carry its own name in `Host`. So plain requests and
 * upgrades are served only for this ServerBIT's names (src/main/server/host-check.ts), else 421
 * with a body that says what to do. Replayed with raw sockets against `serverbit`, from Chromium
 * (a name mapped to 127.0.0.1, as a rebinding attacker would arrange), and with `host: 0.0.0.0`
 * in a network namespace of the test's own (so nothing outside can reach the service).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/harness.js';
import { CLI, Cleanup, bystanders, get, launchChromium, rawRequest, startCli } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('the Host header', () => {
  it('loopback names with the listening port are served; any other Host gets 421 (upgrades too) with the fix, and the stream goes on', async () => {
    const cli = await startCli(cleanup);
    const P = cli.port;
    const watch = await bystanders(cleanup, P);
    for (const host of [`127.0.0.1:${P}`, `localhost:${P}`, `LocalHost.:${P}`, `[::1]:${P}`, `127.0.0.2:${P}`, `2130706433:${P}`]) {
      expect((await get(P, '/', { Host: host })).status, host).toBe(200);
      expect((await get(P, '/v2', { Host: host }, true)).status, `${host} upgrade`).toBe(101);
    }
    const refused = [`evil.example:${P}`, 'evil.example', `127.0.0.1:${P + 1}`, '127.0.0.1', `localhost.evil.example:${P}`, `127.0.0.1.nip.io:${P}`, `0.0.0.0:${P}`, `127.0.0.1:${P}@evil.example`, `192.0.2.2:${P}`];
    for (const host of refused) {
      for (const upgrade of [false, true]) {
        const r = await get(P, upgrade ? '/v2' : '/', { Host: host, Origin: `http://${host}` }, upgrade);
        expect(r.status, `${host}${upgrade ? ' upgrade' : ''}`).toBe(421);
        expect(r.body).toContain(`Host "${host}" is not a name of this ServerBIT`);
        expect(r.body).toContain(`Open http://127.0.0.1:${P}/ instead`);
        expect(r.body).toContain('"allowed_hosts"');
        expect(r.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; frame-ancestors 'none'", 'x-frame-options': 'DENY' });
      }
    }
    // HTTP/1.0 without a Host header (HTTP/1.1 without one is refused by Node itself).
    const bare = await rawRequest(P, 'GET / HTTP/1.0\r\n\r\n');
    expect(bare.status).toBe(400);
    expect(bare.body).toMatch(/A Host header is required/);
    expect(cli.alive()).toBe(true);
    expect(watch.problems()).toEqual([]);
  });

  it('from Chromium: a page under another name that resolves to 127.0.0.1 gets 421, cannot fetch or open a WebSocket; localhost works', { timeout: 60_000 }, async () => {
    const cli = await startCli(cleanup);
    const P = cli.port;
    // Chromium's own guard against such requests (Private/Local Network Access) is switched off:
    // other browsers have none, and the point is what ServerBIT does.
    const browser = await launchChromium(cleanup, ['--host-resolver-rules=MAP rebind.example 127.0.0.1', '--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,LocalNetworkAccessChecks']);
    const tab = await browser.newPage();
    const page = await tab.goto(`http://rebind.example:${P}/`);
    expect(page!.status()).toBe(421);
    expect(await tab.locator('body').textContent()).toContain(`Host "rebind.example:${P}" is not a name of this ServerBIT`);
    // The rebinding itself: the attacker's page was loaded from the attacker's server under this
    // name (Playwright hands it over here), and its later requests to "its own" origin reach ServerBIT.
    await tab.route(`http://rebind.example:${P}/`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>attacker</title>' }));
    await tab.goto(`http://rebind.example:${P}/`);
    expect(await tab.title()).toBe('attacker');
    const fromPage = await tab.evaluate(async (port) => {
      const r = await fetch('/app.js').catch((e: unknown) => ({ status: String(e) }));
      const opened = await new Promise<boolean>((resolve) => {
        const ws = new WebSocket(`ws://rebind.example:${port}/v2`);
        ws.onopen = () => resolve(true);
        ws.onclose = () => resolve(false);
      });
      return { fetch: r.status, opened };
    }, P);
    expect(fromPage).toEqual({ fetch: 421, opened: false });
    expect((await tab.goto(`http://localhost:${P}/`))!.status()).toBe(200);

    // The control: once the name is in allowed_hosts, the same page does reach the UI's files,
    // so the 421 above is ServerBIT's doing (its WebSocket is still refused: an Origin not allowed).
    const open = await startCli(cleanup, { config: { allowed_hosts: ['rebind.example'] } });
    await tab.route(`http://rebind.example:${open.port}/`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>attacker</title>' }));
    await tab.goto(`http://rebind.example:${open.port}/`);
    const allowed = await tab.evaluate(() => fetch('/app.js').then((r) => r.status));
    expect(allowed).toBe(200);
  });

  it('with host 0.0.0.0: this computer’s names and addresses and allowed_hosts are served, others get 421; stderr warns what is exposed', { timeout: 60_000 }, async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'serverbit-sec-ns-'));
    cleanup.add(() => rm(home, { recursive: true, force: true }));
    const fixture = path.join(ROOT, 'test/security/fixtures/wildcard-host.mjs');
    const setup = 'ip link set lo up && ip link add v0 type veth peer name v1 && ip addr add 198.51.100.7/24 dev v0 && ip link set v0 up && ip link set v1 up';
    // A network namespace of our own (root, or a user namespace mapped to root otherwise).
    const unshare = process.getuid?.() === 0 ? ['-n'] : ['-rn'];
    const run = spawnSync('unshare', [...unshare, 'sh', '-c', `${setup} && exec "$0" "$@"`, process.execPath, fixture, CLI, home], { encoding: 'utf8', timeout: 50_000 });
    expect(run.error, run.stderr).toBeUndefined();
    expect(run.status, run.stderr + run.stdout).toBe(0);
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { results: Record<string, { get: number; upgrade: number }>; stderr: string; hostname: string };
    const statuses = Object.fromEntries(Object.entries(out.results).map(([h, r]) => [h, [r.get, r.upgrade]]));
    const short = out.hostname.split('.')[0];
    expect(statuses).toEqual({
      '198.51.100.7:9001': [200, 101], // an address of this computer
      [`${out.hostname}:9001`]: [200, 101], // its name
      [`${short}.local:9001`]: [200, 101], // its mDNS name
      '127.0.0.1:9001': [200, 101],
      'localhost:9001': [200, 101],
      'lab.example': [200, 101], // allowed_hosts "lab.example": any port (a proxy's own)
      'lab.example:1234': [200, 101],
      'proxy.example:8443': [200, 101], // allowed_hosts "proxy.example:8443": that port only
      'evil.example:9001': [421, 421],
      'proxy.example:9001': [421, 421],
      '0.0.0.0:9001': [421, 421],
      '198.51.100.8:9001': [421, 421],
      '198.51.100.7:9002': [421, 421],
    });
    expect(out.stderr).toMatch(/ServerBIT listens on every network interface \(0\.0\.0\.0\), port 9001: any computer that can reach it can read the live signals with a WebSocket program \(reading needs no token\), and the control token travels unencrypted\. Set "host" to "127\.0\.0\.1"/);
    // The status-page address the CLI prints is still one for this computer.
    expect(out.stderr).toMatch(/Status page \(with control: keep this address to yourself\): http:\/\/127\.0\.0\.1:9001\/#token=wildcard-test-token-0123456789/);
  });
});
