/**
 * Binary decisions under adaptive probabilities, coded with rANS: the machinery of the context-mixing
 * coders (`grid`'s residuals, the palette context model of the strips route). Probabilities are 16-bit
 * integers that move toward each outcome by 1/(n + 2) (n = times seen, up to a limit); the mixer is
 * integer tables and shifts: integer arithmetic below 2^53 updated in the same order by the encoder and
 * the decoder, so both sides hold identical state on every machine.
 */
import { Message } from '../../codec/index.js';

/** Probabilities of a 1 in units of 2^-16, kept within [P_MIN, 2^16 - P_MIN]. */
export const PRECISION = 16;
export const ONE = 1 << PRECISION;
export const P_MIN = 32;

/** A context's probability moves toward the outcome by 1/(n + 2), n = times seen up to `limit`. */
export function adapt(prob: Int32Array, seen: Uint8Array, ctx: number, bit: number, limit: number): void {
  const p = prob[ctx];
  const n = seen[ctx];
  let next = p + Math.trunc(((bit ? ONE : 0) - p) / (n + 2));
  if (next < P_MIN) next = P_MIN;
  else if (next > ONE - P_MIN) next = ONE - P_MIN;
  prob[ctx] = next;
  if (n < limit) seen[ctx] = n + 1;
}

/** Binary decisions with adaptive probabilities; the encoder records them, the decoder pops them. */
export class AdaptiveBits {
  readonly prob: Int32Array;
  readonly seen: Uint8Array;
  /** Encoder: the current chunk's decisions as intervals [start, start + freq) of 2^precision. */
  private starts = new Uint32Array(1 << 16);
  private freqs = new Uint32Array(1 << 16);
  private precisions = new Uint8Array(1 << 16);
  private opCount = 0;
  /** Encoder: the model's bits so far (-log2 of every decision's probability). */
  bits = 0;
  /** Bits at the start of the current chunk (the message's size hint). */
  private chunkStartBits = 0;
  /** Decoder: the message being read. */
  msg: Message | undefined;

  /** Mixer weights (x 2^16), MIX3_INPUTS per mixer context. */
  readonly mix3Weights: Float64Array;
  /** Fast-adapting twins of the contexts the three-input mixers read (slow and fast both go in). */
  readonly fast: Int32Array;
  readonly fastSeen: Uint8Array;
  private readonly inputs = new Float64Array(MIX3_INPUTS);

  constructor(
    contexts: number,
    mixers: number,
    private readonly rateLimit: number,
  ) {
    this.mix3Weights = new Float64Array(MIX3_INPUTS * mixers).fill(Math.floor(MIX_ONE / MIX3_INPUTS));
    this.fast = new Int32Array(contexts).fill(ONE >> 1);
    this.fastSeen = new Uint8Array(contexts);
    this.prob = new Int32Array(contexts).fill(ONE >> 1);
    this.seen = new Uint8Array(contexts);
  }

  private record(start: number, freq: number, precision: number): void {
    if (this.opCount === this.starts.length) {
      const size = 2 * this.starts.length;
      const grow = <T extends Uint32Array | Uint8Array>(old: T, bigger: T) => (bigger.set(old), bigger);
      this.starts = grow(this.starts, new Uint32Array(size));
      this.freqs = grow(this.freqs, new Uint32Array(size));
      this.precisions = grow(this.precisions, new Uint8Array(size));
    }
    const k = this.opCount++;
    this.starts[k] = start;
    this.freqs[k] = freq;
    this.precisions[k] = precision;
  }

  /** The encoder's side of a binary decision under probability p of a 1. */
  private encodeBinary(p: number, bit: number): void {
    if (bit) {
      this.record(ONE - p, p, PRECISION);
      this.bits += COST[p];
    } else {
      this.record(0, ONE - p, PRECISION);
      this.bits += COST[ONE - p];
    }
  }

  /** Code `bit` (encoder) or read it (decoder: `bit` ignored) under probability p of a 1 (units of 2^-16, within [P_MIN, ONE - P_MIN]); nothing learns. */
  codeUnder(p: number, bit: number): number {
    const msg = this.msg;
    if (msg === undefined) this.encodeBinary(p, bit);
    else bit = msg.popBinary(p, PRECISION);
    return bit;
  }

  private learn(ctx: number, bit: number): void {
    adapt(this.prob, this.seen, ctx, bit, this.rateLimit);
  }

  /** Code `bit` (encoder) or read it (decoder: `bit` ignored) under context ctx; returns the bit. */
  code(ctx: number, bit: number): number {
    bit = this.codeUnder(this.prob[ctx], bit);
    this.learn(ctx, bit);
    return bit;
  }

