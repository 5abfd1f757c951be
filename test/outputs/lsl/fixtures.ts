/**
 * Loads test/fixtures/lsl/ (recorded from the real liblsl 1.17.7; how: test/fixtures/lsl/README.md)
 * and rebuilds a StreamInfo from a recorded document's fields, so the tests can ask ServerBIT to
 * write the same document and compare bytes.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { StreamInfo, XmlNode } from '../../../src/main/outputs/lsl/info-xml.js';

export const fixtureDir = path.resolve(__dirname, '../../fixtures/lsl');

export function fixture(name: string): Buffer {
  return fs.readFileSync(path.join(fixtureDir, name));
}

export function fixtureText(name: string): string {
  return fixture(name).toString('utf8');
}

export interface FixtureSpec {
  name: string;
  type: string;
  channelCount: number;
  nominalSrate: number;
  channelFormat: 'float32' | 'int16';
  sourceId: string;
  desc: XmlNode[];
  samples: { values: number[]; timestamp: number }[];
}

export const specs = JSON.parse(fixtureText('spec.json')) as Record<'float32' | 'int16', FixtureSpec>;

function unescape(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#([0-9]+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
}

/** The text of a top-level element of a recorded info document. */
export function field(xml: string, name: string): string {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  if (!m) throw new Error(`no <${name}> in the fixture`);
  return unescape(m[1]);
}

/** The StreamInfo that produced a recorded document (desc from spec.json). */
export function infoFromFixture(xml: string, spec: FixtureSpec): StreamInfo {
  return {
    name: spec.name,
    type: spec.type,
    channelCount: spec.channelCount,
    channelFormat: spec.channelFormat,
    sourceId: spec.sourceId,
    nominalSrate: spec.nominalSrate,
    version: 110,
    createdAt: Number(field(xml, 'created_at')),
    uid: field(xml, 'uid'),
    sessionId: field(xml, 'session_id'),
    hostname: field(xml, 'hostname'),
    v4address: field(xml, 'v4address'),
    v4dataPort: Number(field(xml, 'v4data_port')),
    v4servicePort: Number(field(xml, 'v4service_port')),
    v6address: field(xml, 'v6address'),
    v6dataPort: Number(field(xml, 'v6data_port')),
    v6servicePort: Number(field(xml, 'v6service_port')),
    desc: spec.desc,
  };
}
