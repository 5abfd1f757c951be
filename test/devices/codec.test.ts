import { describe, expect, it } from 'vitest';
import { Bitalino } from '../../src/main/devices/bitalino.js';
import {
  cmdSamplingRate, cmdStart, crc4, crcMatches, decodeFrame,
  encodeFrame, encodeState, frameLength, parseState, parseVersion, VersionReader, CMD_STATE, CMD_VERSION,
} from '../../src/main/devices/codec.js';
import { BitalinoEmulator } from '../../src/main/devices/emulator.js';
import { createMemoryPair } from '../../src/main/devices/memory-transport.js';
import { DeviceError } from '../../src/shared/errors.js';
import { hex, loadVectors, randomChunks, toHex } from '../helpers/vectors.js';

const V = loadVectors('vectors.json');

/**
 * Every recorded call of the official API, made through the driver (src/main/devices/bitalino.ts)
 * against the byte-exact emulator over the in-memory link: the bytes that reach the device must be
 * the ones the official API sent, and a call it refused must send nothing. Where the driver does
 * otherwise on purpose, DRIVER_DIFFERS says what it does and why (docs/bitalino-protocol.md §4.6).
 */
describe('commands (vectors.commands), through the driver', () => {
  type Vector = { call: string; device_version: string; device_state_before: 'idle' | 'acquisition'; bytes: string; exception: string | null };
  /** Keyed by `call on version (state)`. */
  const DRIVER_DIFFERS: Record<string, { bytes: string; resolves: boolean; why: string }> = {
    'stop() on BITalino_v5.2 (acquisition)': { bytes: '00 07', resolves: true, why: 'after 00 it asks for the version to flush a held frame (§7.2)' },
    'stop() on BITalino_v4.0 (acquisition)': { bytes: '00 07', resolves: true, why: 'after 00 it asks for the version to flush (§7.2)' },
    'stop() on BITalino_v4.0 (idle)': { bytes: '', resolves: true, why: 'stop() while idle resolves (idempotent lifecycle); the legacy board has no harmless byte to send' },
    'version() on BITalino_v5.2 (acquisition)': { bytes: '', resolves: true, why: 'connect() answers from the version read at connect; 07 while acquiring would set O1 (§4.2)' },
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function rig(v: Vector) {
    const [host, dev] = createMemoryPair({ pathA: 'memory:host', pathB: 'memory:dev' });
    const emu = new BitalinoEmulator({ firmware: v.device_version });
    await dev.open();
    emu.attach(dev);
    const received: number[] = [];
    dev.onData((chunk) => {
      received.push(...chunk);
      emu.receive(chunk);
    });
    const driver = new Bitalino(host, { versionTimeoutMs: 2000, byteGapMs: 1 });
    const close = async () => {
      await driver.close();
      await dev.close();
    };
    return { emu, driver, received, close };
  }

  /** The official call, as the driver's method. `version()` is what connect() does first. */
  function call(driver: Bitalino, text: string): Promise<unknown> {
    const m = /^(\w+)\((.*?)\)/.exec(text)!;
    const args = m[2] ? (JSON.parse(`[${m[2]}]`) as unknown[]) : [];
    switch (m[1]) {
      case 'start': {
        const [rate, chans] = args as [number, number[]];
        return driver.start(rate, chans.map((c) => c + 1)); // official channels are 0-based
      }
      case 'stop':
        return driver.stop();
      case 'battery':
        return driver.setBatteryThreshold(args[0] as number);
      case 'trigger':
        // The official trigger() defaults to all outputs off.
        return driver.setOutputs((args[0] as (0 | 1)[] | undefined) ?? [0, 0]);
      case 'pwm':
        return driver.setPwm(args[0] as number);
      case 'version':
        return driver.connect();
      default:
        throw new Error(`no driver method for ${text}`);
    }
  }

  for (const v of V.commands as Vector[]) {
    const name = `${v.call.replace(/\s+#.*/, '')} on ${v.device_version} (${v.device_state_before})`;
    const differs = DRIVER_DIFFERS[name];
    it(`${v.call} on ${v.device_version} (${v.device_state_before})${differs ? ` — driver: ${differs.why}` : ''}`, async () => {
      const { emu, driver, received, close } = await rig(v);
      try {
        const isVersionCall = v.call.startsWith('version(');
        if (!isVersionCall || v.device_state_before === 'acquisition') await driver.connect();
        if (v.device_state_before === 'acquisition') {
          await driver.start(1000, [1]);
          await sleep(5);
          expect(emu.state).toBe('live');
          emu.tick(3); // frames in flight, as on a real link
        } else if (emu.board === 'revolution' && !isVersionCall) {
          await driver.setBatteryThreshold(30); // a stop must not reset it (00 in idle would)
        }
        await sleep(5);
        received.length = 0;

        const outcome = await call(driver, v.call).then(
          () => 'resolved' as const,
          (e: unknown) => e,
        );
        await sleep(10); // bytes cross the in-memory link asynchronously

        const expectBytes = differs ? differs.bytes : v.bytes;
        expect(toHex(received)).toBe(expectBytes);
        const resolves = differs ? differs.resolves : !v.exception;
        if (resolves) expect(outcome).toBe('resolved');
        else expect(outcome).toBeInstanceOf(DeviceError);

        // What the bytes did to the device, where the call changes it.
        if (v.call.startsWith('stop(')) {
          expect(emu.state).toBe('idle');
          expect(driver.state).toBe('idle');
          if (emu.board === 'revolution' && v.device_state_before === 'idle') expect(emu.batteryThreshold).toBe(30);
        }
        if (v.call.startsWith('start(') && !v.exception) expect(emu.state).toBe('live');
        if (v.call.startsWith('trigger(') && !v.exception) {
          const outs = (JSON.parse(`[${/\((.*)\)/.exec(v.call)![1]}]`)[0] as number[] | undefined) ?? [0, 0];
          expect(emu.outputs).toEqual(outs);
        }
        if (v.call.startsWith('pwm(') && !v.exception) expect(emu.pwm).toBe(Number(/\((\d+)\)/.exec(v.call)![1]));
        if (v.call.startsWith('battery(') && !v.exception) expect(emu.batteryThreshold).toBe(Number(/\((\d+)\)/.exec(v.call)![1]));
      } finally {
        await close();
      }
    });
  }

  it('every deliberate difference matches a recorded call', () => {
    const names = new Set((V.commands as Vector[]).map((v) => `${v.call.replace(/\s+#.*/, '')} on ${v.device_version} (${v.device_state_before})`));
    for (const k of Object.keys(DRIVER_DIFFERS)) expect(names.has(k)).toBe(true);
  });

  it('state and version bytes', () => {
    expect(CMD_STATE).toBe(0x0b);
    expect(CMD_VERSION).toBe(0x07);
    expect(cmdStart([1, 2, 3, 4, 5, 6], true)).toBe(0xfe);
    expect(cmdStart([3, 6])).toBe(0x91);
  });
});

describe('frame length', () => {
  it('matches §6.1 for 0..6 channels', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(frameLength)).toEqual([2, 3, 4, 6, 7, 8, 8]);
    expect(() => frameLength(7)).toThrow(DeviceError);
  });
});

