import { describe, expect, it } from 'vitest';
import {
  classifyAddress,
  describePorts,
  listPorts,
  macFromPnpId,
  macNotFoundHint,
  openTransport,
  parseRfcommBindings,
  resolveDevice,
  resolveMac,
  type PortListing,
  type SystemProbe,
} from '../../src/main/devices/ports.js';
import { SerialTransport } from '../../src/main/devices/serial-transport.js';
import { TcpTransport } from '../../src/main/devices/tcp-transport.js';
import { ORIGINAL_PLACEHOLDER_DEVICE } from '../../src/shared/config.js';
import { DeviceError } from '../../src/shared/errors.js';

const MAC = '20:16:07:18:15:26';

// Recorded shapes of serialport's list() on each OS (docs/bitalino-protocol.md §1.2).
const windowsListing: PortListing[] = [
  {
    path: 'COM4',
    manufacturer: 'Microsoft',
    pnpId: 'BTHENUM\\{00001101-0000-1000-8000-00805F9B34FB}_LOCALMFG&0000\\7&2A8E6B9&0&000000000000_00000005',
    friendlyName: 'Standard Serial over Bluetooth link (COM4)',
  },
  {
    path: 'COM5',
    manufacturer: 'Microsoft',
    pnpId: 'BTHENUM\\{00001101-0000-1000-8000-00805F9B34FB}_LOCALMFG&000A\\7&1D80C3F1&0&201607181526_C00000000',
    friendlyName: 'Standard Serial over Bluetooth link (COM5)',
  },
  {
    path: 'COM3',
    manufacturer: 'FTDI',
    serialNumber: 'A50285BI',
    pnpId: 'FTDIBUS\\VID_0403+PID_6001+A50285BIA\\0000',
    vendorId: '0403',
    productId: '6001',
    friendlyName: 'USB Serial Port (COM3)',
  },
];

const macListing: PortListing[] = [
  { path: '/dev/tty.Bluetooth-Incoming-Port' },
  { path: '/dev/tty.BITalino-15-26-DevB' },
  { path: '/dev/tty.BITalino-AA-01-DevB' },
  { path: '/dev/tty.usbserial-A50285BI', manufacturer: 'FTDI', vendorId: '0403', productId: '6001' },
];
const macDev = ['cu.Bluetooth-Incoming-Port', 'tty.Bluetooth-Incoming-Port', 'cu.BITalino-15-26-DevB', 'tty.BITalino-15-26-DevB', 'tty.BITalino-AA-01-DevB', 'null', 'zero'];
const oldMacListing: PortListing[] = [{ path: '/dev/tty.Bluetooth-Incoming-Port' }, { path: '/dev/tty.BITalino-DevB' }];

const rfcommA = [
  'rfcomm0: 20:16:07:18:15:26 channel 1 clean ',
  'rfcomm1: 00:1A:7D:DA:71:13 -> 98:D3:31:B2:BB:A5 channel 1 connected [reuse-dlc release-on-hup tty-attached]',
  '',
].join('\n');
const linuxListing: PortListing[] = [
  { path: '/dev/rfcomm1' },
  { path: '/dev/ttyUSB0', manufacturer: 'FTDI', serialNumber: 'A50285BI', vendorId: '0403', productId: '6001', pnpId: 'usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0' },
  { path: '/dev/ttyS0' },
];

function notFound(fn: () => unknown): DeviceError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DeviceError);
    expect((e as DeviceError).code).toBe('DEVICE_NOT_FOUND');
    return e as DeviceError;
  }
  throw new Error('expected DEVICE_NOT_FOUND');
}

