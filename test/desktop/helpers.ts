import type { ServiceState, ServiceStatus } from '../../src/shared/acquisition.js';

/** A service status as AcquisitionService.status reports it. */
export function status(state: ServiceState, extra: Partial<ServiceStatus> = {}): ServiceStatus {
  return {
    state,
    rate: 1000,
    channels: [1, 2, 3, 4, 5, 6],
    counters: { frames: 0, crcErrors: 0, gaps: 0, lostSamples: 0, clients: 0 },
    ...extra,
  };
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
