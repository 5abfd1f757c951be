/**
 * `serverbit --relay URL` (docs/mqtt.md "Relay") against a real mosquitto, with a real publisher
 * (`serverbit --mqtt URL`): the relay, which has no device of its own, serves the published
 * device on the compatible stream (`/` and `/devices/<id>`) and on /v2 with every sample, in
 * order, with the publisher's indices and values; refuses commands to it with DEVICE_REMOTE; and
 * hostile payloads on its topics are dropped and counted while it goes on serving.
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validate } from '../../src/shared/schema.js';
import { META_SCHEMA, STATUS_SCHEMA } from '../../src/shared/v2-schemas.js';
import { TOKEN, cleanup, collectWs, samplesByIndex, sleep, startBroker, startCli, tempDir, waitFor, type WsCollector } from '../outputs/mqtt/harness.js';

afterEach(cleanup);

const ANALOG = ['A1', 'A2', 'A3', 'A4', 'A5', 'A6'];

/** Compat messages as one run of samples: [nSeq, A1..A6] per sample, in arrival order. */
function compatRows(c: WsCollector): number[][] {
  const rows: number[][] = [];
  for (const m of c.messages as Record<string, number[]>[]) for (let i = 0; i < m.nSeq.length; i++) rows.push([m.nSeq[i], ...ANALOG.map((k) => m[k][i])]);
  return rows;
}

/** Every compat sample, in order, is the publisher's sample at consecutive indices. */
function expectCompatMatches(rows: number[][], pub: Map<number, Record<string, number>>): number {
  const asRow = (r: Record<string, number>) => [r.nSeq, ...ANALOG.map((k) => r[k])];
  const key = JSON.stringify(rows.slice(0, 40));
  let start: number | undefined;
  for (const i of pub.keys()) {
    if (JSON.stringify([...Array(40).keys()].map((k) => (pub.has(i + k) ? asRow(pub.get(i + k)!) : null))) === key) {
      start = i;
      break;
    }
  }
  expect(start, 'the first 40 compat samples are a run of the publisher\'s').toBeDefined();
  let compared = 0;
  rows.forEach((row, k) => {
    const want = pub.get(start! + k);
    if (!want) return;
    expect(row, `compat sample ${k} = publisher index ${start! + k}`).toEqual(asRow(want));
    compared++;
  });
  return compared;
}

function pub(port: number, topic: string, args: string[]): void {
  const r = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', topic, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mosquitto_pub failed: ${r.stderr}`);
}

