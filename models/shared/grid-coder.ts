/**
 * The coder of the 'grid' model (models/grid/), here because other models code planes with it (the
 * alpha channel of `ar`'s images). The 'grid' model: integer arrays of two or more dimensions (images of any depth, depth maps, rasters,
 * detector frames, stacks and volumes, float arrays as order-preserving words) coded sample by sample in
 * raster order, as lossless image coders do, with everything learned from the array while it is coded:
 *   prediction  a mix of SUB_PREDICTORS neighbour predictors (gradient, median edge, W, N, W + NE - N,
 *               the previous plane's sample moved by the local gradient, an NLMS over 8 neighbours, the
 *               position's mean over the planes), each weighted by 1 / its error at the neighbours (the
 *               weighted predictor of JPEG XL's modular mode), plus LOCO-I's bias correction per
 *               CALIC-style texture context, plus (files that choose it) an NLMS stage on the errors
 *               around the sample;
 *   flags       a sentinel (invalid pixels, no-data, the most frequent value when it fills 1/32 of the
 *               array) has its own flag and never feeds the predictor; files of quantized or upsampled
 *               values first ask whether the sample repeats a neighbour (W, N, gradient, ...);
 *   residual    z = x - prediction (or, for a palette of sparse values, the distance in palette entries),
 *               binarised (zero?, sign, bit-length class in unary, a tree of the next 6 bits, the rest
 *               raw); every binary decision has an adaptive probability per context, and zero, sign and
 *               class mix three contexts (each with a slow and a fast twin) in the logistic domain.
 * Probabilities are 16-bit integers that move toward each outcome by 1/(n + 2) (n = times seen, up to a
 * limit); the mixer is integer tables and shifts: everything is integer arithmetic below 2^53, updated in
 * the same order by the encoder and the decoder, so both sides hold identical state on every machine.
 * z = x - prediction(x_<i) is the autoregressive integer flow of `ar` with a predictor and a distribution
 * adapted per file instead of trained (learned starting probabilities from the train split were tried and
 * gained nothing on held-out files). The encoder chooses matches, feedback and palette by trial on a prefix.
 *
 * Payload (docs/format.md): 1 byte route (0 baseline, 1 grid); grid: u32 byte lengths of all but the last
 * chunk of CHUNK_SAMPLES samples, then one rANS message per chunk (the first starts with the file's
 * settings). The adaptive state carries over from chunk to chunk; chunks only bound the encoder's memory.
 */
import { Message, fail, unzigzag, zigzag } from '../../codec/index.js';
import { AdaptiveBits, ONE, P_MIN } from './adaptive-bits.js';
import { bitLength } from './baseline-coder.js';
import { knownPartsHeader, splitKnownParts } from './framing.js';
import { medianEdge } from './median.js';
import type { Route } from './routes.js';
import type { Progress, SampleArray, SampleLayout } from './types.js';

/** Bump when the predictor, the contexts or the binarisation change: it is part of the model hash. */
export const GRID_ALGORITHM = 'grid-9';
const ROUTE_GRID = 1;

/** Samples per rANS message: the encoder records one chunk's decisions, then pushes them in reverse. */
export const CHUNK_SAMPLES = 1 << 16;

const SUB_PREDICTORS = 8;
/** Stacks' mean per position: fixed point, and the weight of the newest plane (1 / POSITION_RATE). */
const POSITION_ONE = 16;
const POSITION_RATE = 8;
/** The NLMS predictor: taps (neighbours minus N), weights' fixed point, step (of 2^WEIGHT_BITS), clamp on its inputs. */
const LMS_TAPS = 8;
const WEIGHT_BITS = 16;
const LMS_STEP = 1024;
/** Step of the error-feedback NLMS stage (of 2^WEIGHT_BITS), when the file turns it on. */
const FEEDBACK_STEP = 512;
const LMS_CLAMP = 1 << 16;
const WEIGHT_CLAMP = 2 ** 30;
/** Buckets of the local error size (see `activityBucket`). */
const BUCKETS = 48;
/** Equal-neighbour patterns: W == NW, N == NW, N == NE. */
const PATTERNS = 8;
/** Bit-length classes of |z| - 1: 0..MAX_CLASS (|z| < 2^34 covers 32-bit data and its predictions). */
const MAX_CLASS = 35;
const SIGN_BUCKETS = 16;
/** Position parity (row and column within the plane, mod 2): mosaics, 2 x 2 block structure, interlacing. */
const PARITIES = 4;

/** The adaptation rate stops slowing down at 1 / (RATE_LIMIT + 2). */
const RATE_LIMIT = 120;

/** A sentinel fills at least 1/SENTINEL_SHARE of the array; it is looked for among SENTINEL_SAMPLE evenly spread samples. */
const SENTINEL_SHARE = 32;
const SENTINEL_SAMPLE = 1 << 16;
/** Most distinct values of a palette; a lookup table serves ranges up to the limit. */
const MAX_PALETTE = 1 << 16;
const PALETTE_TABLE_LIMIT = 1 << 22;

const BIAS_CONTEXTS = BUCKETS * 64;
/** Bias correction per context: LOCO-I's, its sums halved every BIAS_RESET samples. */
const BIAS_RESET = 64;

