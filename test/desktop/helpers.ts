import type { DeviceStatus, ServiceState } from '../../src/shared/acquisition.js';

/** One device's status as the hub reports it (DeviceStatus). */
export function device(id: string, state: ServiceState, extra: Partial<DeviceStatus> = {}): DeviceStatus {
  return {
    device: id,
    name: extra.address ?? 'simulator',
    address: 'simulator',
    state,
    rate: 1000,
    channels: [1, 2, 3, 4, 5, 6],
    counters: { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0 },
    ...extra,
  };
}

/** The first device ("0") in `state`. */
export function status(state: ServiceState, extra: Partial<DeviceStatus> = {}): DeviceStatus {
  return device('0', state, extra);
}

export const SIMULATED = {
  id: 'simulator',
  address: 'simulator',
  firmware: 'BITalino_v5.2',
  version: 5.2,
  board: 'revolution' as const,
  stateLength: 17 as const,
  simulated: true,
};

export const REAL = { ...SIMULATED, id: '20:16:07:18:15:26', address: '/dev/rfcomm0', simulated: false };

export const LINK_LOST = { code: 'DEVICE_DISCONNECTED', message: 'the link to /dev/rfcomm0 closed', hint: 'ServerBIT reconnects by itself.' };
