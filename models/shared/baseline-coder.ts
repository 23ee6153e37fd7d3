/**
 * The baseline coder (the 'baseline' model, and the fallback route of the learned models): a causal neighbour predictor (LOCO-I's median edge detector, plus the previous
 * channels' prediction errors for colour) with a context-adaptive discretized logistic residual.
 *
 * Context: the local gradient activity |N - NW| + |W - NW| + |NE - N| (for colour channels 1 and 2:
 * half of it plus the previous channels' error magnitudes), plus the channel's previous |residual|,
 * bucketed by bit length, per channel. Each context keeps integer running sums (A = sum |e|, B = sum e, N = count, halved at
 * RESET) that pick a bias correction and a scale index into the frozen table bank. Everything on the
 * decode path is integer arithmetic on JS numbers, so encoder and decoder agree on every machine.
 *
 * The encoder and decoder run the same loop (`run`), so their contexts cannot drift apart.
 */
import { Message, escapeBits, fail, popEscaped, pushEscaped } from '../../codec/index.js';
import type { IntegerModel, MessageCoder, Progress, SampleArray, SampleLayout } from './types.js';
import { medianEdge } from './median.js';
import { THRESHOLD_BITS, loadBaselineTables, type BaselineTables } from './baseline-tables.js';
import { sha256 } from './hash.js';
import { messageRoute, routedModel, type Route } from './routes.js';

const ACTIVITY_BUCKETS = 24;
const RESET = 64;
/** Initial A/N of a context: mean |residual| 4. */
const INITIAL_A = 8;
const INITIAL_N = 2;

/** Bits of a non-negative integer (0 for 0): the contexts' bucket of a magnitude. */
export function bitLength(v: number): number {
  let n = 0;
  while (v >= 1) {
    v = Math.floor(v / 2);
    n++;
  }
  return n;
}

