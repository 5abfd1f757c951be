/**
 * Deterministic synthetic physiological signals, as 10-bit ADC values, for the simulator's live
 * inputs. Channel roles follow the (r)evolution board (docs/bitalino-protocol.md §9): A1 EMG, A2 ECG, A3 EDA,
 * A4 EEG, A5 ACC, A6 LUX.
 *
 * Pure: a value depends only on (seed, rate, channel, index), never on call order, so any sample
 * can be recomputed and tests can seek. That rules out a running PRNG; instead every random draw
 * is a hash of its coordinates (mulberry32's output mix applied to them), and slow variation is
 * value noise between hashed knots. Cheap: a few hashes and at most a handful of exp() per
 * sample, enough for 6 channels × 1000 Hz many times over.
 */

export interface SignalSourceOptions {
  /** Any integer; the same seed gives the same signals. */
  seed: number;
  /** Sampling rate in Hz: sample `index` is at time index / rate seconds. */
  rate: number;
}

/** (channel 1..6, sample index) → ADC value 0..1023 (integer). */
export type SignalSource = (channel: number, index: number) => number;

export function createSignalSource(options: SignalSourceOptions): SignalSource {
  const { seed, rate } = options;
  if (!Number.isFinite(seed)) throw new TypeError(`options.seed must be a finite number, got ${String(seed)}`);
  if (!Number.isFinite(rate) || rate <= 0) throw new TypeError(`options.rate must be a positive number of Hz, got ${String(rate)}`);
  const s = mix(Math.trunc(seed) | 0);
  return (channel, index) => {
    const t = index / rate;
    let v: number;
    switch (channel) {
      case 1:
        v = emg(s, t, index);
        break;
      case 2:
        v = ecg(s, t, index);
        break;
      case 3:
        v = eda(s, t, index);
        break;
      case 4:
        v = eeg(s, t, index);
        break;
      case 5:
        v = acc(s, t, index);
        break;
      case 6:
        v = lux(s, t, index);
        break;
      default:
        throw new RangeError(`channel ${String(channel)} is not valid: channels are 1..6 (A1..A6)`);
    }
    v = Math.round(v);
    return v > 1023 ? 1023 : v < 0 ? 0 : v;
  };
}

// ---------------------------------------------------------------------------------------------
// Hash-based randomness. Each draw is named by (seed, stream, n); streams keep the channels and
// the components of one channel independent.

/** mulberry32's output function: a good 32-bit mixer. */
function mix(x: number): number {
  let t = (x + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) | 0;
}

/** Uniform in [0, 1). */
function u01(seed: number, stream: number, n: number): number {
  return (mix(mix(seed ^ Math.imul(stream, 0x9e3779b1)) ^ Math.imul(n | 0, 0x85ebca77) ^ ((n / 4294967296) | 0)) >>> 0) / 4294967296;
}

/** Uniform in [-1, 1). */
function signed(seed: number, stream: number, n: number): number {
  return 2 * u01(seed, stream, n) - 1;
}

/** Roughly normal, mean 0, sd 1, bounded to ±3 (Irwin–Hall of 3). */
function gauss(seed: number, stream: number, n: number): number {
  return 2 * (u01(seed, stream, 3 * n) + u01(seed, stream, 3 * n + 1) + u01(seed, stream, 3 * n + 2) - 1.5);
}

/** Smooth value noise in [-1, 1]: random knots at integer x, smoothstep between them. */
function valueNoise(seed: number, stream: number, x: number): number {
  const i = Math.floor(x);
  const f = x - i;
  const a = signed(seed, stream, i);
  const b = signed(seed, stream, i + 1);
  return a + (b - a) * f * f * (3 - 2 * f);
}

// Stream ids (arbitrary distinct constants).
const EMG_NOISE = 11, EMG_BURST = 12, EMG_LEN = 13, EMG_AMP = 14, EMG_SKIP = 15;
const ECG_JITTER = 21, ECG_NOISE = 22;
const EDA_TONIC = 31, EDA_SCR = 32, EDA_ONSET = 33, EDA_AMP = 34, EDA_NOISE = 35;
const EEG_ENV = 41, EEG_PHASE = 42, EEG_SLOW = 43, EEG_NOISE = 44;
const ACC_SLOW = 51, ACC_NOISE = 52;
const LUX_PHASE = 61, LUX_SHADE = 62, LUX_DEPTH = 63, LUX_NOISE = 64;

const BASE = 512;

// ---------------------------------------------------------------------------------------------
// A1 EMG: quiet baseline noise, and in most 4-second windows one burst of muscle activity
// (0.5–1.5 s, smooth onset and offset, peaks of ±120..240).
const EMG_WINDOW_S = 4;

function emg(seed: number, t: number, i: number): number {
  const w = Math.floor(t / EMG_WINDOW_S);
  let envelope = 0;
  if (u01(seed, EMG_SKIP, w) > 0.2) {
    const start = w * EMG_WINDOW_S + 0.5 + 1.5 * u01(seed, EMG_BURST, w);
    const length = 0.5 + u01(seed, EMG_LEN, w);
    const x = (t - start) / length;
    if (x > 0 && x < 1) envelope = Math.sin(Math.PI * x) * (120 + 120 * u01(seed, EMG_AMP, w));
  }
  return BASE + gauss(seed, EMG_NOISE, i) * (3 + envelope / 3);
}