/** What a sample of this layout and chunk of the run costs at least (a sure zero still pays a little). */
export const GRID_MIN_BITS_PER_SAMPLE = -Math.log2(1 - P_MIN / ONE);

/** Arrays with at least two rows and two columns (images, rasters, stacks); 1-D data is `signal`'s. */
export function gridCodes(layout: SampleLayout): boolean {
  return layout.height >= 2 && layout.width >= 2 && layout.dtype !== undefined;
}

/** Quantised size of the local errors: 0..3 as they are, then two buckets per power of two. */
function activityBucket(a: number): number {
  if (a < 4) return a;
  const b = bitLength(a);
  const second = Math.floor(a / 2 ** (b - 2)) & 1;
  const q = 4 + 2 * (b - 3) + second;
  return q < BUCKETS ? q : BUCKETS - 1;
}

/** The contexts of one channel's binary decisions (offsets into one AdaptiveBits). */
const ZERO_CONTEXTS = BUCKETS * PATTERNS * PARITIES;
const SIGN_CONTEXTS = SIGN_BUCKETS * 9 + SIGN_BUCKETS * 64;
const CLASS_CONTEXTS = BUCKETS * (MAX_CLASS + 1);
/** Mantissa trees: MANTISSA_ADAPTIVE adaptive bits below the leading one, per class and activity group. */
const MANTISSA_ADAPTIVE = 6;
const MANTISSA_GROUP_SHIFT = 3;
const MANTISSA_CONTEXTS = ((BUCKETS - 1) >> MANTISSA_GROUP_SHIFT) * (MAX_CLASS + 1) * (1 << MANTISSA_ADAPTIVE) + (MAX_CLASS + 1) * (1 << MANTISSA_ADAPTIVE);
/** Sentinel flag: how many of W, N, NW, NE hold the sentinel (0..4), x how many of those and 8 more around (0..12), x the previous plane's sample, x how often this position held it (stacks). */
const SENTINEL_CONTEXTS = 5 * 13 * 2 * 4;
const SENTINEL_BASE = ZERO_CONTEXTS + SIGN_CONTEXTS + CLASS_CONTEXTS + MANTISSA_CONTEXTS;
/** Match flags ("the sample equals W / N / W + N - NW"): candidate x parity x pattern x coarse activity. */
const MATCH_CANDIDATES = 8;
const MATCH_BUCKETS = 12;
const MATCH_BASE = SENTINEL_BASE + SENTINEL_CONTEXTS;
const MATCH_DISTANCES = 4;
const MATCH_CONTEXTS = MATCH_CANDIDATES * MATCH_DISTANCES * PARITIES * PATTERNS * MATCH_BUCKETS;
/** Second opinions: the best sub-predictor's error size x the signs of the errors at W and N. */
const SECOND_BASE = MATCH_BASE + MATCH_CONTEXTS;
const SECOND_CONTEXTS = BUCKETS * 9;
/** Second opinion on the class: the best sub-predictor's error size. */
const CLASS2_BASE = SECOND_BASE + SECOND_CONTEXTS;
/** Third opinions: activity x texture for the zero flag, texture x class for the class. */
const ZERO3_BASE = CLASS2_BASE + BUCKETS * (MAX_CLASS + 1);
const CLASS3_BASE = ZERO3_BASE + BUCKETS * 64;
const SIGN3_BASE = CLASS3_BASE + 64 * (MAX_CLASS + 1);
const CONTEXTS_PER_CHANNEL = SIGN3_BASE + SIGN_BUCKETS * 81;
/** The palette's gap lengths: contexts after all channels' (`paletteBase`). */
const PALETTE_CONTEXTS = MAX_CLASS + 1;
/** Mixer contexts per channel: the activity bucket for the zero flag, again for the sign, the class for the class. */
const MIXERS_PER_CHANNEL = 2 * BUCKETS + MAX_CLASS + 1;

function sign3(v: number): number {
  return v > 0 ? 2 : v < 0 ? 0 : 1;
}

