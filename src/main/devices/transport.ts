/**
 * A byte pipe to a BITalino (or to anything that speaks its protocol). Modelled on serialport's
 * binding contract: promise-based open/write/close, data and close events. Implementations:
 * serial ports (serialport), TCP `host:port`, and an in-memory pair for tests and the simulator.
 *
 * Contract:
 * - `open()` resolves once bytes can flow, or rejects with a DeviceError (code DEVICE_OPEN_FAILED).
 * - `write()` resolves when the bytes were handed to the OS (or peer); rejects if closed.
 * - Data arrives through `onData` in arbitrary chunks (frames split anywhere). A chunk is valid
 *   only during the listener call (the serial transport reads into one reused buffer): copy what
 *   must outlive it.
 * - `onClose` fires exactly once when the link goes away for any reason: after `close()` with no
 *   error, or on its own (unplugged, pty closed, socket reset) with the error that ended it.
 * - `close()` is idempotent and never rejects.
 */
export interface Transport {
  /** Human-readable address ("/dev/rfcomm0", "COM5", "192.168.4.1:8001", "simulator"). */
  readonly path: string;
  readonly isOpen: boolean;
  open(): Promise<void>;
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
  /** Replaces the data listener (one consumer: the driver). */
  onData(listener: (chunk: Uint8Array) => void): void;
  /** Replaces the close listener. `error` is undefined after a requested close. */
  onClose(listener: (error?: Error) => void): void;
}
