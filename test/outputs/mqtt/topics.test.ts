/** The topic scheme (src/main/outputs/mqtt/topics.ts, docs/mqtt.md "Topics"): what the relay accepts and the ids it gives. */
import { describe, expect, it } from 'vitest';
import { deviceTopic, parseRelayTopic, relayFilters } from '../../../src/main/outputs/mqtt/topics.js';

describe('topics', () => {
  it('per device under the prefix, markers for every device and commands at the prefix', () => {
    expect(deviceTopic('serverbit/lab', 'left-arm', 'data')).toBe('serverbit/lab/left-arm/data');
    expect(relayFilters('serverbit/+')).toEqual(['serverbit/+/+/meta', 'serverbit/+/+/status', 'serverbit/+/+/data', 'serverbit/+/+/gap', 'serverbit/+/+/marker', 'serverbit/+/marker']);
  });

  it('the relay keeps the publisher\'s id under an exact prefix, and prefixes it with the "+" levels otherwise', () => {
    expect(parseRelayTopic('serverbit/lab', 'serverbit/lab/0/data')).toEqual({ device: '0', kind: 'data', source: 'serverbit/lab' });
    expect(parseRelayTopic('serverbit/+', 'serverbit/lab-pc/0/meta')).toEqual({ device: 'lab-pc.0', kind: 'meta', source: 'serverbit/lab-pc' });
    expect(parseRelayTopic('+/x/+', 'a/x/b/1/gap')).toEqual({ device: 'a.b.1', kind: 'gap', source: 'a/x/b' });
    expect(parseRelayTopic('serverbit/+', 'serverbit/lab/marker')).toEqual({ device: undefined, kind: 'marker', source: 'serverbit/lab' });
  });

  it('refuses what does not fit: other shapes, unknown kinds, ids the config could not hold', () => {
    for (const t of ['serverbit/lab/0', 'serverbit/lab/0/data/x', 'other/lab/0/data', 'serverbit/lab/0/command', `serverbit/lab/${'a'.repeat(33)}/data`, 'serverbit/lab/a b/data', 'serverbit/lab/é/meta', 'serverbit/lab/status']) {
      expect(parseRelayTopic('serverbit/lab', t), t).toBeUndefined();
    }
    expect(parseRelayTopic('serverbit/+', `serverbit/${'h'.repeat(30)}/12/data`)).toBeUndefined(); // 33 characters with the "."
    expect(parseRelayTopic('serverbit/+', 'x/'.repeat(2000))).toBeUndefined();
  });
});
