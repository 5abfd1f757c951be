/**
 * One /v2 connection, independent of its transport: the WebSocket endpoint (v2-endpoint.ts) and
 * the Electron window's IPC channel (src/shared/api.ts) both drive a session. The protocol is in
 * docs/protocol.md; the message types in src/shared/v2.ts.
 *
 * Data path. Sessions with the same subscription (batch size, columns, format) share one
 * StreamGroup: one hub subscription, one Batcher per device (so indices are contiguous and every
 * batch has exactly `batch` samples, shorter only before a gap or when acquisition stops) and one
 * encoding per batch for all of them. A session joins its group at creation (it needs status
 * events from the same ordered source as data: a group flushes pending samples BEFORE it passes
 * on the gap or status that caused the flush), and lets data through once its subscription is
 * settled: at once when one was given at connect, else at its first message or after
 * `settleMs`, so a client may send `subscribe` right after opening without racing the data.
 *
 * Nothing is lost silently. A client over its high-water mark (`isBackedUp`) has data messages
 * dropped; the dropped range goes out as one `gap` (reason client_too_slow) before anything else
 * about that device, or as soon as the client drains. Gaps, status, meta and replies are small
 * and always sent. Bound per session: one pending range, no queued data.
 */
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { GapEvent, SampleBatch, ServiceStatus } from '../../shared/acquisition.js';
import { SIMULATOR_DEVICE, samplesPerBatch, type ServerBitConfig } from '../../shared/config.js';
import { validateConfig } from '../../shared/config-schema.js';
import { ConfigError, DeviceError, ServerBitError } from '../../shared/errors.js';
import { jsonEqual, validate } from '../../shared/schema.js';
import { V2_MAX_MESSAGE_BYTES, SUBSCRIBE_SCHEMA, parseClientMessage, parseClientValue, type ParseResult } from '../../shared/v2-schemas.js';
import {
  V2_PROTOCOL,
  type CommandArgs, type CommandMessage, type CommandName, type DataMessage, type MetaMessage, type PortInfo, type ReplyMessage,
  type ServerMessage, type StateResult, type SubscribeMessage, type Subscription, type TestDeviceResult,
} from '../../shared/v2.js';
import type { ServerBit } from '../app.js';
import type { ConfigStore } from '../config/config-store.js';
import { createDeviceOpener } from '../device-opener.js';
import { Bitalino } from '../devices/bitalino.js';
import { listPorts } from '../devices/ports.js';
import type { AcquisitionService, OpenedDevice } from '../service.js';
import { Batcher } from './batcher.js';
import { createLogger } from './log.js';
import { DataEncoder, analogColumnNames, buildMeta, buildStatus, knownColumnNames, metaKey } from './v2-meta.js';

const log = createLogger('serverbit:v2');

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
/** While a dropped range is pending, how often to check whether the client drained, ms. */
const DRAIN_POLL_MS = 25;

// --------------------------------------------------------------------------------------------
// Stream groups: one per (service, subscription)

interface Encoded {
  readonly message: DataMessage;
  readonly text: string;
}

interface Member {
  data(batch: SampleBatch, encoded: Encoded): void;
  gap(gap: GapEvent): void;
  status(status: ServiceStatus): void;
}

interface ResolvedSubscription {
  /** undefined = follow the server's batch (config batch_ms at the current rate). */
  batch: number | undefined;
  columns: string[] | 'all';
  format: Subscription['format'];
}

function groupKey(s: ResolvedSubscription): string {
  const cols = s.columns === 'all' ? '*' : [...s.columns].sort().join('\u0000');
  return `${s.batch ?? 'auto'}|${cols}|${s.format}`;
}

const groups = new WeakMap<AcquisitionService, Map<string, StreamGroup>>();

