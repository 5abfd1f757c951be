/**
 * The byte transcripts in test/fixtures/lsl/ (docs/lsl.md §14), taken from the real liblsl: what its
 * outlet sends (info XML, stream feed, UDP replies, status lines) and what its inlet and resolver
 * send (stream feed request, shortinfo query, time probe), plus liblsl's verdict on every query in
 * queries.json. With LSL_RECORD=1 the files are (re)written; otherwise each is compared with what
 * the library does now, after masking the fields that change every run (uid, created_at, ports,
 * hostname, clock readings), so the fixtures the plain `npm test` relies on stay true.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Info, Outlet, cft, liblsl, Inlet } from './liblsl.js';
import { bindUdpInRange } from '../../../src/main/outputs/lsl/ports.js';
import { sendDatagram, tcpExchange, udpListener, waitFor } from '../../outputs/lsl/helpers.js';
import type { XmlNode } from '../../../src/main/outputs/lsl/info-xml.js';

const dir = path.resolve(__dirname, '../../fixtures/lsl');
const record = process.env.LSL_RECORD === '1';
const spec = JSON.parse(fs.readFileSync(path.join(dir, 'spec.json'), 'utf8')) as Record<'float32' | 'int16', StreamSpec>;
const queries = JSON.parse(fs.readFileSync(path.join(dir, 'query-list.json'), 'utf8')) as string[];

interface StreamSpec {
  name: string;
  type: string;
  channelCount: number;
  nominalSrate: number;
  channelFormat: 'float32' | 'int16';
  sourceId: string;
  desc: XmlNode[];
  samples: { values: number[]; timestamp: number }[];
}

/** Masks what differs between runs. */
function mask(text: string): string {
  return text
    .replace(/<uid>[^<]*<\/uid>/g, '<uid>UID</uid>')
    .replace(/UID: [0-9a-f-]+/g, 'UID: UID')
    .replace(/<created_at>[^<]*<\/created_at>/g, '<created_at>T</created_at>')
    .replace(/<(v[46](?:data|service)_port)>[0-9]+<\/\1>/g, '<$1>P</$1>')
    .replace(/<hostname>[^<]*<\/hostname>/g, '<hostname>H</hostname>');
}

function fixture(name: string, data: Buffer | string, compare: (stored: Buffer, live: Buffer) => void = (s, l) => expect(mask(l.toString('latin1'))).toBe(mask(s.toString('latin1')))): void {
  const file = path.join(dir, name);
  const live = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
  if (record) {
    fs.writeFileSync(file, live);
    return;
  }
  compare(fs.readFileSync(file), live);
}

function buildDesc(info: Info, parent: unknown, nodes: readonly XmlNode[]): void {
  for (const n of nodes) {
    if ('children' in n) buildDesc(info, info.appendChild(parent, n.name), n.children);
    else if ('text' in n) info.appendChildValue(parent, n.name, n.text);
    else info.appendChild(parent, n.name);
  }
}

