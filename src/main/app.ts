/**
 * Composition root shared by the headless CLI and the Electron main process: the settings, the
 * device set (Acquisition) on one hub, the /v2 API context and the HTTP/WebSocket server.
 * Nothing here imports electron; nothing below imports this file (docs/architecture.md).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { WebSocket } from 'ws';
import { samplesPerBatch, type ServerBitConfig } from '../shared/config.js';
import type { OutputStatus } from '../shared/outputs.js';
import type { CommandMessage, ConfigProblem, SetConfigResult } from '../shared/v2.js';
import { resolveRiotSettings } from '../shared/outputs/osc-config.js';
import { Acquisition, type AcquisitionOptions } from './acquisition/acquisition.js';
import { packageRoot } from './package-root.js';
import { BatchDemand } from './acquisition/batch-demand.js';
import { runnerSettingsOf } from './acquisition/device-runner.js';
import { ApiContext, type ApiContextOptions, type OutputsApi } from './api/context.js';
import type { ConfigStore } from './config/config-store.js';
import { Settings } from './config/settings.js';
import { openDevice, type DeviceOpener } from './devices/open-device.js';
import { listPorts } from './devices/ports.js';
import { testDevice } from './devices/probe.js';
import { OutputsController, type OutputKind } from './outputs/controller.js';
import { lslSettingsFromConfig, type LslSettings } from './outputs/lsl/settings.js';
import { oscOutputKinds } from './outputs/osc/kinds.js';
import { checkMqttSection, instanceName, resolveMqttSettings, resolveRelaySettings, type MqttSettings, type RelaySettings } from '../shared/outputs/mqtt-config.js';
import type { RemoteLinks } from './acquisition/remote-runner.js';
import type { MqttRemoteLinks, RemoteLinkDefaults } from './outputs/mqtt/remote-links.js';
import { RemoteSource } from './acquisition/remote-source.js';
import { DataEncoder, toMarkerMessage, toMetaMessage, toStatusMessage } from './api/meta.js';
import { MessageRateLimit, parseIncoming } from './api/incoming.js';
import { createCommandRunner } from './api/commands.js';
import type { MqttCommandHandler } from './outputs/mqtt/mqtt-output.js';
import { RecordingController } from './outputs/recorder/controller.js';
import { OriginNotices } from './api/origin-notices.js';
import { recorderSettingsFromConfig } from './outputs/recorder/settings.js';
import { ClientCount } from './server/client-count.js';
import { checkPortFree } from './server/port-free.js';
import { createStaticHandler } from './server/static-ui.js';
import { createV2Handler } from './server/v2-endpoint.js';
import { StreamServer } from './server/ws-server.js';

/** The built renderer (dist/renderer), in a clone and in the packaged app. */
export const RENDERER_DIR = path.join(packageRoot(), 'dist', 'renderer') + path.sep;

let versionCache: string | undefined;
/** ServerBIT's version from package.json. */
export function packageVersion(): string {
  if (versionCache === undefined) {
    try {
      versionCache = String(JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version);
    } catch {
      versionCache = 'unknown';
    }
  }
  return versionCache;
}

export interface ServerBitOptions {
  /** The settings to run with. Or give `config` (and `configStore` to save into). */
  settings?: Settings;
  config?: ServerBitConfig;
  /** Where saves go when `settings` is not given. Without it, changes last for this run only. */
  configStore?: Pick<ConfigStore, 'save' | 'path'>;
  openDevice?: DeviceOpener;
  /** Runner options (tests shorten the backoff). */
  acquisition?: Omit<AcquisitionOptions, 'hub' | 'openDevice'>;
  /** Replaces the UI the server serves at http://<host>:<port>/. */
  http?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Replaces the built-in /v2 endpoint. */
  v2?: (ws: WebSocket, req: IncomingMessage, url: URL) => void;
  /** API options (tests: a fake port list). */
  api?: Pick<ApiContextOptions, 'listPorts' | 'testDevice'>;
  /** How long /v2 data waits for a first subscribe message, ms (tests shorten it). */
  settleMs?: number;
  /**
   * Relay mode (`serverbit --relay URL [--prefix F]`, docs/mqtt.md "Relay"): no device of its own;
   * the devices published to this broker under F are served instead. Credentials and TLS files
   * come from the config's `mqtt` section; the MQTT publisher stays off.
   */
  relay?: { url: string; prefix?: string | undefined } | undefined;
}