describe('serverbit --relay: serving what a broker carries', () => {
  it('serves the published device on /, /devices/<id> and /v2 with every sample and the publisher\'s indices; commands are refused', async () => {
    const broker = await startBroker();
    const publisher = await startCli(['--mqtt', broker.url, '--prefix', 'serverbit/lab-pc']);
    await publisher.waitStderr('mqtt: connected');
    const relay = await startCli(['--relay', broker.url]);
    expect(relay.line).toBe(`ServerBIT LISTENING on ws://127.0.0.1:${relay.port}/ — relay of ${broker.url} serverbit/+/…`);
    await relay.waitStderr(/device: streaming — /);

    const source = await collectWs(`ws://127.0.0.1:${publisher.port}/v2?format=raw`);
    await waitFor(() => source.messages.some((m) => m.type === 'data'), 10_000, 'publisher /v2 data');
    const v2 = await collectWs(`ws://127.0.0.1:${relay.port}/v2?format=raw`);
    const root = await collectWs(`ws://127.0.0.1:${relay.port}/`);
    const byId = await collectWs(`ws://127.0.0.1:${relay.port}/devices/lab-pc.0`);
    await waitFor(() => samplesByIndex(v2.messages).size >= 4000 && root.messages.length >= 100, 30_000, '4 s through the relay');
    v2.close();
    root.close();
    byId.close();
    await sleep(300);
    source.close();

    const hello = v2.messages[0] as { type: string; devices: string[] };
    expect(hello).toMatchObject({ type: 'hello', devices: ['lab-pc.0'] });
    const meta = v2.messages.find((m) => m.type === 'meta')!;
    expect(validate(META_SCHEMA, meta)).toEqual([]);
    expect(meta).toMatchObject({ device: 'lab-pc.0', kind: 'remote', address: `${broker.url}/serverbit/lab-pc/0`, 'sampling rate': 1000, channels: [1, 2, 3, 4, 5, 6] });
    const status = v2.messages.find((m) => m.type === 'status')!;
    expect(validate(STATUS_SCHEMA, status)).toEqual([]);
    expect(status).toMatchObject({ device: 'lab-pc.0', kind: 'remote', state: 'streaming' });
    expect(v2.messages.filter((m) => m.type === 'gap')).toEqual([]);

    // /v2: the publisher's indices, contiguous, and its values for each index.
    const relayed = samplesByIndex(v2.messages);
    const original = samplesByIndex(source.messages);
    const idx = [...relayed.keys()].sort((a, b) => a - b);
    expect(idx.length).toBe(idx[idx.length - 1] - idx[0] + 1);
    let same = 0;
    for (const i of idx) {
      if (!original.has(i)) continue;
      expect(relayed.get(i), `index ${i}`).toEqual(original.get(i));
      same++;
    }
    expect(same).toBeGreaterThanOrEqual(3900);

    // Compat: every sample once and in order, on "/" and on "/devices/<id>" alike.
    expect(expectCompatMatches(compatRows(root), original)).toBeGreaterThanOrEqual(3000);
    expect(expectCompatMatches(compatRows(byId), original)).toBeGreaterThanOrEqual(3000);

    // Control of a relayed device belongs to its publisher.
    const ctl = await collectWs(`ws://127.0.0.1:${relay.port}/v2?token=${TOKEN}`);
    ctl.ws.send(JSON.stringify({ type: 'command', id: 1, command: 'stop', args: { device: 'lab-pc.0' } }));
    const reply = await waitFor(() => ctl.messages.find((m) => m.type === 'reply'), 10_000, 'the reply');
    expect(reply).toMatchObject({ ok: false, error: { code: 'DEVICE_REMOTE' } });
    expect((reply.error as { message: string }).message).toContain(`relayed from ${broker.url}/serverbit/lab-pc/0`);
  }, 90_000);

  it('hostile payloads on its topics are dropped and counted; the relay keeps serving every sample', async () => {
    const dir = await tempDir();
    const broker = await startBroker();
    const publisher = await startCli(['--mqtt', broker.url, '--prefix', 'lab/one']);
    await publisher.waitStderr('mqtt: connected');
    const relay = await startCli(['--relay', broker.url, '--prefix', 'lab/one']);
    const v2 = await collectWs(`ws://127.0.0.1:${relay.port}/v2?format=raw`);
    await waitFor(() => v2.messages.some((m) => m.type === 'data'), 20_000, 'relayed data');

    const big = path.join(dir, 'big.json');
    await writeFile(big, `{"type":"data","device":"0","index":0,"time":0,"count":1,"raw":{"x":[${'1,'.repeat(3_000_000)}1]}}`);
    const deep = path.join(dir, 'deep.json');
    await writeFile(deep, '['.repeat(200_000) + ']'.repeat(200_000));
    const hostile: [string, string[]][] = [
      ['lab/one/0/data', ['-m', 'not json']],
      ['lab/one/0/data', ['-m', '{"type":"data","device":"0","index":5,"time":1,"count":3,"raw":{"nSeq":[1]}}']],
      ['lab/one/0/data', ['-m', '{"type":"data","device":"0","index":-1,"time":1,"count":1,"raw":{}}']],
      ['lab/one/0/data', ['-m', '{"type":"data","device":"0","index":1e300,"time":1,"count":1,"raw":{}}']],
      ['lab/one/0/data', ['-f', big]],
      ['lab/one/0/data', ['-f', deep]],
      ['lab/one/0/data', ['-m', '{"type":"data","device":"0","index":0,"time":0,"count":1,"raw":{"nSeq":[99],"I1":[0],"I2":[0],"O1":[0],"O2":[0],"A1":[0],"A2":[0],"A3":[0],"A4":[0],"A5":[0],"A6":[0]}}']],
      ['lab/one/0/meta', ['-m', '{"type":"meta","device":"0"}']],
      ['lab/one/0/meta', ['-f', deep]],
      ['lab/one/0/status', ['-m', '{"type":"status","state":"exploded"}']],
      ['lab/one/0/gap', ['-m', '{"type":"gap","device":"0","from":10,"to":5,"reason":"link_lost"}']],
      ['lab/one/0/marker', ['-m', '{"type":"marker"}']],
      ['lab/one/marker', ['-m', '[1,2,3]']],
      [`lab/one/${'x'.repeat(40)}/meta`, ['-m', '{}']],
      ['lab/one/evil/data', ['-m', '{"type":"data"}']],
      ['lab/one/1/status', ['-m', 'garbage\u0001']],
    ];
    for (const [topic, args] of hostile) pub(broker.port, topic, args);
    // A message that repeats indices already served (as a resend would): dropped as stale.
    const firstData = v2.messages.find((m) => m.type === 'data') as { index: number; raw: Record<string, number[]> };
    pub(broker.port, 'lab/one/0/data', ['-m', JSON.stringify({ type: 'data', device: '0', index: firstData.index, time: 0, count: 1, raw: Object.fromEntries(Object.entries(firstData.raw).map(([k, v]) => [k, [v[0]]])) })]);
    await sleep(2000);
    const n = samplesByIndex(v2.messages).size;
    await waitFor(() => samplesByIndex(v2.messages).size >= n + 1000, 20_000, 'a second more of relayed data after the hostile messages');
    expect(relay.child.exitCode).toBeNull();

    const got = samplesByIndex(v2.messages); // throws if a sample came twice
    const idx = [...got.keys()].sort((a, b) => a - b);
    expect(idx.length).toBe(idx[idx.length - 1] - idx[0] + 1);
    expect(v2.messages.filter((m) => m.type === 'gap')).toEqual([]);
    expect(v2.messages.filter((m) => m.type === 'meta')).toHaveLength(1);

    const ctl = await collectWs(`ws://127.0.0.1:${relay.port}/v2`);
    const server = await waitFor(() => ctl.messages.find((m) => m.type === 'server'), 10_000, 'a server message') as { outputs: { output: string; counters: Record<string, number> }[] };
    const counters = server.outputs.find((o) => o.output === 'mqtt-relay')!.counters;
    expect(counters.invalid).toBeGreaterThanOrEqual(hostile.length - 1);
    expect(counters.stale).toBeGreaterThanOrEqual(1);
  }, 90_000);
});
