/**
 * The device picker's "Test" (the /v2 `test_device` command): can ServerBIT open this device and
 * read its version, and if not, what should the user check.
 */
import type { Board } from '../../shared/acquisition.js';
import { SIMULATOR_DEVICE } from '../../shared/config.js';
import { DeviceError, ServerBitError, toWireError } from '../../shared/errors.js';
import type { TestDeviceResult } from '../../shared/v2.js';
import { openDevice, type DeviceOpener, type OpenedDevice } from './open-device.js';

/** Plain-language checks for a failed connection test, most likely first. */
function troubleshooting(code: string, device: string): string[] {
  const common = [
    'Is the BITalino switched on (its LED blinks) and charged?',
    'Is it paired with this computer (PIN 1234) and within a few metres?',
    `Is "${device}" the right address? On Windows use the outgoing COM port of the pairing; on macOS the /dev/cu.BITalino-… port; on Linux the /dev/rfcomm… bound to its MAC.`,
    'Is the port the one for this BITalino? Another paired device can have a similar name.',
    'Is another program using it (OpenSignals, another ServerBIT, a serial monitor)? A BITalino talks to one program at a time.',
  ];
  // A recording played back: the reader's own message and hint say what is wrong with the file.
  if (code.startsWith('PLAYBACK_')) return [];
  switch (code) {
    case 'DEVICE_BAD_ARGUMENT':
      return ['Check the address: use "simulator", a MAC address (20:16:07:18:15:26), a serial port (COM3, /dev/rfcomm0, /dev/cu.BITalino-15-26-DevB), host:port (192.168.4.1:8001) or a device another ServerBIT publishes (mqtt://broker.local:1883/serverbit/lab-pc/0).'];
    // A remote device (mqtt://…) is not opened by Test: its hint says to add it, and its state then says what the broker answers.
    case 'DEVICE_REMOTE':
      return [];
    case 'DEVICE_NOT_FOUND':
      return ['Pair the BITalino with this computer first (PIN 1234); the OS then creates a serial port for it.', 'Or choose its serial port from the list instead of its MAC address.', ...common.slice(0, 1)];
    case 'DEVICE_OPEN_FAILED':
      return ['Pick the port from the list in the Devices tab (or the ports serverbit lists) rather than typing it, to rule out a typo.', common[4], common[1], 'On Linux, check that your user may open serial ports (the "dialout" group).'];
    default:
      return common;
  }
}

export interface ProbeOptions {
  /** How to open the address (default openDevice). */
  open?: DeviceOpener;
  /**
   * The device being streamed from at this address right now, if any: a serial port admits one
   * program, so it is not opened twice; its details are returned as they are.
   */
  streaming?: (address: string) => { firmware: string; board?: Board } | undefined;
  /** Version-request timeout, ms. Default 3000. */
  timeoutMs?: number;
}

/**
 * Opens `device` with a fresh driver, reads its version and closes it. The simulator gets a new
 * simulated device, never the running one.
 */
export async function testDevice(device: string, options: ProbeOptions = {}): Promise<TestDeviceResult> {
  const live = device === SIMULATOR_DEVICE ? undefined : options.streaming?.(device);
  if (live) return { ok: true, firmware: live.firmware, ...(live.board ? { board: live.board } : {}) };
  let opened: OpenedDevice | undefined;
  try {
    opened = await (options.open ?? openDevice)(device, { id: device, versionTimeoutMs: options.timeoutMs ?? 3000 });
    const info = await opened.driver.connect();
    return { ok: true, firmware: info.firmware, ...(info.board ? { board: info.board } : {}) };
  } catch (e) {
    const err = e instanceof ServerBitError ? e : new DeviceError('DEVICE_OPEN_FAILED', `Could not open ${device}: ${e instanceof Error ? e.message : String(e)}`);
    const error = toWireError(err);
    return { ok: false, error, steps: [...(err.hint ? [err.hint] : []), ...troubleshooting(err.code, device)] };
  } finally {
    if (opened) {
      await opened.driver.close();
      await opened.dispose?.();
    }
  }
}
