/**
 * The emulator against docs/bitalino-protocol.md §2–§7 and the recorded firmware streams in
 * test/fixtures/bitalino/.
 * Deterministic: the sample clock is driven with tick() (or a fake clock for run()), except one
 * loose real-time check.
 */
import { describe, expect, it } from 'vitest';
import { crcMatches, decodeFrame, frameLength } from '../../src/main/devices/codec.js';
import { BitalinoEmulator, type BitalinoEmulatorOptions, type EmulatorClock } from '../../src/main/devices/emulator.js';
import { createMemoryPair } from '../../src/main/devices/memory-transport.js';
import { createSimulator } from '../../src/main/devices/simulator.js';
import { hex, loadVectors, toHex } from '../helpers/vectors.js';

const V = loadVectors('vectors.json');
const FW = loadVectors('firmware-simulated-mode.json');

function setup(options: Partial<BitalinoEmulatorOptions> = {}) {
  const emu = new BitalinoEmulator({ firmware: 'BITalino_v5.2', ...options });
  const out: number[] = [];
  const writes: Uint8Array[] = [];
  emu.onTransmit((b) => {
    writes.push(b);
    out.push(...b);
  });
  const send = (...bytes: number[]) => emu.receive(Uint8Array.from(bytes));
  /** Everything transmitted since the last take(). */
  const take = (): Uint8Array => Uint8Array.from(out.splice(0));
  return { emu, send, take, writes };
}

/** Splits a stream into frames of n channels, checking each CRC. */
function frames(bytes: Uint8Array, nChannels: number) {
  const len = frameLength(nChannels);
  expect(bytes.length % len).toBe(0);
  const result = [];
  for (let o = 0; o < bytes.length; o += len) {
    expect(crcMatches(bytes, o, len), `CRC of frame at ${o}`).toBe(true);
    result.push(decodeFrame(bytes, o, nChannels));
  }
  return result;
}

const bits = (d: number) => [(d >> 3) & 1, (d >> 2) & 1, (d >> 1) & 1, d & 1];