/** Code z (encoder) or read it (decoder) with the binarisation above. */
function codeResidual(bits: AdaptiveBits, base: number, zeroCtx: number, bucket: number, signCtx: number, signTextureCtx: number, signDiagonalCtx: number, best: number, texture: number, z: number): number {
  const mixer = (base / CONTEXTS_PER_CHANNEL) * MIXERS_PER_CHANNEL + bucket;
  const zero = bits.code3(base + zeroCtx, base + SECOND_BASE + best, base + ZERO3_BASE + bucket * 64 + texture, mixer, z === 0 ? 1 : 0);
  if (zero) return 0;
  const negative = bits.code3(base + ZERO_CONTEXTS + signCtx, base + ZERO_CONTEXTS + signTextureCtx, base + SIGN3_BASE + signDiagonalCtx, mixer + BUCKETS, z < 0 ? 1 : 0);
  const m = z < 0 ? -z - 1 : z - 1;
  const classBase = base + ZERO_CONTEXTS + SIGN_CONTEXTS + bucket * (MAX_CLASS + 1);
  // Class k = bit length of m, in unary: "more than j?" for j = 0, 1, ...
  const k = bits.msg === undefined ? bitLength(m) : 0;
  let cls = 0;
  const class2Base = base + CLASS2_BASE + Math.floor(best / 9) * (MAX_CLASS + 1);
  const classMixer = (base / CONTEXTS_PER_CHANNEL) * MIXERS_PER_CHANNEL + 2 * BUCKETS;
  const class3Base = base + CLASS3_BASE + texture * (MAX_CLASS + 1);
  while (cls < MAX_CLASS && bits.code3(classBase + cls, class2Base + cls, class3Base + cls, classMixer + cls, k > cls ? 1 : 0)) cls++;
  let value: number;
  if (cls === 0) value = 0;
  else if (cls === 1) value = 1;
  else {
    // The bits below the leading one: the first MANTISSA_ADAPTIVE through a binary tree of adaptive
    // contexts (per class and coarse activity: lattices of quantized data show up here), the rest raw.
    const below = cls - 1;
    const adaptive = below < MANTISSA_ADAPTIVE ? below : MANTISSA_ADAPTIVE;
    const rawBits = below - adaptive;
    const rawUnit = 2 ** rawBits;
    const treeBase = base + ZERO_CONTEXTS + SIGN_CONTEXTS + CLASS_CONTEXTS + ((bucket >> MANTISSA_GROUP_SHIFT) * (MAX_CLASS + 1) + cls) * (1 << MANTISSA_ADAPTIVE);
    const encoding = bits.msg === undefined;
    const high = encoding ? Math.floor((m - 2 ** below) / rawUnit) : 0;
    let node = 1;
    for (let b = adaptive - 1; b >= 0; b--) node = node * 2 + bits.code(treeBase + node, encoding ? (high >> b) & 1 : 0);
    const topBits = node - (1 << adaptive);
    const low = bits.rawWide(encoding ? m - 2 ** below - topBits * rawUnit : 0, rawBits);
    value = 2 ** below + topBits * rawUnit + low;
  }
  const magnitude = value + 1;
  return negative ? -magnitude : magnitude;
}

/** LOCO-I's update of a context's bias correction after a residual r (against the corrected prediction). */
function learnBias(correction: Float64Array, sum: Float64Array, count: Float64Array, ctx: number, r: number): void {
  let b = sum[ctx] + r;
  let n = count[ctx];
  if (n === BIAS_RESET) {
    b = b >= 0 ? Math.floor(b / 2) : -Math.floor(-b / 2);
    n = n / 2;
  }
  n++;
  if (b <= -n) {
    correction[ctx]--;
    b += n;
    if (b <= -n) b = -n + 1;
  } else if (b > 0) {
    correction[ctx]++;
    b -= n;
    if (b > 0) b = 0;
  }
  sum[ctx] = b;
  count[ctx] = n;
}

/** NLMS inputs and errors are clamped to +-2^16 and weights to +-2^30: every product and sum stays an exact integer below 2^53. */
function clampTap(v: number): number {
  return v > LMS_CLAMP ? LMS_CLAMP : v < -LMS_CLAMP ? -LMS_CLAMP : v;
}

function clampWeight(v: number): number {
  return v > WEIGHT_CLAMP ? WEIGHT_CLAMP : v < -WEIGHT_CLAMP ? -WEIGHT_CLAMP : v;
}


/**
 * One pass over the array, the same for both directions: encoding (`chunks` given) records decisions and
 * closes a chunk every CHUNK_SAMPLES samples; decoding (`messages` given) pops them and writes `data`.
 * Returns the model's bits (encoder).
 */