describe('frames (vectors.frames)', () => {
  for (const set of V.frames) {
    describe(`channels ${set.channel_labels.join(',')}`, () => {
      it('start command and frame length', () => {
        expect(toHex([cmdSamplingRate(1000), cmdStart(set.channels.map((c: number) => c + 1))])).toBe(set.start_command_bytes);
        expect(frameLength(set.channels.length)).toBe(set.frame_length);
      });
      for (const c of set.cases) {
        it(`seq ${c.seq} decodes and encodes`, () => {
          const bytes = hex(c.bytes);
          expect(crcMatches(bytes, 0, bytes.length)).toBe(true);
          expect(crc4(bytes)).toBe(c.crc4);
          const f = decodeFrame(bytes, 0, set.channels.length);
          expect([f.seq, (f.digital >> 3) & 1, (f.digital >> 2) & 1, (f.digital >> 1) & 1, f.digital & 1, ...f.analog]).toEqual(c.official_decoded_row);
          const d = c.digital as number[];
          expect(toHex(encodeFrame(c.seq, d[0] * 8 + d[1] * 4 + d[2] * 2 + d[3], c.analog_in_acq_order))).toBe(c.bytes);
        });
      }
    });
  }
});

describe('CRC-4', () => {
  for (const c of V.crc4_examples) {
    it(c.bytes_crc_nibble_zeroed, () => expect(crc4(hex(c.bytes_crc_nibble_zeroed))).toBe(c.crc4));
  }
  it('detects every single-bit flip in a 6-channel frame', () => {
    const f = encodeFrame(5, 0b1010, [1, 512, 341, 682, 21, 42]);
    for (let bit = 0; bit < 64; bit++) {
      if (bit === 0 || bit === 1 || bit === 2 || bit === 3) continue; // bits of the CRC nibble itself change the check value
      const g = f.slice();
      g[7 - (bit >> 3)] ^= 1 << (bit & 7);
      expect(crcMatches(g, 0, 8)).toBe(false);
    }
  });
});

