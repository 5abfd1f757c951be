/**
 * Hostile input does not stop ServerBIT's LSL output (docs/lsl.md §12): while a real liblsl inlet
 * streams, junk datagrams hit the discovery port and the service port, and hostile TCP clients hit
 * the data port; afterwards the inlet has every sample, and liblsl still resolves and connects.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { Hub } from '../../../src/main/acquisition/hub.js';
import { MULTICAST_PORT } from '../../../src/main/outputs/lsl/protocol.js';
import { Inlet, destroyInfoHandle, resolveByprop, resolveHandles } from './liblsl.js';
import { bitalinoMeta, decodeIndex, indexBatch, pace, startOutput, streamOpen, waitFor } from './harness.js';

const hub = new Hub();
const meta = bitalinoMeta({ device: '0', name: 'ServerBIT hostile', address: 'AA:BB:CC:DD:EE:20', channels: [1, 2], sensor: 'EMG' });
const sockets: net.Socket[] = [];
afterAll(() => {
  for (const s of sockets) s.destroy();
});

function junkDatagrams(returnPort: number): Buffer[] {
  return [
    Buffer.alloc(0),
    Buffer.alloc(65_000, 0xff),
    Buffer.from('LSL:shortinfo\r\n' + '('.repeat(60_000) + "type='EMG'\r\n1 1\r\n"),
    Buffer.from(`LSL:shortinfo\r\ntype='EMG' or 1=1\r\n${returnPort} x\r\n`),
    Buffer.from(`LSL:shortinfo\r\n${"type='EMG' and ".repeat(3000)}type='EMG'\r\n0 1\r\n`),
    Buffer.from('LSL:shortinfo\r\n\r\n99999 1\r\n'),
    Buffer.from('LSL:timedata\r\n1 2 3 4 5\r\n'),
    Buffer.from('LSL:timedata\r\n-0 -0\r\n'),
    Buffer.from('LSL:timedata\r\n2147483648 1\r\n'),
    Buffer.from([0x4c, 0x53, 0x4c, 0x3a, 0x00, 0x0a, 0x0d, 0xc3, 0x28]),
  ];
}

describe('hostile input', () => {
  it('leaves the output serving: the inlet gets every sample, liblsl resolves and connects again', async () => {
    const out = await startOutput(hub, { format: 'raw', maxConsumers: 4 });
    try {
      hub.publishMeta(meta);
      const { uid, dataPort, servicePort } = await streamOpen(out);
      const handles = await resolveHandles(`source_id='${meta.address}'`, 1, 15);
      const inlet = new Inlet(handles[0], 360, true);
      for (const h of handles) destroyInfoHandle(h);
      await inlet.open(15);
      const total = 3000;
      const pub = pace(hub, meta, { make: indexBatch, until: total });

      // Datagrams: to the discovery port and the service port, many times.
      const udp = dgram.createSocket('udp4');
      await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
      for (let round = 0; round < 20; round++) {
        for (const d of junkDatagrams(udp.address().port)) {
          for (const port of [MULTICAST_PORT, servicePort]) await new Promise<void>((r) => udp.send(d, port, '127.0.0.1', () => r()));
        }
      }
      // A flood of valid queries (a sender can be spoofed): answered up to the budget, the rest dropped.
      // Sent in small bursts so the kernel's socket buffer does not drop them first.
      for (let q = 0; q < 600; q++) {
        udp.send(`LSL:shortinfo\r\nsession_id='default'\r\n${udp.address().port} ${q}\r\n`, servicePort, '127.0.0.1');
        if (q % 20 === 19) await new Promise((r) => setTimeout(r, 1));
      }

      // TCP: garbage, a request that never ends, idle connections beyond the limits, a consumer that talks.
      const tcp = (payload?: string | Buffer): net.Socket => {
        const s = net.connect(dataPort, '127.0.0.1');
        s.on('error', () => {});
        if (payload) s.write(payload);
        sockets.push(s);
        return s;
      };
      tcp(Buffer.alloc(50_000, 0x00));
      tcp('LSL:streamfeed/110 ' + uid + '\r\nMax-Buf');
      for (let i = 0; i < 20; i++) tcp();
      const talker = tcp(`LSL:streamfeed/110 ${uid}\r\nMax-Buffer-Length: 10\r\nValue-Size: 2\r\n\r\n`);
      talker.write(Buffer.alloc(100_000, 0x41));
      tcp('LSL:streamfeed/9999999999999 x\r\n\r\n');
      tcp('LSL:streamfeed/110 \r\n' + 'X: y\r\n'.repeat(4000));

      // The real inlet read on through all of it.
      const indices: number[] = [];
      while (indices.length < total) {
        const c = await inlet.pullInt16(1000, 5);
        if (c.timestamps.length === 0) break;
        for (let k = 0; k < c.timestamps.length; k++) indices.push(decodeIndex(c.values, k * 2));
      }
      await pub.done;
      expect(indices).toEqual(Array.from({ length: total }, (_, k) => k));
      for (const s of sockets) s.destroy();
      udp.close();

      // And liblsl still finds the stream and opens a second inlet on it.
      const found = await resolveByprop('source_id', meta.address, 1, 15);
      expect(found.map((f) => f.uid)).toContain(uid);
      await waitFor(() => out.streams()[0].consumers === 1, 'the hostile connections to be gone', 20_000);
      const again = await resolveHandles(`source_id='${meta.address}'`, 1, 15);
      const second = new Inlet(again[0], 360, true);
      for (const h of again) destroyInfoHandle(h);
      await second.open(15);
      expect(out.streams()[0].consumers).toBe(2);
      const c = out.status().counters;
      expect(c.ignored).toBeGreaterThan(0);
      expect(c.invalid).toBeGreaterThan(0);
      await Promise.all([inlet.destroy(), second.destroy()]);
    } finally {
      await out.close();
    }
  });
});