function run(
  data: SampleArray,
  layout: SampleLayout,
  mode: GridMode | undefined,
  params: GridParams,
  chunks: Uint8Array[] | undefined,
  messages: Uint8Array[] | undefined,
  progress?: Progress,
  pixelBits?: Float32Array,
): { bits: number; headerBits: number } {
  const { height, width, channels } = layout;
  const planeRows = layout.planeRows ?? height;
  const rowStride = width * channels;
  const K = SUB_PREDICTORS;
  const bits = new AdaptiveBits(CONTEXTS_PER_CHANNEL * channels + PALETTE_CONTEXTS, MIXERS_PER_CHANNEL * channels, params.rateLimit);
  // Two rows of each sub-predictor's |error| and of the mixed prediction's error, per (x, c).
  const subErrors = new Float64Array(2 * rowStride * K);
  const mixErrors = new Float64Array(2 * rowStride);
  // LOCO-I's bias cancellation: a correction that moves by at most 1 per sample (an outlier cannot
  // throw it), from the running sum of errors and the count.
  const biasCorrection = new Float64Array(BIAS_CONTEXTS * channels);
  const biasSum = new Float64Array(BIAS_CONTEXTS * channels);
  const biasCount = new Float64Array(BIAS_CONTEXTS * channels);
  const predictions = new Float64Array(K);
  /** The last value coded in each channel that is not the sentinel (what a pixel among sentinels predicts from). */
  const lastValid = new Float64Array(channels);
  /** Per column (and channel): the last valid sample coded in it (NaN: none yet). */
  const columnValid = new Float64Array(rowStride).fill(NaN);
  const lmsWeights = new Float64Array(LMS_TAPS * channels);
  const feedbackWeights = new Float64Array(4 * channels);
  const feedbackTaps = new Float64Array(4);
  if (messages) bits.msg = Message.unflatten(messages[0]);
  const { sentinel, matches, feedback: feedbackOn, palette: paletteValues } = codeMode(bits, mode, height * rowStride, CONTEXTS_PER_CHANNEL * channels);
  const headerBits = bits.bits;
  const palette = paletteValues ? new Palette(paletteValues) : undefined;
  const planeSamples = planeRows * rowStride;
  // Stacks: a running mean of each position over the planes so far (x POSITION_ONE), for aligned small
  // images (patches, digits, frames) whose position says much about the value.
  const positionMean = planeRows < height ? new Float64Array(planeSamples) : undefined;
  /** Stacks: how often each position held the sentinel (0..256, a running mean). */
  const positionSentinel = planeRows < height && sentinel === sentinel ? new Float64Array(planeSamples) : undefined;
  const taps = new Float64Array(LMS_TAPS);
  /** Match candidates in the order they are asked: W, N, gradient, the sample ahead (NE, or the previous plane's), NW, WW, NE, NN. */
  const candidates = new Float64Array(MATCH_CANDIDATES);
  const weights = new Float64Array(K);
  const total = height * rowStride;
  let chunkIndex = 0;
  let nextChunk = CHUNK_SAMPLES;
  for (let y = 0; y < height; y++) {
    if (progress && y % 32 === 0) progress(y / height);
    const py = y % planeRows;
    const previousPlane = y >= planeRows;
    const cur = (y & 1) * rowStride;
    const up = rowStride - cur;
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const i = y * rowStride + x * channels + c;
        if (i === nextChunk) {
          if (chunks) chunks.push(bits.flushChunk());
          else {
            if (!bits.msg!.isEmpty()) fail('CORRUPT', 'a chunk does not end where its samples do');
            bits.msg = Message.unflatten(messages![++chunkIndex]);
          }
          nextChunk += CHUNK_SAMPLES;
        }
        // Neighbours within the plane; the first row looks left, the first column up.
        let w: number, n: number, nw: number, ne: number, ww: number;
        const back = i - planeRows * rowStride;
        if (py === 0) {
          w = x > 0 ? data[i - channels] : previousPlane ? data[back] : y > 0 ? data[i - rowStride] : 0;
          n = nw = ne = w;
          ww = x > 1 ? data[i - 2 * channels] : w;
        } else {
          n = data[i - rowStride];
          w = x > 0 ? data[i - channels] : n;
          nw = x > 0 ? data[i - rowStride - channels] : n;
          ne = x + 1 < width ? data[i - rowStride + channels] : n;
          ww = x > 1 ? data[i - 2 * channels] : w;
        }
        const xl = x > 0 ? x - 1 : x;
        const xr = x + 1 < width ? x + 1 : x;
        const here = (cur + x * channels + c) * K;
        const base = c * CONTEXTS_PER_CHANNEL;
        const pixelStart = bits.bits;
        let nearSentinel = false;
        if (sentinel === sentinel) {
          // Sentinel values (invalid pixels, no-data, saturation) get a flag of their own; the predictor
          // then sees only the valid neighbours.
          const held = (w === sentinel ? 1 : 0) + (n === sentinel ? 1 : 0) + (nw === sentinel ? 1 : 0) + (ne === sentinel ? 1 : 0);
          // Stacks: how often this position held the sentinel in the planes so far.
          const often = positionSentinel ? positionSentinel[i % planeSamples] : 0;
          const oftenClass = often < 32 ? 0 : often < 128 ? 1 : often < 224 ? 2 : 3;
          // How many of the wider causal neighbourhood hold it (rows y-1, y-2 within the plane: x-2..x+2).
          let around = held + (ww === sentinel ? 1 : 0);
          if (py > 0) {
            const r1 = i - rowStride;
            if (x > 1 && data[r1 - 2 * channels] === sentinel) around++;
            if (x + 2 < width && data[r1 + 2 * channels] === sentinel) around++;
          }
          if (py > 1) {
            const r2 = i - 2 * rowStride;
            for (let dx = -2; dx <= 2; dx++) if (x + dx >= 0 && x + dx < width && data[r2 + dx * channels] === sentinel) around++;
          }
          const flagCtx = base + SENTINEL_BASE + ((held * 13 + around) * 2 + (previousPlane && data[back] === sentinel ? 1 : 0)) * 4 + oftenClass;
          if (bits.code(flagCtx, chunks ? (data[i] === sentinel ? 1 : 0) : 0)) {
            if (!chunks) {
              data[i] = sentinel;
              if (data[i] !== sentinel) fail('CORRUPT', 'the sentinel is outside the dtype');
            }
            // Carry the errors around it on to the next samples.
            const from = (cur + xl * channels + c) * K;
            for (let k = 0; k < K; k++) subErrors[here + k] = x > 0 ? subErrors[from + k] : 0;
            mixErrors[cur + x * channels + c] = x > 0 ? mixErrors[cur + xl * channels + c] : 0;
            if (positionSentinel) positionSentinel[i % planeSamples] += (256 - positionSentinel[i % planeSamples]) >> 2;
            if (pixelBits) pixelBits[y * width + x] += bits.bits - pixelStart;
            continue;
          }
          nearSentinel = held > 0 || ww === sentinel;
          if (nearSentinel) {
            // Nothing valid left or above: the nearest valid sample up this column, else the last one coded.
            const last = columnValid[x * channels + c] === columnValid[x * channels + c] ? columnValid[x * channels + c] : lastValid[c];
            if (n === sentinel) n = w !== sentinel ? w : ne !== sentinel ? ne : nw !== sentinel ? nw : last;
            if (w === sentinel) w = n;
            if (nw === sentinel) nw = n;
            if (ne === sentinel) ne = n;
            if (ww === sentinel) ww = w;
          }
        }
        const gradient = w + n - nw;
        predictions[0] = gradient;
        predictions[1] = medianEdge(w, n, nw);
        predictions[2] = w;
        predictions[3] = n;
        predictions[4] = w + ne - n;
        if (previousPlane) {
          // The same sample one plane back, moved by how this plane differs from it around here.
          const pw = x > 0 ? data[back - channels] : data[back];
          const pn = py > 0 ? data[back - rowStride] : data[back];
          predictions[5] = data[back] === sentinel || pw === sentinel || pn === sentinel ? w : data[back] + Math.floor((w - pw + n - pn) / 2);
        } else if (c > 0) {
          // The previous channel's gradient error at this sample.
          const j = i - 1;
          const cw = x > 0 ? data[j - channels] : py > 0 ? data[j - rowStride] : data[j];
          const cn = py > 0 ? data[j - rowStride] : cw;
          const cnw = x > 0 && py > 0 ? data[j - rowStride - channels] : cn;
          predictions[5] = gradient + data[j] - (cw + cn - cnw);
        } else predictions[5] = 2 * w - ww;
        // NLMS over the causal neighbourhood, relative to N (weights learned while coding).
        {
          const r1 = py > 0 ? i - rowStride : i;
          const r2 = py > 1 ? i - 2 * rowStride : r1;
          const nn = py > 1 ? data[r2] : n;
          const nnw = py > 1 && x > 0 ? data[r2 - channels] : nn;
          const nne = py > 1 && x + 1 < width ? data[r2 + channels] : nn;
          const nee = py > 0 && x + 2 < width ? data[r1 + 2 * channels] : ne;
          taps[0] = w - n;
          taps[1] = nw - n;
          taps[2] = ne - n;
          taps[3] = ww - n;
          taps[4] = nn - n;
          taps[5] = nnw - n;
          taps[6] = nne - n;
          taps[7] = nee - n;
          const wb = c * LMS_TAPS;
          let acc = 0;
          for (let k = 0; k < LMS_TAPS; k++) {
            taps[k] = clampTap(taps[k]);
            acc += lmsWeights[wb + k] * taps[k];
          }
          predictions[6] = n + Math.floor(acc / 2 ** WEIGHT_BITS);
        }
        const at = py * rowStride + x * channels + c;
        predictions[7] = positionMean && previousPlane ? Math.floor((positionMean[at] + POSITION_ONE / 2) / POSITION_ONE) : n + Math.floor((ne - n) / 2);
        const ahead = previousPlane ? data[back] : ne;

        // Weights from each sub-predictor's errors at N, W (twice), NW, NE.
        const eN = (up + x * channels + c) * K;
        const eW = (cur + xl * channels + c) * K;
        const eNW = (up + xl * channels + c) * K;
        const eNE = (up + xr * channels + c) * K;
        const eWW = (cur + (x > 1 ? x - 2 : xl) * channels + c) * K;
        let weightSum = 0;
        let weighted = 0;
        let bestError = Infinity;
        for (let k = 0; k < K; k++) {
          const s = 2 * (subErrors[eN + k] + subErrors[eW + k]) + subErrors[eNW + k] + subErrors[eNE + k] + subErrors[eWW + k] + 1;
          if (s < bestError) bestError = s;
          const wk = Math.floor(65536 / s) + 1;
          weights[k] = wk;
          weightSum += wk;
          weighted += wk * (predictions[k] - n);
        }
        const mixed = n + Math.floor((weighted + Math.floor(weightSum / 2)) / weightSum);

        // Contexts: the size of the errors and gradients around the sample, and equal neighbours.
        const mN = mixErrors[up + x * channels + c];
        const mW = mixErrors[cur + xl * channels + c];
        const mNW = mixErrors[up + xl * channels + c];
        const mNE = mixErrors[up + xr * channels + c];
        // Activity: the mixed prediction's errors around the sample and the local gradient.
        const activity = 2 * (Math.abs(mN) + Math.abs(mW)) + Math.abs(mNW) + Math.abs(mNE) + Math.abs(w - nw) + Math.abs(n - nw);
        const bucket = activityBucket(activity);
        const pattern = (w === nw ? 1 : 0) + (n === nw ? 2 : 0) + (n === ne ? 4 : 0);
        // Position class: in a stack, how far the position's mean is from the prediction; else the parity.
        let position: number;
        if (positionMean && previousPlane) {
          const gap = predictions[7] > mixed ? predictions[7] - mixed : mixed - predictions[7];
          position = gap === 0 ? 0 : gap < 2 ? 1 : gap < 4 ? 2 : 3;
        } else position = (py & 1) * 2 + (x & 1);
        const zeroCtx = (bucket * PATTERNS + pattern) * PARITIES + position;
        // Bias contexts (CALIC's error feedback): activity x which neighbours lie above the mixed prediction.
        const nn = py > 1 ? data[i - 2 * rowStride] : n;
        const texture = (w > mixed ? 1 : 0) + (n > mixed ? 2 : 0) + (nw > mixed ? 4 : 0) + (ne > mixed ? 8 : 0) + (ww > mixed ? 16 : 0) + (nn > mixed ? 32 : 0);
        const ctx = (c * BUCKETS + bucket) * 64 + texture;
        const bias = biasCorrection[ctx];
        // Error feedback: an NLMS stage on the mixed prediction's errors at W, N, NW, NE.
        const fb = c * 4;
        feedbackTaps[0] = clampTap(mW);
        feedbackTaps[1] = clampTap(mN);
        feedbackTaps[2] = clampTap(mNW);
        feedbackTaps[3] = clampTap(mNE);
        // Not across invalid samples: their errors are stand-ins.
        if (nearSentinel || !feedbackOn) feedbackTaps.fill(0);
        const feedback = Math.floor((feedbackWeights[fb] * feedbackTaps[0] + feedbackWeights[fb + 1] * feedbackTaps[1] + feedbackWeights[fb + 2] * feedbackTaps[2] + feedbackWeights[fb + 3] * feedbackTaps[3] + 2 ** (WEIGHT_BITS - 1)) / 2 ** WEIGHT_BITS);
        const prediction = mixed + bias + feedback;
        const best = activityBucket(bestError - 1) * 9 + sign3(mW) * 3 + sign3(mN);
        const signBucket = bucket < SIGN_BUCKETS ? bucket : SIGN_BUCKETS - 1;
        const signCtx = signBucket * 9 + sign3(mW) * 3 + sign3(mN);
        const signTextureCtx = SIGN_BUCKETS * 9 + signBucket * 64 + texture;
        const signDiagonalCtx = signBucket * 81 + sign3(mNW) * 27 + sign3(mNE) * 9 + sign3(mixErrors[cur + (x > 1 ? x - 2 : xl) * channels + c]) * 3 + sign3(gradient - mixed);

        // Exact repeats first (quantized, upsampled, label-like data): does the sample equal W, N or the
        // gradient? Each distinct candidate asks once.
        let value = chunks ? data[i] : 0;
        let matched = false;
        if (matches) {
          const matchCtx = base + MATCH_BASE + ((pattern * PARITIES + position) * MATCH_BUCKETS + (bucket >> 2 < MATCH_BUCKETS ? bucket >> 2 : MATCH_BUCKETS - 1)) * MATCH_CANDIDATES * MATCH_DISTANCES;
          candidates[0] = w;
          candidates[1] = n;
          candidates[2] = gradient;
          candidates[3] = ahead;
          candidates[4] = nw;
          candidates[5] = ww;
          candidates[6] = ne;
          candidates[7] = nn;
          for (let j = 0; j < MATCH_CANDIDATES && !matched; j++) {
            const cand = candidates[j];
            // The residual's zero flag already asks for the prediction; an earlier candidate asked for itself.
            let asked = cand === prediction;
            for (let k = 0; k < j && !asked; k++) asked = candidates[k] === cand;
            if (asked) continue;
            const d = cand > prediction ? cand - prediction : prediction - cand;
            const distance = d < 2 ? 0 : d < 4 ? 1 : d < 16 ? 2 : 3;
            if (bits.code(matchCtx + j * MATCH_DISTANCES + distance, value === cand ? 1 : 0)) {
              value = cand;
              matched = true;
            }
          }
        }
        if (!matched) {
          if (palette) {
            // Sparse values: the residual counts palette entries from the one nearest the prediction.
            const j = palette.nearest(prediction);
            if (chunks) codeResidual(bits, base, zeroCtx, bucket, signCtx, signTextureCtx, signDiagonalCtx, best, texture, palette.rank(value) - j);
            else {
              const at = j + codeResidual(bits, base, zeroCtx, bucket, signCtx, signTextureCtx, signDiagonalCtx, best, texture, 0);
              if (!(at >= 0 && at < palette.values.length)) fail('CORRUPT', 'a decoded sample is outside the palette');
              value = palette.values[at];
            }
          } else if (chunks) codeResidual(bits, base, zeroCtx, bucket, signCtx, signTextureCtx, signDiagonalCtx, best, texture, value - prediction);
          else value = prediction + codeResidual(bits, base, zeroCtx, bucket, signCtx, signTextureCtx, signDiagonalCtx, best, texture, 0);
        }
        if (chunks) {
          if (pixelBits) pixelBits[y * width + x] += bits.bits - pixelStart;
        } else {
          data[i] = value;
          if (data[i] !== value) fail('CORRUPT', 'a decoded sample is outside its dtype');
        }

        // Learn: bias, each sub-predictor's error, the mixed error.
        const z = value - mixed;
        learnBias(biasCorrection, biasSum, biasCount, ctx, value - prediction);
        {
          const e = clampTap(value - prediction);
          if (e !== 0 && feedbackOn && !nearSentinel) {
            const norm = 64 + feedbackTaps[0] * feedbackTaps[0] + feedbackTaps[1] * feedbackTaps[1] + feedbackTaps[2] * feedbackTaps[2] + feedbackTaps[3] * feedbackTaps[3];
            const step = e * FEEDBACK_STEP;
            for (let k = 0; k < 4; k++) feedbackWeights[fb + k] = clampWeight(feedbackWeights[fb + k] + Math.trunc((step * feedbackTaps[k]) / norm));
          }
        }
        for (let k = 0; k < K; k++) subErrors[here + k] = Math.abs(value - predictions[k]);
        {
          const e = clampTap(value - predictions[6]);
          if (e !== 0) {
            let norm = 64;
            for (let k = 0; k < LMS_TAPS; k++) norm += taps[k] * taps[k];
            const wb = c * LMS_TAPS;
            const step = e * params.lmsStep;
            for (let k = 0; k < LMS_TAPS; k++) lmsWeights[wb + k] = clampWeight(lmsWeights[wb + k] + Math.trunc((step * taps[k]) / norm));
          }
        }
        mixErrors[cur + x * channels + c] = z;
        lastValid[c] = value;
        columnValid[x * channels + c] = value;
        if (positionSentinel) positionSentinel[i % planeSamples] -= positionSentinel[i % planeSamples] >> 2;
        if (positionMean) positionMean[at] = previousPlane ? positionMean[at] + Math.trunc((POSITION_ONE * value - positionMean[at]) / POSITION_RATE) : POSITION_ONE * value;
      }
    }
  }
  if (chunks) {
    if (total > 0) chunks.push(bits.flushChunk());
  } else if (bits.msg && !bits.msg.isEmpty()) fail('CORRUPT', 'payload does not end where the data does');
  return { bits: bits.bits, headerBits };
}

