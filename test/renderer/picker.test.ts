import { describe, expect, it } from 'vitest';
import { SIMULATOR_ENTRY, pickerEntries, portsFromResult, testOutcome } from '../../src/renderer/picker.js';

describe('device picker list', () => {
  it('puts BITalinos first (with their MAC), then the simulator, then other ports', () => {
    const entries = pickerEntries([
      { path: 'simulator', label: 'Simulated BITalino (built in)', isBitalino: true },
      { path: '/dev/ttyS0', label: '/dev/ttyS0', isBitalino: false },
      { path: 'COM7', label: 'BITalino-15-26', isBitalino: true, mac: '20:16:07:18:15:26', manufacturer: 'Microsoft' },
      { path: 'COM3', label: 'BITalino-02-11', isBitalino: true, mac: '20:15:12:22:02:11' },
    ]);
    expect(entries.map((e) => e.address)).toEqual(['COM3', 'COM7', 'simulator', '/dev/ttyS0']);
    expect(entries[1].detail).toBe('COM7 · MAC 20:16:07:18:15:26 · Microsoft');
    expect(entries[1].kind).toBe('bitalino');
    expect(entries[2]).toBe(SIMULATOR_ENTRY);
    expect(entries[3].detail).toBe('');
  });

  it('reads list_ports results defensively', () => {
    expect(portsFromResult([{ path: 'COM3', label: 'x', isBitalino: true }, { nope: 1 }, 'junk'])).toEqual([{ path: 'COM3', label: 'x', isBitalino: true }]);
    expect(portsFromResult({ ports: [{ path: '/dev/rfcomm0' }] })).toEqual([{ path: '/dev/rfcomm0', label: '/dev/rfcomm0', isBitalino: false }]);
    expect(portsFromResult(null)).toEqual([]);
  });

  it('reads test_device results', () => {
    expect(testOutcome({ ok: true, firmware: 'BITalino_v5.2', board: 'revolution' })).toEqual({ ok: true, firmware: 'BITalino_v5.2', board: 'revolution' });
    const failed = testOutcome({ ok: false, error: { code: 'DEVICE_NO_ANSWER', message: 'silent' }, steps: ['Switch it on.', 7] });
    expect(failed).toEqual({ ok: false, error: { code: 'DEVICE_NO_ANSWER', message: 'silent' }, steps: ['Switch it on.'] });
    expect(testOutcome(undefined).ok).toBe(false);
    expect(testOutcome({ ok: true }).ok).toBe(false);
  });
});