export interface ServerBit {
  settings: Settings;
  acquisition: Acquisition;
  /** The outputs that follow the config (OSC, LSL, MQTT). */
  outputs: OutputsController;
  /** The recording (started and stopped at run time, or from launch by `record.on_launch`). */
  recording: RecordingController;
  /** The last page refused for its Origin, published at a bounded rate (api/origin-notices.ts). */
  originNotices: OriginNotices;
  api: ApiContext;
  server: StreamServer;
  clients: ClientCount;
  /** The address clients connect to, once listening. */
  url: string;
  /** Starts listening, then every device (acquisition starts with the service, not with the first client). */
  start(): Promise<void>;
  /**
   * Starts every device without the listener: what the desktop app does when the port is taken
   * (its window works over IPC). start() does this too, after listening.
   */
  startDevices(): Promise<void>;
  /** Saves an edit of the file's settings and puts it in effect (the device set follows). */
  configure(edit: Partial<ServerBitConfig>): Promise<SetConfigResult>;
  /** The file changed on disk: run with its values (flags still apply); `store` makes it saveable; `problem` is what is still wrong with it. */
  reload(file: ServerBitConfig, store?: Pick<ConfigStore, 'save' | 'path'>, problem?: ConfigProblem): Promise<void>;
  /** Stops every device cleanly, closes every client and the server. Idempotent. */
  close(): Promise<void>;
}

export function createServerBit(options: ServerBitOptions): ServerBit {
  const settings =
    options.settings ??
    new Settings({ file: options.config ?? failNoConfig(), ...(options.configStore ? { store: options.configStore } : {}) });
  // With no stream wanting smaller batches, drivers pace their reads to the config's batch (read pacing, docs/performance.md).
  const demand = new BatchDemand((rate) => samplesPerBatch(rate, settings.config.batch_ms));
  // R-IoT devices share the config's osc.riot (labels, rate): read at each connect.
  const opener = options.openDevice ?? openDevice;
  // Remote devices (mqtt://… addresses) share one broker connection per broker; MQTT.js loads with the first.
  const remoteLinks = lazyRemoteLinks(() => remoteLinkDefaults(settings.config));
  const acquisition = new Acquisition({
    remoteLinks,
    ...(options.acquisition ?? {}),
    demand,
    openDevice: (address, o) => opener(address, { riot: resolveRiotSettings(settings.config.osc), ...o }),
  });
  const hub = acquisition.hub;
  let api!: ApiContext;
  const remote = options.relay ? new RemoteSource({ hub }) : undefined;
  acquisition.attachRemote(remote);
  const outputs = new OutputsController([...outputKinds(hub, acquisition), ...mqttKinds(acquisition, () => api, options.relay, remote)]);
  const recording = new RecordingController(hub, () => recorderSettingsFromConfig(settings.config.record));
  // Device changes from any source (a save, a reload) go through here, one at a time.
  let syncing: Promise<void> = Promise.resolve();
  const syncDevices = (start: boolean): Promise<void> => {
    // A relay has no device of its own (its devices are the broker's).
    const run = syncing.then(() => acquisition.sync(remote ? [] : runnerSettingsOf(settings.config), { start }));
    syncing = run.catch(() => undefined);
    return run;
  };
  let started = false;

  const configure = async (edit: Partial<ServerBitConfig>): Promise<SetConfigResult> => {
    const r = settings.update(edit);
    demand.refresh(); // the batch period may have changed
    await syncDevices(started);
    if (started) await outputs.apply(settings.config);
    let note = r.note;
    // A new port is promised for the next start: say now if another program holds it.
    if (r.restartRequired.includes('port') && (await checkPortFree(r.config.host, r.config.port)) === 'in-use') {
      const warning = `Port ${r.config.port} is in use by another program right now: ServerBIT cannot listen there after a restart unless it is freed, so choose another port or stop that program.`;
      note = note ? `${note} ${warning}` : warning;
    }
    return { config: r.config, saved: r.saved, ...(r.path ? { path: r.path } : {}), restartRequired: r.restartRequired, ...(note ? { note } : {}) };
  };

  let server!: StreamServer;
  const clients = new ClientCount({ count: () => server.clientCount });
  // Pages refused for their Origin: the window's banner, the tray and the CLI say how to allow them.
  const originNotices = new OriginNotices();
  api = new ApiContext({
    acquisition,
    settings,
    server: clients,
    version: packageVersion(),
    configure,
    outputs: outputsApi(outputs, recording),
    listPorts,
    // A serial port admits one program: Test answers for a device being streamed without opening it again.
    testDevice: (address) => testDevice(address, { streaming: (a) => streamingAt(acquisition, a) }),
    originNotices,
    ...(options.api ?? {}),
  });
  server = new StreamServer({
    host: settings.config.host,
    port: settings.config.port,
    // Read live, so a saved change applies to the next connection (host and port need a restart).
    allowedOrigins: () => settings.config.allowed_origins,
    allowedHosts: () => settings.config.allowed_hosts,
    maxClients: () => settings.config.max_clients,
    hub: acquisition.hub,
    devices: () => acquisition.ids(),
    batchSize: (rate: number) => samplesPerBatch(rate, settings.config.batch_ms),
    demand,
    onClientCount: () => clients.changed(),
    // The status page at http://<host>:<port>/ is the same UI as the desktop window.
    http: options.http ?? createStaticHandler(RENDERER_DIR),
    v2: options.v2 ?? createV2Handler(api, options.settleMs !== undefined ? { settleMs: options.settleMs } : {}),
  });
  server.onOriginRefused((e) => originNotices.add(e));

  let closed: Promise<void> | undefined;
  const app: ServerBit = {
    settings,
    acquisition,
    outputs,
    recording,
    originNotices,
    api,
    server,
    clients,
    url: '',
    async start() {
      const addr = await server.listen();
      const host = addr.host.includes(':') ? `[${addr.host}]` : addr.host;
      app.url = `ws://${host}:${addr.port}/`;
      await app.startDevices();
    },
    async startDevices() {
      started = true;
      // Outputs first, so they see every device's first segment.
      await outputs.apply(settings.config);
      await syncDevices(true);
      if (settings.config.record?.on_launch === true && !recording.recording) await recording.start().catch(() => undefined); // shown in its status
    },
    configure,
    async reload(file, store, problem) {
      settings.reload(file, store, problem);
      await syncDevices(started);
      if (started) await outputs.apply(settings.config);
    },
    close() {
      closed ??= (async () => {
        await syncing;
        await acquisition.stopAll();
        await remoteLinks.close();
        // After the devices: the last samples reach the files and the network.
        await recording.stop().catch(() => undefined);
        await outputs.close();
        clients.close();
        originNotices.close();
        await server.close();
      })();
      return closed;
    },
  };
  return app;
}

