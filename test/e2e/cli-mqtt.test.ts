/**
 * `serverbit --mqtt URL` against a real Debian mosquitto (each test writes its own broker config
 * on 127.0.0.1 and a free port, and stops it): every sample of 1000 Hz × 6 channels reaches a
 * subscriber in another process (mosquitto_sub) with the values /v2 carries for the same index;
 * retained meta and status for a late subscriber; the last will after SIGKILL; a broker restart
 * mid-stream (an output_overflow gap, then the stream resumes with nothing else lost); a wrong
 * password and TLS with a self-signed certificate, each with a clear error. docs/mqtt.md.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { validate } from '../../src/shared/schema.js';
import { DATA_SCHEMA, GAP_SCHEMA, META_SCHEMA } from '../../src/shared/v2-schemas.js';
import { MQTT_STATUS_SCHEMA } from '../../src/main/acquisition/remote-payloads.js';
import { spawnSync } from 'node:child_process';
import { TOKEN, cleanup, collectWs, mosquittoSub, passwordFile, samplesByIndex, selfSignedCert, sleep, startBroker, startCli, tempDir, waitFor, type DataMsg } from '../outputs/mqtt/harness.js';

afterEach(cleanup);

const ANALOG = ['A1', 'A2', 'A3', 'A4', 'A5', 'A6'];

describe('serverbit --mqtt: publishing to a real mosquitto', () => {
  it('every sample of 1000 Hz × 6 channels reaches mosquitto_sub in another process, with the values /v2 sends for each index', async () => {
    const broker = await startBroker();
    const svc = await startCli(['--mqtt', broker.url, '--prefix', 'lab/pc1']);
    await svc.waitStderr('mqtt: connected');
    const v2 = await collectWs(`ws://127.0.0.1:${svc.port}/v2?format=raw`);
    await waitFor(() => v2.messages.some((m) => m.type === 'data'), 10_000, '/v2 data');
    const sub = await mosquittoSub(broker.port, ['lab/pc1/0/data']);
    await waitFor(() => sub.of('data').reduce((n, m) => n + (m.count as number), 0) >= 5000, 30_000, '5000 samples over MQTT');
    await sub.stop();
    await sleep(300); // /v2 has every index the subscriber has
    v2.close();

    const data = sub.of('data') as DataMsg[];
    for (const m of data.slice(0, 5)) expect(validate(DATA_SCHEMA, m)).toEqual([]);
    const viaMqtt = samplesByIndex(data);
    const viaV2 = samplesByIndex(v2.messages);
    const indices = [...viaMqtt.keys()].sort((a, b) => a - b);
    // Contiguous: no index missing between the first and the last one received.
    expect(indices.length).toBe(indices[indices.length - 1] - indices[0] + 1);
    expect(indices.length).toBeGreaterThanOrEqual(5000);
    let compared = 0;
    for (const i of indices) {
      const want = viaV2.get(i);
      if (!want) continue;
      expect(viaMqtt.get(i), `sample ${i}`).toEqual(want);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(4900);
    expect(Object.keys(viaMqtt.get(indices[0])!)).toEqual(['nSeq', 'I1', 'I2', 'O1', 'O2', ...ANALOG]);
    // The values vary (a real signal, not zeros).
    expect(new Set(indices.map((i) => viaMqtt.get(i)!.A2)).size).toBeGreaterThan(50);
  });

  it('a late subscriber reads the retained meta and status of every device', async () => {
    const broker = await startBroker();
    const svc = await startCli(['--mqtt', broker.url, '--prefix', 'lab/pc2']);
    await svc.waitStderr('mqtt: connected');
    await sleep(1500);
    const late = await mosquittoSub(broker.port, ['lab/pc2/+/meta', 'lab/pc2/+/status'], ['--retained-only']);
    await waitFor(() => late.messages.length >= 2, 10_000, 'the retained meta and status');
    await sleep(500);
    const meta = late.of('meta');
    const status = late.of('status');
    expect(meta).toHaveLength(1);
    expect(status).toHaveLength(1);
    expect(validate(META_SCHEMA, meta[0])).toEqual([]);
    expect(meta[0]).toMatchObject({ type: 'meta', device: '0', 'sampling rate': 1000, channels: [1, 2, 3, 4, 5, 6], column: ['nSeq', 'I1', 'I2', 'O1', 'O2', ...ANALOG] });
    expect(validate(MQTT_STATUS_SCHEMA, status[0])).toEqual([]);
    expect(status[0]).toMatchObject({ type: 'status', device: '0', state: 'streaming' });
  });

  it('after a SIGKILL of the service, the broker publishes its last will: the device is "offline"', async () => {
    const broker = await startBroker();
    const svc = await startCli(['--mqtt', broker.url, '--prefix', 'lab/pc3']);
    await svc.waitStderr('mqtt: connected');
    const sub = await mosquittoSub(broker.port, ['lab/pc3/0/status']);
    await waitFor(() => sub.of('status').some((s) => s.state === 'streaming'), 10_000, 'status streaming');
    await sleep(500); // the will holder is connected by now
    svc.child.kill('SIGKILL');
    const offline = await waitFor(() => sub.of('status').find((s) => s.state === 'offline'), 20_000, 'the last will');
    expect(validate(MQTT_STATUS_SCHEMA, offline)).toEqual([]);
    expect(offline).toMatchObject({ device: '0', state: 'offline', error: { code: 'REMOTE_OFFLINE' } });
    expect((offline.error as { message: string }).message).toMatch(/without a goodbye/);
    // Retained: a subscriber arriving now reads "offline" too.
    const late = await mosquittoSub(broker.port, ['lab/pc3/0/status'], ['--retained-only']);
    await waitFor(() => late.of('status').length > 0, 10_000, 'the retained status');
    expect(late.of('status')[0]).toMatchObject({ state: 'offline' });
  });

  it('a clean stop sets every device "offline" (not the will: it says it stopped publishing)', async () => {
    const broker = await startBroker();
    const svc = await startCli(['--mqtt', broker.url, '--prefix', 'lab/pc4']);
    await svc.waitStderr('mqtt: connected');
    const sub = await mosquittoSub(broker.port, ['lab/pc4/0/status']);
    await waitFor(() => sub.of('status').some((s) => s.state === 'streaming'), 10_000, 'status streaming');
    await svc.stop('SIGTERM');
    const offline = await waitFor(() => sub.of('status').find((s) => s.state === 'offline'), 10_000, 'the offline status');
    expect((offline.error as { message: string }).message).toMatch(/stopped publishing/);
    await sleep(500);
    expect(sub.of('status').filter((s) => s.state === 'offline')).toHaveLength(1); // no will after a clean stop
  });

  it('a broker restart mid-stream: an output_overflow gap for what did not fit, then the stream resumes and nothing else is lost', async () => {
    // Persistence so that the subscriber's session survives the restart (it may reconnect after the
    // publisher): what is tested is the publisher, not the race between the two reconnects.
    const broker = await startBroker({ persistence: true });
    const svc = await startCli([], { mqtt: { enabled: true, url: broker.url, prefix: 'lab/pc5', queue_bytes: 16384, data_qos: 1 } });
    await svc.waitStderr('mqtt: connected');
    const sub = await mosquittoSub(broker.port, ['lab/pc5/0/data', 'lab/pc5/0/gap'], ['-c', '-i', 'restart-test-sub', '-k', '5']);
    await waitFor(() => sub.of('data').length >= 25, 10_000, 'data before the restart');
    await broker.stop();
    await sleep(3000); // 3 s of samples: far more than 16 KiB
    await broker.restart();
    const gap = await waitFor(() => sub.of('gap').find((g) => g.reason === 'output_overflow'), 30_000, 'an output_overflow gap');
    expect(validate(GAP_SCHEMA, gap)).toEqual([]);
    await svc.waitStderr(/mqtt: connected[\s\S]*mqtt: not connected[\s\S]*mqtt: connected/, 30_000);
    const resumedAt = sub.of('data').length;
    await waitFor(() => sub.of('data').length >= resumedAt + 50, 20_000, '2 s of data after the gap');
    await sub.stop();

    const got = samplesByIndex(sub.of('data'), undefined, true); // QoS 1: a resend may repeat a message
    const gaps = sub.of('gap') as { from: number; to: number; reason: string }[];
    const idx = [...got.keys()].sort((a, b) => a - b);
    const first = idx[0];
    const last = idx[idx.length - 1];
    const inGap = (i: number) => gaps.some((g) => i >= g.from && i < g.to);
    const missing: number[] = [];
    for (let i = first; i <= last; i++) if (!got.has(i) && !inGap(i)) missing.push(i);
    expect(missing).toEqual([]);
    // The gap covers samples of the outage only: none of them was delivered as well.
    for (const g of gaps) for (let i = g.from; i < g.to; i++) expect(got.has(i), `sample ${i} in a gap and delivered`).toBe(false);
    expect(gaps.every((g) => g.reason === 'output_overflow')).toBe(true);
    const lost = gaps.reduce((n, g) => n + g.to - g.from, 0);
    expect(lost).toBeGreaterThan(500); // most of the 3 s outage did not fit in 16 KiB
    expect(lost).toBeLessThan(60_000);
  }, 120_000);

  it('a wrong password: a clear error naming the keys to fix, no retry loop, and streaming goes on', async () => {
    const dir = await tempDir();
    const broker = await startBroker({ anonymous: false, extra: [`password_file ${passwordFile(dir, 'lab', 'right-password')}`] });
    const svc = await startCli([], { mqtt: { enabled: true, url: broker.url, username: 'lab', password: 'wrong' } });
    await svc.waitStderr('mqtt: error');
    expect(svc.stderr()).toContain(`mqtt: error — the broker ${broker.url} refused this ServerBIT: Connection refused: Not authorized`);
    expect(svc.stderr()).toMatch(/→ Check "mqtt.username" and "mqtt.password"/);
    const v2 = await collectWs(`ws://127.0.0.1:${svc.port}/v2`);
    await waitFor(() => v2.messages.some((m) => m.type === 'data'), 10_000, '/v2 data');
    const server = v2.messages.find((m) => m.type === 'server') as { outputs: { output: string; state: string; error?: { code: string } }[] };
    expect(server.outputs.find((o) => o.output === 'mqtt')).toMatchObject({ state: 'error', error: { code: 'MQTT_AUTH_FAILED' } });
    const attempts = (broker.log().match(/not authorised|not authorized/gi) ?? []).length;
    await sleep(2500);
    expect((broker.log().match(/not authorised|not authorized/gi) ?? []).length).toBe(attempts);

    const ok = await startCli([], { mqtt: { enabled: true, url: broker.url, username: 'lab', password: 'right-password', prefix: 'lab/ok' } });
    await ok.waitStderr('mqtt: connected');
  });

  it('TLS with a self-signed certificate: refused with a clear error without "ca", streams with it', async () => {
    const dir = await tempDir();
    const tls = selfSignedCert(dir);
    const broker = await startBroker({ tls });
    const bad = await startCli([], { mqtt: { enabled: true, url: broker.url } });
    await bad.waitStderr('mqtt: error');
    expect(bad.stderr()).toMatch(new RegExp(`mqtt: error — the certificate of ${broker.url} could not be verified \\(DEPTH_ZERO_SELF_SIGNED_CERT`));
    expect(bad.stderr()).toContain('give its certificate (PEM) in "mqtt.ca"');

    const good = await startCli([], { mqtt: { enabled: true, url: broker.url, ca: tls.cert, prefix: 'lab/tls' } });
    await good.waitStderr('mqtt: connected');
    const sub = await mosquittoSub(broker.port, ['lab/tls/0/data'], ['--cafile', tls.cert]);
    await waitFor(() => sub.of('data').length >= 5, 10_000, 'data over TLS');
  });

  it('control over MQTT only when enabled, only with the token in the message, through the /v2 command path', async () => {
    const broker = await startBroker();
    const send = (prefix: string, msg: unknown) => spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.port), '-q', '1', '-t', `${prefix}/command`, '-m', JSON.stringify(msg)]);
    const on = await startCli([], { mqtt: { enabled: true, url: broker.url, prefix: 'lab/ctl', control: true } });
    const off = await startCli([], { mqtt: { enabled: true, url: broker.url, prefix: 'lab/noctl' } });
    await on.waitStderr('mqtt: connected');
    await off.waitStderr('mqtt: connected');
    const sub = await mosquittoSub(broker.port, ['lab/ctl/reply', 'lab/ctl/0/marker', 'lab/noctl/reply']);
    send('lab/ctl', { type: 'command', id: 1, command: 'marker', args: { label: 'no token', device: '0' } });
    send('lab/ctl', { type: 'command', id: 2, command: 'marker', args: { label: 'stimulus', device: '0' }, token: TOKEN });
    send('lab/ctl', { type: 'command', id: 3, command: 'pwm', args: { duty: 999 }, token: TOKEN });
    send('lab/ctl', 'not a command');
    send('lab/noctl', { type: 'command', id: 4, command: 'stop', token: TOKEN });
    await waitFor(() => sub.of('reply').length >= 4, 10_000, 'four replies');
    const replies = sub.of('reply');
    expect(replies.find((r) => r.id === 1)).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(replies.find((r) => r.id === 2)).toMatchObject({ ok: true, result: { id: 1 } });
    expect(replies.find((r) => r.id === 3)).toMatchObject({ ok: false, error: { code: 'BAD_ARGUMENTS' } });
    expect(replies.find((r) => r.id === null)).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE' } });
    await waitFor(() => sub.of('marker').length > 0, 10_000, 'the marker');
    expect(sub.of('marker')[0]).toMatchObject({ type: 'marker', label: 'stimulus', device: '0', source: 'v2' });
    await sleep(500);
    // Control off: the command topic is not even subscribed; nothing answers, the device streams on.
    expect(sub.messages.filter((m) => m.topic === 'lab/noctl/reply')).toEqual([]);
    const v2 = await collectWs(`ws://127.0.0.1:${off.port}/v2`);
    await waitFor(() => v2.messages.find((m) => m.type === 'status' && m.state === 'streaming'), 10_000, 'the device still streaming');
  });
});
