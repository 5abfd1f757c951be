import { describe, expect, it } from 'vitest';
import { escapeText, fullinfoXml, infoFields, shortinfoXml } from '../../../src/main/outputs/lsl/info-xml.js';
import { shortinfoReply } from '../../../src/main/outputs/lsl/udp-request.js';
import { field, fixture, fixtureText, infoFromFixture, specs } from './fixtures.js';

describe('info XML, compared with what liblsl sends', () => {
  for (const kind of ['float32', 'int16'] as const) {
    it(`writes the ${kind} fullinfo byte for byte`, () => {
      const recorded = fixtureText(`${kind}-fullinfo.xml`);
      expect(fullinfoXml(infoFromFixture(recorded, specs[kind]))).toBe(recorded);
    });

    it(`writes the ${kind} shortinfo (empty desc) byte for byte`, () => {
      const recorded = fixtureText(`${kind}-shortinfo.xml`);
      expect(shortinfoXml(infoFromFixture(recorded, specs[kind]))).toBe(recorded);
    });

    it(`answers a UDP query as liblsl does (${kind})`, () => {
      const recorded = fixture(`${kind}-udp-shortinfo-reply.bin`).toString('utf8');
      const xml = recorded.slice(recorded.indexOf('\n') + 1);
      expect(shortinfoReply('424242', shortinfoXml(infoFromFixture(xml, specs[kind])))).toBe(recorded);
    });
  }

  it('escapes text as pugixml does (control characters, markup, non-ASCII)', () => {
    const recorded = fixtureText('escaping.xml');
    let controls = '';
    for (let c = 1; c < 32; c++) controls += String.fromCharCode(c);
    const name = `a${controls}b]]>&<>"'\u00e9\u{1F600}`;
    expect(`<name>${escapeText(name)}</name>`).toBe(/<name>.*?<\/name>/s.exec(recorded)![0]);
    expect(field(recorded, 'name')).toBe(name);
  });

  it('drops NUL, which cannot cross liblsl’s C API', () => {
    expect(escapeText('a\u0000b')).toBe('ab');
  });

  it('writes an element with nothing as <x />, with empty text as <x></x>', () => {
    const info = infoFromFixture(fixtureText('int16-fullinfo.xml'), specs.int16);
    const xml = fullinfoXml({ ...info, desc: [{ name: 'a' }, { name: 'b', text: '' }, { name: 'c', children: [] }] });
    expect(xml).toContain('\t<desc>\n\t\t<a />\n\t\t<b></b>\n\t\t<c />\n\t</desc>\n');
  });

  it('refuses an element name that is not an XML name', () => {
    const info = infoFromFixture(fixtureText('int16-fullinfo.xml'), specs.int16);
    expect(() => fullinfoXml({ ...info, desc: [{ name: 'a b', text: '' }] })).toThrow(TypeError);
    expect(() => fullinfoXml({ ...info, desc: [{ name: '<x>', text: '' }] })).toThrow(TypeError);
  });

  it('exposes the fields queries compare, as their element text', () => {
    const recorded = fixtureText('float32-fullinfo.xml');
    const f = infoFields(infoFromFixture(recorded, specs.float32));
    expect(f.nominal_srate).toBe('1000.000000000000');
    expect(f.version).toBe('1.100000000000000');
    expect(f.created_at).toBe(field(recorded, 'created_at'));
    expect(f.channel_count).toBe('3');
    expect(Object.keys(f)).toEqual(['name', 'type', 'channel_count', 'channel_format', 'source_id', 'nominal_srate', 'version', 'created_at', 'uid', 'session_id', 'hostname', 'v4address', 'v4data_port', 'v4service_port', 'v6address', 'v6data_port', 'v6service_port']);
  });
});
