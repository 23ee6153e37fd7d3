/**
 * Two discretized logistics mixed over the 8-bit range: the coded distribution of a sample when the
 * model's nets output a two-component mixture (format route 5). Each component is one of the frozen
 * prior tables (scale index j, quarter centre) placed at its own base; the mixture is
 *   D(x) = w C_A(x) + (MIX_ONE - w) C_B(x),   x = 0..256,
 * with C the component's cumulative frequency over values 0..x-1 (values outside its table's support
 * weigh 0; the escape symbol is not used), and the coded cumulative frequency is
 *   F(x) = x + floor(D(x) (2^MIX_PRECISION - 256) / D(256))
 * (uniform when neither component reaches 0..255): exactly 2^MIX_PRECISION in all, every value at least
 * 1, no escape route. D(x) < 2^32 and the product < 2^52, so every step is an exact integer in a double.
 */
import type { PriorTable } from '../shared/prior-tables.js';

export const MIX_PRECISION = 20;
/** Mixture weights are integers out of MIX_ONE. */
export const MIX_ONE = 4096;
/** The weight's logit is read in steps of 1 / MIX_LOGIT_STEPS, within +-MIX_LOGIT_LIMIT steps. */
export const MIX_LOGIT_STEPS = 8;
export const MIX_LOGIT_LIMIT = 64;
/**
 * MIX_WEIGHTS[i + 64] = clamp(round(4096 / (1 + exp(-i / 8))), 1, 4095): frozen integers (exp is not
 * the same on every machine), so encoder and decoder agree everywhere.
 */
const MIX_WEIGHTS = [
  1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 21, 24, 27, 31, 35, 40, 45, 51, 58, 65, 74, 83, 94, 106, 120,
  136, 153, 172, 194, 219, 246, 277, 311, 349, 391, 437, 488, 545, 606, 674, 747, 827, 912, 1004, 1102, 1205, 1314, 1428, 1546, 1668,
  1793, 1920, 2048, 2176, 2303, 2428, 2550, 2668, 2782, 2891, 2994, 3092, 3184, 3269, 3349, 3422, 3490, 3551, 3608, 3659, 3705, 3747,
  3785, 3819, 3850, 3877, 3902, 3924, 3943, 3960, 3976, 3990, 4002, 4013, 4022, 4031, 4038, 4045, 4051, 4056, 4061, 4065, 4069, 4072,
  4075, 4077, 4079, 4081, 4083, 4085, 4086, 4087, 4088, 4089, 4090, 4091, 4091, 4092, 4092, 4093, 4093, 4093, 4094, 4094, 4094, 4094,
  4095,
];
const VALUES = 256;
const SPREAD = 2 ** MIX_PRECISION - VALUES;

/** Component A's weight for a logit index (raw net output rounded to 1 / MIX_LOGIT_STEPS steps). */
export function mixWeight(logitIndex: number): number {
  const i = logitIndex < -MIX_LOGIT_LIMIT ? -MIX_LOGIT_LIMIT : logitIndex > MIX_LOGIT_LIMIT ? MIX_LOGIT_LIMIT : logitIndex;
  return MIX_WEIGHTS[i + MIX_LOGIT_LIMIT];
}

/** A table index clamped to 0..last (values beyond a table's residuals weigh nothing more). */
function clampIndex(i: number, last: number): number {
  return i < 0 ? 0 : i > last ? last : i;
}

/** One sample's mixture (set, then cdf / find); reused from sample to sample, no allocation. */
export class Mixture {
  private cumA: Uint32Array = new Uint32Array(1);
  private cumB: Uint32Array = new Uint32Array(1);
  /** Table index of value 0 (x - base + halfWidth at x = 0) and the last residual symbol's end. */
  private zeroA = 0;
  private zeroB = 0;
  private lastA = 0;
  private lastB = 0;
  private lowA = 0;
  private lowB = 0;
  private weightA = 0;
  private total = 0;

  /** Component A: `a` at base `baseA` (value = baseA + residual), weight wA / MIX_ONE; B the rest. */
  set(a: PriorTable, baseA: number, b: PriorTable, baseB: number, wA: number): void {
    this.cumA = a.table.cum;
    this.cumB = b.table.cum;
    this.zeroA = a.halfWidth - baseA;
    this.zeroB = b.halfWidth - baseB;
    this.lastA = 2 * a.halfWidth + 1;
    this.lastB = 2 * b.halfWidth + 1;
    this.lowA = this.cumA[clampIndex(this.zeroA, this.lastA)];
    this.lowB = this.cumB[clampIndex(this.zeroB, this.lastB)];
    this.weightA = wA;
    this.total = this.mass(VALUES);
  }

  /** D(x): the weighted mass of values 0..x-1. */
  private mass(x: number): number {
    const a = this.cumA[clampIndex(this.zeroA + x, this.lastA)] - this.lowA;
    const b = this.cumB[clampIndex(this.zeroB + x, this.lastB)] - this.lowB;
    return this.weightA * a + (MIX_ONE - this.weightA) * b;
  }

  /** F(x), x = 0..256: the coded cumulative frequency below value x. */
  cdf(x: number): number {
    if (this.total === 0) return x * (2 ** MIX_PRECISION / VALUES);
    return x + Math.floor((this.mass(x) * SPREAD) / this.total);
  }

  /**
   * The value x with F(x) <= slot < F(x + 1), searched outwards from `guess` (the mixture's mean: most
   * samples are a step or two away) and then by halving; `start` and `end` are then F(x) and F(x + 1).
   */
  find(slot: number, guess: number): number {
    let lo = guess < 0 ? 0 : guess > VALUES - 1 ? VALUES - 1 : guess;
    let flo = this.cdf(lo);
    let hi: number;
    let fhi: number;
    if (flo <= slot) {
      // Up in doubling steps until F(hi) > slot (F(256) = 2^precision always is).
      hi = lo + 1;
      fhi = this.cdf(hi);
      for (let step = 2; fhi <= slot; step *= 2) {
        lo = hi;
        flo = fhi;
        hi = lo + step > VALUES ? VALUES : lo + step;
        fhi = this.cdf(hi);
      }
    } else {
      // Down until F(lo) <= slot (F(0) = 0 always is).
      hi = lo;
      fhi = flo;
      lo = hi - 1;
      flo = this.cdf(lo);
      for (let step = 2; flo > slot; step *= 2) {
        hi = lo;
        fhi = flo;
        lo = hi - step < 0 ? 0 : hi - step;
        flo = this.cdf(lo);
      }
    }
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      const f = this.cdf(mid);
      if (f <= slot) {
        lo = mid;
        flo = f;
      } else {
        hi = mid;
        fhi = f;
      }
    }
    this.start = flo;
    this.end = fhi;
    return lo;
  }

  /** F(x) and F(x + 1) of the value `find` returned last. */
  start = 0;
  end = 0;
}