/**
 * The outputs that follow the config, one kind each: on when their section says `enabled`.
 * (Each output's settings are checked by its own resolver, which throws ConfigError naming the key.)
 */
function outputKinds(hub: Acquisition['hub'], acquisition: Acquisition): OutputKind[] {
  const lsl: OutputKind<LslSettings> = {
    name: 'lsl',
    // The file's `lsl` section (snake_case keys, docs/lsl.md §11); a bad value throws ConfigError naming `lsl.<key>`.
    settings: (c) => (c.lsl?.enabled === true ? lslSettingsFromConfig(c.lsl) : undefined),
    // Each output's module is loaded when it is turned on: one nobody uses costs no memory.
    create: async (s) => new (await import('./outputs/lsl/lsl-output.js')).LslOutput(hub, s),
  };
  return [...oscOutputKinds(acquisition), lsl as OutputKind];
}

// --- MQTT (docs/mqtt.md) ------------------------------------------------------------------------

/** Host name and a random client-id suffix, fixed for the run (so a settings change keeps the same client id). */
const MQTT_ENV = { hostname: hostname(), randomHex: randomBytes(4).toString('hex') };

/**
 * What remote devices' broker links take from the config's `mqtt` section: TLS files, default
 * credentials (an address's own win), keepalive. Throws MQTT_INVALID_SETTING for a bad section
 * (the device shows it in its status).
 */
function remoteLinkDefaults(config: ServerBitConfig): RemoteLinkDefaults {
  const c = checkMqttSection(config.mqtt ?? {});
  const instance = c.instance ?? instanceName(MQTT_ENV.hostname);
  return { username: c.username, password: c.password, ca: c.ca, cert: c.cert, key: c.key, keepaliveS: c.keepalive_s, clientIdBase: `serverbit-remote-${instance}-${MQTT_ENV.randomHex}` };
}

