/**
 * BITalino wire codec: pure functions, no I/O. Every byte-level fact here is from
 * docs/bitalino-protocol.md (section numbers in the comments) and is checked against the recorded
 * vectors in test/fixtures/bitalino/ by the tests.
 *
 * Channels are 1-based throughout ServerBIT (1..6 = A1..A6, as in config.json); the device mask
 * uses bit (channel - 1).
 */
import type { Board } from '../../shared/acquisition.js';
import { DeviceError } from '../../shared/errors.js';

export const RATES = [1, 10, 100, 1000] as const;
export type Rate = (typeof RATES)[number];

function badArg(message: string): DeviceError {
  return new DeviceError('DEVICE_BAD_ARGUMENT', message);
}

/** Checks channels are 1..6 without duplicates and returns them ascending (the frame order, §4.1). */
export function normalizeChannels(channels: readonly number[]): number[] {
  const seen = new Set<number>();
  for (const c of channels) {
    if (!Number.isInteger(c) || c < 1 || c > 6) throw badArg(`channel ${String(c)} is not valid: channels are 1..6 (A1..A6)`);
    if (seen.has(c)) throw badArg(`channel ${c} is listed twice`);
    seen.add(c);
  }
  return [...seen].sort((a, b) => a - b);
}

export function channelMask(channels: readonly number[]): number {
  let mask = 0;
  for (const c of normalizeChannels(channels)) mask |= 1 << (c - 1);
  return mask;
}

// ---------------------------------------------------------------------------------------------
// Commands (§4.1)

export const CMD_VERSION = 0x07;
export const CMD_STATE = 0x0b;
/** Stop while acquiring (both boards). */
export const CMD_STOP = 0x00;
/** "Idle from any mode" ((r)evolution only): unlike 0x00 it does not set the battery threshold in idle (§4.2). */
export const CMD_IDLE_REVOLUTION = 0xff;

export function cmdSamplingRate(rate: number): number {
  const r = RATES.indexOf(rate as Rate);
  if (r < 0) throw badArg(`sampling rate ${rate} Hz is not supported: use 1, 10, 100 or 1000`);
  return (r << 6) | 0x03;
}

export function cmdStart(channels: readonly number[], simulated = false): number {
  return (simulated ? 0x02 : 0x01) | (channelMask(channels) << 2);
}

export function cmdBatteryThreshold(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 63) throw badArg(`battery threshold ${value} is out of range: use 0..63 (0 ≈ 3.4 V … 63 ≈ 3.8 V)`);
  return value << 2;
}

/** Digital outputs: O1, O2 on (r)evolution (any mode); O1..O4 on legacy (acquisition only). */
export function cmdOutputs(board: Board, outputs: readonly (0 | 1 | boolean)[]): number {
  const n = board === 'revolution' ? 2 : 4;
  if (outputs.length !== n) throw badArg(`the ${board === 'revolution' ? 'BITalino (r)evolution has 2 digital outputs (O1, O2)' : 'legacy BITalino has 4 digital outputs (O1..O4)'}: got ${outputs.length} values`);
  let bits = 0;
  outputs.forEach((o, i) => {
    if (o) bits |= 1 << (i + 2);
  });
  return (board === 'revolution' ? 0xb3 : 0x03) | bits;
}

/** PWM duty 0..255 ((r)evolution): two bytes, A3 then the duty (§4.2 step 1). */
export function cmdPwm(duty: number): [number, number] {
  if (!Number.isInteger(duty) || duty < 0 || duty > 255) throw badArg(`PWM duty ${duty} is out of range: use 0..255`);
  return [0xa3, duty];
}

// ---------------------------------------------------------------------------------------------
// CRC-4 (§6.3): polynomial x^4+x+1, over the frame in wire order with the CRC nibble as zero.

const NIBBLE = [0, 3, 6, 5, 12, 15, 10, 9, 11, 8, 13, 14, 7, 4, 1, 2];
/** BYTE_STEP[crc << 8 | b] = CRC register after shifting in byte b (both nibbles). */
const BYTE_STEP = new Uint8Array(16 * 256);
for (let crc = 0; crc < 16; crc++) {
  for (let b = 0; b < 256; b++) BYTE_STEP[(crc << 8) | b] = NIBBLE[NIBBLE[crc] ^ (b >> 4)] ^ (b & 0x0f);
}
/** LAST_STEP[crc << 4 | hi] = final CRC given the high nibble of the last byte (seq or digital). */
const LAST_STEP = new Uint8Array(256);
for (let crc = 0; crc < 16; crc++) for (let hi = 0; hi < 16; hi++) LAST_STEP[(crc << 4) | hi] = NIBBLE[NIBBLE[crc] ^ hi];

