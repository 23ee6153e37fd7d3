/**
 * The residual context mixer (format route 9): each sample coded as binary decisions whose probabilities
 * mix the net's mixture with adaptive contexts of the image, as the classical context-mixing coders do.
 *
 * The sample x is binarized around the centre c (the mixture's mean rounded, clamped to 0..255), e = x - c:
 *   "e = 0?", then "e > 0?", then the magnitude m = |e| by its bucket b = floor(log2 m) in unary
 *   ("b > i?" for i = 0..6 until a no; b = 7 needs no last no), then m's b low bits MSB first.
 * Each decision's net probability is the mixture's mass of the "yes" values over the mass of the values
 * still possible (F = the mixture's integer cdf), so under the net alone the decisions cost exactly
 * -log2 P(x) (up to 16-bit probabilities). The zero, sign and bucket decisions are then mixed: inputs
 * stretch(p_net) and the stretched probabilities of 9 adaptive contexts (hashed: the net's scale,
 * the errors e of the neighbours and of the pixel's earlier channels, the neighbours' values minus c,
 * the first coded channel's steps added to this channel's neighbours),
 * two logistic mixers (weights chosen by the decision and the net's scale / the neighbourhood's
 * activity) averaged, then an interpolated secondary estimate (APM) averaged with that. The mantissa
 * bits take the net's probability alone. Everything is integers below 2^53 updated in coding order, the
 * same in encoder and decoder, from zero in every band. Held-out train images: 2.85% fewer bits than
 * route 5, at ~2.2x its coding time (effort 2).
 *
 * Generation 2 (routes 11 and 12) adds what the net cannot see, since its features are all relative to
 * a p0: the brightness, and an image-adaptive linear prediction of e from the neighbours (NLMS in
 * integers). Four contexts more (c / 8 with the net's scale; the prediction with the W level, and with
 * c / 16; c / 8 with the W and N levels) and a second APM by c / 4, averaged in at a quarter. Held-out
 * train images at effort 2: 0.6% fewer bits than generation 1, ~1.2x its coding time. Generation 1
 * (routes 9 and 10) is kept as written.
 *
 * Generation 3 (routes 13 and 14) is generation 2 with four mixers averaged instead of two (mixer 3's
 * weights chosen by the NLMS prediction and the brightness, mixer 4's by the W and N levels: each set of
 * weights sees fewer, more alike decisions); an NLMS with more inputs (24 samples 3 rows up and 3
 * columns each way, and the earlier channels' steps to the pixel: a per-image least-squares predictor
 * as the classical coders have); and mixer weights that start nearer where images take them (the net's
 * at 0.6, each context's at 0.05), which small images notice most. Held-out train images: 1.0% fewer
 * bits than generation 2 at effort 2 (0.75% at effort 3; 32x32 crops coded alone 1.7-2.3%), ~1.25x its
 * coding time.
 *
 * Generation 4 (routes 16 and 17) is generation 3 with one or two more inputs in every mixer: other
 * flows' probabilities of the same decisions (second opinions: their mixtures' masses, as the net's),
 * e.g. the default model's small nets and an older wide set beside effort 3's nets. Nets trained alike
 * still err differently, and the mixers learn per context which to trust. Held-out train images at
 * effort 3: 0.15% fewer bits with the default model's nets as the one opinion (grey 0.27%), 0.22% with
 * photo-wide5's as a second (grey 0.42%), at ~1.1x and ~1.6x the coding time.
 *
 * Generation 5 (routes 18 and 19, band by band) is generation 4 aware of the sample's phase (row parity,
 * column parity: 4 phases): images with a 2-periodic structure (interlaced or line-doubled video, demosaicked sensor
 * patterns, 2x resampling) have different statistics at each phase, which the nets (translation
 * invariant) cannot see. The phase joins the net-scale, error-sign and neighbour-level contexts, picks
 * the NLMS weights, mixer 2's weights and the first APM's row (also in the gradient and NLMS contexts:
 * -0.24% more on four train photos that gain, +0.01% on the held-out ones; in mixers 3 and 4 or the
 * brightness APM: within 0.06%). Elsewhere it splits what it learns four ways and costs bits (held-out
 * train images with every band phased, on generation 3: +0.1% RGB, +1.3% grey), so route 18's encoder
 * runs generations 4 and 5 side by side on the same flow and keeps each band's smaller (a first decision
 * says which: `pushPhaseFlag`). Held-out train images at effort 3: RGB -0.08% (two of eight phased,
 * -0.59% and -0.22%), grey and as grey unchanged; train photos with 2-periodic steps -0.7% to -2.3%.
 */
import { Message, fail } from '../../codec/index.js';
import { ONE, PRECISION, P_MIN, STRETCH, learnPoints, pointsAt, squash, squashPoints, SQUASH_ROW } from '../shared/adaptive-bits.js';
import { bitLength } from '../shared/baseline-coder.js';
import { PRIOR_SCALE_COUNT } from '../shared/prior-tables.js';
import type { Mixture } from './mixture.js';

