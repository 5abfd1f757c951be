/**
 * One /v2 connection, independent of its transport: the WebSocket endpoint (server/v2-endpoint.ts) and
 * the Electron window's IPC channel (src/shared/api.ts) both drive a session. The protocol is in
 * docs/protocol.md; the message types in src/shared/v2.ts.
 *
 * A session composes: its subscription (subscription.ts) and the StreamGroup that subscription
 * shares with other sessions (stream-group.ts); what this client receives of it, with slow-client
 * gaps (client-stream.ts); incoming messages and the rate limit (incoming.ts); commands and
 * the control token (commands.ts, auth.ts).
 *
 * A session joins its group at creation (it needs status events from the same ordered source as
 * data), and lets data through once its subscription is settled: at once when one was given at
 * connect, else at its first message or after `settleMs`, so a client may send `subscribe` right
 * after opening without racing the data. Replies are small and always sent.
 */
import { readFileSync } from 'node:fs';
import { V2_MAX_MESSAGE_BYTES } from '../../shared/v2-schemas.js';
import { V2_PROTOCOL, type ReplyMessage, type ServerMessage, type SubscribeMessage, type Subscription } from '../../shared/v2.js';
import type { ServerBit } from '../app.js';
import type { ConfigStore } from '../config/config-store.js';
import { tokenMatches, unauthorized } from './auth.js';
import { ClientStream } from './client-stream.js';
import { createCommandRunner, type ReplyError } from './commands.js';
import { MessageRateLimit, idOf, parseIncoming } from './incoming.js';
import { buildMeta, buildStatus } from './meta.js';
import { StreamGroup } from './stream-group.js';
import { defaultSubscription, describeSubscription, resolveSubscription, subscriptionKey, type ResolvedSubscription } from './subscription.js';

export interface V2SessionOptions {
  app: ServerBit;
  /** Delivers a message to the client. Returning false means it was not delivered (e.g. the socket is closing). */
  send: (msg: ServerMessage) => void | boolean;
  /**
   * Optional: delivers pre-encoded JSON text. When given, data messages go through it, encoded
   * once for every client of the same subscription (the WebSocket endpoint); else through `send`.
   */
  sendText?: (json: string) => void | boolean;
  /** The app's own UI (same-origin page, Electron window): may send commands without a token. */
  trusted: boolean;
  /** Token presented at connect (query string `token`). */
  token?: string;
  /** Subscription given at connect (query string); unknown here, so it is validated like a subscribe message. */
  subscription?: Partial<Subscription>;
  /** Where set_config saves (atomically). Without it, set_config applies for this run only. */
  configStore?: Pick<ConfigStore, 'save' | 'path'>;
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

let versionCache: string | undefined;
function serverVersion(): string {
  if (versionCache === undefined) {
    try {
      versionCache = String(JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version);
    } catch {
      versionCache = 'unknown';
    }
  }
  return versionCache;
}

export function createV2Session(options: V2SessionOptions): V2Session {
  const { app, send, sendText } = options;
  const service = app.service;
  const rate = new MessageRateLimit(options.maxMessagesPerSecond ?? DEFAULT_MAX_RATE);

  let closed = false;
  let connectToken = options.token;
  let sub: ResolvedSubscription = defaultSubscription();
  let group: StreamGroup | undefined;

  const hasControl = (): boolean => options.trusted || tokenMatches(connectToken, service.currentConfig.token);

  const out = (msg: ServerMessage): boolean => {
    if (closed) return false;
    return send(msg) !== false;
  };
  const reply = (id: string | number, result: unknown) => out({ type: 'reply', id, ok: true, result: result ?? null });
  const replyError = (id: string | number | null, error: ReplyError) => out({ type: 'reply', id, ok: false, error } as ReplyMessage);

  const stream = new ClientStream({
    service,
    send: out,
    deliver: (encoded) => (sendText ? sendText(encoded.text) !== false : send(encoded.message) !== false),
    isBackedUp: options.isBackedUp ?? (() => false),
  });

  const runCommand = createCommandRunner({
    service,
    configStore: options.configStore,
    hasControl,
    connectToken: () => connectToken,
    reply,
    replyError,
  });

  const hello = (): void => {
    const st = service.status;
    out({
      type: 'hello',
      server: 'ServerBIT',
      version: serverVersion(),
      protocol: V2_PROTOCOL,
      devices: [st.device?.id ?? service.currentConfig.device],
      control: hasControl(),
      subscription: describeSubscription(sub, service.currentConfig),
    });
  };

  /** Validates subscription options (from the query or a subscribe message); returns an error text or applies them. */
  const applyOptions = (o: Partial<SubscribeMessage>): string | undefined => {
    const resolved = resolveSubscription(o, sub, service.currentConfig);
    if (!resolved.ok) return resolved.problem;
    if (subscriptionKey(resolved.sub) !== subscriptionKey(sub)) {
      group?.leave(stream);
      sub = resolved.sub;
      group = StreamGroup.join(service, sub, stream);
    }
    return undefined;
  };

  // --- incoming -----------------------------------------------------------------------------

  const receive = (raw: unknown): void => {
    if (closed) return;
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
  };

  const onSubscribe = (msg: SubscribeMessage): void => {
    const { type: _t, token, ...opts } = msg;
    if (token !== undefined) {
      if (tokenMatches(token, service.currentConfig.token)) connectToken = token;
      else replyError(null, unauthorized('subscribe', token, options.configStore?.path));
    }
    if (Object.keys(opts).length > 0) {
      if (stream.started) {
        replyError(null, {
          code: 'BAD_MESSAGE',
          message: 'subscription options can be set only before the first data message; this connection keeps its options',
          hint: 'Send "subscribe" right after connecting, or reconnect with ?batch=…&columns=…&format=… in the URL.',
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
  const problem = Object.keys(given).length > 0 ? applyOptions(given as Partial<SubscribeMessage>) : undefined;
  hello();
  if (problem) replyError(null, { code: 'BAD_ARGUMENTS', message: problem, hint: 'The defaults are used instead; see "Subscription options" in docs/protocol.md.' });
  const st = service.status;
  stream.sendMetaIfChanged(buildMeta(st, service.currentConfig));
  out(buildStatus(st));
  group ??= StreamGroup.join(service, sub, stream);
  if (Object.keys(given).length > 0) stream.settle();
  else stream.settleWithin(options.settleMs ?? DEFAULT_SETTLE_MS);

  return {
    receive,
    close() {
      if (closed) return;
      closed = true;
      stream.close();
      group?.leave(stream);
      group = undefined;
    },
    get control() {
      return hasControl();
    },
  };
}