describe('(r)evolution: acquisition (§4.2, §6, §7.1)', () => {
  it('set rate then start: nothing until the first tick, then frames with seq 0, 1, 2, … wrapping after 15', () => {
    const { emu, send, take } = setup();
    send(0x83, 0x05);
    expect(emu.state).toBe('live');
    expect(emu.rate).toBe(100);
    expect(emu.mask).toBe(1);
    expect(take().length).toBe(0); // first frame one period after start
    emu.tick(20);
    expect(frames(take(), 1).map((f) => f.seq)).toEqual([...Array(16).keys(), 0, 1, 2, 3]);
  });

  it.each([
    [0x05, [1]],
    [0x0d, [1, 2]],
    [0x91, [3, 6]],
    [0xa9, [2, 4, 6]],
    [0x3d, [1, 2, 3, 4]],
    [0x7d, [1, 2, 3, 4, 5]],
    [0xf9, [2, 3, 4, 5, 6]],
    [0xfd, [1, 2, 3, 4, 5, 6]],
  ])('start %s: frame length and ascending slots, 6-bit slots carry ADC >> 4', (cmd, channels) => {
    const s = setupAndRun(cmd, 3);
    const fs = frames(s, channels.length);
    expect(s.length).toBe(3 * frameLength(channels.length));
    fs.forEach((f, k) => {
      expect(f.seq).toBe(k);
      expect(f.analog).toEqual(channels.map((ch, slot) => (slot < 4 ? 100 * ch + 7 * k + 3 : (100 * ch + 7 * k + 3) >> 4)));
    });
  });

  it('an empty mask (01 / 02) streams 2-byte frames', () => {
    const { emu, send, take } = setup({ digitalInputs: () => 0b1000 });
    send(0x01);
    emu.tick(3);
    const bytes = take();
    expect(bytes.length).toBe(6);
    expect(frames(bytes, 0).map((f) => [f.seq, f.digital])).toEqual([
      [0, 0b1000],
      [1, 0b1000],
      [2, 0b1000],
    ]);
    send(0xff, 0x02);
    emu.tick(2);
    expect(frames(take(), 0).map((f) => [f.seq, f.digital])).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });

  it('clamps and rounds live inputs to 10 bits', () => {
    const { emu, send, take } = setup({ inputs: (ch) => [-5, 2000, 511.6, NaN, 0, 0][ch - 1] });
    send(0x3d);
    emu.tick(1);
    expect(frames(take(), 4)[0].analog).toEqual([0, 1023, 512, 0]);
  });

  it('bytes ending in binary 11 during acquisition set O1/O2 (07, 0B, 43) and never reply; 43 does not change the rate', () => {
    const { emu, send, take } = setup({ digitalInputs: () => 0b1100 });
    send(0x83, 0x05);
    emu.tick(1);
    send(0x07); // version in idle, outputs O1=1 O2=0 here
    expect(take().length).toBe(3); // only the frame before: no version reply
    expect(emu.outputs).toEqual([1, 0]);
    emu.tick(2);
    expect(frames(take(), 1).map((f) => bits(f.digital))).toEqual([
      [1, 1, 1, 0],
      [1, 1, 1, 0],
    ]);
    send(0x0b); // state in idle, O1=0 O2=1 here
    expect(emu.outputs).toEqual([0, 1]);
    emu.tick(1);
    expect(bits(frames(take(), 1)[0].digital)).toEqual([1, 1, 0, 1]);
    send(0x43); // 10 Hz in idle, both outputs low here
    expect(emu.outputs).toEqual([0, 0]);
    expect(emu.rate).toBe(100);
    expect(emu.state).toBe('live');
    emu.tick(1);
    expect(bits(frames(take(), 1)[0].digital)).toEqual([1, 1, 0, 0]);
  });

  it('ignores start, battery and other bytes while acquiring', () => {
    const { emu, send, take } = setup();
    send(0xc3, 0x05);
    send(0xfd, 0x02, 0x78, 0x01, 0xe3, 0xa7);
    expect(emu.state).toBe('live');
    expect(emu.mask).toBe(1);
    expect(emu.batteryThreshold).toBe(0);
    expect(emu.outputs).toEqual([0, 0]);
    emu.tick(2);
    expect(frames(take(), 1).map((f) => f.seq)).toEqual([0, 1]);
  });

  it('00 and FF stop live and simulated acquisition; FF in idle changes nothing', () => {
    for (const stop of [0x00, 0xff]) {
      for (const start of [0x05, 0x06]) {
        const { emu, send, take } = setup();
        send(start);
        expect(emu.state).toBe(start === 0x05 ? 'live' : 'simulated');
        send(stop);
        expect(emu.state).toBe('idle');
        emu.tick(5);
        expect(take().length).toBe(0);
      }
    }
    const { emu, send, take } = setup();
    send(0x78, 0xff);
    expect(emu.state).toBe('idle');
    expect(emu.batteryThreshold).toBe(30);
    expect(take().length).toBe(0);
  });

  it('the rate takes effect at the next start; a restart resets seq to 0', () => {
    const { emu, send, take } = setup();
    send(0x43);
    expect(emu.rate).toBe(10);
    send(0x05);
    emu.tick(5);
    send(0x00, 0x0d);
    emu.tick(2);
    const bytes = take();
    expect(frames(bytes.subarray(0, 15), 1).map((f) => f.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(frames(bytes.subarray(15), 2).map((f) => f.seq)).toEqual([0, 1]);
  });
});

describe('(r)evolution: idle commands (§4.2)', () => {
  it('A3 FD sets PWM 0xFD and does not start acquisition', () => {
    const { emu, send, take } = setup();
    send(0xa3, 0xfd);
    expect(emu.pwm).toBe(0xfd);
    expect(emu.state).toBe('idle');
    expect(take().length).toBe(0);
  });

  it('A3 swallows the next byte in every mode (A3 00 while acquiring does not stop)', () => {
    const { emu, send } = setup();
    send(0x05, 0xa3, 0x00);
    expect(emu.state).toBe('live');
    expect(emu.pwm).toBe(0);
    send(0xa3, 0xa3);
    expect(emu.pwm).toBe(0xa3);
    send(0xa3, 0xff, 0x07); // FF is the duty; 07 then sets outputs (acquiring)
    expect(emu.pwm).toBe(0xff);
    expect(emu.state).toBe('live');
    expect(emu.outputs).toEqual([1, 0]);
  });

  it('B3-group bytes set the outputs in any mode', () => {
    const { emu, send } = setup();
    send(0xb7);
    expect(emu.outputs).toEqual([1, 0]);
    send(0xbf);
    expect(emu.outputs).toEqual([1, 1]);
    send(0x05, 0xbb);
    expect(emu.outputs).toEqual([0, 1]);
    send(0xb3);
    expect(emu.outputs).toEqual([0, 0]);
  });

  it('battery threshold: v << 2 in idle, and 00 in idle sets it to 0', () => {
    const { emu, send, take } = setup();
    send(0xfc);
    expect(emu.batteryThreshold).toBe(63);
    send(0x78);
    expect(emu.batteryThreshold).toBe(30);
    send(0x00);
    expect(emu.batteryThreshold).toBe(0);
    expect(emu.state).toBe('idle');
    expect(take().length).toBe(0);
  });

  it('ignores every other xxxxxx11 byte in idle and the rest of the all-mode group', () => {
    const { emu, send, take } = setup();
    for (const b of [0x13, 0x23, 0x33, 0x17, 0x53, 0xd3, 0xa7, 0xab, 0xaf, 0xe3, 0xe7, 0xeb, 0xef, 0xf3, 0xf7, 0xfb]) send(b);
    expect(take().length).toBe(0);
    expect(emu.state).toBe('idle');
    expect(emu.rate).toBe(1000);
    expect(emu.outputs).toEqual([0, 0]);
    expect(emu.pwm).toBe(0);
  });

  it('sets the four rates with 03 / 43 / 83 / C3', () => {
    const { emu, send } = setup();
    const rates = [];
    for (const b of [0x03, 0x43, 0x83, 0xc3]) {
      send(b);
      rates.push(emu.rate);
    }
    expect(rates).toEqual([1, 10, 100, 1000]);
  });

  it('version reply to 07 and 0F', () => {
    for (const fw of ['BITalino_v5.2', 'BITalino_v5.1']) {
      const { send, take } = setup({ firmware: fw });
      send(0x07);
      expect(new TextDecoder().decode(take())).toBe(`${fw}\n`);
      send(0x0f);
      expect(new TextDecoder().decode(take())).toBe(`${fw}\n`);
    }
    const match = V.version_detection.find((v: any) => v['version()_returns'] === 'BITalino_v5.2');
    const { send, take } = setup();
    send(0x07);
    expect(toHex(take())).toBe(match.device_reply_hex);
  });

  it('rejects a firmware option that is not a version string', () => {
    expect(() => new BitalinoEmulator({ firmware: 'hello' })).toThrow(TypeError);
    expect(() => new BitalinoEmulator({ firmware: 'BITalino_v4.0', ctsMode: true })).toThrow(TypeError);
  });
});

describe('(r)evolution: state reply (§5)', () => {
  const cases = V.state.filter((s: any) => s.input);
  it.each(cases.map((c: any) => [`${c.device_version} ${c.reply_len} bytes`, c]))('%s matches vectors.json', (_name, c: any) => {
    const [i1, i2, o1, o2] = c.input.digital_I1_I2_O1_O2;
    const { emu, send, take } = setup({
      firmware: c.device_version,
      inputs: (ch) => c.input.analog[ch - 1],
      digitalInputs: () => (i1 << 3) | (i2 << 2),
      battery: c.input.battery,
    });
    send(c.input.batteryThreshold << 2, 0xb3 | (o1 << 2) | (o2 << 3));
    if (c.input.pwm !== null) send(0xa3, c.input.pwm);
    send(0x0b);
    expect(toHex(take())).toBe(c.reply_bytes);
    expect(emu.stateLength).toBe(c.reply_len);
  });

  it('reproduces the real firmware state replies in firmware-simulated-mode.json', () => {
    const first = FW.state_replies[0].official_state;
    const { send, take } = setup({
      inputs: (ch) => first.analogChannels[ch - 1],
      digitalInputs: () => (first.digitalChannels[0] << 3) | (first.digitalChannels[1] << 2),
      battery: first.battery,
    });
    for (const r of FW.state_replies) {
      const bytes = hex(r.hex);
      const d = bytes[16] >> 4;
      send(bytes[14] << 2, 0xa3, bytes[15], 0xb3 | (((d >> 1) & 1) << 2) | ((d & 1) << 3), 0x0b);
      expect(toHex(take())).toBe(r.hex);
    }
  });

  it('no reply to 0B while acquiring', () => {
    const { send, take } = setup();
    send(0x05, 0x0b);
    expect(take().length).toBe(0);
  });
});

describe('real firmware streams (firmware-simulated-mode.json)', () => {
  it('live 100 Hz, all six channels', () => {
    const v = FW.live_100Hz_all6;
    const adc = [511, 0, 1023, 255, 767, 310];
    const { emu, send, take } = setup({ inputs: (ch) => adc[ch - 1], digitalInputs: () => 0b1100 });
    send(0xb7, 0x83, 0xfd);
    emu.tick(5);
    expect(toHex(take())).toBe(v.hex);
  });

  it('live 10 Hz, A2', () => {
    const { emu, send, take } = setup({ inputs: () => 0, digitalInputs: () => 0b1100 });
    send(0xbf, 0x43, 0x09);
    emu.tick(2);
    expect(toHex(take())).toBe(FW.live_10Hz_A2.hex);
  });

  it('simulated mode at 1000 Hz, all six: byte for byte, digital nibble = seq', () => {
    const v = FW.sim_1000Hz_all6;
    const { emu, send, take } = setup({ digitalInputs: () => 0 });
    send(0xc3, 0xfe);
    emu.tick(v.official_decode_all.rows.length);
    const bytes = take();
    expect(toHex(bytes)).toBe(v.hex);
    for (const f of frames(bytes, 6)) expect(f.digital).toBe(f.seq);
  });

  it('simulated mode: the 100-step counter wraps, the tables repeat', () => {
    const rows = FW.sim_1000Hz_all6.official_decode_all.rows;
    const { emu, send, take } = setup();
    send(0xfe);
    emu.tick(119);
    const fs = frames(take(), 6);
    for (let k = 0; k < rows.length; k++) expect(fs[100 + k].analog).toEqual(rows[k].slice(5));
    expect(fs[100].seq).toBe(100 % 16);
  });

  it('simulated mode: tables chosen by channel number, not slot', () => {
    const rows = FW.sim_1000Hz_all6.official_decode_all.rows;
    const { emu, send, take } = setup();
    send(0x92); // simulated [A3, A6]
    emu.tick(3);
    expect(frames(take(), 2).map((f) => f.analog)).toEqual(rows.slice(0, 3).map((r: number[]) => [r[7], r[10]]));
  });

  it('CTS mode at 1000 Hz: the odd frame held at stop goes out before the next acquisition (live_1000Hz_A1_incl_stale)', () => {
    const v = FW.live_1000Hz_A1_incl_stale;
    const { emu, send, take } = setup({ ctsMode: true, inputs: () => 511, digitalInputs: () => 0b1100 });
    // The recording's stale frame is simulated-mode frame 19 (seq 3) of an earlier acquisition.
    send(0xc3, 0xfe);
    emu.tick(20);
    send(0x00);
    expect(emu.holding).toBe(true);
    expect(take().length).toBe(19 * 8);
    // Then live A1 with O1 set; outputs change where the decoded rows show it.
    send(0xb7, 0x05);
    const rows: number[][] = v.official_decode_after_dropping_8_stale_bytes.rows;
    let k = 0;
    while (k < rows.length) {
      const [, , , o1, o2] = rows[k];
      send(0xb3 | (o1 << 2) | (o2 << 3));
      let n = 0;
      while (k + n < rows.length && rows[k + n][3] === o1 && rows[k + n][4] === o2) n++;
      emu.tick(n);
      k += n;
    }
    expect(toHex(take())).toBe(v.hex);
    expect(v.bytes).toBe(8 + rows.length * 3);
  });

  it('CTS mode: odd frames wait for the next even one; a frame held at stop precedes the version reply', () => {
    const { emu, send, take, writes } = setup({ ctsMode: true });
    send(0x05);
    emu.tick(1);
    expect(take().length).toBe(3); // seq 0
    emu.tick(1);
    expect(take().length).toBe(0); // seq 1 held
    emu.tick(1);
    expect(frames(take(), 1).map((f) => f.seq)).toEqual([1, 2]);
    expect(writes.at(-1)!.length).toBe(6); // back to back, one write
    emu.tick(1);
    send(0x00);
    expect(take().length).toBe(0);
    send(0x07);
    const bytes = take();
    expect(frames(bytes.subarray(0, 3), 1)[0].seq).toBe(3);
    expect(new TextDecoder().decode(bytes.subarray(3))).toBe('BITalino_v5.2\n');
  });

  it('CTS mode below 1000 Hz holds nothing', () => {
    const { emu, send, take } = setup({ ctsMode: true });
    send(0x83, 0x05);
    emu.tick(3);
    expect(frames(take(), 1).map((f) => f.seq)).toEqual([0, 1, 2]);
  });
});

describe('legacy firmware (§4.3)', () => {
  const legacy = (o: Partial<BitalinoEmulatorOptions> = {}) => setup({ firmware: 'BITalino_v4.0', ...o });

  it('0B, A3, FF, B3 (any xxxxxx11 but 07) in idle set the rate from bits 7-6', () => {
    const { emu, send, take } = legacy();
    const seen = [];
    for (const b of [0x0b, 0xa3, 0xff, 0xb3, 0x0f, 0x43, 0xc3]) {
      send(b);
      seen.push(emu.rate);
    }
    expect(seen).toEqual([1, 100, 1000, 100, 1, 10, 1000]);
    expect(take().length).toBe(0); // no state reply, no reply at all
    expect(emu.pwm).toBe(0);
  });

  it('A3 does not swallow the next byte', () => {
    const { emu, send } = legacy();
    send(0xa3, 0x05);
    expect(emu.rate).toBe(100);
    expect(emu.state).toBe('live');
  });

  it('version reply to 07', () => {
    const { send, take } = legacy();
    send(0x07);
    expect(new TextDecoder().decode(take())).toBe('BITalino_v4.0\n');
  });

  it('battery threshold in idle, including 00', () => {
    const { emu, send } = legacy();
    send(0x78);
    expect(emu.batteryThreshold).toBe(30);
    send(0x00);
    expect(emu.batteryThreshold).toBe(0);
  });

  it('during acquisition: 07 sets O1, bits 2-5 drive O1..O4, FF does not stop, 00 does; digital nibble = I1..I4', () => {
    const { emu, send, take } = legacy({ digitalInputs: () => 0b1010 });
    send(0x83, 0x05);
    send(0x07);
    expect(emu.outputs).toEqual([1, 0, 0, 0]);
    expect(emu.state).toBe('live');
    send(0x3f);
    expect(emu.outputs).toEqual([1, 1, 1, 1]);
    send(0x13);
    expect(emu.outputs).toEqual([0, 0, 1, 0]);
    send(0xff);
    expect(emu.state).toBe('live');
    expect(emu.outputs).toEqual([1, 1, 1, 1]);
    emu.tick(2);
    expect(frames(take(), 1).map((f) => f.digital)).toEqual([0b1010, 0b1010]);
    send(0x0b, 0xb3); // no rate change while acquiring
    expect(emu.rate).toBe(100);
    send(0x00);
    expect(emu.state).toBe('idle');
    send(0x0b);
    expect(take().length).toBe(0); // no state command on legacy
  });

  it('simulated mode: digital nibble = seq', () => {
    const { emu, send, take } = legacy();
    send(0x06);
    emu.tick(3);
    expect(frames(take(), 1).map((f) => f.digital)).toEqual([0, 1, 2]);
  });
});

describe('fault injection', () => {
  it('corrupt rewrites frames, injectGarbage sends raw bytes', () => {
    const { emu, send, take } = setup({ corrupt: (f, seq) => (seq === 1 ? Uint8Array.of(...f, 0xaa) : f) });
    send(0x05);
    emu.tick(3);
    const bytes = take();
    expect(bytes.length).toBe(10);
    expect(bytes[6]).toBe(0xaa);
    emu.injectGarbage(Uint8Array.of(1, 2, 3));
    expect([...take()]).toEqual([1, 2, 3]);
  });

  it('silence(): nothing is sent, frames still tick (a seq gap after it)', () => {
    const { emu, send, take } = setup();
    send(0x05);
    emu.tick(2);
    emu.silence(true);
    emu.tick(3);
    send(0x00, 0x07);
    send(0x05);
    emu.tick(1);
    expect(take().length).toBe(6);
    emu.silence(false);
    emu.tick(1);
    expect(frames(take(), 1)[0].seq).toBe(1);
  });
});

/** A manual clock: timers fire when advance() passes their time. */
function fakeClock() {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 1;
  const clock: EmulatorClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const t = { at: now + ms, fn, id: nextId++ };
      timers.push(t);
      return t.id;
    },
    clearTimeout: (id) => {
      timers = timers.filter((t) => t.id !== id);
    },
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      timers.sort((a, b) => a.at - b.at);
      const t = timers[0];
      if (!t || t.at > end) break;
      timers.shift();
      now = t.at;
      t.fn();
    }
    now = end;
  };
  return { clock, advance, pending: () => timers.length };
}