function chooseScale(thresholds: Float64Array, a: number, n: number): number {
  // Largest j with a * 2^T >= thresholds[j - 1] * n; thresholds increase with j.
  const lhs = a * 2 ** THRESHOLD_BITS;
  let lo = 0;
  let hi = thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (lhs >= thresholds[mid] * n) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function pushLowBits(msg: Message, value: number, bits: number): void {
  if (bits <= 16) msg.pushBits(value, bits);
  else {
    msg.pushBits(value % 2 ** 16, 16);
    msg.pushBits(Math.floor(value / 2 ** 16), bits - 16);
  }
}

function popLowBits(msg: Message, bits: number): number {
  if (bits <= 16) return msg.popBits(bits);
  const high = msg.popBits(bits - 16);
  return high * 2 ** 16 + msg.popBits(16);
}

/**
 * LOCO-I's adaptive statistics of residuals per context (A = sum |r|, B = sum r, N = count, halved at
 * RESET): a bias correction and a scale index into the frozen table bank. Encoder and decoder update
 * them identically after each residual, so they never drift.
 */
export class ResidualContexts {
  private readonly sumAbs: Float64Array;
  private readonly sumErr: Float64Array;
  private readonly count: Float64Array;
  private readonly lastScale: Int32Array;

  constructor(
    contexts: number,
    private readonly thresholds: Float64Array,
  ) {
    this.sumAbs = new Float64Array(contexts).fill(INITIAL_A);
    this.sumErr = new Float64Array(contexts);
    this.count = new Float64Array(contexts).fill(INITIAL_N);
    this.lastScale = new Int32Array(contexts).fill(chooseScale(thresholds, INITIAL_A, INITIAL_N));
  }

  /** Bias correction of context ctx: round(B / N), exact on integers. */
  bias(ctx: number): number {
    const n = this.count[ctx];
    return Math.floor((2 * this.sumErr[ctx] + n) / (2 * n));
  }

  /**
   * Scale index (table) of context ctx: `chooseScale`'s answer, found by stepping from the context's last
   * one (A/N moves a little per sample, so this is a step or two instead of a binary search).
   */
  scale(ctx: number): number {
    const { thresholds } = this;
    const lhs = this.sumAbs[ctx] * 2 ** THRESHOLD_BITS;
    const n = this.count[ctx];
    let j = this.lastScale[ctx];
    while (j < thresholds.length && lhs >= thresholds[j] * n) j++;
    while (j > 0 && lhs < thresholds[j - 1] * n) j--;
    this.lastScale[ctx] = j;
    return j;
  }

  update(ctx: number, residual: number): void {
    const n = this.count[ctx];
    this.sumAbs[ctx] += Math.abs(residual);
    this.sumErr[ctx] += residual;
    if (n + 1 >= RESET) {
      this.sumAbs[ctx] = Math.floor(this.sumAbs[ctx] / 2);
      this.sumErr[ctx] = Math.floor(this.sumErr[ctx] / 2);
      this.count[ctx] = Math.floor((n + 1) / 2);
    } else this.count[ctx] = n + 1;
  }
}

/** Bits of residual r under scale j: the table symbol (or ESCAPE and its raw bits) and the low bits. */
export function residualBits(tables: BaselineTables, j: number, r: number): number {
  const { shift, halfWidth, table } = tables.scales[j];
  const hi = Math.floor(r / 2 ** shift);
  return shift + (hi >= -halfWidth && hi <= halfWidth ? table.bits(hi + halfWidth) : table.bits(table.size - 1) + escapeBits(hi, -halfWidth, halfWidth));
}

/** Push residual r under scale j. Pop order: table symbol, escape, low bits. */
export function pushResidual(msg: Message, tables: BaselineTables, j: number, r: number): void {
  const { shift, halfWidth, table } = tables.scales[j];
  const unit = 2 ** shift;
  const hi = Math.floor(r / unit);
  pushLowBits(msg, r - hi * unit, shift);
  let s: number;
  if (hi >= -halfWidth && hi <= halfWidth) s = hi + halfWidth;
  else {
    pushEscaped(msg, hi, -halfWidth, halfWidth);
    s = table.size - 1;
  }
  msg.push(table.cum[s], table.freq[s], table.precision);
}

export function popResidual(msg: Message, tables: BaselineTables, j: number): number {
  const { shift, halfWidth, table } = tables.scales[j];
  const s = table.symbolOf(msg.peek(table.precision));
  msg.pop(table.cum[s], table.freq[s], table.precision);
  const hi = s === table.size - 1 ? popEscaped(msg, -halfWidth, halfWidth) : s - halfWidth;
  return hi * 2 ** shift + popLowBits(msg, shift);
}

/** What an encode pass records for its reverse push (the decoder pops forwards), and the bits so far. */
export interface ResidualRecord {
  residual: Int32Array | Float64Array;
  scale: Uint8Array;
  bits: number;
  /** Bits of the last sample coded. */
  lastBits: number;
}

/**
 * One sample against its prediction, the same step in both directions: the context's bias corrects the
 * prediction and its scale picks the table; encoding (`msg` undefined) records the residual, decoding
 * pops it and writes data[i]; then the context learns it. Returns the residual (data[i] is the value).
 */
export function codeResidual(
  tables: BaselineTables,
  stats: ResidualContexts,
  ctx: number,
  prediction: number,
  data: SampleArray,
  i: number,
  msg: Message | undefined,
  record: ResidualRecord | undefined,
): number {
  const base = prediction + stats.bias(ctx);
  const j = stats.scale(ctx);
  let r: number;
  if (msg === undefined) {
    r = data[i] - base;
    const bits = residualBits(tables, j, r);
    record!.bits += bits;
    record!.lastBits = bits;
    record!.residual[i] = r;
    record!.scale[i] = j;
  } else {
    r = popResidual(msg, tables, j);
    data[i] = base + r;
  }
  stats.update(ctx, r);
  return r;
}

/** An empty record for n samples: residuals of 8- and 16-bit samples fit 32 bits (half the memory), wider ones need a double. */
export function residualRecord(n: number, dtype: SampleLayout['dtype']): ResidualRecord {
  const narrow = dtype !== undefined && dtype !== 'uint32' && dtype !== 'int32' && dtype !== 'float32' && dtype !== 'float64';
  return { residual: narrow ? new Int32Array(n) : new Float64Array(n), scale: new Uint8Array(n), bits: 0, lastBits: 0 };
}

/** Push what an encode pass recorded, last sample first (the decoder pops sample 0 first). */
export function pushRecorded(msg: Message, tables: BaselineTables, record: ResidualRecord): void {
  msg.reserve(Math.ceil(record.bits / 16) + 64);
  for (let i = record.residual.length - 1; i >= 0; i--) pushResidual(msg, tables, record.scale[i], record.residual[i]);
}

/**
 * Encode (`msg` undefined: records residuals and scales for a reverse push) or decode (pops values into `data`).
 */
function run(
  tables: BaselineTables,
  data: SampleArray,
  layout: SampleLayout,
  decodeFrom: Message | undefined,
  record?: ResidualRecord & { pixelBits?: Float32Array },
  progress?: Progress,
): void {
  const { height, width, channels } = layout;
  const colourChannels = channels >= 3 ? 3 : 1;
  const stats = new ResidualContexts(channels * ACTIVITY_BUCKETS, tables.thresholds);
  const rowStride = width * channels;
  let prevError = 0;
  let firstError = 0;
  /** |residual| of the previous sample of each channel (its W neighbour, or the end of the row above). */
  const lastAbsResidual = new Float64Array(channels);
  for (let y = 0; y < height; y++) {
    if (progress && y % 64 === 0) progress(y / height);
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const i = y * rowStride + x * channels + c;
        let w: number, n: number, nw: number, ne: number;
        if (y === 0) {
          w = x > 0 ? data[i - channels] : 0;
          n = nw = ne = w;
        } else {
          n = data[i - rowStride];
          w = x > 0 ? data[i - channels] : n;
          nw = x > 0 ? data[i - rowStride - channels] : n;
          ne = x + 1 < width ? data[i - rowStride + channels] : n;
        }
        let pred = medianEdge(w, n, nw);
        const medPred = pred;
        let activity = Math.abs(n - nw) + Math.abs(w - nw) + Math.abs(ne - n);
        if (c > 0 && c < colourChannels) {
          // Colour: add the previous channels' errors against their MED predictions (G from R; B from the
          // mean of R and G) and let their size steer the context (tuned on the train split).
          pred += c === 2 ? Math.floor((firstError + prevError) / 2) : prevError;
          activity = Math.floor(activity / 2) + (c === 2 ? Math.abs(firstError) + Math.abs(prevError) : 2 * Math.abs(prevError));
        }
        activity += lastAbsResidual[c];
        const bucket = Math.min(ACTIVITY_BUCKETS - 1, bitLength(activity));
        const ctx = c * ACTIVITY_BUCKETS + bucket;
        const residual = codeResidual(tables, stats, ctx, pred, data, i, decodeFrom, record);
        if (record?.pixelBits) record.pixelBits[y * width + x] += record.lastBits;
        const value = data[i];
        if (c === 0) firstError = value - medPred;
        lastAbsResidual[c] = Math.abs(residual);
        prevError = value - medPred;
      }
    }
  }
}