// ---------------------------------------------------------------------------------------------
// A2 ECG: P-QRS-T at ~70 bpm. Beat k's R peak is at k·RR plus a hashed jitter of up to ±6 %,
// so RR intervals vary by up to ±12 % (a little heart-rate variability) while the beat that
// covers any instant is found without summing the history. Waves are Gaussians (ADC units,
// seconds from the R peak); baseline wander from breathing, a little noise.
const ECG_RR_S = 60 / 70;
const ECG_JITTER_S = 0.06 * ECG_RR_S;
//                      P      Q      R     S     T
const ECG_AMP = [25, -30, 300, -70, 60];
const ECG_AT = [-0.2, -0.035, 0, 0.035, 0.26];
const ECG_SD = [0.025, 0.01, 0.011, 0.011, 0.045];
/** A wave farther than this many sds contributes < 0.01 % of its amplitude: skip it. */
const ECG_CUTOFF_SD = 4.5;

function ecg(seed: number, t: number, i: number): number {
  const k0 = Math.floor(t / ECG_RR_S);
  let v = BASE + 8 * Math.sin(2 * Math.PI * 0.25 * t) + 1.5 * gauss(seed, ECG_NOISE, i);
  for (let k = k0 - 1; k <= k0 + 1; k++) {
    const r = k * ECG_RR_S + ECG_JITTER_S * signed(seed, ECG_JITTER, k);
    for (let w = 0; w < 5; w++) {
      const z = (t - r - ECG_AT[w]) / ECG_SD[w];
      if (z > -ECG_CUTOFF_SD && z < ECG_CUTOFF_SD) v += ECG_AMP[w] * Math.exp(-0.5 * z * z);
    }
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// A3 EDA: a tonic level wandering over tens of seconds (≈ 330..570), plus skin conductance
// responses (fast rise ~1 s, slow recovery ~5 s) in about half of the 6-second windows.
const EDA_WINDOW_S = 6;
/** Responses older than this have decayed below 0.2 %. */
const EDA_MEMORY_S = 30;

function eda(seed: number, t: number, i: number): number {
  let v = 450 + 120 * valueNoise(seed, EDA_TONIC, t / 20) + 0.8 * gauss(seed, EDA_NOISE, i);
  const last = Math.floor(t / EDA_WINDOW_S);
  for (let w = Math.floor((t - EDA_MEMORY_S) / EDA_WINDOW_S); w <= last; w++) {
    if (u01(seed, EDA_SCR, w) < 0.5) continue;
    const tau = t - (w + u01(seed, EDA_ONSET, w)) * EDA_WINDOW_S;
    if (tau > 0) v += (30 + 90 * u01(seed, EDA_AMP, w)) * (1 - Math.exp(-tau / 0.7)) * Math.exp(-tau / 5);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// A4 EEG: alpha near 10 Hz (waxing and waning, phase drifting) over background noise, within a
// few tens of counts of mid-scale.

function eeg(seed: number, t: number, i: number): number {
  const envelope = 0.6 + 0.4 * valueNoise(seed, EEG_ENV, t / 1.5);
  const phase = 2 * Math.PI * 10 * t + Math.PI * valueNoise(seed, EEG_PHASE, t / 2);
  return BASE + 25 * envelope * Math.sin(phase) + 8 * valueNoise(seed, EEG_SLOW, t * 40) + 5 * gauss(seed, EEG_NOISE, i);
}

// ---------------------------------------------------------------------------------------------
// A5 ACC: slow body movement around mid-scale, within about ±60.

function acc(seed: number, t: number, i: number): number {
  return BASE + 45 * valueNoise(seed, ACC_SLOW, t / 1.5) + 12 * Math.sin(2 * Math.PI * 0.2 * t) + 1.5 * gauss(seed, ACC_NOISE, i);
}

// ---------------------------------------------------------------------------------------------
// A6 LUX: daylight drifting over a 30-minute cycle, and in about a quarter of the 20-second
// windows a shadow (someone passing, a cloud) that dims it by 100..300 with 1-second ramps.
const LUX_WINDOW_S = 20;

function lux(seed: number, t: number, i: number): number {
  const phase = 2 * Math.PI * u01(seed, LUX_PHASE, 0);
  let v = 620 + 180 * Math.sin((2 * Math.PI * t) / 1800 + phase) + 1.5 * gauss(seed, LUX_NOISE, i);
  const w = Math.floor(t / LUX_WINDOW_S);
  if (u01(seed, LUX_SHADE, w) < 0.25) {
    const x = t - w * LUX_WINDOW_S; // shadow from 5 s to 15 s into the window
    const ramp = Math.min(1, Math.max(0, x - 5), Math.max(0, 15 - x));
    v -= (100 + 200 * u01(seed, LUX_DEPTH, w)) * ramp;
  }
  return v;
}
