/**
 * One /v2 connection, independent of its transport: the WebSocket endpoint
 * (server/v2-endpoint.ts) and the Electron window's IPC channel (src/shared/api.ts) both drive a
 * session. The protocol is in docs/protocol.md; the message types in src/shared/v2.ts.
 *
 * A session composes: its subscription (subscription.ts) and the StreamGroup that subscription
 * shares with other sessions (stream-group.ts); what this client receives of it, per device, with
 * slow-client gaps (client-stream.ts); incoming messages and the rate limit (incoming.ts);
 * commands and the control token (commands.ts, auth.ts).
 *
 * At connect: `hello` (the device ids, whether this connection has control, the subscription),
 * then for each subscribed device its `meta` (once it has streamed) and `status`, then `server`
 * (clients, devices). Data flows once the subscription is settled: at once when one was given
 * at connect, else at the first message or after `settleMs`, so a client may send `subscribe`
 * right after opening without racing the data. Replies are small and always sent.
 */
import type { DeviceStatus } from '../../shared/acquisition.js';
import { SERVER_RECORDING_FILES, V2_MAX_MESSAGE_BYTES } from '../../shared/v2-schemas.js';
import { V2_PROTOCOL, type ReplyMessage, type ServerMessage, type ServerStatusMessage, type SubscribeMessage, type Subscription } from '../../shared/v2.js';
import { streamColumns } from '../acquisition/stream-meta.js';
import { createLogger } from '../log.js';
import { tokenMatches, unauthorized } from './auth.js';
import { ClientStream } from './client-stream.js';
import { createCommandRunner, type ReplyError } from './commands.js';
import type { ApiContext } from './context.js';
import { MessageRateLimit, idOf, parseIncoming } from './incoming.js';
import type { V2Member } from './stream-group.js';
import { defaultSubscription, describeSubscription, resolveSubscription, subscriptionKey, type ResolvedSubscription, type SubscriptionContext } from './subscription.js';

const log = createLogger('serverbit:v2');

export interface V2SessionOptions {
  context: ApiContext;
  /** Delivers a message to the client. Returning false means it was not delivered (e.g. the socket is closing). */
  send: (msg: ServerMessage) => void | boolean;
  /**
   * Optional: delivers pre-encoded JSON text. When given, data messages go through it, encoded
   * once for every client of the same subscription (the WebSocket endpoint); else through `send`.
   */
  sendText?: (json: string) => void | boolean;
  /** The desktop window (IPC): may send commands without a token. */
  trusted: boolean;
  /** Token presented at connect (query string `token`). */
  token?: string;
  /** Subscription given at connect (query string); unknown here, so it is validated like a subscribe message. */
  subscription?: Partial<SubscribeMessage>;
  /** True while the client is over its high-water mark: data is dropped and reported as a gap. */
  isBackedUp?: () => boolean;
  /** How long data waits for a first subscribe message when none was given at connect, ms. Default 250. */
  settleMs?: number;
  /** Client messages per second before RATE_LIMITED replies (token bucket, same burst). Default 200. */
  maxMessagesPerSecond?: number;
}

export interface V2Session {
  /**
   * A client message: a string is JSON text; a Buffer / typed array is a binary frame (refused
   * with BAD_MESSAGE); any other value is an already-parsed message (Electron IPC).
   */
  receive(raw: string | Buffer | unknown): void;
  /** Stops everything for this client. Idempotent. */
  close(): void;
  /** Whether commands are accepted without a per-command token right now. */
  readonly control: boolean;
}

const DEFAULT_SETTLE_MS = 250;
const DEFAULT_MAX_RATE = 200;

/** Every column name any configured or streaming device can have: what a subscription may list. */
export function subscriptionContext(ctx: ApiContext): SubscriptionContext {
  const columns = new Set<string>();
  const analog = new Set<string>();
  const all = [1, 2, 3, 4, 5, 6];
  for (const d of ctx.settings.devices()) {
    for (const board of ['revolution', 'legacy'] as const) {
      for (const c of streamColumns({ board, labels: d.labels, channels: all, sensors: d.sensors })) {
        columns.add(c.name);
        if (c.kind === 'analog') analog.add(c.name);
      }
    }
  }
  const hub = ctx.acquisition.hub;
  for (const id of hub.devices()) {
    for (const c of hub.meta(id)?.columns ?? []) {
      columns.add(c.name);
      if (c.kind === 'analog') analog.add(c.name);
    }
  }
  return { columns, analogColumns: analog, devices: ctx.acquisition.ids() };
}