function makeInfo(s: StreamSpec): Info {
  const info = new Info(s.name, s.type, s.channelCount, s.nominalSrate, cft[s.channelFormat], s.sourceId);
  buildDesc(info, info.desc, s.desc);
  return info;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('liblsl transcripts (fixtures)', () => {
  it('is the library the fixtures came from (1.17.7, protocol 1.10)', () => {
    expect(liblsl.libraryVersion()).toBe(117);
    expect(liblsl.protocolVersion()).toBe(110);
  });

  it('escapes text as pugixml does', () => {
    let controls = '';
    for (let c = 1; c < 32; c++) controls += String.fromCharCode(c);
    const info = new Info(`a${controls}b]]>&<>"'\u00e9\u{1F600}`, 'T', 1, 0.5, cft.int16, '');
    fixture('escaping.xml', info.xml());
    info.destroy();
  });

  it('records the inlet request, the resolver query and the time probe', async () => {
    // A stand-in outlet: a TCP port that records the request, a UDP port that records datagrams.
    const requests: Buffer[] = [];
    const server = net.createServer((s) => s.on('data', (c) => requests.push(c)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const udpSocket = await bindUdpInRange({ host: '127.0.0.1', basePort: 16572, portRange: 32, allowRandomPorts: false });
    const udpPort = udpSocket.address().port;
    udpSocket.close();
    const udp = await udpListener(udpPort);
    const tcpPort = (server.address() as net.AddressInfo).port;
    const xml =
      `<?xml version="1.0"?><info><name>N</name><type>EEG</type><channel_count>6</channel_count><channel_format>float32</channel_format>` +
      `<source_id>S</source_id><nominal_srate>1000</nominal_srate><version>1.1</version><created_at>5</created_at><uid>U-1</uid>` +
      `<session_id>default</session_id><hostname>h</hostname><v4address>127.0.0.1</v4address><v4data_port>${tcpPort}</v4data_port>` +
      `<v4service_port>${udpPort}</v4service_port><v6address></v6address><v6data_port>0</v6data_port><v6service_port>0</v6service_port><desc/></info>`;
    const info = Info.fromXml(xml);
    const inlet = new Inlet(info.handle, 360, false);
    void inlet.open(1).catch(() => {});
    await waitFor(() => Buffer.concat(requests).includes('\r\n\r\n'), 'the inlet request', 10_000);
    fixture('inlet-streamfeed-request.txt', Buffer.concat(requests), (stored, live) => {
      // Endian-Performance is measured by the inlet each time.
      const norm = (b: Buffer) => b.toString('latin1').replace(/Endian-Performance: [^\r]*/, 'Endian-Performance: E');
      expect(norm(live)).toBe(norm(stored));
    });
    void inlet.timeCorrection(1).catch(() => {});
    const probe = (await udp.next(10_000)).toString('latin1');
    fixture('inlet-timedata.txt', probe, (stored, live) => expect(live.toString().replace(/[0-9.]+/g, 'N')).toBe(stored.toString().replace(/[0-9.]+/g, 'N')));
    // A resolver's KnownPeers unicast wave reaches every port of the range, ours included.
    const { resolveByprop } = await import('./liblsl.js');
    void resolveByprop('name', 'FixtureQueryTarget', 1, 3);
    let query = '';
    await waitFor(() => {
      const q = udp.received.find((r) => r.msg.toString('latin1').startsWith('LSL:shortinfo'));
      if (q) query = q.msg.toString('latin1');
      return q !== undefined;
    }, 'a resolver query', 10_000);
    fixture('inlet-shortinfo-query.txt', query, (stored, live) => expect(live.toString().replace(/\r\n[0-9]+ [0-9]+\r\n$/, '\r\nPORT ID\r\n')).toBe(stored.toString().replace(/\r\n[0-9]+ [0-9]+\r\n$/, '\r\nPORT ID\r\n')));
    await inlet.destroy();
    info.destroy();
    await udp.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  for (const kind of ['float32', 'int16'] as const) {
    it(`records what a liblsl ${kind} outlet sends`, async () => {
      const s = spec[kind];
      const info = makeInfo(s);
      const outlet = new Outlet(info, 360);
      cleanups.push(() => outlet.destroy());
      const xml = outlet.xml();
      const dataPort = Number(/<v4data_port>(\d+)</.exec(xml)![1]);
      const servicePort = Number(/<v4service_port>(\d+)</.exec(xml)![1]);
      const uid = /<uid>([^<]+)</.exec(xml)![1];

      fixture(`${kind}-fullinfo.xml`, await tcpExchange(dataPort, 'LSL:fullinfo\r\n'));
      fixture(`${kind}-shortinfo.xml`, await tcpExchange(dataPort, 'LSL:shortinfo\r\n\r\n'));
      fixture(`${kind}-shortinfo-nomatch.bin`, await tcpExchange(dataPort, "LSL:shortinfo\r\nname='nothing'\r\n"));
      const feedHeaders = 'Max-Buffer-Length: 100\r\nValue-Size: ' + (kind === 'float32' ? 4 : 2) + '\r\n\r\n';
      fixture(`${kind}-status-404.txt`, await tcpExchange(dataPort, `LSL:streamfeed/110 not-the-uid\r\n${feedHeaders}`));
      fixture(`${kind}-status-505.txt`, await tcpExchange(dataPort, `LSL:streamfeed/200 ${uid}\r\n${feedHeaders}`));

      // The stream feed for the real inlet's request (its uid swapped for this outlet's).
      const request = fs.readFileSync(path.join(dir, 'inlet-streamfeed-request.txt'), 'latin1').replace('U-1', uid).replace('Value-Size: 4', `Value-Size: ${kind === 'float32' ? 4 : 2}`);
      const width = kind === 'float32' ? 4 : 2;
      const headerLen = `LSL/110 200 OK\r\nUID: ${uid}\r\nByte-Order: 1234\r\nSuppress-Subnormals: 0\r\nData-Protocol-Version: 110\r\n\r\n`.length;
      const sampleLen = 9 + s.channelCount * width;
      let got = 0;
      const feed = tcpExchange(dataPort, request, { bytes: headerLen + sampleLen * (2 + s.samples.length), timeoutMs: 10_000, onBytes: (n) => (got = n) });
      await waitFor(() => got >= headerLen + 2 * sampleLen && outlet.haveConsumers(), 'the feed header and the consumer');
      for (const smp of s.samples) {
        if (kind === 'float32') outlet.pushFloat(Float32Array.from(smp.values), smp.timestamp);
        else outlet.pushInt16(Int16Array.from(smp.values), smp.timestamp);
      }
      fixture(`${kind}-streamfeed.bin`, await feed, (stored, live) => {
        expect(mask(live.toString('latin1'))).toBe(mask(stored.toString('latin1')));
      });

      // The service port: a matching query and a time probe.
      const reply = await udpListener();
      cleanups.push(() => reply.close());
      await sendDatagram(servicePort, `LSL:shortinfo\r\nsession_id='default' and source_id='${s.sourceId}'\r\n${reply.port} 424242\r\n`);
      fixture(`${kind}-udp-shortinfo-reply.bin`, await reply.next(5000));
      await sendDatagram(servicePort, 'LSL:timedata\r\n7 1674.232160465\r\n', reply.socket);
      const t = (await reply.next(5000)).toString('latin1');
      fixture(`${kind}-udp-timedata-reply.txt`, t, (stored, live) => {
        const shape = (x: string) => x.split(' ').slice(0, 3).join(' ');
        expect(shape(live.toString())).toBe(shape(stored.toString()));
        expect(live.toString().split(' ')).toHaveLength(5);
      });

      // liblsl's verdict on each query (evaluated on the full info, desc included).
      if (kind === 'float32') {
        const full = Info.fromXml(fs.readFileSync(path.join(dir, 'float32-fullinfo.xml'), 'utf8'));
        const verdicts = queries.map((q) => ({ query: q, liblsl: full.matches(q) }));
        fixture('query-verdicts.json', JSON.stringify(verdicts, null, 1) + '\n', (stored, live) => expect(live.toString()).toBe(stored.toString()));
        full.destroy();
      }
    });
  }
});
