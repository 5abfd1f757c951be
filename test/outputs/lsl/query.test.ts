import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { infoFields } from '../../../src/main/outputs/lsl/info-xml.js';
import { matchQuery } from '../../../src/main/outputs/lsl/query.js';
import { fixtureText, infoFromFixture, specs } from './fixtures.js';

const recorded = fixtureText('float32-fullinfo.xml');
const fields = infoFields(infoFromFixture(recorded, specs.float32));
/** liblsl's verdict on each query, on the same info (recorded: test/fixtures/lsl/README.md). */
const verdicts = JSON.parse(fixtureText('query-verdicts.json')) as { query: string; liblsl: boolean }[];

describe('query matcher, against liblsl’s verdicts', () => {
  it('agrees with liblsl on every query it supports, and answers no match to the rest', () => {
    const disagreements: string[] = [];
    let supported = 0;
    for (const { query, liblsl } of verdicts) {
      const r = matchQuery(query, fields);
      if (r === 'unsupported') continue;
      supported++;
      if ((r === 'match') !== liblsl) disagreements.push(`${JSON.stringify(query)}: ours ${r}, liblsl ${liblsl}`);
    }
    expect(disagreements).toEqual([]);
    expect(supported).toBeGreaterThan(30);
  });

  it('supports the forms liblsl’s resolvers and recovering inlets send', () => {
    const must = [
      '',
      "session_id='default'",
      "session_id='default' and type='ECG'",
      "session_id='default' and source_id='20:16:07:18:15:26'",
      "channel_count='3' and type='ECG' and source_id='20:16:07:18:15:26' and channel_format='float32'",
      'channel_count=3',
    ];
    for (const q of must) expect(matchQuery(q, fields), q).toBe('match');
    expect(matchQuery("session_id='other' and type='ECG'", fields)).toBe('nomatch');
  });

  it('calls or, functions, paths and malformed predicates unsupported (never an exception)', () => {
    for (const q of ["type='ECG' or type='EEG'", 'not(type="X")', "starts-with(name,'B')", "desc/acquisition/manufacturer='PLUX'", "(type='ECG')", "type!='X'", "type='ECG", 'type=ECG', "type='ECG' and", "type='ECG' AND type='ECG'", '*', "'ECG'=type"]) {
      expect(matchQuery(q, fields), q).toBe('unsupported');
    }
  });

  it('treats a field the info does not have as an empty node-set (never equal)', () => {
    expect(matchQuery("nosuchfield=''", fields)).toBe('nomatch');
    expect(matchQuery("hostname=''", { ...fields, hostname: '' })).toBe('match');
  });

  it('matches `field = literal` exactly as a model of XPath string equality says', () => {
    const name = fc.constantFrom('name', 'type', 'source_id', 'session_id', 'channel_format');
    const text = fc.string({ maxLength: 12 }).filter((s) => !s.includes("'"));
    fc.assert(
      fc.property(fc.array(fc.tuple(name, text), { minLength: 1, maxLength: 5 }), fc.dictionary(name, text), fc.constantFrom(' ', '  ', '\t', ''), (terms, values, ws) => {
        const f = { ...fields, ...values };
        const q = terms.map(([k, v]) => `${k}${ws}=${ws}'${v}'`).join(' and ');
        const expected = terms.every(([k, v]) => f[k] === v);
        expect(matchQuery(q, f)).toBe(expected ? 'match' : 'nomatch');
      }),
    );
  });

  it('never throws on arbitrary input, and handles 1 MiB of hostile text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (q) => ['match', 'nomatch', 'unsupported'].includes(matchQuery(q, fields))));
    fc.assert(fc.property(fc.array(fc.constantFrom("type='ECG'", ' and ', '(', ')', "'", '"', '=', 'or', ' ', '6', '.'), { maxLength: 60 }), (parts) => ['match', 'nomatch', 'unsupported'].includes(matchQuery(parts.join(''), fields))));
    const big = "type='ECG'" + " and type='ECG'".repeat(70_000);
    expect(matchQuery(big, fields)).toBe('match');
    expect(matchQuery("type='" + 'x'.repeat(1 << 20), fields)).toBe('unsupported');
    expect(matchQuery('('.repeat(1 << 20), fields)).toBe('unsupported');
  });
});