export function createV2Session(options: V2SessionOptions): V2Session {
  const { context: ctx, send, sendText } = options;
  const hub = ctx.acquisition.hub;
  const rate = new MessageRateLimit(options.maxMessagesPerSecond ?? DEFAULT_MAX_RATE);

  let closed = false;
  let connectToken = options.token;
  let sub: ResolvedSubscription = defaultSubscription();
  let joined: ResolvedSubscription | undefined;
  const known = new Set<string>();

  const hasControl = (): boolean => options.trusted || tokenMatches(connectToken, ctx.settings.config.token);

  const out = (msg: ServerMessage): boolean => {
    if (closed) return false;
    return send(msg) !== false;
  };
  const reply = (id: string | number, result: unknown) => out({ type: 'reply', id, ok: true, result: result ?? null });
  const replyError = (id: string | number | null, error: ReplyError) => out({ type: 'reply', id, ok: false, error } as ReplyMessage);

  const stream = new ClientStream({
    send: out,
    deliver: (encoded) => (sendText ? sendText(encoded.text) !== false : send(encoded.message) !== false),
    isBackedUp: options.isBackedUp ?? (() => false),
    subscription: () => sub,
  });

  let lastServer = '';
  /** Sent when the client count or the device set changed since the last one this client got. */
  const serverMessage = (): void => {
    const problem = ctx.settings.problem;
    const recording = ctx.outputs.recording?.();
    const origin = ctx.originNotices?.current();
    const msg: ServerStatusMessage = {
      type: 'server',
      clients: ctx.server?.clients() ?? 0,
      devices: ctx.acquisition.ids(),
      outputs: ctx.outputs.statuses(),
      ...(problem ? { problem } : {}),
      ...(recording ? { recording: { ...recording, files: recording.files.slice(-SERVER_RECORDING_FILES) } } : {}),
      ...(origin ? { origin } : {}),
    };
    // The recording's counters move with its status line (detail); its files when one is added.
    const key = JSON.stringify([msg.clients, msg.devices, msg.outputs.map((o) => [o.output, o.state, o.detail ?? '', o.error?.code ?? '']), problem ?? null, recording ? [recording.state, recording.files.length] : null, origin?.time ?? null]);
    if (key === lastServer) return;
    lastServer = key;
    out(msg);
  };

  // The group delivers every device; the client stream applies this session's device filter.
  const member: V2Member = {
    data: (b, encoded) => stream.data(b, encoded),
    gap: (g) => stream.gap(g),
    meta: (m) => stream.meta(m),
    marker: (k) => stream.marker(k),
    status: (s: DeviceStatus) => {
      if (!known.has(s.device)) {
        known.add(s.device);
        serverMessage(); // a device joined the set
      }
      stream.status(s);
    },
    removed: (id) => {
      known.delete(id);
      stream.removed(id);
      serverMessage();
    },
  };

  const runCommand = createCommandRunner({
    context: ctx,
    hasControl,
    connectToken: () => connectToken,
    reply,
    replyError,
    // The only trusted session is the desktop window's (IPC).
    markerSource: options.trusted ? 'window' : 'v2',
  });

  const hello = (): void => {
    const first = ctx.acquisition.ids()[0];
    const rateNow = first !== undefined ? ctx.acquisition.status(first).rate : ctx.settings.config.sampling_rate;
    out({
      type: 'hello',
      server: 'ServerBIT',
      version: ctx.version,
      protocol: V2_PROTOCOL,
      devices: ctx.acquisition.ids(),
      control: hasControl(),
      subscription: describeSubscription(sub, rateNow, ctx.settings.config.batch_ms) as Subscription,
    });
  };

  const join = (): void => {
    if (joined && subscriptionKey(joined) === subscriptionKey(sub)) return;
    if (joined) ctx.groups.leave(joined, member);
    joined = sub;
    ctx.groups.join(sub, member);
  };

  /** Validates subscription options (from the query or a subscribe message); returns an error text or applies them. */
  const applyOptions = (o: Partial<SubscribeMessage>): string | undefined => {
    const resolved = resolveSubscription(o, sub, subscriptionContext(ctx));
    if (!resolved.ok) return resolved.problem;
    const before = sub.devices;
    sub = resolved.sub;
    join();
    if (JSON.stringify(before) !== JSON.stringify(sub.devices)) describeDevices();
    return undefined;
  };

  /** meta then status of every subscribed device: what a client needs before data. */
  const describeDevices = (): void => {
    for (const id of ctx.acquisition.ids()) {
      const m = hub.meta(id);
      if (m) stream.meta(m);
      const st = hub.status(id);
      if (st) stream.status(st);
    }
  };

  // --- incoming -----------------------------------------------------------------------------

  const receive = (raw: unknown): void => {
    if (closed) return;
    try {
      if (!rate.allow()) {
        const id = typeof raw === 'string' && raw.length <= V2_MAX_MESSAGE_BYTES ? idOf(raw) : null;
        replyError(id, { code: 'RATE_LIMITED', message: `more than ${rate.perSecond} messages per second; this one was not processed`, hint: 'Wait for replies before sending more commands, or send them less often.' });
        return;
      }
      const parsed = parseIncoming(raw);
      if (!parsed.ok) {
        if (!stream.settled) stream.settle();
        replyError(parsed.id, parsed.error);
        return;
      }
      const msg = parsed.message;
      if (msg.type === 'command') {
        if (!stream.settled) stream.settle();
        runCommand(msg);
        return;
      }
      onSubscribe(msg);
    } catch (e) {
      // Nothing a client sends may escape its handler (docs/protocol.md "Threat model").
      log.warn('a /v2 message handler threw: %O', e);
      replyError(null, { code: 'INTERNAL', message: 'internal error while handling this message; the connection stays open', hint: 'This is a ServerBIT bug; please report it.' });
    }
  };

  const onSubscribe = (msg: SubscribeMessage): void => {
    const { type: _t, token, ...opts } = msg;
    if (token !== undefined) {
      if (tokenMatches(token, ctx.settings.config.token)) connectToken = token;
      else replyError(null, unauthorized('subscribe', token));
    }
    if (Object.keys(opts).length > 0) {
      if (stream.started) {
        replyError(null, {
          code: 'BAD_MESSAGE',
          message: 'subscription options can be set only before the first data message; this connection keeps its options',
          hint: 'Send "subscribe" right after connecting, or reconnect with ?batch=…&columns=…&format=…&devices=… in the URL.',
        });
      } else {
        const problem = applyOptions(opts);
        if (problem) replyError(null, { code: 'BAD_ARGUMENTS', message: problem, hint: 'See "Subscription options" in docs/protocol.md.' });
      }
    }
    stream.settle();
    hello(); // acknowledges: the subscription and control now in force
  };

  // --- start ----------------------------------------------------------------------------------

  const given = options.subscription ?? {};
  const hasGiven = Object.keys(given).length > 0;
  const problem = hasGiven ? applyOptions(given) : undefined;
  hello();
  if (problem) replyError(null, { code: 'BAD_ARGUMENTS', message: problem, hint: 'The defaults are used instead; see "Subscription options" in docs/protocol.md.' });
  for (const id of ctx.acquisition.ids()) known.add(id);
  describeDevices();
  serverMessage();
  join();
  const offServer = ctx.server?.onChange(() => serverMessage());
  const offOutputs = ctx.outputs.onChange(() => serverMessage());
  const offOrigins = ctx.originNotices?.onChange(() => serverMessage());
  // The config file fixed (or broken) while connected: the problem in the server message follows.
  const offSettings = ctx.settings.onChange(() => serverMessage());
  if (hasGiven) stream.settle();
  else stream.settleWithin(options.settleMs ?? DEFAULT_SETTLE_MS);

  return {
    receive,
    close() {
      if (closed) return;
      closed = true;
      offServer?.();
      offOutputs();
      offOrigins?.();
      offSettings();
      stream.close();
      if (joined) ctx.groups.leave(joined, member);
      joined = undefined;
    },
    get control() {
      return hasControl();
    },
  };
}
