/**
 * Discovery without KnownPeers (docs/lsl.md §2): a liblsl resolver configured to query only one
 * multicast group, or only the broadcast address, finds a ServerBIT stream served on every
 * interface (host 0.0.0.0). Each resolve runs in a child process with its own lsl_api.cfg.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from '../../../src/main/acquisition/hub.js';
import type { LslOutput } from '../../../src/main/outputs/lsl/lsl-output.js';
import './liblsl.js'; // fails loudly without LIBLSL
import { bitalinoMeta, startOutput, streamOpen } from './harness.js';

const meta = bitalinoMeta({ device: '0', name: 'ServerBIT discovery', address: 'AA:BB:CC:DD:EE:30', channels: [1] });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'serverbit-lsl-disc-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** An output on `host` for the tests of one describe block. */
function serving(host: string): { uid: () => string } {
  const hub = new Hub();
  let out: LslOutput;
  let uid = '';
  beforeAll(async () => {
    out = await startOutput(hub, { host });
    hub.publishMeta(meta);
    uid = (await streamOpen(out)).uid;
  });
  afterAll(async () => {
    await out.close();
  });
  return { uid: () => uid };
}

function resolveWith(addresses: string, timeout = 10): Promise<{ uid: string; name: string; sourceId: string }[]> {
  const cfg = path.join(tmp, `${addresses.replace(/[^0-9]/g, '_')}.cfg`);
  fs.writeFileSync(cfg, `[multicast]\nAddressesOverride = {${addresses}}\n\n[lab]\nKnownPeers = {}\n\n[log]\nlevel = -2\n`);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(__dirname, 'resolve-child.mjs'), 'source_id', meta.address, String(timeout)], { env: { ...process.env, LSLAPICFG: cfg }, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!));
    });
  });
}

describe('discovery on multicast and broadcast (no KnownPeers), serving every interface', () => {
  const { uid: uidOf } = serving('0.0.0.0');
  it('answers a resolver that queries only the site multicast group 239.255.172.215', async () => {
    expect((await resolveWith('239.255.172.215')).map((r) => r.uid)).toContain(uidOf());
  });

  it('answers a resolver that queries only the link group 224.0.0.183', async () => {
    expect((await resolveWith('224.0.0.183')).map((r) => r.uid)).toContain(uidOf());
  });

  it('answers a resolver that queries only the broadcast address', async () => {
    expect((await resolveWith('255.255.255.255')).map((r) => r.uid)).toContain(uidOf());
  });

  it('answers a resolver that queries only 127.0.0.1:16571 (the same-host default)', async () => {
    expect((await resolveWith('127.0.0.1')).map((r) => r.uid)).toContain(uidOf());
  });
});

describe('discovery when serving this computer only (the default, 127.0.0.1)', () => {
  const { uid } = serving('127.0.0.1');

  it('answers a resolver that queries 127.0.0.1:16571 (what every liblsl resolver sends)', async () => {
    expect((await resolveWith('127.0.0.1')).map((r) => r.uid)).toContain(uid());
  });

  it('is not seen by multicast queries', async () => {
    expect(await resolveWith('239.255.172.215, 224.0.0.183, 255.255.255.255', 3)).toEqual([]);
  });
});