const MASS_ONE = 2 ** 20;
/** The encoder's decisions are kept in blocks of 2^BLOCK_BITS words (4 MB). */
const BLOCK_BITS = 20;
const BLOCK_MASK = (1 << BLOCK_BITS) - 1;
/**
 * Contexts: 2^B buckets of 16 words (64 bytes, one cache line), one word per decision of the context
 * (zero, sign, the 7 buckets on each side): n << 16 | p, p the 16-bit probability of a yes moving by
 * 1/(n + 1.5), n the times seen up to RATE_LIMIT. B = the bit length of the band's sample count, within
 * [MIN_BUCKET_BITS, MAX_BUCKET_BITS]: a small image does not allocate and clear 16 MB.
 */
const MIN_BUCKET_BITS = 14;
const MAX_BUCKET_BITS = 18;
const NODES = 16;
const RATE_LIMIT = 127;
/**
 * RATE[n] = floor(2^16 / (n + 1.5)): a counter's step without a division. (goal - p) x RATE[n] < 2^31,
 * so `>> 16` is exact: |goal - p| <= 32736 while n = 0 (p starts at a half), RATE[n >= 1] <= 26214.
 */
const RATE = Int32Array.from({ length: RATE_LIMIT + 1 }, (_, n) => Math.floor(131072 / (2 * n + 3)));
/** Contexts of generation 1 and 2. */
const CONTEXTS_1 = 9;
const CONTEXTS_2 = 13;
/** Mixer inputs: the net, the contexts, generation 4's second opinions, a bias (at inputs - 1). */
const NET_INPUT = 0;
const BIAS = 64;
/**
 * Mixer weights in units of 2^-16, clamped to +-WEIGHT_LIMIT; a step is input x error / 2^MIX_SHIFT. They
 * start with the net's at 1 and the rest at 0; generation 3's with the net's at NET_START_3 (0.6) and each
 * context's at CONTEXT_START_3 (0.05), the bias's at 0.
 */
const MIX_SHIFT = 10;
const WEIGHT_ONE = 65536;
const WEIGHT_LIMIT = 1 << 24;
const NET_START_3 = 39322;
const CONTEXT_START_3 = 3277;
/**
 * Generation 4: the net's at 0.4 and the second opinions' at 0.3 and 0.2 (replayed on held-out train
 * images, the starting weights moved the result by 0.01%).
 */
const NET_START_4 = 26214;
const OPINION_START = [19661, 13107];
export const MAX_OPINIONS = OPINION_START.length;
/** Generation 5's phases: (y & 1) * 2 + (x & 1), y counted from the band's first row. */
const PHASES = 4;
/** Decisions that are mixed: zero, sign, the 7 buckets. */
const MIXED_NODES = 9;
const ACTIVITY_LEVELS = 12;
/** APM: 33 points over the stretched domain (-2048..2048 in steps of 128), each moving by its share of 2^-7 (the step below). */
const APM_POINTS = SQUASH_ROW;
const APM_SHIFT = 14;
/** Error rings: the errors of this row and the one above. */
const ERROR_ROWS = 2;
/** Generation 3's mixer 3: the NLMS prediction in 15 steps (half units / 4, within +-7) by 8 brightness steps (c / 32). */
const PREDICTION_STEPS = 15;
const MIXER3_SETS = PREDICTION_STEPS * 8;
/** Mixer 4: the W and N levels in 7 steps each (LEVEL_STEP). */
const LEVEL_STEPS = 7;
const MIXER4_SETS = LEVEL_STEPS * LEVEL_STEPS;
/** A signed level (-9..9) in 7 steps: below -3, -3..-2, -1, 0, 1, 2..3, above 3. */
const LEVEL_STEP = Int8Array.from({ length: 19 }, (_, i) => {
  const l = i - 9;
  return l < -3 ? 0 : l < -1 ? 1 : l < 0 ? 2 : l === 0 ? 3 : l < 2 ? 4 : l < 4 ? 5 : 6;
});

/** Generation 2's second APM: 64 brightness rows (c >> 2) per decision and channel. */
const BRIGHTNESS_ROWS = 64;
/**
 * Generation 2's NLMS predictor of e = x - c, per coded channel: LMS_INPUTS integer inputs (the W, N,
 * NW, NE, WW, NN, NNE values minus c; the errors eW, eN and of the pixel's previous channel), weights in
 * units of 2^-LMS_UNIT_BITS within +-LMS_WEIGHT_LIMIT. After each sample every weight moves by
 * floor((e 2^LMS_UNIT_BITS - prediction) / (2^LMS_RATE_BITS (1 + |u|^2))) x its input: integers below 2^53.
 * Generation 3's (LMS_INPUTS_3) reads the LMS_WINDOW values minus c instead of the 7, then the earlier
 * channels' steps at this pixel (CROSS_STEPS of the first coded channel, then of the second; 0 where the
 * channel is not earlier), then the same 3 errors.
 */