describe('real-time scheduler', () => {
  it('with a fake clock: frame k is due k+1 periods after start, batched every few ms', () => {
    const { clock, advance, pending } = fakeClock();
    const { emu, send, take, writes } = setup({ clock });
    emu.run();
    expect(pending()).toBe(0); // idle: no timer
    send(0x43, 0x05); // 10 Hz
    advance(99);
    expect(take().length).toBe(0);
    advance(1);
    expect(take().length).toBe(3);
    advance(1000);
    expect(frames(take(), 1).map((f) => f.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    send(0x00, 0xc3, 0x0d); // 1000 Hz
    writes.length = 0;
    advance(1000);
    const fs = frames(take(), 2);
    expect(fs.length).toBe(1000);
    expect(writes.length).toBeLessThanOrEqual(250); // several frames per write
    send(0x00);
    expect(pending()).toBe(0);
  });

  it('with a fake clock: halt() freezes the device clock, run() resumes it', () => {
    const { clock, advance } = fakeClock();
    const { emu, send, take } = setup({ clock });
    send(0x83, 0x05);
    emu.run();
    advance(50);
    expect(take().length).toBe(5 * 3);
    emu.halt();
    advance(1000);
    expect(take().length).toBe(0);
    emu.run();
    advance(20);
    expect(frames(take(), 1).map((f) => f.seq)).toEqual([5, 6]);
  });

  it('with a fake clock: a long stall catches up at most 1 s of frames, seq still counting', () => {
    let now = 0;
    let fire: (() => void) | undefined;
    const clock: EmulatorClock = { now: () => now, setTimeout: (fn) => (fire = fn), clearTimeout: () => {} };
    const { emu, send, take } = setup({ clock });
    send(0x83, 0x05);
    emu.run();
    now = 5030; // 503 frames due at 100 Hz
    fire!();
    const fs = frames(take(), 1);
    expect(fs.length).toBe(100);
    expect(fs[0].seq).toBe(403 % 16);
    emu.halt();
  });

  it('in real time, about rate frames per second', async () => {
    const { emu, send, take } = setup();
    emu.run();
    const t0 = performance.now();
    send(0xc3, 0x05);
    await new Promise((r) => setTimeout(r, 500));
    const elapsed = performance.now() - t0;
    emu.halt();
    const n = take().length / 3;
    expect(n).toBeLessThanOrEqual(elapsed + 1);
    expect(n).toBeGreaterThan(elapsed * 0.8 - 20);
  });
});

describe('attach() and the simulator', () => {
  it('wires an in-memory transport; a closed link returns the device to idle (BT-status mode)', async () => {
    const [host, device] = createMemoryPair();
    const emu = new BitalinoEmulator({ firmware: 'BITalino_v5.2' });
    await device.open();
    emu.attach(device);
    await host.open();
    const got: number[] = [];
    host.onData((c) => got.push(...c));
    await host.write(Uint8Array.of(0x07));
    await new Promise((r) => setTimeout(r, 10));
    expect(new TextDecoder().decode(Uint8Array.from(got))).toBe('BITalino_v5.2\n');
    await host.write(Uint8Array.of(0x05));
    await new Promise((r) => setTimeout(r, 10));
    expect(emu.state).toBe('live');
    await host.close();
    await new Promise((r) => setTimeout(r, 10));
    expect(emu.state).toBe('idle');
  });

  it('the simulator streams synthetic signals in real time on transport "simulator"', async () => {
    const sim = createSimulator({ seed: 7 });
    expect(sim.transport.path).toBe('simulator');
    await sim.transport.open();
    const got: number[] = [];
    sim.transport.onData((c) => got.push(...c));
    await sim.transport.write(Uint8Array.of(0x83, 0x3d)); // 100 Hz, A1..A4
    await new Promise((r) => setTimeout(r, 300));
    await sim.transport.write(Uint8Array.of(0x00));
    await new Promise((r) => setTimeout(r, 20));
    const bytes = Uint8Array.from(got);
    const n = Math.floor(bytes.length / 7);
    expect(n).toBeGreaterThanOrEqual(15);
    const fs = frames(bytes.subarray(0, n * 7), 4);
    expect(fs.map((f) => f.seq)).toEqual(fs.map((_, k) => k % 16));
    // Not constant: synthetic signals move.
    expect(new Set(fs.map((f) => f.analog[1])).size).toBeGreaterThan(1);
    await sim.close();
    await sim.close();
    expect(sim.emulator.state).toBe('idle');
  });
});

/** Starts `cmd` on a fresh emulator with ch·100 + 7k + 3 inputs and returns n ticks of bytes. */
function setupAndRun(cmd: number, n: number): Uint8Array {
  const { emu, send, take } = setup({ inputs: (ch, k) => 100 * ch + 7 * k + 3 });
  send(cmd);
  emu.tick(n);
  return take();
}
