/**
 * The LSL clock (docs/lsl.md §9): seconds of the host's monotonic clock, what liblsl's
 * `lsl_local_clock()` returns. liblsl reads `std::chrono::steady_clock` (CLOCK_MONOTONIC on Linux,
 * mach_absolute_time on macOS, QueryPerformanceCounter on Windows); `process.hrtime` reads the same
 * clock on each (libuv's uv_hrtime), so an inlet on this host and ServerBIT agree to within a
 * microsecond (measured against liblsl in test/interop/lsl/clock.test.ts).
 */

const NS_PER_S = 1_000_000_000n;

/**
 * Monotonic seconds, computed as liblsl does: whole seconds and the nanosecond remainder are
 * converted separately, so the result keeps nanosecond resolution however long the host has run.
 */
export function lslClock(): number {
  const ns = process.hrtime.bigint();
  return Number(ns / NS_PER_S) + Number(ns % NS_PER_S) / 1e9;
}

/** A source of LSL-clock seconds; injected so tests can drive time. */
export type Clock = () => number;