/** CRC-4 of `length` bytes at `offset`, ignoring the low nibble of the last byte. */
export function crc4(buf: Uint8Array, offset = 0, length = buf.length - offset): number {
  let crc = 0;
  const last = offset + length - 1;
  for (let i = offset; i < last; i++) crc = BYTE_STEP[(crc << 8) | buf[i]];
  return LAST_STEP[(crc << 4) | (buf[last] >> 4)];
}

export function crcMatches(buf: Uint8Array, offset: number, length: number): boolean {
  return crc4(buf, offset, length) === (buf[offset + length - 1] & 0x0f);
}

// ---------------------------------------------------------------------------------------------
// Frames (§6)

const LENGTHS = [2, 3, 4, 6, 7, 8, 8];

/** Frame length in bytes for n acquired channels (0..6; 0 is the firmware's 2-byte frame, §4.2). */
export function frameLength(nChannels: number): number {
  const l = LENGTHS[nChannels];
  if (l === undefined) throw badArg(`cannot acquire ${nChannels} channels: use 1..6`);
  return l;
}

/** Resolution of acquisition slot k (0-based): the 5th and 6th acquired channels are 6-bit (§6.2). */
export function slotBits(slot: number): 10 | 6 {
  return slot < 4 ? 10 : 6;
}

export interface Frame {
  seq: number;
  /** I1·8 + I2·4 + O1·2 + O2 ((r)evolution) or I1·8 + I2·4 + I3·2 + I4 (legacy). */
  digital: number;
  /** Slot values in ascending channel order (10-bit for slots 1–4, 6-bit for 5–6). */
  analog: number[];
}

/**
 * Writes the value of slot `slot` (0-based) of the frame ending at `end` (exclusive).
 * Unrolled per slot (§6.2 byte view, b[-k] = buf[end - k]) because this is the hot path.
 */
export function decodeSlot(buf: Uint8Array, end: number, slot: number): number {
  switch (slot) {
    case 0:
      return ((buf[end - 2] & 0x0f) << 6) | (buf[end - 3] >> 2);
    case 1:
      return ((buf[end - 3] & 0x03) << 8) | buf[end - 4];
    case 2:
      return (buf[end - 5] << 2) | (buf[end - 6] >> 6);
    case 3:
      return ((buf[end - 6] & 0x3f) << 4) | (buf[end - 7] >> 4);
    case 4:
      return ((buf[end - 7] & 0x0f) << 2) | (buf[end - 8] >> 6);
    default:
      return buf[end - 8] & 0x3f;
  }
}

/** Decodes one frame (no CRC check; see crcMatches). */
export function decodeFrame(buf: Uint8Array, offset: number, nChannels: number): Frame {
  const end = offset + frameLength(nChannels);
  const analog: number[] = [];
  for (let s = 0; s < nChannels; s++) analog.push(decodeSlot(buf, end, s));
  return { seq: buf[end - 1] >> 4, digital: buf[end - 2] >> 4, analog };
}

/** Encodes a frame with a correct CRC: what the firmware sends (used by the emulator and tests). */
export function encodeFrame(seq: number, digital: number, analog: readonly number[]): Uint8Array {
  const n = analog.length;
  const len = frameLength(n);
  const w = new Uint8Array(8); // w[8 - k] = b[-k]
  const s = (i: number, bits: number) => (i < n ? analog[i] & ((1 << bits) - 1) : 0);
  const s1 = s(0, 10), s2 = s(1, 10), s3 = s(2, 10), s4 = s(3, 10), s5 = s(4, 6), s6 = s(5, 6);
  w[7] = (seq & 0x0f) << 4;
  w[6] = ((digital & 0x0f) << 4) | (s1 >> 6);
  w[5] = ((s1 & 0x3f) << 2) | (s2 >> 8);
  w[4] = s2 & 0xff;
  w[3] = s3 >> 2;
  w[2] = ((s3 & 0x03) << 6) | (s4 >> 4);
  w[1] = ((s4 & 0x0f) << 4) | (s5 >> 2);
  w[0] = ((s5 & 0x03) << 6) | s6;
  const frame = w.slice(8 - len);
  frame[len - 1] |= crc4(frame);
  return frame;
}

// ---------------------------------------------------------------------------------------------
// Version (§2)

export interface VersionInfo {
  /** The text from "BITalino" up to (not including) the newline. */
  firmware: string;
  version: number;
  board: Board;
  /** State packet length: 17 for >= 5.2, 16 for other (r)evolution, 0 for legacy. */
  stateLength: 0 | 16 | 17;
}

