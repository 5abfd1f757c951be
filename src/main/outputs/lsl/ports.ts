/**
 * Binding in liblsl's port range (docs/lsl.md §2): an outlet takes the first free port of
 * [basePort, basePort + portRange) for its TCP data port and, separately, for its UDP service port,
 * and falls back to a port the OS picks when the range is full (liblsl `AllowRandomPorts`, on by
 * default) — then only multicast and broadcast discovery can find it, not `KnownPeers`.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import { NetworkError } from '#shared/errors.js';

export interface PortRange {
  /** IPv4 address to bind. */
  host: string;
  /** First port; 0 = let the OS pick (tests). */
  basePort: number;
  portRange: number;
  /** Fall back to an OS-picked port when every port of the range is taken. */
  allowRandomPorts: boolean;
}

function inUse(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EADDRINUSE' || code === 'EACCES';
}

function candidates(range: PortRange): number[] {
  if (range.basePort === 0) return [0];
  const out: number[] = [];
  for (let p = range.basePort; p < range.basePort + range.portRange && p <= 65535; p++) out.push(p);
  if (range.allowRandomPorts) out.push(0);
  return out;
}

/** What went wrong binding `what`, with what the user can change (docs/lsl.md §11). */
function bindFailed(what: string, range: PortRange, cause: unknown): NetworkError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRNOTAVAIL') {
    const own = ownIPv4();
    return new NetworkError(
      'LSL_LISTEN_FAILED',
      `LSL: cannot serve on ${range.host}: it is not an address of this computer (EADDRNOTAVAIL)`,
      `Set lsl.host to "127.0.0.1" (this computer only), "0.0.0.0" (every network)${own.length > 0 ? ` or one of this computer's addresses (${own.join(', ')})` : ''}.`,
      { cause },
    );
  }
  if (inUse(cause)) {
    return new NetworkError(
      'LSL_LISTEN_FAILED',
      `LSL: no free ${what} port on ${range.host}: ${range.basePort}–${range.basePort + range.portRange - 1} are all in use${range.allowRandomPorts ? ' and the system gave no other' : ''}`,
      'Close other LSL programs on this computer, or set lsl.base_port to a free range (docs/lsl.md §2).',
      { cause },
    );
  }
  return new NetworkError(
    'LSL_LISTEN_FAILED',
    `LSL: cannot open the ${what} port on ${range.host}: ${cause instanceof Error ? cause.message : String(cause)}`,
    'Check lsl.host and lsl.base_port in the config (docs/lsl.md §11).',
    { cause },
  );
}

function ownIPv4(): string[] {
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) out.push(a.address);
  return out.slice(0, 8);
}

/** A listening TCP server on the first free port of the range. */
export async function listenInRange(server: net.Server, range: PortRange): Promise<number> {
  let last: unknown;
  for (const port of candidates(range)) {
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => {
          server.off('listening', onListening);
          reject(err);
        };
        const onListening = (): void => {
          server.off('error', onError);
          resolve();
        };
        server.once('error', onError);
        server.once('listening', onListening);
        server.listen({ port, host: range.host, backlog: 10 });
      });
      return (server.address() as net.AddressInfo).port;
    } catch (err) {
      last = err;
      if (!inUse(err)) break;
    }
  }
  throw bindFailed('TCP data', range, last);
}

/** A UDP socket bound to the first free port of the range (a fresh socket per attempt: a failed bind closes it). */
export async function bindUdpInRange(range: PortRange): Promise<dgram.Socket> {
  let last: unknown;
  for (const port of candidates(range)) {
    const socket = dgram.createSocket({ type: 'udp4' });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ port, address: range.host, exclusive: true }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      return socket;
    } catch (err) {
      last = err;
      try {
        socket.close();
      } catch {
        // already closed by the failed bind
      }
      if (!inUse(err)) break;
    }
  }
  throw bindFailed('UDP service', range, last);
}