/** How many chunks a layout's samples take (what the decoder expects). */
function chunkCount(layout: SampleLayout): number {
  return Math.max(1, Math.ceil((layout.height * layout.width * layout.channels) / CHUNK_SAMPLES));
}

/**
 * What the encoder sees in the values before coding: the value that marks invalid samples, if one
 * fills at least 1/SENTINEL_SHARE of the array (depth sensors' 0, rasters' no-data, saturated pixels;
 * else NaN), and the distinct values when they are few and leave gaps (a palette: range >= 2 x count).
 */
function analyse(data: SampleArray): { sentinel: number; palette?: Float64Array } {
  const n = data.length;
  // The sentinel: the most frequent value of an even sample of at most 2^16 positions (one filling 1/32
  // of the array shows up ~2048 times there), then counted exactly.
  const step = Math.max(1, Math.floor(n / SENTINEL_SAMPLE));
  const sampled = new Map<number, number>();
  let candidate = NaN;
  let most = 0;
  for (let i = 0; i < n; i += step) {
    const count = (sampled.get(data[i]) ?? 0) + 1;
    sampled.set(data[i], count);
    if (count > most) {
      most = count;
      candidate = data[i];
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) if (data[i] === candidate) total++;
  const sentinel = total * SENTINEL_SHARE >= n ? candidate : NaN;
  // The palette: every distinct value, when there are at most MAX_PALETTE.
  const distinct = new Set<number>();
  for (let i = 0; i < n; i++) {
    distinct.add(data[i]);
    if (distinct.size > MAX_PALETTE) return { sentinel };
  }
  if (distinct.size < 2) return { sentinel };
  const values = Float64Array.from(distinct).sort();
  return values[values.length - 1] - values[0] + 1 >= 2 * values.length ? { sentinel, palette: values } : { sentinel };
}

/** Zigzag integer in raw bits: 6 bits of bit length, then the bits in pieces of at most 16. */
function codeInteger(bits: AdaptiveBits, value: number): number {
  const zig = zigzag(value);
  const length = bits.raw(bitLength(zig), 6);
  if (length > 54) fail('CORRUPT', 'grid header is malformed');
  return unzigzag(bits.rawWide(zig, length));
}

/**
 * The file's settings, first in the first message: 1 bit each for sentinel, matches, feedback and palette; the
 * sentinel; the palette: its size, its first value, then each gap less one as an Elias-gamma code
 * whose length bits are adaptive (contexts paletteBase + length so far).
 */
function codeMode(bits: AdaptiveBits, mode: GridMode | undefined, samples: number, paletteBase: number): GridMode {
  const encoding = mode !== undefined;
  const hasSentinel = bits.raw(mode && mode.sentinel === mode.sentinel ? 1 : 0, 1);
  const matches = bits.raw(mode?.matches ? 1 : 0, 1) === 1;
  const feedback = bits.raw(mode?.feedback ? 1 : 0, 1) === 1;
  const hasPalette = bits.raw(mode?.palette ? 1 : 0, 1);
  const sentinel = hasSentinel ? codeInteger(bits, encoding ? mode.sentinel : 0) : NaN;
  if (!hasPalette) return { sentinel, matches, feedback };
  const size = codeInteger(bits, mode?.palette?.length ?? 0);
  if (!(size >= 2 && size <= MAX_PALETTE && size <= samples)) fail('CORRUPT', 'grid palette size is malformed');
  const values = encoding ? mode.palette! : new Float64Array(size);
  values[0] = codeInteger(bits, values[0]);
  for (let k = 1; k < size; k++) {
    const gap = encoding ? values[k] - values[k - 1] - 1 : 0;
    const length = encoding ? bitLength(gap) : 0;
    let cls = 0;
    while (cls < MAX_CLASS && bits.code(paletteBase + cls, length > cls ? 1 : 0)) cls++;
    const g = cls === 0 ? 0 : 2 ** (cls - 1) + bits.rawWide(encoding ? gap - 2 ** (cls - 1) : 0, cls - 1);
    if (!encoding) values[k] = values[k - 1] + g + 1;
  }
  return { sentinel, matches, feedback, palette: values };
}

/** Sorted distinct values, with the nearest entry to a prediction and the rank of a value. */
class Palette {
  private readonly table: Int32Array | undefined;
  private readonly low: number;

  constructor(readonly values: Float64Array) {
    this.low = values[0];
    const range = values[values.length - 1] - values[0] + 1;
    if (range <= PALETTE_TABLE_LIMIT) {
      // table[v - low]: index of the largest entry <= v.
      this.table = new Int32Array(range);
      let k = 0;
      for (let v = 0; v < range; v++) {
        while (k + 1 < values.length && values[k + 1] - this.low <= v) k++;
        this.table[v] = k;
      }
    }
  }

  /** Index of the largest entry <= v (0 below the first). */
  private floorIndex(v: number): number {
    const { values } = this;
    if (v <= values[0]) return 0;
    if (v >= values[values.length - 1]) return values.length - 1;
    if (this.table) return this.table[Math.floor(v) - this.low];
    let lo = 0;
    let hi = values.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (values[mid] <= v) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Index of the entry nearest v (the lower on a tie). */
  nearest(v: number): number {
    const k = this.floorIndex(v);
    return k + 1 < this.values.length && this.values[k + 1] - v < v - this.values[k] ? k + 1 : k;
  }

  /** Index of v, which is an entry. */
  rank(v: number): number {
    return this.floorIndex(v);
  }
}

interface GridMode {
  /** The invalid-sample value (NaN: none). */
  sentinel: number;
  /** Whether samples first ask whether they repeat a neighbour (W, N, the gradient, ...). */
  matches: boolean;
  /** Whether the prediction is corrected by an NLMS stage on the errors around it (smooth, correlated noise). */
  feedback?: boolean;
  /** Sparse values: the sorted distinct values; residuals count entries, not units. */
  palette?: Float64Array;
}

/** Samples of the prefix on which the encoder tries both settings of `matches`. */
const TRIAL_SAMPLES = 1 << 16;

/** The adaptation's constants (a test changes one to show that both sides must agree on every step). */
export interface GridParams {
  lmsStep: number;
  rateLimit: number;
}

export const GRID_PARAMS: GridParams = { lmsStep: LMS_STEP, rateLimit: RATE_LIMIT };

/**
 * The encoder's choice of settings: match flags pay on quantized data and cost a little on smooth data,
 * a palette pays when the gaps between values are real; each is tried on a prefix, charging the header
 * per sample of the whole. When the prefix is the whole array, its run is the encoding.
 */
function chooseMode(data: SampleArray, layout: SampleLayout, params: GridParams) {
  const { sentinel, palette } = analyse(data);
  const rowSamples = layout.width * layout.channels;
  const trialRows = Math.min(layout.height, Math.max(1, Math.ceil(TRIAL_SAMPLES / rowSamples)));
  const whole = trialRows === layout.height;
  const total = layout.height * rowSamples;
  const trial = (mode: GridMode) => {
    const chunks: Uint8Array[] = [];
    const coded = run(data.subarray(0, trialRows * rowSamples), { ...layout, height: trialRows }, mode, params, chunks, undefined);
    const cost = (coded.bits - coded.headerBits) / (trialRows * rowSamples) + coded.headerBits / total;
    return { chunks, bits: coded.bits, cost, mode };
  };
  let chosen = trial({ sentinel, matches: false });
  const withMatches = trial({ sentinel, matches: true });
  if (withMatches.cost < chosen.cost) chosen = withMatches;
  const withFeedback = trial({ ...chosen.mode, feedback: true });
  if (withFeedback.cost < chosen.cost) chosen = withFeedback;
  if (palette) {
    const withPalette = trial({ ...chosen.mode, palette });
    if (withPalette.cost < chosen.cost) chosen = withPalette;
  }
  return { chosen, whole };
}

export function gridRoute(params: GridParams = GRID_PARAMS): Route {
  return {
    id: ROUTE_GRID,
    async encode(data, layout, progress, pixelBits) {
      const { chosen, whole } = chooseMode(data, layout, params);
      let chunks: Uint8Array[];
      let modelBits: number;
      if (whole && !pixelBits) ({ chunks, bits: modelBits } = chosen);
      else {
        chunks = [];
        pixelBits?.fill(0);
        modelBits = run(data, layout, chosen.mode, params, chunks, undefined, progress, pixelBits).bits;
      }
      return { modelBits, body: [knownPartsHeader(chunks), ...chunks] };
    },
    async decode(body, layout, out, progress) {
      run(out, layout, undefined, params, undefined, splitKnownParts(body, chunkCount(layout)), progress);
    },
  };
}