describe('version', () => {
  for (const v of V.version_detection) {
    it(v.device_reply_repr, () => {
      const r = new VersionReader();
      let text: string | undefined;
      for (const chunk of randomChunks(hex(v.device_reply_hex), 3, 4)) text = r.push(chunk) ?? text;
      expect(text).toBe(v['version()_returns']);
      const info = parseVersion(text!);
      // §2: our rule is major >= 5 (C++/Android), not Python's 4.2 threshold.
      expect(info.board).toBe(Math.floor(info.version) >= 5 ? 'revolution' : 'legacy');
      expect(info.stateLength).toBe(info.version >= 5.2 ? 17 : info.board === 'revolution' ? 16 : 0);
    });
  }
  it('4.2 is legacy (the C++ rule), 5.1 is revolution with a 16-byte state', () => {
    expect(parseVersion('BITalino_v4.2').board).toBe('legacy');
    expect(parseVersion('BITalino_v5.1')).toMatchObject({ board: 'revolution', stateLength: 16 });
    expect(parseVersion('BITalino_v5.2')).toMatchObject({ board: 'revolution', stateLength: 17 });
  });
  it('rejects a non-BITalino string with a typed error', () => {
    expect(() => parseVersion('hello')).toThrow(DeviceError);
  });
  it('keeps the bytes after the newline', () => {
    const r = new VersionReader();
    expect(r.push(Uint8Array.from([...Buffer.from('xxBITalino_v5.2\n'), 1, 2]))).toBe('BITalino_v5.2');
    expect(Array.from(r.rest)).toEqual([1, 2]);
  });
});

describe('state packets (vectors.state)', () => {
  for (const s of V.state) {
    it(s.label ?? `${s.device_version} ${s.reply_len} bytes`, () => {
      const bytes = hex(s.reply_bytes);
      if (s.official_exception) {
        expect(() => parseState(bytes)).toThrow(DeviceError);
        return;
      }
      const st = parseState(bytes);
      const o = s['official_state()'];
      expect(st.analog).toEqual(o.analogChannels);
      expect(st.battery).toBe(o.battery);
      expect(st.batteryThreshold).toBe(o.batteryThreshold);
      expect(st.digital).toEqual(o.digitalChannels);
      if (s.input && bytes.length === 17) {
        expect(st.pwm).toBe(s.input.pwm);
        const d = s.input.digital_I1_I2_O1_O2 as number[];
        const enc = encodeState({ ...s.input, digital: d[0] * 8 + d[1] * 4 + d[2] * 2 + d[3] }, 17);
        expect(toHex(enc)).toBe(s.reply_bytes);
      }
    });
  }
  it('firmware state replies decode', () => {
    const F = loadVectors('firmware-simulated-mode.json');
    for (const r of F.state_replies) {
      const st = parseState(hex(r.hex));
      expect(st.analog).toEqual(r.official_state.analogChannels);
      expect(st.batteryThreshold).toBe(r.official_state.batteryThreshold);
      expect(st.digital).toEqual(r.official_state.digitalChannels);
    }
  });
});