describe('classifyAddress', () => {
  it.each([
    ['simulator', { kind: 'simulator' }],
    ['  Simulator ', { kind: 'simulator' }],
    ['20:16:07:18:15:26', { kind: 'mac', mac: MAC }],
    ['20-16-07-18-15-26', { kind: 'mac', mac: MAC }],
    ['98:d3:31:b2:bb:a5', { kind: 'mac', mac: '98:D3:31:B2:BB:A5' }],
    ['COM3', { kind: 'serial', path: 'COM3' }],
    ['com12', { kind: 'serial', path: 'COM12' }],
    ['/dev/ttyUSB0', { kind: 'serial', path: '/dev/ttyUSB0' }],
    ['/dev/tty.BITalino-15-26-DevB', { kind: 'serial', path: '/dev/tty.BITalino-15-26-DevB' }],
    ['/tmp/serverbit-pty-x/a', { kind: 'serial', path: '/tmp/serverbit-pty-x/a' }],
    ['192.168.4.1:8001', { kind: 'tcp', host: '192.168.4.1', port: 8001 }],
    ['bitalino.local:8001', { kind: 'tcp', host: 'bitalino.local', port: 8001 }],
    ['[::1]:8001', { kind: 'tcp', host: '::1', port: 8001 }],
  ])('%s', (device, expected) => {
    expect(classifyAddress(device)).toEqual(expected);
  });

  it.each([
    'garbage',
    '',
    '20:16:07:18:15',
    '20:16-07:18:15:26', // mixed separators
    '20:16:07:18:15:26:8001',
    '192.168.4.1:0',
    '192.168.4.1:65536',
    '192.168.4.300:8001',
    '::1:8001',
    '[not-ipv6]:8001',
    'COM',
    '/dev/',
    ORIGINAL_PLACEHOLDER_DEVICE,
  ])('rejects %j with DEVICE_BAD_ARGUMENT naming the accepted forms', (device) => {
    try {
      classifyAddress(device);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DeviceError);
      const err = e as DeviceError;
      expect(err.code).toBe('DEVICE_BAD_ARGUMENT');
      expect(err.hint).toMatch(/simulator.*MAC.*COM3.*host:port/);
    }
  });
});

describe('macFromPnpId', () => {
  it('reads the outgoing port MAC and ignores the incoming port and non-Bluetooth ports', () => {
    expect(macFromPnpId(windowsListing[1].pnpId)).toBe(MAC);
    expect(macFromPnpId(windowsListing[0].pnpId)).toBeUndefined();
    expect(macFromPnpId(windowsListing[2].pnpId)).toBeUndefined();
    expect(macFromPnpId(undefined)).toBeUndefined();
  });
});

describe('resolveMac on Windows', () => {
  it('picks the outgoing Bluetooth COM port whose PnP id carries the MAC', () => {
    expect(resolveMac(MAC, 'win32', windowsListing)).toBe('COM5');
    expect(resolveMac('20-16-07-18-15-26', 'win32', windowsListing)).toBe('COM5');
  });
  it('is not fooled by the incoming port', () => {
    const err = notFound(() => resolveMac('00:00:00:00:00:00', 'win32', windowsListing));
    expect(err.message).toContain('00:00:00:00:00:00');
  });
  it('explains pairing on Windows when the MAC is unknown', () => {
    const err = notFound(() => resolveMac('98:D3:31:B2:BB:A5', 'win32', windowsListing));
    expect(err.message).toContain('98:D3:31:B2:BB:A5');
    expect(err.hint).toMatch(/Settings > Bluetooth/);
    expect(err.hint).toContain('PIN 1234');
    expect(err.hint).toMatch(/More Bluetooth options > COM Ports/);
    expect(err.hint).toMatch(/outgoing/);
  });
});

