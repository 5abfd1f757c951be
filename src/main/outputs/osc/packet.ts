/**
 * Reading an untrusted OSC datagram (docs/osc.md "Control input"): node-osc decodes it, this
 * bounds what we accept and flattens bundles into their messages.
 *
 * Bounds: a datagram over `maxBytes` is refused before any decoding. node-osc's decoder is linear
 * in the datagram (every string, argument and bundle element is read once, from disjoint byte
 * ranges) and recurses once per nested bundle; a nested bundle costs at least 20 bytes, so its
 * depth is at most maxBytes / 20 (about 400 for the 8 KiB ceiling). The flattening below is
 * iterative, keeps at most `maxMessages` messages and ignores bundles deeper than `maxDepth`.
 * Bundle time tags are ignored: commands run when they arrive.
 */
import { decode } from 'node-osc';

export interface InboundMessage {
  address: string;
  /** Argument values as node-osc decodes them: numbers (i, f), strings (s), booleans (T, F), null (N), Buffers (b, m). */
  args: unknown[];
}

export interface PacketLimits {
  /** Larger datagrams are refused undecoded. */
  maxBytes: number;
  /** Messages kept from one datagram; the rest are dropped (counted as `truncated`). */
  maxMessages: number;
  /** Bundle nesting kept; deeper bundles are dropped (counted as `truncated`). */
  maxDepth: number;
}

export type PacketResult = { ok: true; messages: InboundMessage[]; truncated: number } | { ok: false; reason: string };

export const DEFAULT_PACKET_LIMITS: PacketLimits = { maxBytes: 4096, maxMessages: 32, maxDepth: 4 };

/** Hard ceiling on maxBytes: keeps node-osc's bundle recursion shallow (see above). */
export const MAX_PACKET_BYTES = 8192;

interface Decoded {
  oscType?: unknown;
  address?: unknown;
  args?: unknown;
  elements?: unknown;
}

/** Never throws. */
export function readPacket(datagram: Buffer, limits: PacketLimits = DEFAULT_PACKET_LIMITS): PacketResult {
  const maxBytes = Math.min(limits.maxBytes, MAX_PACKET_BYTES);
  if (datagram.length > maxBytes) return { ok: false, reason: `datagram of ${datagram.length} bytes; at most ${maxBytes} are accepted` };
  if (datagram.length === 0) return { ok: false, reason: 'empty datagram' };
  let root: Decoded;
  try {
    root = decode(datagram) as Decoded;
  } catch (err) {
    return { ok: false, reason: `not an OSC packet this server can read (${String((err as Error)?.message ?? err)}); argument types i, f, s, b, T, F, N are supported` };
  }
  const messages: InboundMessage[] = [];
  let truncated = 0;
  const stack: { node: Decoded; depth: number }[] = [{ node: root, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (node.oscType === 'bundle' && Array.isArray(node.elements)) {
      if (depth >= limits.maxDepth) {
        truncated++;
        continue;
      }
      // Pushed in reverse so messages come out in datagram order.
      for (let i = node.elements.length - 1; i >= 0; i--) stack.push({ node: node.elements[i] as Decoded, depth: depth + 1 });
      continue;
    }
    if (typeof node.address !== 'string' || !Array.isArray(node.args)) continue;
    if (messages.length >= limits.maxMessages) {
      truncated++;
      continue;
    }
    messages.push({ address: node.address, args: (node.args as { value?: unknown }[]).map((a) => a?.value) });
  }
  return { ok: true, messages, truncated };
}
