/**
 * The stream info XML (docs/lsl.md §4): the document liblsl's `stream_info_impl::write_xml` builds
 * and pugixml saves, byte for byte — the declaration, one element per line indented by tabs, text
 * escaped as pugixml escapes it, `<x></x>` for empty text and `<x />` for an element with nothing.
 * The shortinfo message is the document with an empty `<desc />`; the fullinfo message carries the
 * stream's description (XDF meta-data conventions, §10). Checked against the real library's output
 * in test/outputs/lsl/info-xml.test.ts (fixtures recorded from liblsl).
 */
import { formatG } from './c-format.js';
import type { ChannelFormat } from './protocol.js';

/** An element of `desc`: text (possibly empty), children, or neither (`<name />`). */
export type XmlNode = { name: string; text: string } | { name: string; children: readonly XmlNode[] } | { name: string };

/** Everything the info document says, in the order liblsl writes it. */
export interface StreamInfo {
  name: string;
  type: string;
  channelCount: number;
  channelFormat: ChannelFormat;
  sourceId: string;
  /** Hz; 0 means irregular (liblsl's IRREGULAR_RATE). */
  nominalSrate: number;
  /** Integer protocol version (110 → "1.100000000000000"). */
  version: number;
  /** LSL-clock seconds when the outlet was created. */
  createdAt: number;
  uid: string;
  sessionId: string;
  hostname: string;
  /** Empty in what an outlet sends: the resolver fills it from the reply's source address. */
  v4address: string;
  v4dataPort: number;
  v4servicePort: number;
  /** IPv6 is not served (docs/lsl.md §12): empty address and port 0. */
  v6address: string;
  v6dataPort: number;
  v6servicePort: number;
  /** Children of `<desc>`. */
  desc: readonly XmlNode[];
}

/** The info fields as the text of their elements, keyed by element name (what queries compare, §5). */
export function infoFields(info: StreamInfo): Record<string, string> {
  return {
    name: info.name,
    type: info.type,
    channel_count: String(info.channelCount),
    channel_format: info.channelFormat,
    source_id: info.sourceId,
    nominal_srate: formatG(info.nominalSrate, 16, true),
    version: formatG(info.version / 100, 16, true),
    created_at: formatG(info.createdAt, 16, true),
    uid: info.uid,
    session_id: info.sessionId,
    hostname: info.hostname,
    v4address: info.v4address,
    v4data_port: String(info.v4dataPort),
    v4service_port: String(info.v4servicePort),
    v6address: info.v6address,
    v6data_port: String(info.v6dataPort),
    v6service_port: String(info.v6servicePort),
  };
}

/** The shortinfo message: the info document with an empty `<desc />`. */
export function shortinfoXml(info: StreamInfo): string {
  return document(info, []);
}

/** The fullinfo message: the info document with its description. */
export function fullinfoXml(info: StreamInfo): string {
  return document(info, info.desc);
}

function document(info: StreamInfo, desc: readonly XmlNode[]): string {
  const out: string[] = ['<?xml version="1.0"?>\n<info>\n'];
  for (const [name, text] of Object.entries(infoFields(info))) out.push(`\t<${name}>${escapeText(text)}</${name}>\n`);
  writeNode(out, { name: 'desc', children: desc }, 1);
  out.push('</info>\n');
  return out.join('');
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function writeNode(out: string[], node: XmlNode, depth: number): void {
  if (!NAME.test(node.name)) throw new TypeError(`invalid XML element name ${JSON.stringify(node.name)}`);
  const indent = '\t'.repeat(depth);
  if ('children' in node && node.children.length > 0) {
    out.push(`${indent}<${node.name}>\n`);
    for (const child of node.children) writeNode(out, child, depth + 1);
    out.push(`${indent}</${node.name}>\n`);
  } else if ('text' in node) {
    out.push(`${indent}<${node.name}>${escapeText(node.text)}</${node.name}>\n`);
  } else {
    out.push(`${indent}<${node.name} />\n`);
  }
}

/**
 * Text content escaped as pugixml does (measured with liblsl, test fixture `escaping`): `&`, `<`, `>`
 * as entities, control characters other than tab, newline and carriage return as `&#NN;` (decimal,
 * at least two digits). NUL cannot cross liblsl's C API and is dropped.
 */
export function escapeText(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x26) out += '&amp;';
    else if (c === 0x3c) out += '&lt;';
    else if (c === 0x3e) out += '&gt;';
    else if (c === 0) continue;
    else if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) out += `&#${c < 10 ? '0' : ''}${c};`;
    else out += text[i];
  }
  return out;
}
