/**
 * Read pacing (src/main/devices/read-pacer.ts): the pure arithmetic with hand-computed cases,
 * then the driver pacing its reads over a real pty against the emulator writing one frame per
 * write, checking every sample.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SampleBatch } from '../../src/shared/acquisition.js';
import { Bitalino } from '../../src/main/devices/bitalino.js';
import { BitalinoEmulator } from '../../src/main/devices/emulator.js';
import { ReadPacer, canHoldReads } from '../../src/main/devices/read-pacer.js';
import { SerialTransport } from '../../src/main/devices/serial-transport.js';
import { createMemoryPair } from '../../src/main/devices/memory-transport.js';
import { ptyPair } from '../helpers/pty.js';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ReadPacer', () => {
  it('holds until guardMs before the sample that completes the batch can first arrive', () => {
    // 1000 Hz, every read on arrival so far: sample k arrives no earlier than (read time of k) + …
    const p = new ReadPacer({ every: 40, rate: 1000, guardMs: 1 });
    // Sample 0 read at 1000.5: the batch completes at sample 39, at 1039.5 at the earliest; minus
    // the 1 ms guard: 38 ms.
    expect(p.next(0, 1000.5)).toBe(38);
    // Read at 1037.5 with samples up to 36 (late: 1036.5 was possible): still aiming at 39,
    // 1039.5 − 1 − 1037.5 = 1 ms, not worth a timer.
    expect(p.next(36, 1037.5)).toBe(0);
    // Sample 39 read at 1039.25, earlier than the line so far: the next batch ends at 79, at
    // 1000.25 + 79 = 1079.25 at the earliest → 1079.25 − 1 − 1039.25 = 39 ms.
    expect(p.next(39, 1039.25)).toBe(39);
  });

  it('by default holds until the completing sample can first arrive, less what the whole-millisecond timer rounds off', () => {
    const p = new ReadPacer({ every: 40, rate: 1000 });
    // Sample 0 read at 1000.5: sample 39 at ≥ 1039.5; no guard: floor(39) = 39 ms.
    expect(p.next(0, 1000.5)).toBe(39);
    // Read at 1037.2 with samples up to 37: 1039.5 − 1037.2 = 2.3 → 2 ms, a second short hold.
    expect(p.next(37, 1037.2)).toBe(2);
    // At 1038.6: 0.9 ms left, not worth a timer: read on arrival.
    expect(p.next(38, 1038.6)).toBe(0);
  });

  it('keeps the earliest arrivals: a late read does not move the target later', () => {
    const p = new ReadPacer({ every: 10, rate: 1000, guardMs: 1 });
    expect(p.next(0, 5000)).toBe(8); // sample 9 at ≥ 5009: 5009 − 1 − 5000
    // Sample 5 read 3 ms late (at 5008 instead of 5005): the envelope stays at 5000 + k.
    expect(p.next(5, 5008)).toBe(0); // 5009 − 1 − 5008 = 0
    expect(p.next(9, 5009.5)).toBe(8); // sample 19 at ≥ 5019: 5019 − 1 − 5009.5 → 8
  });

  it('follows a device clock that runs fast at once, and one that runs slow within the window', () => {
    const p = new ReadPacer({ every: 100, rate: 1000, guardMs: 1 });
    expect(p.next(0, 10_000)).toBe(50); // target 99 at ≥ 10 099: capped at maxHoldMs 50
    // Sample 99 arrives 2 ms early (the device clock runs fast): the envelope moves at once.
    expect(p.next(99, 10_097)).toBe(50); // target 199 at ≥ 10 197
    expect(p.next(150, 10_194)).toBe(2); // target 199 at ≥ 9998 + 199: 10 197 − 1 − 10 194 = 2 (the shortest hold)
    expect(p.next(150, 10_194.5)).toBe(0); // 1.5 ms: not worth a timer
  });

  it('forgets old early arrivals after its window, so a slower device clock does not cost wake-ups forever', () => {
    const p = new ReadPacer({ every: 40, rate: 1000, guardMs: 1 });
    p.next(0, 1000); // envelope 1000
    // 5 s later the device has fallen 10 ms behind that line: sample 5000 read at 6010. The 1000
    // reading is 5 s old (the window is 2–3 s): forgotten, so the line is now 1010.
    p.next(5000, 6010);
    // Sample 5001 at 6010.5 (line 1009.5): target 5039 at ≥ 6048.5 → 6048.5 − 1 − 6010.5 = 37 ms.
    // Remembering 1000 would have said 27.
    expect(p.next(5001, 6010.5)).toBe(37);
  });

  it('never holds for a batch of 1, and refuses nonsense options', () => {
    const one = new ReadPacer({ every: 1, rate: 1000 });
    expect(one.next(0, 1000)).toBe(0);
    expect(one.next(500, 1500)).toBe(0);
    expect(() => new ReadPacer({ every: 0, rate: 1000 })).toThrow(TypeError);
    expect(() => new ReadPacer({ every: 40, rate: 0 })).toThrow(TypeError);
  });

  it('knows which transports can hold their reads', () => {
    const [a] = createMemoryPair();
    expect(canHoldReads(a)).toBe(false);
    expect(canHoldReads(new SerialTransport('/dev/null'))).toBe(true);
  });
});

describe('the driver paces its reads over a pty (emulator writing one frame per write)', () => {
  /** Emulator on pty.b, driven one frame per write every millisecond; the driver on pty.a. */
  async function rig(readBatch: number) {
    const pty = await ptyPair();
    cleanup.push(() => pty.close());
    const devEnd = new SerialTransport(pty.b);
    cleanup.push(() => devEnd.close());
    await devEnd.open();
    // A1 carries the sample index (mod 1024), A2 the index / 1024: every sample identifies itself.
    const emu = new BitalinoEmulator({ firmware: 'BITalino_v5.2', inputs: (ch, k) => (ch === 1 ? k & 1023 : ch === 2 ? (k >> 10) & 1023 : 0) });
    cleanup.push(emu.attach(devEnd));
    let ticking: NodeJS.Timeout | undefined;
    let t0 = 0;
    let emitted = 0;
    const clock = () => {
      const due = Math.floor(performance.now() - t0);
      for (; emitted < due && emu.state !== 'idle'; emitted++) emu.tick(1);
      ticking = setTimeout(clock, 1);
    };
    cleanup.push(() => clearTimeout(ticking));
    const host = new SerialTransport(pty.a);
    const driver = new Bitalino(host, { readBatch });
    cleanup.push(() => driver.close());
    const samples: number[] = [];
    const batches: SampleBatch[] = [];
    driver.setListener({
      samples: (b) => {
        batches.push(b);
        for (let i = 0; i < b.count; i++) samples.push(b.analog[0][i] | (b.analog[1][i] << 10));
      },
    });
    await driver.connect();
    return {
      host,
      driver,
      samples,
      batches,
      async start() {
        await driver.start(1000, [1, 2]);
        t0 = performance.now();
        emitted = 0;
        clock();
      },
    };
  }

  it('with batches of 40: every sample, in order, with far fewer wake-ups than frames', async () => {
    const r = await rig(40);
    await r.start();
    const wake0 = r.host.readStats!.wakeups;
    const deadline = Date.now() + 20_000;
    while (r.samples.length < 2000 && Date.now() < deadline) await sleep(20);
    expect(r.samples.length).toBeGreaterThanOrEqual(2000);
    expect(r.samples.slice(0, 2000)).toEqual(Array.from({ length: 2000 }, (_, k) => k));
    // Read per frame, 2000 frames take ≈ 2000 wake-ups; paced, a few per batch of 40.
    expect(r.host.readStats!.wakeups - wake0).toBeLessThan(r.samples.length / 4);
    // Batches handed out earlier are still intact (the decoder never rewrites them).
    const again: number[] = [];
    for (const b of r.batches) for (let i = 0; i < b.count; i++) again.push(b.analog[0][i] | (b.analog[1][i] << 10));
    expect(again).toEqual(r.samples);
    // stop() asks for the version and waits for it: held reads must not keep the reply back.
    await r.driver.stop();
    expect(r.driver.state).toBe('idle');
  });

  it('setReadBatch(1) while acquiring goes back to reading on arrival; every sample still arrives', async () => {
    const r = await rig(40);
    await r.start();
    while (r.samples.length < 300) await sleep(10);
    r.driver.setReadBatch(1);
    const n = r.samples.length;
    while (r.samples.length < n + 300) await sleep(10);
    expect(r.samples).toEqual(Array.from({ length: r.samples.length }, (_, k) => k));
    expect(() => r.driver.setReadBatch(0)).toThrow(TypeError);
  });
});
