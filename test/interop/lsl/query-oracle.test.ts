/**
 * ServerBIT's query matcher against liblsl's XPath evaluation (lsl_stream_info_matches_query) on
 * the same info, for generated predicates: wherever ServerBIT gives an answer it is liblsl's, and
 * the forms liblsl's own resolvers and inlets send are always supported (docs/lsl.md §5).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fullinfoXml, infoFields } from '../../../src/main/outputs/lsl/info-xml.js';
import { matchQuery } from '../../../src/main/outputs/lsl/query.js';
import { fixtureText, infoFromFixture, specs } from '../../outputs/lsl/fixtures.js';
import { Info } from './liblsl.js';

const ours = infoFromFixture(fixtureText('float32-fullinfo.xml'), specs.float32);
const theirs = Info.fromXml(fullinfoXml(ours));
const fields = infoFields(ours);

describe('query matcher vs liblsl', () => {
  it('agrees with liblsl on generated predicates', () => {
    const field = fc.constantFrom(...Object.keys(fields), 'desc', 'nope', 'channels');
    const value = fc.oneof(fc.constantFrom(...Object.values(fields)), fc.string({ maxLength: 8 }));
    const literal = fc.oneof(
      value.filter((v) => !v.includes("'")).map((v) => `'${v}'`),
      value.filter((v) => !v.includes('"')).map((v) => `"${v}"`),
      fc.constantFrom('3', '3.0', '1000', '0', '.5', '16572'),
    );
    const ws = fc.constantFrom('', ' ', '  ', '\t');
    const term = fc.tuple(field, ws, ws, literal).map(([f, a, b, l]) => `${f}${a}=${b}${l}`);
    const query = fc.oneof(
      fc.array(term, { minLength: 1, maxLength: 4 }).map((t) => t.join(' and ')),
      fc.array(fc.oneof(term, fc.constantFrom(' and ', ' or ', '(', ')', 'not(', "'", '=', ' ')), { maxLength: 8 }).map((t) => t.join('')),
    );
    let answered = 0;
    fc.assert(
      fc.property(query, (q) => {
        const r = matchQuery(q, fields);
        if (r === 'unsupported') return;
        answered++;
        expect(r === 'match', q).toBe(theirs.matches(q));
      }),
      { numRuns: 3000 },
    );
    expect(answered).toBeGreaterThan(1000);
  });
});
