/**
 * The set of device runners, by id: the one entry point for control, whoever asks (tray, window,
 * CLI, a /v2 command, OSC or MQTT control). Devices are added, removed and reconfigured at run
 * time without touching the others; a device that fails, stalls or is removed never costs
 * another device a sample (each runner has its own driver, link, watchdog and session).
 *
 * Commands for one device run one at a time (a BITalino takes one command at a time, and a
 * start racing a stop would leave it in an unknown state); commands for different devices run
 * side by side.
 */
import type { DeviceStatus, MarkerEvent } from '../../shared/acquisition.js';
import { DeviceError } from '../../shared/errors.js';
import type { DeviceOpener } from '../devices/open-device.js';
import { openDevice as defaultOpener } from '../devices/open-device.js';
import { DeviceRunner, type RunnerSettings } from './device-runner.js';
import { BatchDemand } from './batch-demand.js';
import { Hub } from './hub.js';
import type { RemoteDevices } from './remote-source.js';
import { isRemoteAddress } from '../../shared/device-address.js';
import { RemoteRunner, type RemoteLinks } from './remote-runner.js';

/** A device of the set: one of this ServerBIT's own, or one another ServerBIT publishes to an MQTT broker (remote-runner.ts). */
type Runner = DeviceRunner | RemoteRunner;

export interface AcquisitionOptions {
  hub?: Hub;
  /** Where the streams say which batch sizes they cut (default: none, every frame is read at once). */
  demand?: BatchDemand;
  openDevice?: DeviceOpener;
  /** Passed to every runner (tests shorten them). */
  backoff?: { initialMs: number; maxMs: number };
  connectTimeoutMs?: number;
  now?: () => number;
  /** Seed of the first simulator's signals; each further device adds 1, so two simulators differ. */
  simulatorSeed?: number;
  /**
   * Broker links for devices whose address is `mqtt://…` or `mqtts://…` (docs/mqtt.md "A remote
   * device in the device list"). Absent: such a device is listed in state "error", saying why.
   */
  remoteLinks?: RemoteLinks;
  /** Remote devices: how long with nothing published for one before it is said to be missing, ms (default 3000). */
  remoteSilentMs?: number;
}

/** Longest marker label, characters (a label is free text from a client). */
export const MAX_MARKER_LABEL = 256;

export class Acquisition {
  readonly hub: Hub;
  /** The batch sizes the streams cut, for the drivers' read pacing. */
  readonly demand: BatchDemand;
  private readonly options: AcquisitionOptions;
  private readonly opener: DeviceOpener;
  private readonly runners = new Map<string, Runner>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private markerId = 0;
  private seeds = 0;
  /** Devices relayed from elsewhere (remote-source.ts): listed, observed, never controlled here. */
  private remote: RemoteDevices | undefined;

  constructor(options: AcquisitionOptions = {}) {
    this.options = options;
    this.hub = options.hub ?? new Hub();
    this.opener = options.openDevice ?? defaultOpener;
    this.demand = options.demand ?? new BatchDemand();
    this.demand.onChange(() => {
      for (const r of this.runners.values()) r.refreshReadBatch();
    });
  }

  /**
   * Lists relayed devices among this set's (docs/mqtt.md "Relay"): their ids come after the
   * runners', an id a runner has is the runner's, and every control call for them is refused
   * with DEVICE_REMOTE.
   */
  attachRemote(remote: RemoteDevices | undefined): void {
    this.remote = remote;
  }

  /** Device ids in the order they were added (relayed devices last). */
  ids(): string[] {
    const own = [...this.runners.keys()];
    return this.remote ? [...own, ...this.remote.ids().filter((id) => !this.runners.has(id))] : own;
  }

  has(id: string): boolean {
    return this.runners.has(id) || (this.remote?.has(id) ?? false);
  }

  statuses(): DeviceStatus[] {
    return this.ids().map((id) => this.status(id));
  }

  status(id: string): DeviceStatus {
    const r = this.runners.get(id);
    if (r) return r.status;
    const remote = this.remote?.status(id);
    if (remote) return remote;
    return this.require(id).status;
  }

  settings(id: string): RunnerSettings {
    return this.require(id).currentSettings;
  }

  /** Adds a device (and starts it unless `start` is false). Rejects with DEVICE_EXISTS for a taken id. */
  async add(settings: RunnerSettings, options: { start?: boolean } = {}): Promise<void> {
    if (this.runners.has(settings.id)) {
      throw new DeviceError('DEVICE_EXISTS', `a device with id "${settings.id}" already exists`, 'Choose another id, or remove that device first.');
    }
    const runner = this.createRunner(settings);
    this.runners.set(settings.id, runner);
    runner.announce();
    if (options.start !== false) await this.control(settings.id, () => runner.start());
  }

