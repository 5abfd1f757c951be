/**
 * Binding in liblsl's port range (docs/lsl.md §2): an outlet takes the first free port of
 * [basePort, basePort + portRange) for its TCP data port and, separately, for its UDP service port,
 * and falls back to a port the OS picks when the range is full (liblsl `AllowRandomPorts`, on by
 * default) — then only multicast and broadcast discovery can find it, not `KnownPeers`.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { NetworkError } from '../../../shared/errors.js';

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

function exhausted(what: string, range: PortRange, cause: unknown): NetworkError {
  return new NetworkError(
    'LSL_LISTEN_FAILED',
    `LSL: no free ${what} port on ${range.host} in ${range.basePort}–${range.basePort + range.portRange - 1}`,
    'Close other LSL outlets on this computer, or allow random ports; see docs/lsl.md §2.',
    { cause },
  );
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
  throw exhausted('TCP data', range, last);
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
  throw exhausted('UDP service', range, last);
}