/**
 * Push `data` onto `msg` (so that `decodeBaseline` pops it back). Returns the model's bits; adds each
 * pixel's bits (all channels) into `pixelBits` (height * width) when given.
 */
export function encodeBaseline(tables: BaselineTables, msg: Message, data: SampleArray, layout: SampleLayout, progress?: Progress, pixelBits?: Float32Array): number {
  checkLayout(data, layout);
  const record = { ...residualRecord(data.length, layout.dtype), pixelBits };
  run(tables, data, layout, undefined, record, progress);
  pushRecorded(msg, tables, record);
  return record.bits;
}

/** Pop samples pushed by `encodeBaseline` into `out`. */
export function decodeBaseline(tables: BaselineTables, msg: Message, layout: SampleLayout, out: SampleArray, progress?: Progress): void {
  checkLayout(out, layout);
  run(tables, out, layout, msg, undefined, progress);
}

/** Smallest number of bits any sample can cost under these tables. */
export function baselineMinBits(tables: BaselineTables): number {
  let minBits = Infinity;
  for (const { table } of tables.scales) for (let s = 0; s < table.size; s++) minBits = Math.min(minBits, table.bits(s));
  return minBits;
}

/** Bump when the coding algorithm changes: it is part of the model hash recorded in files. */
export const BASELINE_ALGORITHM = 'baseline-3';

function checkLayout(data: SampleArray, layout: SampleLayout): void {
  if (data.length !== layout.height * layout.width * layout.channels) fail('INTERNAL', 'layout does not match data');
}

/** The baseline coder as a message coder: every model's route for layouts it was not built for. */
export function baselineCoder(tables: BaselineTables): MessageCoder {
  return {
    push: (msg, data, layout, progress, pixelBits) => ({ modelBits: encodeBaseline(tables, msg, data, layout, progress, pixelBits) }),
    pop: (msg, layout, out, progress) => decodeBaseline(tables, msg, layout, out, progress),
  };
}

/**
 * A model of the baseline's tables with a coder of its own: `own` (route byte 1) for the layouts `codes`
 * takes, the baseline coder (route byte 0) for the rest. Its hash covers `algorithm` and the tables.
 */
export function baselineFamilyModel(
  kind: { id: string; description: string },
  algorithm: string,
  codes: (layout: SampleLayout) => boolean,
  own: (tables: BaselineTables) => Route,
): IntegerModel {
  const tables = loadBaselineTables();
  const baselineRoute = messageRoute(0, baselineCoder(tables));
  const ownRoute = own(tables);
  const info = {
    id: kind.id,
    description: kind.description,
    hash: sha256(new TextEncoder().encode(algorithm), new TextEncoder().encode(BASELINE_ALGORITHM), tables.hash),
    minBitsPerSample: baselineMinBits(tables),
    codes,
  };
  return routedModel(info, (layout) => (codes(layout) ? ownRoute : baselineRoute));
}
