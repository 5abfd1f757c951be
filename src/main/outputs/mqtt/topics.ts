/**
 * The topic scheme (docs/mqtt.md "Topics", docs/protocol.md "MQTT"):
 *
 *   <prefix>/<device id>/meta     retained, QoS 1   the /v2 meta message of the current segment
 *   <prefix>/<device id>/status   retained, QoS 1   the /v2 status message; the last will: state "offline"
 *   <prefix>/<device id>/data     QoS 0 (or 1)      the /v2 data message
 *   <prefix>/<device id>/gap      QoS 1             the /v2 gap message
 *   <prefix>/<device id>/marker   QoS 1             a marker on that device
 *   <prefix>/marker               QoS 1             a marker on every device
 *   <prefix>/command → <prefix>/reply   QoS 1       control, only when mqtt.control is true
 *
 * Device ids are letters, digits, "_", "." and "-" (the config's rule), so an id is always one
 * topic level with no wildcard.
 */

export type DeviceTopic = 'meta' | 'status' | 'data' | 'gap' | 'marker';
export const DEVICE_TOPICS: readonly DeviceTopic[] = ['meta', 'status', 'data', 'gap', 'marker'];

export function deviceTopic(prefix: string, device: string, kind: DeviceTopic): string {
  return `${prefix}/${device}/${kind}`;
}

export const markerTopic = (prefix: string): string => `${prefix}/marker`;
export const commandTopic = (prefix: string): string => `${prefix}/command`;
export const replyTopic = (prefix: string): string => `${prefix}/reply`;

/** The relay's subscriptions for a prefix filter (a level may be "+"). */
export function relayFilters(filter: string): string[] {
  return [...DEVICE_TOPICS.map((k) => `${filter}/+/${k}`), markerTopic(filter)];
}

const ID = /^[A-Za-z0-9_.-]{1,32}$/;

/** What a topic under the relay's filter names: the relayed device's id there, and what the message is. */
export type RelayTopic = { device: string; kind: DeviceTopic; source: string } | { device: undefined; kind: 'marker'; source: string };

/**
 * Maps a topic received under `filter` to the device it is about. On the relay a device's id is
 * the publisher's id when the filter has no "+"; else the levels the "+"s matched, then the id,
 * joined with "." ("lab-pc.0" for serverbit/lab-pc/0/data under serverbit/+), so devices of two
 * publishers never share an id. Undefined when the topic does not fit (another shape, an id past
 * 32 characters or with other characters): the caller drops the message and counts it.
 * Linear in the topic's length.
 */
export function parseRelayTopic(filter: string, topic: string): RelayTopic | undefined {
  if (topic.length > 1024) return undefined;
  const f = filter.split('/');
  const t = topic.split('/');
  if (t.length !== f.length + 1 && t.length !== f.length + 2) return undefined;
  const wild: string[] = [];
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '+') wild.push(t[i]);
    else if (f[i] !== t[i]) return undefined;
  }
  const source = t.slice(0, f.length).join('/');
  if (t.length === f.length + 1) {
    return t[f.length] === 'marker' ? { device: undefined, kind: 'marker', source } : undefined;
  }
  const kind = t[f.length + 1] as DeviceTopic;
  if (!DEVICE_TOPICS.includes(kind)) return undefined;
  const id = [...wild, t[f.length]].join('.');
  if (!ID.test(id)) return undefined;
  return { device: id, kind, source };
}