const LMS_INPUTS = 10;
/** (dy, dx) of generation 3's NLMS values: rows -3..-1 over columns -3..3, row by row, then (0, -1), (0, -2), (0, -3). */
const LMS_WINDOW: readonly (readonly [number, number])[] = [
  ...[-3, -2, -1].flatMap((dy) => [-3, -2, -1, 0, 1, 2, 3].map((dx) => [dy, dx] as const)),
  [0, -1],
  [0, -2],
  [0, -3],
];
const LMS_REACH = 3;
/** An earlier channel's steps F - F' to this pixel from its W, N, NW and NE (F' at these offsets). */
const CROSS_STEPS: readonly (readonly [number, number])[] = [[0, -1], [-1, 0], [-1, -1], [-1, 1]];
const LMS_INPUTS_3 = LMS_WINDOW.length + 2 * CROSS_STEPS.length + 3;
const LMS_UNIT_BITS = 20;
const LMS_WEIGHT_LIMIT = 2 ** 24;
const LMS_RATE_BITS = 7;
/** The prediction's context: in half units, clamped to +-LMS_LEVELS. */
const LMS_LEVELS = 40;

/** Signed level of a difference v (|v| < 1024): 0, +-1..+-9 on a rough log scale, as LEVEL[v + 1024]. */
const LEVEL = Int8Array.from({ length: 2048 }, (_, i) => {
  const v = i - 1024;
  const a = v < 0 ? -v : v;
  const b = a === 0 ? 0 : a < 2 ? 1 : a < 3 ? 2 : a < 5 ? 3 : a < 8 ? 4 : a < 12 ? 5 : a < 18 ? 6 : a < 28 ? 7 : a < 45 ? 8 : 9;
  return v < 0 ? -b : b;
});
const LEVEL_ZERO = 1024;

/** Level of an activity sum a (0..1023): 0..11, as ACTIVITY[a]. */
const ACTIVITY = Uint8Array.from({ length: 1024 }, (_, a) =>
  a === 0 ? 0 : a < 2 ? 1 : a < 4 ? 2 : a < 6 ? 3 : a < 9 ? 4 : a < 13 ? 5 : a < 19 ? 6 : a < 28 ? 7 : a < 40 ? 8 : a < 60 ? 9 : a < 90 ? 10 : 11,
);

function sign3(v: number): number {
  return v > 0 ? 2 : v < 0 ? 0 : 1;
}

function clamp12(v: number): number {
  return v < -12 ? -12 : v > 12 ? 12 : v;
}

/**
 * The 32-bit hash of context `tag` for coded channel k and fields a, b, c (each -128..127): the fields
 * packed in one key below 2^31, then two multiplications; its top B bits pick the bucket.
 */
function contextHash(tag: number, k: number, a: number, b: number, c: number): number {
  const key = tag + 16 * (k + 4 * ((a + 128) + 256 * ((b + 128) + 256 * (c + 128))));
  const h = Math.imul(key, 0x9e3779b1);
  return Math.imul(h ^ (h >>> 16), 0x85ebca6b);
}

/** B for a band of `samples` samples: floor(log2 samples) + 1 within [MIN_BUCKET_BITS, MAX_BUCKET_BITS] (integers only). */
export function bucketBitsFor(samples: number): number {
  const bits = bitLength(samples);
  return bits < MIN_BUCKET_BITS ? MIN_BUCKET_BITS : bits > MAX_BUCKET_BITS ? MAX_BUCKET_BITS : bits;
}

/** A 16-bit probability of a yes with `yes` of `all` mass (a half when nothing is left). */
function probabilityOf(yes: number, all: number): number {
  if (all <= 0) return ONE >> 1;
  const p = Math.floor((yes * ONE) / all);
  return p < P_MIN ? P_MIN : p > ONE - P_MIN ? ONE - P_MIN : p;
}

/**
 * A band's decisions: the encoder keeps each as one word (probability << 1 | bit, 4 bytes) in blocks of
 * 2^BLOCK_BITS words (no copying as they grow) and pushes them in reverse at the end (the decoder pops
 * the first decision first); the decoder pops from `msg`.
 */
export class DecisionStack {
  private readonly blocks: Uint32Array[] = [];
  private block = new Uint32Array(0);
  /** Words used in the last block, and in all blocks. */
  private used = 0;
  private count = 0;

  constructor(readonly msg?: Message) {}

  /** Encoder: decisions recorded so far. */
  get size(): number {
    return this.count;
  }

  /** Code `bit` (encoder) or read it (decoder: `bit` ignored) under 16-bit probability p of a 1. */
  codeUnder(p: number, bit: number): number {
    const msg = this.msg;
    if (msg !== undefined) return msg.popBinary(p, PRECISION);
    if (this.used === this.block.length) {
      this.block = new Uint32Array(1 << BLOCK_BITS);
      this.blocks.push(this.block);
      this.used = 0;
    }
    this.block[this.used++] = p * 2 + bit;
    this.count++;
    return bit;
  }

  /** Encoder: -log2 of the probabilities of the decisions recorded since `size` was `from` (a pixel's: one log, not one a decision). */
  bitsSince(from: number): number {
    let product = 1;
    for (let i = from; i < this.count; i++) {
      const word = this.blocks[i >>> BLOCK_BITS][i & BLOCK_MASK];
      const p = word >>> 1;
      product *= word & 1 ? p : ONE - p;
    }
    return (this.count - from) * PRECISION - Math.log2(product);
  }