  /**
   * As `code`, under three contexts' probabilities, each slow and fast, mixed in the logistic domain by
   * weights learned per mixer context (integer tables and shifts only); all six estimates learn.
   */
  code3(ctxA: number, ctxB: number, ctxC: number, mixer: number, bit: number): number {
    const { prob, fast } = this;
    const inputs = this.inputs;
    inputs[0] = STRETCH[prob[ctxA] >> 4];
    inputs[1] = STRETCH[prob[ctxB] >> 4];
    inputs[2] = STRETCH[prob[ctxC] >> 4];
    inputs[3] = STRETCH[fast[ctxA] >> 4];
    inputs[4] = STRETCH[fast[ctxB] >> 4];
    inputs[5] = STRETCH[fast[ctxC] >> 4];
    const weights = this.mix3Weights;
    const m = MIX3_INPUTS * mixer;
    let acc = 0;
    for (let k = 0; k < MIX3_INPUTS; k++) acc += weights[m + k] * inputs[k];
    const p12 = squash(Math.floor(acc / 65536));
    let p = p12 * 16 + 8;
    if (p < P_MIN) p = P_MIN;
    else if (p > ONE - P_MIN) p = ONE - P_MIN;
    bit = this.codeUnder(p, bit);
    const err = (bit ? 4096 : 0) - p12;
    for (let k = 0; k < MIX3_INPUTS; k++) weights[m + k] += Math.floor((inputs[k] * err * MIX_RATE) / MIX_DIV);
    this.learn(ctxA, bit);
    this.learn(ctxB, bit);
    this.learn(ctxC, bit);
    this.learnFast(ctxA, bit);
    this.learnFast(ctxB, bit);
    this.learnFast(ctxC, bit);
    return bit;
  }

  /** The fast twin of a context: the same rule, its rate stopping at 1 / (FAST_RATE_LIMIT + 2). */
  private learnFast(ctx: number, bit: number): void {
    adapt(this.fast, this.fastSeen, ctx, bit, FAST_RATE_LIMIT);
  }

  /** `count` (0..16) raw bits of `value`. */
  raw(value: number, count: number): number {
    if (count === 0) return 0;
    const msg = this.msg;
    if (msg === undefined) {
      this.record(value, 1, count);
      this.bits += count;
      return value;
    }
    return msg.popBits(count);
  }

  /** `count` raw bits of `value` (any count up to 53), in pieces of at most 16, low first. */
  rawWide(value: number, count: number): number {
    let v = 0;
    let unit = 1;
    for (let left = count; left > 0; ) {
      const take = left > 16 ? 16 : left;
      v += this.raw(Math.floor(value / unit) % 2 ** take, take) * unit;
      unit *= 2 ** take;
      left -= take;
    }
    return v;
  }

  /** Push the recorded chunk in reverse (the decoder pops its first decision first) and start anew. */
  flushChunk(): Uint8Array {
    const msg = new Message(Math.ceil((this.bits - this.chunkStartBits) / 16) + 64);
    msg.pushIntervals(this.starts, this.freqs, this.precisions, this.opCount);
    this.opCount = 0;
    this.chunkStartBits = this.bits;
    return msg.flatten();
  }
}

/** -log2(f / 2^16) for f < 2^16: a decision's cost in bits (reports only; coding uses the integers). */
export const COST: Float64Array = (() => {
  const table = new Float64Array(ONE + 1);
  for (let f = 1; f <= ONE; f++) table[f] = PRECISION - Math.log2(f);
  return table;
})();



/** The logistic function at 33 points, x = -2048..2048 in steps of 128 (units of 1/256), as 12-bit probabilities. */
const SQUASH_POINTS = [1, 2, 4, 6, 10, 17, 27, 45, 74, 120, 194, 311, 488, 747, 1102, 1546, 2048, 2550, 2994, 3349, 3608, 3785, 3902, 3976, 4022, 4051, 4069, 4079, 4086, 4090, 4092, 4094, 4095];

/** 12-bit probability of logit d / 256, interpolated between the points (integers only). */
export function squash(d: number): number {
  if (d > 2047) return 4095;
  if (d < -2047) return 1;
  const i = (d + 2048) >> 7;
  const f = (d + 2048) & 127;
  return (SQUASH_POINTS[i] * (128 - f) + SQUASH_POINTS[i + 1] * f + 64) >> 7;
}

/**
 * `rows` secondary-estimation tables of 33 16-bit probabilities, row after row, each starting as
 * 16 squash(128 j - 2048): the identity over the stretched domain, read by interpolating at (d + 2048) / 128.
 */
export function squashPoints(rows: number): Int32Array {
  const table = new Int32Array(SQUASH_ROW * rows);
  for (let i = 0; i < table.length; i++) table[i] = 16 * squash(128 * (i % SQUASH_ROW) - 2048);
  return table;
}
export const SQUASH_ROW = 33;

/** A secondary estimate: the 16-bit points at and after `at` of a squashPoints table, interpolated at frac / 128. */
export function pointsAt(table: Int32Array, at: number, frac: number): number {
  return (table[at] * (128 - frac) + table[at + 1] * frac) >> 7;
}

/** Move the two points around frac / 128 toward a 16-bit target, each by its share, 2^-shift in all. */
export function learnPoints(table: Int32Array, at: number, frac: number, target: number, shift: number): void {
  table[at] += ((target - table[at]) * (128 - frac)) >> shift;
  table[at + 1] += ((target - table[at + 1]) * frac) >> shift;
}

/** Inverse of squash: the smallest d whose squash(d) reaches p, per 12-bit p. */
export const STRETCH: Int16Array = (() => {
  const table = new Int16Array(4096);
  let p = 0;
  for (let d = -2047; d <= 2047; d++) {
    const v = squash(d);
    for (; p <= v; p++) table[p] = d;
  }
  for (; p < 4096; p++) table[p] = 2047;
  return table;
})();

/** Mixer weights' unit and learning rate. */
const MIX_ONE = 65536;
const MIX_RATE = 1;
/** Inputs of a three-context mixer: each context's slow and fast probability. */
const MIX3_INPUTS = 6;
const FAST_RATE_LIMIT = 20;
const MIX_DIV = 1024;

