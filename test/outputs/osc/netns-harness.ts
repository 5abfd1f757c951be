/**
 * Runs inside a network namespace of the test's own (see netns.ts), where only a private
 * loopback exists: liblo's oscdump binds every interface, and here "every interface" is that
 * loopback. The parent test drives it with one JSON request per stdin line and reads one JSON
 * reply per stdout line: {id, ok, result} or {id, ok: false, error}.
 *
 * It hosts the real code under test (Hub, OscOutput, OscInput, Riot) and the real liblo tools
 * (oscdump, oscsend, oscsendfile) side by side.
 */
import { Hub } from '../../../src/main/acquisition/hub.js';
import { OscOutput } from '../../../src/main/outputs/osc/osc-output.js';
import { OscInput, type OscControl } from '../../../src/main/outputs/osc/osc-input.js';
import { Riot, riotStreamMeta } from '../../../src/main/devices/riot.js';
import type { OscInputSettings, OscOutputSettings, RiotDeviceSettings } from '../../../src/shared/outputs/osc-config.js';
import { libloOps, serve, sleep, type Ops } from './liblo-ops.js';
import { feedMeta, signalBatch } from './signal.js';

const hub = new Hub();
const liblo = libloOps();
const dumps = liblo.dumps;
let output: OscOutput | undefined;
let input: OscInput | undefined;
const calls: { call: string; args: unknown[] }[] = [];
const riots = new Map<string, { riot: Riot; samples: { index: number; values: number[]; t: number }[]; activity: number; closed: number }>();

/** The injected control: records every call; device "9" does not exist; pwm on device "1" rejects; device "7" never answers. */
const never = new Promise<void>(() => undefined);
const control: OscControl = {
  devices: () => ['0', '1', '7', '/dev/rfcomm0'],
  outputs: async (device, values) => void calls.push({ call: 'outputs', args: [device, [...values]] }),
  pwm: async (device, duty) => {
    calls.push({ call: 'pwm', args: [device, duty] });
    if (device === '7') return never;
    if (device === '1') throw Object.assign(new Error('the legacy BITalino has no PWM output'), { code: 'DEVICE_UNSUPPORTED' });
  },
  start: async (device) => void calls.push({ call: 'start', args: [device] }),
  stop: async (device) => void calls.push({ call: 'stop', args: [device] }),
  marker: async (label, device) => void calls.push({ call: 'marker', args: [label, device ?? null] }),
};

const ops: Ops = {
  ...liblo.ops,
  'output.start': async (a) => {
    output = new OscOutput({ hub, settings: a.settings as OscOutputSettings, statusIntervalMs: 200 });
    await output.start();
    return output.status();
  },
  'output.status': () => output!.status(),
  'output.close': async () => {
    await output?.close();
    output = undefined;
    return true;
  },
  /** Publishes meta then `seconds` of the known signal, in batches of `batch`, at the device's pace. */
  feed: async (a) => {
    const device = String(a.device ?? '0');
    const rate = Number(a.rate ?? 1000);
    const batch = Number(a.batch ?? 40);
    const total = Math.round(rate * Number(a.seconds ?? 3));
    const t0 = Date.now();
    hub.publishMeta(feedMeta(device, rate, t0, (a.labels as string[] | undefined) ?? undefined));
    let next = 0;
    while (next < total) {
      const due = Math.min(total, Math.floor(((Date.now() - t0) * rate) / 1000));
      while (next + batch <= due || (due === total && next < total)) {
        const n = Math.min(batch, total - next);
        hub.publishBatch(signalBatch(device, next, n, rate, t0));
        next += n;
      }
      await sleep(5);
    }
    return { samples: total, t0, subscriberErrors: hub.subscriberErrors };
  },
  /**
   * CPU of this process while feeding `seconds` of 1000 Hz × 6 channels, with (`settings`) or
   * without an OscOutput sending to an oscdump here; for test/outputs/osc/measure.mjs.
   */
  measure: async (a) => {
    let lines = 0;
    if (a.settings) {
      await ops['oscdump.start']({ id: 'measure', target: a.port });
      output = new OscOutput({ hub, settings: a.settings as OscOutputSettings });
      await output.start();
    }
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    await ops.feed({ device: '0', rate: 1000, seconds: a.seconds });
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - wall0;
    const status = output?.status();
    if (a.settings) {
      await sleep(500);
      lines = dumps.get('measure')!.lines.length;
      await output!.close();
      output = undefined;
      ops['oscdump.stop']({ id: 'measure' });
    }
    return { cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100, wallMs, datagrams: status?.counters.datagrams ?? 0, bytes: status?.counters.bytes ?? 0, samples: status?.counters.samples ?? 0, lines };
  },
  'input.start': async (a) => {
    input = new OscInput({ settings: a.settings as OscInputSettings, control, statusIntervalMs: 200, ...((a.options as object) ?? {}) });
    await input.start();
    return input.status();
  },
  'input.calls': () => calls,
  'input.status': () => input!.status(),
  'input.close': async () => {
    await input?.close();
    input = undefined;
    return true;
  },
  'riot.start': async (a) => {
    const settings = a.settings as RiotDeviceSettings;
    const riot = new Riot(settings);
    const entry = { riot, samples: [] as { index: number; values: number[]; t: number }[], activity: 0, closed: 0 };
    riot.setListener({
      samples: (b) => {
        if (a.publish) hub.publishBatch(b);
        for (let k = 0; k < b.count; k++) entry.samples.push({ index: b.index + k, values: b.analog.map((col) => col[k]), t: b.timestamps![k] });
      },
      activity: () => entry.activity++,
      close: () => entry.closed++,
    });
    await riot.connect();
    await riot.start();
    riots.set(settings.id, entry);
    if (a.publish) hub.publishMeta(riotStreamMeta(settings, { t0: Date.now(), segmentStart: 0 }));
    return riot.state;
  },
  'riot.samples': (a) => {
    const e = riots.get(String(a.id))!;
    return { samples: e.samples, activity: e.activity, closed: e.closed, stats: e.riot.stats, state: e.riot.state };
  },
  'riot.close': async (a) => {
    await riots.get(String(a.id))?.riot.close();
    riots.delete(String(a.id));
    return true;
  },
};

async function cleanup(): Promise<void> {
  liblo.cleanup();
  await output?.close();
  await input?.close();
  for (const r of riots.values()) await r.riot.close();
}

serve(ops, cleanup);