  /** Push the recorded decisions onto `msg`, last first, and forget them. */
  pushOnto(msg: Message): void {
    for (let b = this.blocks.length - 1; b >= 0; b--) {
      const words = this.blocks[b];
      for (let i = (b === this.blocks.length - 1 ? this.used : words.length) - 1; i >= 0; i--) {
        pushDecision(msg, words[i] >>> 1, words[i] & 1);
      }
    }
    this.blocks.length = 0;
    this.block = new Uint32Array(0);
    this.used = 0;
    this.count = 0;
  }
}

/** One band's state: the context table, mixers, APM and the error rings. */
export class ResidualMixer {
  private readonly counters: Uint32Array;
  /** 32 - B: a context hash's top B bits are its bucket. */
  private readonly bucketShift: number;
  /**
   * Mixer 1 per (decision, channel, net scale); mixer 2 per (decision, channel, activity, signs of eW,
   * eN); generation 3's mixer 3 per (decision, channel, MIXER3_SETS) and mixer 4 per (decision, channel,
   * MIXER4_SETS) (empty before).
   */
  private readonly weights1: Int32Array;
  private readonly weights2: Int32Array;
  private readonly weights3: Int32Array;
  private readonly weights4: Int32Array;
  private readonly apm: Int32Array;
  /** Generations 2 and 3: the brightness APM, the NLMS weights per coded channel, this sample's inputs and prediction. */
  private readonly apm2: Int32Array;
  private readonly lmsWeights: Float64Array;
  private readonly lmsInputs: Int32Array;
  /** Generation 3: LMS_WINDOW and CROSS_STEPS as offsets into the samples (interior pixels). */
  private readonly lmsOffsets: Int32Array;
  private readonly crossOffsets: Int32Array;
  private lmsPrediction = 0;
  /** Generation 5: PHASES (else 1), this sample's phase, and its NLMS weight set (coded channel x phases + phase). */
  private readonly phases: number;
  private phase = 0;
  private lmsSet = 0;
  private brightness = 0;
  /** Contexts, and mixer inputs (the net, the contexts, the bias). */
  private readonly contexts: number;
  private readonly inputCount: number;
  private readonly errors: Int16Array;
  private readonly rowSamples: number;
  /** This sample's context hashes (the decision is mixed in per decision). */
  private readonly base: Int32Array;
  private readonly inputs: Int32Array;
  private k = 0;
  private netScale = 0;
  private activity = 0;
  private mixer2 = 0;
  private mixer3 = 0;
  private mixer4 = 0;
  private errorAt = 0;
  private mix: Mixture | undefined;
  /** Generation 4, per opinion: this decision's probability of a yes; its F(c); the mass still possible; a bucket's mass beyond. */
  private readonly opinionP: Int32Array;
  private readonly opinionLow: Int32Array;
  private readonly opinionAll: Int32Array;
  private readonly opinionBeyond: Int32Array;

  constructor(
    private readonly width: number,
    private readonly channels: number,
    height: number,
    /** The data channels in coding order (model.json's order; [0] for grey). */
    private readonly order: ArrayLike<number>,
    /** Records (encoder) or pops (decoder) the decisions. */
    readonly bits: DecisionStack,
    /** 1: routes 9 and 10; 2: routes 11 and 12; 3: routes 13 and 14; 4: routes 16 and 17 (and 18 and 19's bands flagged 0); 5: their bands flagged 1. */
    private readonly generation: 1 | 2 | 3 | 4 | 5 = 1,
    /** Generations 4 and 5: the second opinions' mixtures (other flows' predictions of the same sample, set before each `code`). */
    private readonly opinions: readonly Mixture[] = [],
  ) {
    if ((generation >= 4) !== opinions.length > 0 || opinions.length > MAX_OPINIONS) fail('INTERNAL', 'the mixer has second opinions at generations 4 and 5 only (1 or 2)');
    const phases = (this.phases = generation === 5 ? PHASES : 1);
    this.apm = squashPoints(MIXED_NODES * 3 * ACTIVITY_LEVELS * phases);
    const bucketBits = bucketBitsFor(width * channels * height);
    this.counters = new Uint32Array(NODES << bucketBits).fill(ONE >> 1);
    this.bucketShift = 32 - bucketBits;
    this.contexts = generation === 1 ? CONTEXTS_1 : CONTEXTS_2;
    const inputs = (this.inputCount = this.contexts + 2 + opinions.length);
    this.opinionP = new Int32Array(opinions.length);
    this.opinionLow = new Int32Array(opinions.length);
    this.opinionAll = new Int32Array(opinions.length);
    this.opinionBeyond = new Int32Array(opinions.length);
    this.base = new Int32Array(this.contexts);
    this.inputs = new Int32Array(inputs);
    this.weights1 = new Int32Array(MIXED_NODES * 3 * PRIOR_SCALE_COUNT * inputs);
    this.weights2 = new Int32Array(MIXED_NODES * 3 * ACTIVITY_LEVELS * 9 * phases * inputs);
    this.weights3 = new Int32Array(generation >= 3 ? MIXED_NODES * 3 * MIXER3_SETS * inputs : 0);
    this.weights4 = new Int32Array(generation >= 3 ? MIXED_NODES * 3 * MIXER4_SETS * inputs : 0);
    const [netStart, contextStart] = generation >= 4 ? [NET_START_4, CONTEXT_START_3] : generation === 3 ? [NET_START_3, CONTEXT_START_3] : [WEIGHT_ONE, 0];
    for (const weights of [this.weights1, this.weights2, this.weights3, this.weights4])
      for (let i = NET_INPUT; i < weights.length; i += inputs) {
        weights[i] = netStart;
        weights.fill(contextStart, i + 1, i + 1 + this.contexts);
        for (let j = 0; j < opinions.length; j++) weights[i + 1 + this.contexts + j] = OPINION_START[j];
      }
    this.apm2 = squashPoints(generation >= 2 ? MIXED_NODES * 3 * BRIGHTNESS_ROWS : 0);
    this.lmsInputs = new Int32Array(generation >= 3 ? LMS_INPUTS_3 : LMS_INPUTS);
    this.lmsWeights = new Float64Array(generation >= 2 ? 3 * phases * this.lmsInputs.length : 0);
    this.lmsOffsets = Int32Array.from(LMS_WINDOW, ([dy, dx]) => (dy * width + dx) * channels);
    this.crossOffsets = Int32Array.from(CROSS_STEPS, ([dy, dx]) => (dy * width + dx) * channels);
    this.rowSamples = width * channels;
    this.errors = new Int16Array(ERROR_ROWS * this.rowSamples);
  }

