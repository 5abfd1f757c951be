/** ServerBIT's LSL clock against liblsl's lsl_local_clock() (docs/lsl.md §9). */
import { describe, expect, it } from 'vitest';
import { lslClock } from '../../../src/main/outputs/lsl/clock.js';
import { liblsl } from './liblsl.js';

describe('lslClock', () => {
  it('reads the clock lsl_local_clock() reads (bracketed by our readings, to the microsecond)', () => {
    let within = 0;
    for (let i = 0; i < 1000; i++) {
      const a = lslClock();
      const l = liblsl.localClock();
      const b = lslClock();
      // 1 µs of slack for the two conversions to double.
      if (l >= a - 1e-6 && l <= b + 1e-6) within++;
    }
    expect(within).toBe(1000);
  });
});