describe('resolveMac on macOS', () => {
  it('prefers /dev/cu.BITalino-XX-XX-DevB', () => {
    expect(resolveMac(MAC, 'darwin', macListing, { devEntries: macDev })).toBe('/dev/cu.BITalino-15-26-DevB');
  });
  it('falls back to the tty.* device when no cu.* twin is known', () => {
    expect(resolveMac(MAC, 'darwin', macListing)).toBe('/dev/tty.BITalino-15-26-DevB');
    expect(resolveMac('00:06:66:71:AA:01', 'darwin', macListing, { devEntries: macDev })).toBe('/dev/tty.BITalino-AA-01-DevB');
  });
  it('uses the old /dev/tty.BITalino-DevB form when it is the only BITalino', () => {
    expect(resolveMac(MAC, 'darwin', oldMacListing)).toBe('/dev/tty.BITalino-DevB');
    expect(resolveMac(MAC, 'darwin', oldMacListing, { devEntries: ['cu.BITalino-DevB', 'tty.BITalino-DevB'] })).toBe('/dev/cu.BITalino-DevB');
  });
  it('refuses to guess between several old-form devices', () => {
    const listing = [...oldMacListing, { path: '/dev/tty.BITalino-DevB-1' }];
    const err = notFound(() => resolveMac(MAC, 'darwin', listing));
    expect(err.message).toMatch(/several/);
  });
  it('explains pairing on macOS when nothing matches', () => {
    const err = notFound(() => resolveMac('98:D3:31:B2:BB:A5', 'darwin', macListing, { devEntries: macDev }));
    expect(err.hint).toMatch(/System Settings/);
    expect(err.hint).toContain('PIN 1234');
    expect(err.hint).toContain('/dev/cu.BITalino-BB-A5-DevB');
  });
});

describe('resolveMac on Linux', () => {
  it('parses rfcomm -a, with and without a source adapter', () => {
    expect(parseRfcommBindings(rfcommA)).toEqual([
      { path: '/dev/rfcomm0', mac: MAC, channel: 1, state: 'clean' },
      { path: '/dev/rfcomm1', mac: '98:D3:31:B2:BB:A5', channel: 1, state: 'connected' },
    ]);
  });
  it('finds /dev/rfcommN bound to the MAC', () => {
    expect(resolveMac(MAC, 'linux', linuxListing, { rfcommBindings: rfcommA })).toBe('/dev/rfcomm0');
    expect(resolveMac('98-d3-31-b2-bb-a5', 'linux', linuxListing, { rfcommBindings: rfcommA })).toBe('/dev/rfcomm1');
  });
  it('explains bluetoothctl and rfcomm bind when unbound', () => {
    const err = notFound(() => resolveMac('00:06:66:71:AA:01', 'linux', linuxListing, { rfcommBindings: rfcommA }));
    expect(err.message).toContain('/dev/rfcomm0'); // says what is bound instead
    expect(err.hint).toContain('bluetoothctl');
    expect(err.hint).toContain('PIN 1234');
    expect(err.hint).toContain('sudo rfcomm bind 0 00:06:66:71:AA:01 1');
    expect(err.hint).toContain('/dev/rfcomm0');
    notFound(() => resolveMac(MAC, 'linux', linuxListing));
  });
});

describe('macNotFoundHint', () => {
  it('has an answer for every OS', () => {
    expect(macNotFoundHint(MAC, 'freebsd')).toContain('PIN 1234');
  });
});

