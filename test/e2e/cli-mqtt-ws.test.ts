/**
 * MQTT over WebSockets (docs/mqtt.md "A browser page over MQTT-over-WebSockets"): `serverbit
 * --mqtt ws://…` publishes through mosquitto's websockets listener, and a subscriber over
 * WebSockets parses it with the browser page's own tracker. Debian's mosquitto 2.0 binds that
 * listener to every interface whatever the config says, so everything runs in a network
 * namespace of the test's own with only loopback (unshare -n; a user namespace when not root).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, ROOT, cleanup, tempDir } from '../outputs/mqtt/harness.js';

afterEach(cleanup);

describe('serverbit --mqtt ws://', () => {
  it('publishes over MQTT-over-WebSockets; the dashboard page (its parser, then the page in Chromium) reads every sample', { timeout: 90_000 }, async () => {
    const dir = await tempDir();
    const fixture = path.join(ROOT, 'test/outputs/mqtt/fixtures/ws-in-netns.mjs');
    const unshare = process.getuid?.() === 0 ? ['-n'] : ['-rn'];
    const run = spawnSync('unshare', [...unshare, 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, fixture, CLI, dir, path.join(ROOT, 'examples/mqtt-dashboard.html')], { encoding: 'utf8', timeout: 80_000, cwd: ROOT });
    expect(run.error, run.stderr).toBeUndefined();
    expect(run.status, run.stderr + run.stdout).toBe(0);
    const seen = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(seen).toMatchObject({ connected: true, devices: ['ws-pc.0'], lost: 0, ignored: 0 });
    expect(seen.meta).toBe(1);
    expect(seen.states).toContain('streaming');
    expect(seen.samples).toBeGreaterThanOrEqual(3000);
    // The page itself, in Chromium: connected, the device, its stream, nothing lost, no script error.
    expect(seen.page).toMatchObject({ state: 'connected', title: 'ws-pc.0', lost: '', errors: [] });
    expect((seen.page as { meta: string }).meta).toMatch(/^simulator · 1000 Hz · nSeq I1 I2 O1 O2 A1 A2 A3 A4 A5 A6 · streaming · \d+ samples$/);
  });
});
