import { describe, expect, it } from 'vitest';
import {
  cmdBatteryThreshold, cmdOutputs, cmdPwm, cmdSamplingRate, cmdStart, crc4, crcMatches, decodeFrame,
  encodeFrame, encodeState, frameLength, parseState, parseVersion, VersionReader, CMD_STATE, CMD_VERSION,
} from '../../src/main/devices/codec.js';
import { DeviceError } from '../../src/shared/errors.js';
import { hex, loadVectors, randomChunks, toHex } from '../helpers/vectors.js';

const V = loadVectors('vectors.json');

describe('commands (vectors.commands)', () => {
  // Turn each recorded official-API call into our encoder's call.
  const encode = (call: string, version: string, before: string): number[] | 'error' | 'skip' => {
    const board = parseVersion(version).board;
    const m = /^(\w+)\((.*?)\)/.exec(call)!;
    const name = m[1];
    const args = m[2] ? JSON.parse(`[${m[2]}]`) : [];
    try {
      switch (name) {
        case 'start': {
          const [rate, chans] = args as [number, number[]];
          return [cmdSamplingRate(rate), cmdStart(chans.map((c) => c + 1))];
        }
        case 'stop':
          if (board === 'legacy' && before === 'idle') return 'error';
          return [before === 'idle' ? 0xff : 0x00];
        case 'battery':
          if (before !== 'idle') return 'error';
          return [cmdBatteryThreshold(args[0])];
        case 'trigger': {
          if (board === 'legacy' && before === 'idle') return 'error';
          const outs = args[0] ?? [0, 0];
          return [cmdOutputs(board, outs)];
        }
        case 'pwm':
          if (board === 'legacy') return 'error';
          return cmdPwm(args[0]);
        case 'version':
          return before === 'idle' ? [CMD_VERSION] : 'error';
        default:
          return 'skip';
      }
    } catch (e) {
      expect(e).toBeInstanceOf(DeviceError);
      return 'error';
    }
  };
  for (const c of V.commands) {
    it(`${c.call} on ${c.device_version} (${c.device_state_before})`, () => {
      const got = encode(c.call, c.device_version, c.device_state_before);
      if (c.exception) expect(got).toBe('error');
      else expect(toHex(got as number[])).toBe(c.bytes);
    });
  }
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