class StreamGroup {
  private readonly members = new Set<Member>();
  private readonly batchers = new Map<string, Batcher>();
  private readonly encoder: DataEncoder;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly service: AcquisitionService,
    private readonly key: string,
    private readonly sub: ResolvedSubscription,
  ) {
    // The encoder only reads columns and format; the batch size lives in the Batcher.
    this.encoder = new DataEncoder({ batch: sub.batch ?? 1, columns: sub.columns, format: sub.format });
    this.unsubscribe = service.hub.subscribe({
      batch: (b) => this.onBatch(b),
      gap: (g) => {
        this.batchers.get(g.device)?.flush(); // a batch never straddles a gap
        this.each((m) => m.gap(g));
      },
      status: (s) => {
        if (s.state !== 'streaming') for (const b of this.batchers.values()) b.flush();
        this.each((m) => m.status(s));
      },
    });
  }

  static join(service: AcquisitionService, sub: ResolvedSubscription, member: Member): StreamGroup {
    let map = groups.get(service);
    if (!map) groups.set(service, (map = new Map()));
    const key = groupKey(sub);
    let g = map.get(key);
    if (!g) map.set(key, (g = new StreamGroup(service, key, sub)));
    g.members.add(member);
    return g;
  }

  leave(member: Member): void {
    if (!this.members.delete(member) || this.members.size > 0) return;
    this.unsubscribe();
    this.batchers.clear();
    const map = groups.get(this.service);
    if (map?.get(this.key) === this) map.delete(this.key);
  }

  /** The batch size in force at `rate`. */
  sizeAt(rate: number): number {
    return this.sub.batch ?? samplesPerBatch(rate, this.service.currentConfig.batch_ms);
  }

  private onBatch(b: SampleBatch): void {
    const size = this.sizeAt(b.rate);
    let batcher = this.batchers.get(b.device);
    if (batcher && batcher.size !== size) {
      batcher.flush(); // the server's batch changed (batch_ms or rate): only "auto" groups get here
      batcher = undefined;
    }
    if (!batcher) this.batchers.set(b.device, (batcher = new Batcher(size, (out) => this.emit(out))));
    batcher.push(b);
  }

  private emit(out: SampleBatch): void {
    const board = this.service.status.device?.board ?? 'revolution';
    const labels = this.service.currentConfig.labels;
    const encoder = this.encoder;
    // Encoded at most once, and only in the forms some member asks for (object over IPC, text over ws).
    let message: DataMessage | undefined;
    let text: string | undefined;
    const encoded: Encoded = {
      get message() {
        return (message ??= encoder.encode(out, board, labels));
      },
      get text() {
        return (text ??= JSON.stringify(this.message));
      },
    };
    this.each((m) => m.data(out, encoded));
  }

  /** One member's failure must not cost the others their data. */
  private each(fn: (m: Member) => void): void {
    for (const m of this.members) {
      try {
        fn(m);
      } catch (err) {
        log.warn('a /v2 session threw: %O', err);
      }
    }
  }
}

// --------------------------------------------------------------------------------------------
// Control: authorisation, serialisation

const SHA = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison (hashes make the lengths equal). An empty configured token matches nothing. */
function tokenMatches(presented: string | undefined, configured: string): boolean {
  if (typeof presented !== 'string' || configured === '') return false;
  return crypto.timingSafeEqual(SHA(presented), SHA(configured));
}

/** Device and config commands run one at a time per service, whoever sends them. */
const controlQueues = new WeakMap<AcquisitionService, Promise<unknown>>();
function serialised<T>(service: AcquisitionService, fn: () => Promise<T>): Promise<T> {
  const prev = controlQueues.get(service) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  controlQueues.set(service, run.catch(() => undefined));
  return run;
}

const SERIAL_COMMANDS: ReadonlySet<CommandName> = new Set(['start', 'stop', 'outputs', 'pwm', 'battery_threshold', 'state', 'set_config']);

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

function errorOf(e: unknown): { code: string; message: string; hint?: string } {
  if (e instanceof ServerBitError) return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  log.warn('/v2 command failed unexpectedly: %O', e);
  return { code: 'INTERNAL', message: `internal error: ${e instanceof Error ? e.message : String(e)}`, hint: 'This is a ServerBIT bug; please report it with the steps that led to it.' };
}

// --------------------------------------------------------------------------------------------
// The session