/** RemoteLinks that load the MQTT module at the first remote device (a service without one carries no MQTT.js). */
function lazyRemoteLinks(defaults: () => RemoteLinkDefaults): RemoteLinks & { close(): Promise<void> } {
  let links: Promise<MqttRemoteLinks> | undefined;
  return {
    async open(address, feed) {
      links ??= import('./outputs/mqtt/remote-links.js').then((m) => new m.MqttRemoteLinks({ defaults }));
      return (await links).open(address, feed);
    },
    async close() {
      if (links) await (await links).close();
    },
  };
}

/**
 * The MQTT publisher: on when `mqtt.enabled` (never on a relay); its payloads come from the /v2
 * encoders; commands (when `mqtt.control`) go through the /v2 command path. On a relay, the
 * relay's link to the broker, always on.
 */
function mqttKinds(acquisition: Acquisition, api: () => ApiContext, relay: ServerBitOptions['relay'], remote: RemoteSource | undefined): OutputKind[] {
  const hub = acquisition.hub;
  if (relay && remote) {
    const kind: OutputKind<RelaySettings> = {
      name: 'mqtt-relay',
      settings: (c) => resolveRelaySettings(relay, c.mqtt, MQTT_ENV),
      create: async (s) => new (await import('./outputs/mqtt/relay.js')).MqttRelay({ settings: s, remote }),
    };
    return [kind as OutputKind];
  }
  const kind: OutputKind<MqttSettings> = {
    name: 'mqtt',
    settings: (c) => (c.mqtt?.enabled === true ? resolveMqttSettings(c.mqtt, MQTT_ENV) : undefined),
    create: async (s) => {
      const data = new DataEncoder({ columns: 'all', format: s.dataFormat });
      const { MqttOutput } = await import('./outputs/mqtt/mqtt-output.js');
      return new MqttOutput({
        hub,
        demand: acquisition.demand,
        settings: s,
        encoders: { meta: toMetaMessage, status: toStatusMessage, marker: toMarkerMessage, data: (b, m) => data.encode(b, m) },
        command: s.control ? mqttCommands(api) : undefined,
      });
    },
  };
  return [kind as OutputKind];
}

/**
 * Commands arriving on `<prefix>/command`: parsed, bounded and rate limited as /v2 messages, run by
 * the /v2 command runner with no standing control (each message carries the token).
 */
function mqttCommands(api: () => ApiContext): MqttCommandHandler {
  return (reply) => {
    const limit = new MessageRateLimit(50);
    const replyError = (id: string | number | null, error: { code: string; message: string; hint?: string }) => reply({ type: 'reply', id, ok: false, error });
    let run: ((msg: CommandMessage) => void) | undefined;
    return (text) => {
      if (!limit.allow()) {
        replyError(null, { code: 'RATE_LIMITED', message: `more than ${limit.perSecond} MQTT commands per second; this one was not processed`, hint: 'Wait for replies before sending more.' });
        return;
      }
      const parsed = parseIncoming(text);
      if (!parsed.ok) return replyError(parsed.id, parsed.error);
      if (parsed.message.type !== 'command') return replyError(null, { code: 'BAD_MESSAGE', message: 'only command messages are accepted on the command topic', hint: 'See docs/mqtt.md "Control".' });
      run ??= createCommandRunner({
        context: api(),
        hasControl: () => false,
        connectToken: () => undefined,
        reply: (id, result) => reply({ type: 'reply', id, ok: true, result: result ?? null }),
        replyError,
      });
      run(parsed.message);
    };
  };
}

/** What /v2 sees of the outputs: every status (the recorder's first), and the recording's start/stop. */
function outputsApi(outputs: OutputsController, recording: RecordingController): OutputsApi {
  const recorderStatus = (): OutputStatus => recording.recorder?.status() ?? { output: 'recorder', state: 'off', counters: {} };
  return {
    statuses: () => [recorderStatus(), ...outputs.statuses()],
    onChange: (listener) => {
      const a = outputs.onStatus(() => listener());
      const b = recording.onStatus(() => listener());
      return () => {
        a();
        b();
      };
    },
    recordStart: (args) => recording.start(args),
    recordStop: () => recording.stop(),
    recording: () => recording.summary(),
  };
}

/** The device being streamed from at `address` now, if any. */
function streamingAt(acquisition: Acquisition, address: string): { firmware: string; board: 'revolution' | 'legacy' } | undefined {
  for (const s of acquisition.statuses()) {
    if (s.address === address && s.info && (s.state === 'streaming' || s.state === 'stalled')) return { firmware: s.info.firmware, board: s.info.board };
  }
  return undefined;
}

function failNoConfig(): never {
  throw new TypeError('createServerBit: give "settings" or "config"');
}