  /** A row coded elsewhere (strips): its errors read as 0. */
  clearRow(y: number): void {
    const from = (y % ERROR_ROWS) * this.rowSamples;
    this.errors.fill(0, from, from + this.rowSamples);
  }

  /**
   * Code (encoder: `value`) or read (decoder: `value` ignored) the sample of coded channel k (data
   * channel ch) at (y, x) of `values` under the mixture `mix`, centre `centre` (0..255); returns it.
   */
  code(values: ArrayLike<number>, y: number, x: number, k: number, ch: number, mix: Mixture, centre: number, netScale: number, value: number): number {
    this.setContexts(values, y, x, k, ch, centre, netScale);
    this.mix = mix;
    const c = centre;
    const fc = this.cdf(c);
    const fc1 = this.cdf(c + 1);
    const e = this.bits.msg === undefined ? value - c : 0;
    // The opinions' probabilities of each decision, as the net's (their mass of the yes values over the mass still possible).
    const { opinions, opinionP, opinionLow, opinionAll, opinionBeyond } = this;
    const n = opinions.length;
    for (let j = 0; j < n; j++) {
      const low = (opinionLow[j] = cdfOf(opinions[j], c));
      const high = cdfOf(opinions[j], c + 1);
      opinionAll[j] = MASS_ONE - high;
      opinionP[j] = probabilityOf(high - low, MASS_ONE);
    }
    const zero = this.mixed(0, 0, probabilityOf(fc1 - fc, MASS_ONE), e === 0 ? 1 : 0);
    let result = c;
    if (!zero) {
      const up = MASS_ONE - fc1;
      for (let j = 0; j < n; j++) opinionP[j] = probabilityOf(opinionAll[j], opinionAll[j] + opinionLow[j]);
      const positive = this.mixed(1, 1, probabilityOf(up, up + fc), e > 0 ? 1 : 0);
      if (n > 0 && !positive) opinionAll.set(opinionLow);
      // Magnitudes m on the sample's side: F at c + m (positive) or c - m + 1 (negative) bounds them.
      const side = positive ? 1 : -1;
      const from = positive ? c : c + 1;
      const m = e < 0 ? -e : e;
      // all: mass of magnitudes >= 2^bucket; then of the bucket [2^bucket, 2^(bucket + 1)).
      let all = positive ? up : fc;
      let bucket = 0;
      for (; bucket < 7; bucket++) {
        const beyond = positive ? MASS_ONE - this.cdf(c + (2 << bucket)) : this.cdf(c + 1 - (2 << bucket));
        const pNet = probabilityOf(beyond, all);
        for (let j = 0; j < n; j++) {
          const b = (opinionBeyond[j] = positive ? MASS_ONE - cdfOf(opinions[j], c + (2 << bucket)) : cdfOf(opinions[j], c + 1 - (2 << bucket)));
          opinionP[j] = probabilityOf(b, opinionAll[j]);
        }
        const yes = m >= 2 << bucket ? 1 : 0;
        const more = this.mixed(2 + bucket, 2 + 2 * bucket + positive, pNet, yes);
        if (!more) {
          all -= beyond;
          break;
        }
        all = beyond;
        if (n > 0) opinionAll.set(opinionBeyond);
      }
      let lo = 1 << bucket;
      let hi = 2 << bucket;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        const high = side * (this.cdf(from + side * hi) - this.cdf(from + side * mid));
        if (this.bits.codeUnder(probabilityOf(high, all), m >= mid ? 1 : 0)) {
          lo = mid;
          all = high;
        } else {
          hi = mid;
          all -= high;
        }
      }
      result = c + side * lo;
      if (result < 0 || result > 255) fail('CORRUPT', 'decoded sample out of range');
    }
    this.errors[this.errorAt] = result - c;
    if (this.generation >= 2) this.learnPrediction(result - c);
    return result;
  }

  /** Generations 2 and 3: move channel k's NLMS weights toward this sample's error e. */
  private learnPrediction(e: number): void {
    const u = this.lmsInputs;
    const w = this.lmsWeights;
    let norm = 1;
    const count = u.length;
    for (let j = 0; j < count; j++) norm += u[j] * u[j];
    // The exact integer floor: a rounded quotient near an integer could floor the other way.
    const numerator = e * 2 ** LMS_UNIT_BITS - this.lmsPrediction;
    const denominator = norm * 2 ** LMS_RATE_BITS;
    let step = Math.floor(numerator / denominator);
    if (step * denominator > numerator) step--;
    else if ((step + 1) * denominator <= numerator) step++;
    for (let j = 0, at = this.lmsSet * count; j < count; j++, at++) {
      const v = w[at] + step * u[j];
      w[at] = v < -LMS_WEIGHT_LIMIT ? -LMS_WEIGHT_LIMIT : v > LMS_WEIGHT_LIMIT ? LMS_WEIGHT_LIMIT : v;
    }
  }

  /** The mixture's F(v), 0 below the 8-bit range and 2^20 above it. */
  private cdf(v: number): number {
    return cdfOf(this.mix!, v);
  }

  /** The contexts of a sample: hashes of the neighbourhood, the decision mixed in later. */
  private setContexts(values: ArrayLike<number>, y: number, x: number, k: number, ch: number, c: number, netScale: number): void {
    const { width, channels, errors, rowSamples } = this;
    const base = this.base;
    const row = y % ERROR_ROWS;
    const up = (y + ERROR_ROWS - 1) % ERROR_ROWS;
    const at = row * rowSamples + x * channels + k;
    this.errorAt = at;
    const hasW = x > 0;
    const hasN = y > 0;
    const hasNE = hasN && x + 1 < width;
    const eW = hasW ? errors[at - channels] : 0;
    const eN = hasN ? errors[up * rowSamples + x * channels + k] : 0;
    const eNW = hasW && hasN ? errors[up * rowSamples + (x - 1) * channels + k] : 0;
    const eNE = hasNE ? errors[up * rowSamples + (x + 1) * channels + k] : 0;
    const ePrev = k > 0 ? errors[at - 1] : 0;
    const stride = width * channels;
    const i = (y * width + x) * channels + ch;
    const W = hasW ? values[i - channels] : hasN ? values[i - stride] : c;
    const N = hasN ? values[i - stride] : W;
    const NW = hasW && hasN ? values[i - stride - channels] : N;
    const NE = hasNE ? values[i - stride + channels] : N;
    const WW = x > 1 ? values[i - 2 * channels] : W;
    const NN = y > 1 ? values[i - 2 * stride] : N;
    const NNE = y > 1 && x + 1 < width ? values[i - 2 * stride + channels] : NE;
    const aW = eW < 0 ? -eW : eW;
    const aN = eN < 0 ? -eN : eN;
    const activity = ACTIVITY[aW + aN + (((eNW < 0 ? -eNW : eNW) + (eNE < 0 ? -eNE : eNE)) >> 1)];
    const level = (v: number) => LEVEL[v + LEVEL_ZERO];
    const lW = level(W - c);
    const lN = level(N - c);
    const lePrev = level(ePrev);
    // Generation 5's phase; 0 before (the same hashes, weights and APM rows as then).
    const phase = this.phases === PHASES ? ((y & 1) << 1) | (x & 1) : 0;
    this.phase = phase;
    this.lmsSet = k * this.phases + phase;
    base[0] = contextHash(1, k, netScale, phase, 0);
    base[1] = contextHash(3, k, sign3(eW) * 27 + sign3(eN) * 9 + sign3(eNW) * 3 + sign3(eNE), aW > 3 ? 2 : aW >> 1, phase);
    base[2] = contextHash(6, k, lW, lN, phase);
    base[3] = contextHash(7, k, level(NE - c), level(NW - c), 0);
    base[4] = contextHash(8, k, level(W + N - NW - c), level(N + NE - NNE - c), 0);
    base[5] = contextHash(9, k, level(2 * N - NN - c), level(2 * W - WW - c), 0);
    base[6] = contextHash(10, k, lePrev, level(eW), level(eN));
    base[7] = k > 0 ? contextHash(12, k, clamp12(ePrev), lW, 0) : contextHash(12, k, level(NN - c), level(WW - c), 0);
    if (k > 0) {
      // The first coded channel's steps from W and from N, added to this channel's W and N: the
      // inter-channel gradient predictions around c.
      const f = i - ch + this.order[0];
      const F = values[f];
      const FW = hasW ? values[f - channels] : hasN ? values[f - stride] : F;
      const FN = hasN ? values[f - stride] : FW;
      base[8] = contextHash(13, k, level(W + F - FW - c), level(N + F - FN - c), 0);
    } else base[8] = contextHash(13, k, level(W - NW), level(N - NW), 0);
    if (this.generation >= 2) {
      // Brightness: the net sees only differences, but noise and clipping depend on the level.
      base[9] = contextHash(14, k, c >> 3, netScale, 0);
      this.brightness = c >> 2;
      const u = this.lmsInputs;
      let j = 0;
      if (this.generation >= 3) j = this.windowInputs(values, y, x, k, ch, i, c);
      else {
        u[0] = W - c;
        u[1] = N - c;
        u[2] = NW - c;
        u[3] = NE - c;
        u[4] = WW - c;
        u[5] = NN - c;
        u[6] = NNE - c;
        j = 7;
      }
      u[j] = eW;
      u[j + 1] = eN;
      u[j + 2] = ePrev;
      const w = this.lmsWeights;
      const count = u.length;
      let prediction = 0;
      for (let q = 0, at = this.lmsSet * count; q < count; q++, at++) prediction += w[at] * u[q];
      this.lmsPrediction = prediction;
      let half = Math.floor(prediction / 2 ** (LMS_UNIT_BITS - 1));
      half = half < -LMS_LEVELS ? -LMS_LEVELS : half > LMS_LEVELS ? LMS_LEVELS : half;
      base[10] = contextHash(15, k, half, lW, 0);
      base[11] = contextHash(0, k, half, c >> 4, 0);
      base[12] = contextHash(2, k, c >> 3, lW, lN);
      if (this.generation >= 3) {
        const step = half >> 2 < -7 ? -7 : half >> 2 > 7 ? 7 : half >> 2;
        this.mixer3 = (step + 7) * 8 + (c >> 5);
        this.mixer4 = LEVEL_STEP[lW + 9] * LEVEL_STEPS + LEVEL_STEP[lN + 9];
      }
    }
    const shift = this.bucketShift;
    for (let j = 0; j < this.contexts; j++) base[j] = (base[j] >>> shift) * NODES;
    this.k = k;
    this.netScale = netScale;
    this.activity = activity;
    this.mixer2 = ((activity * 3 + sign3(eW)) * 3 + sign3(eN)) * this.phases + phase;
  }

  /**
   * Generation 3: the LMS_WINDOW values of channel ch (coded k-th) minus c into the NLMS inputs, then
   * the CROSS_STEPS of the first and second coded channels; returns how many. A window sample outside
   * the image takes the column clamped into it, and reads 0 where its row is above the image or it is not
   * coded yet (this row, at or right of x after the clamp); the steps read 0 on the first row and the
   * first and last columns, and for channels not coded before this one.
   */
  private windowInputs(values: ArrayLike<number>, y: number, x: number, k: number, ch: number, i: number, c: number): number {
    const { width, channels } = this;
    const u = this.lmsInputs;
    const offsets = this.lmsOffsets;
    if (y >= LMS_REACH && x >= LMS_REACH && x + LMS_REACH < width) {
      for (let q = 0; q < offsets.length; q++) u[q] = values[i + offsets[q]] - c;
    } else {
      for (let q = 0; q < LMS_WINDOW.length; q++) {
        const yy = y + LMS_WINDOW[q][0];
        let xx = x + LMS_WINDOW[q][1];
        xx = xx < 0 ? 0 : xx >= width ? width - 1 : xx;
        u[q] = yy >= 0 && (yy < y || xx < x) ? values[(yy * width + xx) * channels + ch] - c : 0;
      }
    }
    let j = offsets.length;
    const cross = this.crossOffsets;
    const inner = y > 0 && x > 0 && x + 1 < width;
    for (let earlier = 0; earlier < 2; earlier++) {
      if (earlier < k && inner) {
        const f = i - ch + this.order[earlier];
        const F = values[f];
        for (let q = 0; q < cross.length; q++) u[j + q] = F - values[f + cross[q]];
      } else u.fill(0, j, j + cross.length);
      j += cross.length;
    }
    return j;
  }

  /**
   * One mixed decision: `node` (0..8) picks the mixers and the APM, `context` (0..15: the node with the
   * sign once known) the word in each context's bucket; pNet the net's 16-bit probability of a yes.
   */
  private mixed(node: number, context: number, pNet: number, bit: number): number {
    const { counters, base, inputs, weights1, weights2, apm, contexts, inputCount } = this;
    const biasInput = inputCount - 1;
    const nodeChannel = node * 3 + this.k;
    const w1 = (nodeChannel * PRIOR_SCALE_COUNT + this.netScale) * inputCount;
    const w2 = (nodeChannel * ACTIVITY_LEVELS * 9 * this.phases + this.mixer2) * inputCount;
    let input = STRETCH[pNet >> 4];
    inputs[NET_INPUT] = input;
    let dot1 = weights1[w1] * input;
    let dot2 = weights2[w2] * input;
    for (let j = 0; j < contexts; j++) {
      input = STRETCH[(counters[base[j] + context] & 0xffff) >> 4];
      inputs[j + 1] = input;
      dot1 += weights1[w1 + j + 1] * input;
      dot2 += weights2[w2 + j + 1] * input;
    }
    for (let j = 0, at = contexts + 1; j < this.opinionP.length; j++, at++) {
      input = STRETCH[this.opinionP[j] >> 4];
      inputs[at] = input;
      dot1 += weights1[w1 + at] * input;
      dot2 += weights2[w2 + at] * input;
    }
    inputs[biasInput] = BIAS;
    const d1 = stretchedOf(dot1 + weights1[w1 + biasInput] * BIAS);
    const d2 = stretchedOf(dot2 + weights2[w2 + biasInput] * BIAS);
    let d = (d1 + d2) >> 1;
    // Generation 3: mixers 3 and 4 on the same inputs, the four averaged.
    const three = this.generation >= 3;
    const w3 = (nodeChannel * MIXER3_SETS + this.mixer3) * inputCount;
    const w4 = (nodeChannel * MIXER4_SETS + this.mixer4) * inputCount;
    let d3 = 0;
    let d4 = 0;
    if (three) {
      d3 = stretchedOf(dotOf(this.weights3, w3, inputs, inputCount));
      d4 = stretchedOf(dotOf(this.weights4, w4, inputs, inputCount));
      d = (d1 + d2 + d3 + d4) >> 2;
    }
    const pMix = squash(d) * 16 + 8;
    // APM: interpolate between the two points around d.
    const a = ((nodeChannel * ACTIVITY_LEVELS + this.activity) * this.phases + this.phase) * APM_POINTS + ((d + 2048) >> 7);
    const frac = (d + 2048) & 127;
    const pApm = pointsAt(apm, a, frac);
    let p = (pMix + pApm) >> 1;
    const b = (nodeChannel * BRIGHTNESS_ROWS + this.brightness) * APM_POINTS + ((d + 2048) >> 7);
    if (this.generation >= 2) p = (2 * pMix + pApm + pointsAt(this.apm2, b, frac)) >> 2;
    p = p < P_MIN ? P_MIN : p > ONE - P_MIN ? ONE - P_MIN : p;
    bit = this.bits.codeUnder(p, bit);
    // Learn: the mixers by their own errors, the APM's two points, every context.
    learnWeights(weights1, w1, inputs, inputCount, (bit << 12) - squash(d1));
    learnWeights(weights2, w2, inputs, inputCount, (bit << 12) - squash(d2));
    if (three) {
      learnWeights(this.weights3, w3, inputs, inputCount, (bit << 12) - squash(d3));
      learnWeights(this.weights4, w4, inputs, inputCount, (bit << 12) - squash(d4));
    }
    const target = bit ? ONE - 1 : 0;
    learnPoints(apm, a, frac, target, APM_SHIFT);
    if (this.generation >= 2) learnPoints(this.apm2, b, frac, target, APM_SHIFT);
    const goal = bit ? ONE - P_MIN : P_MIN;
    for (let j = 0; j < contexts; j++) {
      const slot = base[j] + context;
      const word = counters[slot];
      const q = word & 0xffff;
      const n = word >>> 16;
      counters[slot] = ((n < RATE_LIMIT ? n + 1 : n) << 16) | (q + (((goal - q) * RATE[n]) >> 16));
    }
    return bit;
  }
}