export function createV2Session(options: V2SessionOptions): V2Session {
  const { app, send, sendText } = options;
  const service = app.service;
  const isBackedUp = options.isBackedUp ?? (() => false);
  const maxRate = options.maxMessagesPerSecond ?? DEFAULT_MAX_RATE;

  let closed = false;
  let connectToken = options.token;
  let sub: ResolvedSubscription = { batch: undefined, columns: 'all', format: 'raw' };
  let settled = false;
  /** Some data was delivered or dropped: from here on the subscription is fixed and gaps matter. */
  let started = false;
  let lastMeta: MetaMessage | undefined;
  let missed: { device: string; from: number; to: number } | undefined;
  let drainTimer: NodeJS.Timeout | undefined;
  let settleTimer: NodeJS.Timeout | undefined;
  let bucket = { tokens: maxRate, at: performance.now() };

  const hasControl = (): boolean => options.trusted || tokenMatches(connectToken, service.currentConfig.token);

  const out = (msg: ServerMessage): boolean => {
    if (closed) return false;
    return send(msg) !== false;
  };
  const reply = (id: string | number, result: unknown) => out({ type: 'reply', id, ok: true, result: result ?? null });
  const replyError = (id: string | number | null, error: { code: string; message: string; hint?: string }) => out({ type: 'reply', id, ok: false, error } as ReplyMessage);

  // --- meta ---------------------------------------------------------------------------------

  const sendMetaIfChanged = (meta: MetaMessage | undefined): void => {
    if (!meta) return;
    if (lastMeta && metaKey(meta) === metaKey(lastMeta) && Math.abs(meta.t0 - lastMeta.t0) < 0.5) return;
    lastMeta = meta;
    out(meta);
  };

  /** Before data: the meta this client holds must describe this batch (device, rate, channels, t0). */
  const metaFor = (b: SampleBatch): void => {
    const t0 = b.time - (b.index * 1000) / b.rate;
    const m = lastMeta;
    if (m && m.device === b.device && m['sampling rate'] === b.rate && Math.abs(m.t0 - t0) < 0.5 && jsonEqual(m.channels, b.channels)) return;
    sendMetaIfChanged(buildMeta(service.status, service.currentConfig, { rate: b.rate, channels: b.channels, t0 }));
  };

  // --- slow client --------------------------------------------------------------------------

  const flushMissed = (): void => {
    if (drainTimer) clearInterval(drainTimer);
    drainTimer = undefined;
    const m = missed;
    missed = undefined;
    if (m) out({ type: 'gap', device: m.device, from: m.from, to: m.to, reason: 'client_too_slow' });
  };

  const drop = (b: SampleBatch): void => {
    if (missed && (missed.device !== b.device || missed.to !== b.index)) flushMissed();
    if (missed) missed.to = b.index + b.count;
    else missed = { device: b.device, from: b.index, to: b.index + b.count };
    drainTimer ??= setInterval(() => {
      if (closed || !isBackedUp()) flushMissed();
    }, DRAIN_POLL_MS);
    drainTimer.unref?.();
  };

  // --- the group member -----------------------------------------------------------------------

  const member: Member = {
    data(b, encoded) {
      if (closed || !settled) return;
      started = true;
      metaFor(b);
      if (isBackedUp()) return drop(b);
      if (missed) flushMissed();
      const delivered = sendText ? sendText(encoded.text) !== false : send(encoded.message) !== false;
      if (!delivered) drop(b);
    },
    gap(g) {
      if (closed || !started) return; // before its first data, a loss is none of this client's business
      if (missed) flushMissed();
      out({ type: 'gap', device: g.device, from: g.from, to: g.to, reason: g.reason });
    },
    status(s) {
      if (closed) return;
      sendMetaIfChanged(buildMeta(s, service.currentConfig, {}, lastMeta?.t0));
      out(buildStatus(s));
    },
  };

  let group: StreamGroup | undefined;

  const resolvedForHello = (): Subscription => ({
    batch: sub.batch ?? samplesPerBatch(service.currentConfig.sampling_rate, service.currentConfig.batch_ms),
    columns: sub.columns === 'all' ? 'all' : [...sub.columns],
    format: sub.format,
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
      subscription: resolvedForHello(),
    });
  };

  /** Validates subscription options (from the query or a subscribe message); returns an error text or applies them. */
  const applyOptions = (o: Partial<SubscribeMessage>): string | undefined => {
    const issues = validate(SUBSCRIBE_SCHEMA, { ...o, type: 'subscribe' }, { rootName: 'subscription' });
    if (issues.length > 0) return issues.map((i) => i.message).join('; ');
    const cols = o.columns as string[] | 'all' | undefined;
    if (Array.isArray(cols)) {
      const known = knownColumnNames(service.currentConfig.labels);
      const unknown = cols.filter((c) => !known.has(c));
      if (unknown.length > 0) return `columns has unknown names ${unknown.map((c) => JSON.stringify(c)).join(', ')}; allowed: ${[...known].join(', ')}`;
    }
    const format = o.format ?? sub.format;
    const finalCols = cols ?? sub.columns;
    if (format === 'converted' && Array.isArray(finalCols)) {
      const analog = analogColumnNames(service.currentConfig.labels);
      if (!finalCols.some((c) => analog.has(c))) return `format "converted" carries analog columns only, and columns ${JSON.stringify(finalCols)} has none; allowed: add one of ${[...analog].join(', ')}, or use format "raw" or "both"`;
    }
    const next: ResolvedSubscription = { batch: o.batch ?? sub.batch, columns: finalCols, format };
    if (groupKey(next) !== groupKey(sub)) {
      group?.leave(member);
      sub = next;
      group = StreamGroup.join(service, sub, member);
    }
    return undefined;
  };

  const settle = (): void => {
    if (settleTimer) clearTimeout(settleTimer);
    settleTimer = undefined;
    settled = true;
  };

  // --- commands -----------------------------------------------------------------------------

  type Handler<N extends CommandName> = (args: CommandArgs[N]) => Promise<unknown>;
  const handlers: { [N in CommandName]: Handler<N> } = {
    start: async () => {
      await service.start();
      return summary(service.status);
    },
    stop: async () => {
      await service.stop();
      return summary(service.status);
    },
    outputs: async ({ outputs }) => {
      const board = service.status.device?.board;
      const n = board === 'legacy' ? 4 : 2;
      if (board && outputs.length !== n) {
        throw new ServerBitError('BAD_ARGUMENTS', `outputs: this ${board === 'legacy' ? 'legacy BITalino has 4 digital outputs' : 'BITalino (r)evolution has 2 digital outputs'}, got ${outputs.length} values`, `Send ${board === 'legacy' ? '[O1, O2, O3, O4]' : '[O1, O2]'}, each 0 or 1.`);
      }
      await service.setOutputs(outputs);
      return { outputs };
    },
    pwm: async ({ duty }) => {
      await service.setPwm(duty);
      return { duty };
    },
    battery_threshold: async ({ value }) => {
      await service.setBatteryThreshold(value);
      return { value };
    },
    state: async () => {
      const st = await service.readState();
      const result: StateResult = { analog: st.analog, battery: st.battery, batteryVolts: st.batteryVolts, batteryThreshold: st.batteryThreshold, digital: [...st.digital] };
      if (st.pwm !== undefined) result.pwm = st.pwm;
      return result;
    },
    get_config: async () => ({ config: { ...service.currentConfig }, ...(options.configStore ? { path: options.configStore.path } : {}) }),
    set_config: async ({ config }) => setConfig(service, config, options.configStore),
    list_ports: async () => ({ ports: await portList() }),
    test_device: async ({ device }) => testDevice(service, device),
  };

  const runCommand = (msg: CommandMessage): void => {
    if (!hasControl() && !tokenMatches(msg.token, service.currentConfig.token)) {
      replyError(msg.id, unauthorized(msg.command, msg.token ?? connectToken, options.configStore?.path));
      return;
    }
    const handler = handlers[msg.command] as Handler<CommandName>;
    const exec = () => handler(msg.args ?? {});
    const run = SERIAL_COMMANDS.has(msg.command) ? serialised(service, exec) : exec();
    run.then(
      (result) => reply(msg.id, result),
      (e: unknown) => replyError(msg.id, errorOf(e)),
    );
  };

  // --- incoming -----------------------------------------------------------------------------

  const allowMessage = (): boolean => {
    const now = performance.now();
    bucket = { tokens: Math.min(maxRate, bucket.tokens + ((now - bucket.at) * maxRate) / 1000), at: now };
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  };

  const parse = (raw: unknown): ParseResult => {
    if (typeof raw === 'string') return parseClientMessage(raw);
    if (raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)) {
      return { ok: false, id: null, error: { code: 'BAD_MESSAGE', message: 'binary messages are not accepted; allowed: JSON text messages', hint: 'Send the message as a text frame (a string), not as bytes.' } };
    }
    // Over IPC: bound what a structured clone may carry, as the WebSocket bounds a frame.
    let size: number;
    try {
      size = JSON.stringify(raw)?.length ?? 0;
    } catch {
      return { ok: false, id: null, error: { code: 'BAD_MESSAGE', message: 'the message cannot be represented as JSON' } };
    }
    if (size > V2_MAX_MESSAGE_BYTES) return { ok: false, id: null, error: { code: 'BAD_MESSAGE', message: `the message is ${size} bytes; allowed: at most ${V2_MAX_MESSAGE_BYTES} bytes` } };
    return parseClientValue(raw);
  };

  const receive = (raw: unknown): void => {
    if (closed) return;
    if (!allowMessage()) {
      const id = typeof raw === 'string' && raw.length <= V2_MAX_MESSAGE_BYTES ? idOf(raw) : null;
      replyError(id, { code: 'RATE_LIMITED', message: `more than ${maxRate} messages per second; this one was not processed`, hint: 'Wait for replies before sending more commands, or send them less often.' });
      return;
    }
    const parsed = parse(raw);
    if (!parsed.ok) {
      if (!settled) settle();
      replyError(parsed.id, parsed.error);
      return;
    }
    const msg = parsed.message;
    if (msg.type === 'command') {
      if (!settled) settle();
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
      if (started) {
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
    settle();
    hello(); // acknowledges: the subscription and control now in force
  };

  // --- start ----------------------------------------------------------------------------------

  const given = options.subscription ?? {};
  const problem = Object.keys(given).length > 0 ? applyOptions(given as Partial<SubscribeMessage>) : undefined;
  hello();
  if (problem) replyError(null, { code: 'BAD_ARGUMENTS', message: problem, hint: 'The defaults are used instead; see "Subscription options" in docs/protocol.md.' });
  const st = service.status;
  sendMetaIfChanged(buildMeta(st, service.currentConfig));
  out(buildStatus(st));
  group ??= StreamGroup.join(service, sub, member);
  if (Object.keys(given).length > 0) settle();
  else {
    settleTimer = setTimeout(settle, options.settleMs ?? DEFAULT_SETTLE_MS);
    settleTimer.unref?.();
  }

  return {
    receive,
    close() {
      if (closed) return;
      closed = true;
      if (settleTimer) clearTimeout(settleTimer);
      if (drainTimer) clearInterval(drainTimer);
      group?.leave(member);
      group = undefined;
    },
    get control() {
      return hasControl();
    },
  };
}

// --------------------------------------------------------------------------------------------
// Command helpers

function summary(s: ServiceStatus): { state: string; error?: { code: string; message: string; hint?: string } } {
  return s.error ? { state: s.state, error: s.error } : { state: s.state };
}

function idOf(text: string): string | number | null {
  try {
    const v = JSON.parse(text) as { id?: unknown };
    return typeof v?.id === 'string' || Number.isSafeInteger(v?.id) ? (v.id as string | number) : null;
  } catch {
    return null;
  }
}

function unauthorized(command: string, presented: string | undefined, configPath?: string): { code: string; message: string; hint: string } {
  return {
    code: 'UNAUTHORIZED',
    message: `"${command}" needs the control token, and this ${presented === undefined ? 'connection presented none' : 'token is not the right one'}`,
    hint:
      'Send the token at connect (ws://127.0.0.1:9001/v2?token=…), in a subscribe message or as "token" in the command. ' +
      `Run "serverbit --show-token" to print it, or read "token" in ${configPath ?? '~/ServerBIT/config.json'}.`,
  };
}

/** Keys the listener binds at start: a change applies after a restart (allowed_origins and labels are read live, see app.ts). */
const LISTENER_KEYS = ['port', 'host'] as const;

async function setConfig(service: AcquisitionService, partial: Partial<ServerBitConfig>, store: V2SessionOptions['configStore']): Promise<unknown> {
  const current = service.currentConfig;
  const next: ServerBitConfig = { ...current, ...partial };
  if (partial.channels) next.channels = [...partial.channels].sort((a, b) => a - b); // as the CLI does
  const issues = validateConfig(next);
  if (issues.length > 0) {
    throw new ConfigError('CONFIG_INVALID_VALUE', `Not applied: ${issues.map((i) => i.message).join('; ')}.`, issues[0].path || undefined, 'Nothing was changed; correct the value and send set_config again.');
  }
  store?.save(next); // atomic (temp file + rename); throws ConfigError and writes nothing on failure
  const changed = LISTENER_KEYS.filter((k) => !jsonEqual(current[k], next[k]));
  await service.applyConfig(next);
  return {
    config: { ...next },
    saved: store !== undefined,
    ...(store ? { path: store.path } : {}),
    restartRequired: changed,
    ...(changed.length > 0 ? { note: `${changed.join(', ')}: saved, but the WebSocket listener keeps its current address until ServerBIT restarts.` } : {}),
  };
}

async function portList(): Promise<PortInfo[]> {
  const ports = await listPorts();
  return [
    { path: SIMULATOR_DEVICE, label: 'Simulated BITalino (built in: synthetic EMG, ECG, EDA, EEG, ACC, LUX)', isBitalino: true },
    ...ports.map((p): PortInfo => ({
      path: p.path,
      label: p.label,
      isBitalino: p.isBitalino,
      ...(p.mac ? { mac: p.mac } : {}),
      ...(p.manufacturer ? { manufacturer: p.manufacturer } : {}),
    })),
  ];
}

/** Plain-language checks for a failed connection test, most likely first. */
function troubleshooting(code: string, device: string): string[] {
  const common = [
    'Is the BITalino switched on (its LED blinks) and charged?',
    'Is it paired with this computer (PIN 1234) and within a few metres?',
    `Is "${device}" the right address? On Windows use the outgoing COM port of the pairing; on macOS the /dev/cu.BITalino-… port; on Linux the /dev/rfcomm… bound to its MAC.`,
    'Is the port the one for this BITalino? Another paired device can have a similar name.',
    'Is another program using it (OpenSignals, another ServerBIT, a serial monitor)? A BITalino talks to one program at a time.',
  ];
  switch (code) {
    case 'DEVICE_BAD_ARGUMENT':
      return ['Check the address: use "simulator", a MAC address (20:16:07:18:15:26), a serial port (COM3, /dev/rfcomm0, /dev/cu.BITalino-15-26-DevB) or host:port (192.168.4.1:8001).'];
    case 'DEVICE_NOT_FOUND':
      return ['Pair the BITalino with this computer first (PIN 1234); the OS then creates a serial port for it.', 'Or choose its serial port from the list instead of its MAC address.', ...common.slice(0, 1)];
    case 'DEVICE_OPEN_FAILED':
      return ['Pick the port from the list of ports (list_ports) to rule out a typo.', common[4], common[1], 'On Linux, check that your user may open serial ports (the "dialout" group).'];
    default:
      return common;
  }
}

/**
 * Opens `device` with a fresh driver, reads its version and closes it (the device picker's "Test").
 * The simulator gets a new simulated device, never the running one. The device ServerBIT is
 * streaming from right now is not opened twice (a serial port admits one program): its details
 * are returned as they are.
 */
async function testDevice(service: AcquisitionService, device: string): Promise<TestDeviceResult> {
  const st = service.status;
  if (device !== SIMULATOR_DEVICE && st.device && st.device.id === device && (st.state === 'streaming' || st.state === 'stalled')) {
    return { ok: true, firmware: st.device.firmware, board: st.device.board };
  }
  let opened: OpenedDevice | undefined;
  let driver: Bitalino | undefined;
  try {
    opened = await createDeviceOpener()(device);
    driver = new Bitalino(opened.transport, { id: device, versionTimeoutMs: 3000 });
    const info = await driver.connect();
    return { ok: true, firmware: info.firmware, board: info.board };
  } catch (e) {
    const err = e instanceof ServerBitError ? e : new DeviceError('DEVICE_OPEN_FAILED', `Could not open ${device}: ${e instanceof Error ? e.message : String(e)}`);
    const error = { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
    return { ok: false, error, steps: [...(err.hint ? [err.hint] : []), ...troubleshooting(err.code, device)] };
  } finally {
    if (driver) await driver.close();
    else await opened?.transport.close().catch(() => undefined);
    await opened?.dispose?.().catch(() => undefined);
  }
}
