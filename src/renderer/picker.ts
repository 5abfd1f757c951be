/** The device picker's list, pure: BITalinos first, then the simulator, then other ports. */
import { SIMULATOR_DEVICE } from '../shared/config.js';
import type { PortInfo } from '../shared/v2.js';

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
  detail: 'Built in: synthetic ECG and test signals, no hardware needed',
  kind: 'simulator',
};

export function pickerEntries(ports: readonly PortInfo[]): PickerEntry[] {
  const toEntry = (p: PortInfo): PickerEntry => ({
    address: p.path,
    title: p.label || p.path,
    detail: [p.path !== p.label ? p.path : '', p.mac ? `MAC ${p.mac}` : '', p.manufacturer ?? ''].filter((s) => s !== '').join(' · '),
    kind: p.isBitalino ? 'bitalino' : 'port',
  });
  const bitalinos = ports.filter((p) => p.isBitalino).map(toEntry);
  const others = ports.filter((p) => !p.isBitalino).map(toEntry);
  const byTitle = (a: PickerEntry, b: PickerEntry) => a.title.localeCompare(b.title, undefined, { numeric: true });
  return [...bitalinos.sort(byTitle), SIMULATOR_ENTRY, ...others.sort(byTitle)];
}
