/**
 * Composition root shared by the headless CLI and the Electron main process: one acquisition
 * service and one WebSocket/HTTP server on the same hub. Nothing here imports electron.
 */
import type { ServerBitConfig } from '../shared/config.js';
import { samplesPerBatch } from '../shared/config.js';
import { createDeviceOpener } from './device-opener.js';
import { AcquisitionService, type DeviceOpener } from './service.js';
import { Hub } from './streaming/hub.js';
import { StreamServer } from './streaming/ws-server.js';

export interface ServerBitOptions {
  config: ServerBitConfig;
  openDevice?: DeviceOpener;
  /** Extra hooks for the HTTP server (e.g. serving the UI) and the /v2 endpoint. */
  configureServer?: (app: ServerBit) => Pick<ConstructorParameters<typeof StreamServer>[0], 'http' | 'v2'>;
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
  const server = new StreamServer({
    host: options.config.host,
    port: options.config.port,
    allowedOrigins: options.config.allowed_origins,
    labels: options.config.labels,
    hub,
    batchSize: () => samplesPerBatch(service.currentConfig.sampling_rate, service.currentConfig.batch_ms),
    onClientCount: (n: number) => service.setClientCount(n),
    ...extra,
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