describe('describePorts', () => {
  it('Windows: BITalino first with its MAC; the incoming port is labelled as unused', () => {
    const ports = describePorts('win32', windowsListing);
    expect(ports.map((p) => p.path)).toEqual(['COM5', 'COM3', 'COM4']);
    expect(ports[0]).toMatchObject({ isBitalino: true, mac: MAC });
    expect(ports[0].label).toBe(`BITalino ${MAC} COM5 (Standard Serial over Bluetooth link (COM5))`);
    expect(ports[2].isBitalino).toBe(false);
    expect(ports[2].label).toMatch(/incoming/);
  });
  it('macOS: BITalinos first, cu.* before tty.*, cu twins added from /dev', () => {
    const ports = describePorts('darwin', macListing, { devEntries: macDev });
    expect(ports.slice(0, 3).map((p) => p.path)).toEqual(['/dev/cu.BITalino-15-26-DevB', '/dev/tty.BITalino-15-26-DevB', '/dev/tty.BITalino-AA-01-DevB']);
    expect(ports.slice(0, 3).every((p) => p.isBitalino)).toBe(true);
    expect(ports.slice(3).some((p) => p.isBitalino)).toBe(false);
  });
  it('Linux: rfcomm bindings are BITalinos with their MAC, even when not in the listing', () => {
    const ports = describePorts('linux', linuxListing, { rfcommBindings: rfcommA });
    expect(ports.map((p) => p.path)).toEqual(['/dev/rfcomm0', '/dev/rfcomm1', '/dev/ttyS0', '/dev/ttyUSB0']);
    expect(ports[0]).toMatchObject({ isBitalino: true, mac: MAC });
    expect(ports[1]).toMatchObject({ isBitalino: true, mac: '98:D3:31:B2:BB:A5' });
    expect(ports[3]).toMatchObject({ isBitalino: false, label: '/dev/ttyUSB0 (FTDI)' });
  });
});

function fakeSystem(platform: NodeJS.Platform, listing: PortListing[], rfcomm = '', dev: string[] = []): SystemProbe {
  return { platform, list: async () => listing, rfcommBindings: async () => rfcomm, devEntries: async () => dev };
}

describe('resolveDevice, listPorts and openTransport', () => {
  it('resolves each kind of address', async () => {
    const linux = fakeSystem('linux', linuxListing, rfcommA);
    await expect(resolveDevice(MAC, linux)).resolves.toEqual({ kind: 'serial', path: '/dev/rfcomm0', mac: MAC });
    await expect(resolveDevice('/dev/ttyUSB0', linux)).resolves.toEqual({ kind: 'serial', path: '/dev/ttyUSB0' });
    await expect(resolveDevice('[::1]:8001', linux)).resolves.toEqual({ kind: 'tcp', path: '[::1]:8001', host: '::1', port: 8001 });
    await expect(resolveDevice('simulator', linux)).resolves.toEqual({ kind: 'simulator', path: 'simulator' });
    await expect(resolveDevice(MAC, fakeSystem('win32', windowsListing))).resolves.toMatchObject({ path: 'COM5' });
    await expect(resolveDevice(MAC, fakeSystem('darwin', macListing, '', macDev))).resolves.toMatchObject({ path: '/dev/cu.BITalino-15-26-DevB' });
  });

  it('rejects (never throws synchronously) for bad or unknown devices', async () => {
    const linux = fakeSystem('linux', linuxListing);
    const bad = resolveDevice('garbage', linux);
    await expect(bad).rejects.toMatchObject({ code: 'DEVICE_BAD_ARGUMENT' });
    await expect(resolveDevice(MAC, linux)).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
  });

  it('lists ports from the probe', async () => {
    const ports = await listPorts(fakeSystem('linux', linuxListing, rfcommA));
    expect(ports[0]).toMatchObject({ path: '/dev/rfcomm0', isBitalino: true, mac: MAC });
  });

  it('lists ports on this machine without failing', async () => {
    const ports = await listPorts();
    expect(Array.isArray(ports)).toBe(true);
  });

  it('builds the right transport, unopened', async () => {
    const linux = fakeSystem('linux', linuxListing, rfcommA);
    const serial = await openTransport(MAC, { system: linux });
    expect(serial).toBeInstanceOf(SerialTransport);
    expect(serial.path).toBe('/dev/rfcomm0');
    expect(serial.isOpen).toBe(false);
    const tcp = await openTransport('192.168.4.1:8001', { system: linux, tcp: { connectTimeoutMs: 1000 } });
    expect(tcp).toBeInstanceOf(TcpTransport);
    expect(tcp.path).toBe('192.168.4.1:8001');
    await expect(openTransport('simulator', { system: linux })).rejects.toMatchObject({ code: 'DEVICE_BAD_ARGUMENT' });
  });
});