  private createRunner(settings: RunnerSettings): Runner {
    if (isRemoteAddress(settings.address)) {
      return new RemoteRunner({
        settings,
        hub: this.hub,
        links: this.options.remoteLinks,
        ...(this.options.remoteSilentMs !== undefined ? { silentMs: this.options.remoteSilentMs } : {}),
      });
    }
    const seed = (this.options.simulatorSeed ?? 1) + this.seeds++;
    return new DeviceRunner({
      settings,
      hub: this.hub,
      openDevice: this.opener,
      simulatorSeed: seed,
      readBatch: (rate) => this.demand.readBatch(rate, settings.id),
      ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
      ...(this.options.connectTimeoutMs !== undefined ? { connectTimeoutMs: this.options.connectTimeoutMs } : {}),
      ...(this.options.now ? { now: this.options.now } : {}),
    });
  }

  /** Stops the device, closes it and forgets it (the hub announces `removed`). Rejects with DEVICE_UNKNOWN. */
  async remove(id: string): Promise<void> {
    const runner = this.require(id);
    await this.control(id, () => runner.stop());
    // A second remove() racing this one finds the id gone.
    if (this.runners.get(id) !== runner) return;
    this.runners.delete(id);
    this.queues.delete(id);
    this.hub.publishRemoved(id);
  }

  /** New settings for one device; restarts only that device, and only if something changed. */
  async update(settings: RunnerSettings): Promise<void> {
    const runner = this.require(settings.id);
    await this.control(settings.id, async () => {
      // From a device of its own to a remote one or back: another kind of runner, same id and place.
      if (runner instanceof RemoteRunner === isRemoteAddress(settings.address)) return runner.applySettings(settings);
      const wasRunning = runner.running;
      await runner.stop();
      const next = this.createRunner(settings);
      if (this.runners.get(settings.id) !== runner) return;
      this.runners.set(settings.id, next);
      next.announce();
      if (wasRunning) await next.start();
    });
  }

  /**
   * Makes the set match `wanted` (in order): removes devices not in it, updates the ones whose
   * settings changed, adds the new ones. Each device is handled on its own; a failure of one
   * does not stop the others (the first error is thrown at the end).
   */
  async sync(wanted: readonly RunnerSettings[], options: { start?: boolean } = {}): Promise<void> {
    const keep = new Set(wanted.map((w) => w.id));
    const work: Promise<void>[] = [];
    for (const id of this.runners.keys()) if (!keep.has(id)) work.push(this.remove(id));
    for (const w of wanted) work.push(this.runners.has(w.id) ? this.update(w) : this.add(w, options));
    const results = await Promise.allSettled(work);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  start(id: string): Promise<void> {
    const runner = this.require(id);
    return this.control(id, () => runner.start());
  }

  stop(id: string): Promise<void> {
    const runner = this.require(id);
    return this.control(id, () => runner.stop());
  }

  async startAll(): Promise<void> {
    await Promise.all([...this.runners.keys()].map((id) => this.start(id)));
  }

  /** Stops every device of its own (each told to stop acquiring before its link closes). Never rejects. */
  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.runners.keys()].map((id) => this.stop(id)));
  }

  /**
   * Runs `fn` with the device's runner, after the commands already queued for that device.
   * Rejects with DEVICE_UNKNOWN for an id that is not in the set.
   */
  command<T>(id: string, fn: (runner: DeviceRunner) => Promise<T>): Promise<T> {
    const runner = this.require(id);
    if (runner instanceof RemoteRunner) throw remoteError(id, runner.shownAddress);
    return this.control(id, () => fn(runner));
  }

  /** Publishes a marker to every subscriber (recorders write it, /v2 clients receive it). */
  mark(input: { label: string; device?: string; index?: number; source: string }): MarkerEvent {
    if (input.device !== undefined && !this.remote?.has(input.device)) this.require(input.device);
    const marker: MarkerEvent = {
      id: ++this.markerId,
      label: input.label.slice(0, MAX_MARKER_LABEL),
      time: (this.options.now ?? Date.now)(),
      source: input.source,
      ...(input.device !== undefined ? { device: input.device } : {}),
      ...(input.index !== undefined ? { index: input.index } : {}),
    };
    this.hub.publishMarker(marker);
    return marker;
  }

  private require(id: string): Runner {
    const r = this.runners.get(id);
    if (!r && this.remote?.has(id)) throw remoteError(id, this.remote.address(id));
    if (!r) {
      const known = this.ids();
      throw new DeviceError(
        'DEVICE_UNKNOWN',
        `there is no device "${id}"`,
        known.length > 0 ? `Devices: ${known.map((k) => `"${k}"`).join(', ')}.` : 'No device is configured.',
      );
    }
    return r;
  }

  private control<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    this.queues.set(
      id,
      run.catch(() => undefined),
    );
    return run;
  }
}

/** A device command for a device another ServerBIT publishes: it belongs there (docs/mqtt.md "Control"). */
function remoteError(id: string, address: string | undefined): DeviceError {
  return new DeviceError(
    'DEVICE_REMOTE',
    `device "${id}" is relayed from ${address ?? 'an MQTT broker'}: this ServerBIT only serves its stream`,
    'Control it on the ServerBIT that publishes it (its /v2 commands, or MQTT control there: docs/mqtt.md "Control").',
  );
}