/** A mixture's F(v), 0 below the 8-bit range and 2^20 above it. */
function cdfOf(mix: Mixture, v: number): number {
  return v <= 0 ? 0 : v >= 256 ? MASS_ONE : mix.cdf(v);
}

/** The dot product of a mixer's weights at w with the inputs. */
function dotOf(weights: Int32Array, w: number, inputs: Int32Array, count: number): number {
  let dot = 0;
  for (let j = 0; j < count; j++) dot += weights[w + j] * inputs[j];
  return dot;
}

/** A mixer's stretched output from its dot product: / 2^16 floored, within +-2047. */
function stretchedOf(dot: number): number {
  const d = Math.floor(dot / WEIGHT_ONE);
  return d < -2047 ? -2047 : d > 2047 ? 2047 : d;
}

/** Move a mixer's weights at w by input x err / 2^MIX_SHIFT each (err: the bit minus its 12-bit probability), within +-WEIGHT_LIMIT. */
function learnWeights(weights: Int32Array, w: number, inputs: Int32Array, count: number, err: number): void {
  for (let j = 0; j < count; j++) {
    const v = weights[w + j] + ((inputs[j] * err) >> MIX_SHIFT);
    weights[w + j] = v < -WEIGHT_LIMIT ? -WEIGHT_LIMIT : v > WEIGHT_LIMIT ? WEIGHT_LIMIT : v;
  }
}

/** Fewest bits a sample can cost: one zero decision at the highest probability. */
export const RESIDUAL_MIXER_MIN_BITS = -Math.log2((ONE - P_MIN) / ONE);

/** Push one decision: a 1 under 16-bit probability p is the interval [ONE - p, ONE), a 0 is [0, ONE - p) (what `popBinary` reads). */
function pushDecision(msg: Message, p: number, bit: number): void {
  if (bit) msg.push(ONE - p, p, PRECISION);
  else msg.push(0, ONE - p, PRECISION);
}

/** Route 18's first decision in a band (at a half): 1 if the band is coded by generation 5, 0 by generation 4. */
export function pushPhaseFlag(msg: Message, phased: boolean): void {
  pushDecision(msg, ONE >> 1, phased ? 1 : 0);
}

export function popPhaseFlag(msg: Message): boolean {
  return msg.popBinary(ONE >> 1, PRECISION) === 1;
}