/** Interprets a version string (§2: major >= 5 is (r)evolution; >= 5.2 has the 17-byte state). */
export function parseVersion(firmware: string): VersionInfo {
  const m = /_v(\d+(?:\.\d+)?)/.exec(firmware) ?? /V(\d+(?:\.\d+)?)/.exec(firmware);
  if (!m) throw new DeviceError('DEVICE_BAD_REPLY', `the device answered "${firmware}", which is not a BITalino version string`, 'Check that the address belongs to a BITalino.');
  const version = Number(m[1]);
  const revolution = Math.floor(version) >= 5;
  return { firmware, version, board: revolution ? 'revolution' : 'legacy', stateLength: !revolution ? 0 : version >= 5.2 ? 17 : 16 };
}

const HEADER = [0x42, 0x49, 0x54, 0x61, 0x6c, 0x69, 0x6e, 0x6f]; // "BITalino"
/** Longest version line we accept; anything longer is not a BITalino reply. */
const MAX_VERSION_LINE = 64;

/**
 * Incremental version-reply reader: skips anything before "BITalino" (stale frames, §7.2; the
 * `AT` probe at power-up, §3) and completes at the newline. Bounded: it keeps at most
 * MAX_VERSION_LINE bytes.
 */
export class VersionReader {
  private matched = 0;
  private line: number[] = [];
  /** Bytes seen after the newline (the caller may need them, e.g. the first frames). */
  rest: Uint8Array = new Uint8Array(0);

  /** Returns the version text once complete, else undefined. */
  push(chunk: Uint8Array): string | undefined {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.matched < HEADER.length) {
        if (b === HEADER[this.matched]) this.matched++;
        else this.matched = b === HEADER[0] ? 1 : 0;
        continue;
      }
      if (b === 0x0a) {
        this.rest = chunk.subarray(i + 1);
        const text = 'BITalino' + String.fromCharCode(...this.line);
        this.matched = 0;
        this.line = [];
        return text.replace(/\r$/, '');
      }
      this.line.push(b);
      if (this.line.length > MAX_VERSION_LINE) {
        this.matched = 0;
        this.line = [];
      }
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// State packet ((r)evolution, §5)

export interface DeviceStatePacket {
  /** A1..A6, full 10-bit values. */
  analog: number[];
  /** Battery ADC (10-bit). */
  battery: number;
  /** Battery volts, ≈ 2 × 3.3 V × ABAT / 1024 (§5). */
  batteryVolts: number;
  batteryThreshold: number;
  /** Present on firmware >= 5.2 (17-byte packet). */
  pwm?: number;
  /** [I1, I2, O1, O2]. */
  digital: [number, number, number, number];
}

export function parseState(packet: Uint8Array): DeviceStatePacket {
  const len = packet.length;
  if (len !== 16 && len !== 17) throw new DeviceError('DEVICE_BAD_REPLY', `a state reply has 16 or 17 bytes, got ${len}`);
  if (!crcMatches(packet, 0, len)) throw new DeviceError('DEVICE_BAD_REPLY', 'the state reply failed its CRC check (a corrupted or misaligned reply)', 'Try again; if it persists, move the BITalino closer to the computer.');
  const u16 = (o: number) => packet[o] | (packet[o + 1] << 8);
  const analog = [0, 2, 4, 6, 8, 10].map(u16);
  const battery = u16(12);
  const d = packet[len - 1] >> 4;
  const state: DeviceStatePacket = {
    analog,
    battery,
    batteryVolts: Math.round(((2 * 3.3 * battery) / 1024) * 1000) / 1000,
    batteryThreshold: packet[14],
    digital: [(d >> 3) & 1, (d >> 2) & 1, (d >> 1) & 1, d & 1],
  };
  if (len === 17) state.pwm = packet[15];
  return state;
}

export function encodeState(s: { analog: readonly number[]; battery: number; batteryThreshold: number; pwm?: number; digital: number }, length: 16 | 17): Uint8Array {
  const p = new Uint8Array(length);
  s.analog.forEach((v, i) => {
    p[2 * i] = v & 0xff;
    p[2 * i + 1] = (v >> 8) & 0x03;
  });
  p[12] = s.battery & 0xff;
  p[13] = (s.battery >> 8) & 0x03;
  p[14] = s.batteryThreshold & 0x3f;
  if (length === 17) p[15] = (s.pwm ?? 0) & 0xff;
  p[length - 1] = (s.digital & 0x0f) << 4;
  p[length - 1] |= crc4(p);
  return p;
}
