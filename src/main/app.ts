/**
 * Composition root shared by the headless CLI and the Electron main process: one acquisition
 * service and one WebSocket/HTTP server on the same hub. Nothing here imports electron.
 */
import { fileURLToPath } from 'node:url';
import type { ServerBitConfig } from '../shared/config.js';
import { samplesPerBatch } from '../shared/config.js';
import type { ConfigStore } from './config/config-store.js';
import { createDeviceOpener } from './devices/open-device.js';
import { AcquisitionService, type DeviceOpener } from './acquisition/device-runner.js';
import { Hub } from './acquisition/hub.js';
import { createV2Handler } from './server/v2-endpoint.js';
import { createStaticHandler } from './server/static-ui.js';
import { StreamServer } from './server/ws-server.js';

/** The built renderer (dist/renderer), next to this module's folder in dist/ and in the packaged app. */
export const RENDERER_DIR = fileURLToPath(new URL('../renderer/', import.meta.url));

export interface ServerBitOptions {
  config: ServerBitConfig;
  openDevice?: DeviceOpener;
  /** Extra hooks for the HTTP server (e.g. serving the UI) and the /v2 endpoint (a `v2` given here replaces the built-in one). */
  configureServer?: (app: ServerBit) => Pick<ConstructorParameters<typeof StreamServer>[0], 'http' | 'v2'>;
  /** Where /v2 `set_config` saves (atomically). Without it, changes last for this run only. */
  configStore?: Pick<ConfigStore, 'save' | 'path'>;
}

export interface ServerBit {
  service: AcquisitionService;
  server: StreamServer;
  /** The address clients connect to, once listening. */
  url: string;
  /** Starts listening, then acquisition (acquisition starts with the service, not with the first client). */
  start(): Promise<void>;
  /** Stops the device cleanly, closes every client and the server. Idempotent. */
  close(): Promise<void>;
}

export function createServerBit(options: ServerBitOptions): ServerBit {
  const hub = new Hub();
  const service = new AcquisitionService({ config: options.config, openDevice: options.openDevice ?? createDeviceOpener(), hub });
  const app = { service } as ServerBit;
  const extra = options.configureServer?.(app) ?? {};
  // The UI this server serves is trusted by /v2 (no token): only these exact origins, known once listening.
  const ownOrigins = (): string[] => {
    const port = app.server?.address?.port;
    return port === undefined ? [] : [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`];
  };
  // The status page at http://<host>:<port>/ is the same UI as the desktop window.
  const http = extra.http ?? createStaticHandler(RENDERER_DIR);
  const v2 = extra.v2 ?? createV2Handler(app, { ...(options.configStore ? { configStore: options.configStore } : {}), ownOrigins });
  const server = new StreamServer({
    host: options.config.host,
    port: options.config.port,
    // Read live, so /v2 set_config changes apply without a restart (host and port need one).
    allowedOrigins: () => service.currentConfig.allowed_origins,
    labels: () => service.currentConfig.labels,
    hub,
    batchSize: () => samplesPerBatch(service.currentConfig.sampling_rate, service.currentConfig.batch_ms),
    onClientCount: (n: number) => service.setClientCount(n),
    ...extra,
    http,
    v2,
  });
  let closed: Promise<void> | undefined;
  Object.assign(app, {
    server,
    url: '',
    async start() {
      const addr = await server.listen();
      const host = addr.host.includes(':') ? `[${addr.host}]` : addr.host;
      app.url = `ws://${host}:${addr.port}/`;
      await service.start();
    },
    close() {
      closed ??= (async () => {
        await service.stop();
        await server.close();
      })();
      return closed;
    },
  });
  return app;
}
