/** The device picker's list, pure: BITalinos first, then the simulator, then other ports. */
import { SIMULATOR_DEVICE } from '../shared/config.js';
import type { PortInfo, TestDeviceResult } from '../shared/v2.js';
import type { WireError } from './errors.js';
import { isObject, isWireError } from './validate.js';

export interface PickerEntry {
  /** What goes into the config's "device" (and into test_device). */
  address: string;
  /** Main line: "BITalino-15-26", "Simulated BITalino", the port's label. */
  title: string;
  /** Second line: path, MAC, manufacturer. */
  detail: string;
  kind: 'bitalino' | 'simulator' | 'port';
}

export const SIMULATOR_ENTRY: PickerEntry = {
  address: SIMULATOR_DEVICE,
  title: 'Simulated BITalino',
  detail: 'Built in, no hardware needed: EMG bursts on A1, ECG on A2, EDA on A3, EEG on A4, ACC on A5, LUX on A6',
  kind: 'simulator',
};

export function pickerEntries(ports: readonly PortInfo[]): PickerEntry[] {
  const toEntry = (p: PortInfo): PickerEntry => ({
    address: p.path,
    title: p.label || p.path,
    detail: [p.path !== p.label ? p.path : '', p.mac ? `MAC ${p.mac}` : '', p.manufacturer ?? ''].filter((s) => s !== '').join(' · '),
    kind: p.isBitalino ? 'bitalino' : 'port',
  });
  // The service lists the simulator too; it gets our own entry, placed after the real BITalinos.
  const real = ports.filter((p) => p.path !== SIMULATOR_DEVICE);
  const bitalinos = real.filter((p) => p.isBitalino).map(toEntry);
  const others = real.filter((p) => !p.isBitalino).map(toEntry);
  const byTitle = (a: PickerEntry, b: PickerEntry) => a.title.localeCompare(b.title, undefined, { numeric: true });
  return [...bitalinos.sort(byTitle), SIMULATOR_ENTRY, ...others.sort(byTitle)];
}

/** list_ports' result: PortInfo[] or `{ ports: PortInfo[] }`; malformed entries are dropped. */
export function portsFromResult(result: unknown): PortInfo[] {
  const list = Array.isArray(result) ? result : isObject(result) && Array.isArray(result.ports) ? result.ports : [];
  return list
    .filter((p): p is PortInfo => isObject(p) && typeof p.path === 'string' && p.path.length > 0 && p.path.length < 512)
    .slice(0, 256)
    .map((p) => ({
      path: p.path,
      label: typeof p.label === 'string' ? p.label : p.path,
      isBitalino: p.isBitalino === true,
      ...(typeof p.mac === 'string' ? { mac: p.mac } : {}),
      ...(typeof p.manufacturer === 'string' ? { manufacturer: p.manufacturer } : {}),
    }));
}

export type TestOutcome = { ok: true; firmware: string; board?: string } | { ok: false; error: WireError; steps?: string[] };

/** test_device's result (or failure) as an outcome to show. */
export function testOutcome(result: unknown): TestOutcome {
  if (!isObject(result)) return { ok: false, error: { code: 'BAD_MESSAGE', message: 'ServerBIT sent a test result this page does not understand.' } };
  const r = result as Partial<TestDeviceResult> & Record<string, unknown>;
  const steps = Array.isArray(r.steps) ? r.steps.filter((s): s is string => typeof s === 'string').slice(0, 12) : undefined;
  if (r.ok === true && typeof r.firmware === 'string') return { ok: true, firmware: r.firmware, ...(typeof r.board === 'string' ? { board: r.board } : {}) };
  const error = isWireError(r.error) ? r.error : { code: 'DEVICE_NO_ANSWER', message: 'The device did not report a firmware version.' };
  return steps ? { ok: false, error, steps } : { ok: false, error };
}
