/**
 * The causal context of the autoregressive flow: what the network sees of a sample before it is coded.
 * Trainer and coder both call `contextOf`, so they cannot disagree about a feature.
 *
 * Samples are visited pixel by pixel in raster order and, within a pixel, channel by channel in the
 * model's coding order. For coding channel c (in that order) at (y, x) the features are, all integers:
 * - the 10 causal neighbours of channel c minus p0 (the median edge predictor of channel c at (y, x)),
 * - the median predictor's errors at the W, N, NW and NE neighbours of channel c,
 * - two activity sums of |error| of channel c: over the two rows above (columns x-4..x+4), divided by 4,
 *   and over the 6 samples to the left; both clamped to 255,
 * - for every earlier channel: its 10 neighbours and its value here minus its own p0, its 4 errors and
 *   its 2 activity sums.
 * - context 2 (model.json version 3), the first coded channel only: the FAR_NEIGHBOURS window minus p0,
 *   appended (the rest of rows y-4..y-1 over columns x-4..x+4, and the samples 3 and 4 to the left).
 * - context 3 (model.json version 4): every coded channel its own channel's FAR_NEIGHBOURS minus its p0,
 *   appended after all its other features (for the first coded channel the same as context 2).
 * Everything is relative to a p0, so the network's prediction does not depend on the brightness level.
 *
 * Neighbours outside the image or not yet coded (the first row and column) fall back: clamp the column
 * into the image and the row to >= 0; if that sample is still not coded yet, take the sample above at the
 * clamped column, or on row 0 the W sample, or 0 at the very first pixel. Errors outside the image are 0.
 */
import { medianEdge } from '../shared/median.js';

/** (dy, dx) of the value neighbours: W, N, NW, NE, WW, NN, NNE, NWW, NNW, NEE. */
export const NEIGHBOURS: readonly (readonly [number, number])[] = [
  [0, -1], [-1, 0], [-1, -1], [-1, 1], [0, -2], [-2, 0], [-2, 1], [-1, -2], [-2, -1], [-1, 2],
];
/**
 * (dy, dx) of context 2's far window: rows -4..-1 over columns -4..4 row by row less the NEIGHBOURS, then
 * (0, -4), (0, -3). 30 samples.
 */
export const FAR_NEIGHBOURS: readonly (readonly [number, number])[] = [
  ...[-4, -3, -2, -1].flatMap((dy) => [-4, -3, -2, -1, 0, 1, 2, 3, 4].map((dx) => [dy, dx] as const)).filter(([dy, dx]) => !NEIGHBOURS.some(([ny, nx]) => ny === dy && nx === dx)),
  [0, -4],
  [0, -3],
];
/** Rows and columns the far window reaches. */
const FAR_REACH = 4;

/** (dy, dx) of the error neighbours: W, N, NW, NE. */
export const ERROR_NEIGHBOURS: readonly (readonly [number, number])[] = [[0, -1], [-1, 0], [-1, -1], [-1, 1]];

const ACTIVITY_FEATURES = 2;
const OWN_FEATURES = NEIGHBOURS.length + ERROR_NEIGHBOURS.length + ACTIVITY_FEATURES;
const EARLIER_FEATURES = NEIGHBOURS.length + 1 + ERROR_NEIGHBOURS.length + ACTIVITY_FEATURES;
/** Activity windows: columns x-ABOVE_REACH..x+ABOVE_REACH of the two rows above, LEFT_REACH samples to the left. */
const ABOVE_REACH = 4;
const LEFT_REACH = 6;
const MAX_ACTIVITY = 255;

/** Number of features of the c-th coded channel under context 1, 2 or 3. */
export function featureCount(c: number, context = 1): number {
  return OWN_FEATURES + c * EARLIER_FEATURES + (hasFarWindow(c, context) ? FAR_NEIGHBOURS.length : 0);
}

/** Whether the c-th coded channel's features end with its far window under `context`. */
function hasFarWindow(c: number, context: number): boolean {
  return context === 3 || (context === 2 && c === 0);
}

/**
 * The planes a pass keeps: coded values, and per sample its median prediction p0 and error value - p0,
 * interleaved like the data (index (r * width + x) * channels + channel); and per row the running sums
 * of |error| (index (r * (width + 1) + x) * channels + channel: the sum over columns < x). r = y mod
 * `rows`: the coder keeps the last ROWS_KEPT rows (what the context reads: this row and the two above),
 * so memory follows the width, not the image; training keeps every row (random access).
 */
export interface ContextPlanes {
  height: number;
  width: number;
  channels: number;
  /** Rows of med, medError and absPrefix kept (a ring): ROWS_KEPT when coding, the height in training. */
  rows: number;
  values: ArrayLike<number>;
  /** 8-bit samples: p0 in 0..255 and errors in -255..255 fit 16 bits (4 bytes a sample in all). */
  med: Int16Array;
  medError: Int16Array;
  absPrefix: Int32Array;
}

/** Rows the context reads: this one and the two above (rowActivity of y - 2 is the farthest). */
export const ROWS_KEPT = 3;

export function createPlanes(values: ArrayLike<number>, height: number, width: number, channels: number, rows = height): ContextPlanes {
  const kept = Math.min(rows, height);
  return { height, width, channels, rows: Math.max(1, kept), values, med: new Int16Array(kept * width * channels), medError: new Int16Array(kept * width * channels), absPrefix: new Int32Array(kept * (width + 1) * channels) };
}

/** After a sample is coded (or known): its p0, error and the row's running |error| sum. */
export function recordSample(p: ContextPlanes, y: number, x: number, ch: number, p0: number, value: number): void {
  const { width, channels } = p;
  const r = y % p.rows;
  const i = (r * width + x) * channels + ch;
  const e = value - p0;
  p.med[i] = p0;
  p.medError[i] = e;
  const j = (r * (width + 1) + x) * channels + ch;
  p.absPrefix[j + channels] = p.absPrefix[j] + (e < 0 ? -e : e);
}

/** Record every sample of a fully known image (training: any sample's context is then available). */
export function fillPlanes(p: ContextPlanes): void {
  const { height, width, channels, values } = p;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let ch = 0; ch < channels; ch++) recordSample(p, y, x, ch, medianPrediction(p, y, x, ch), values[(y * width + x) * channels + ch]);
}

/** Sum of |error| of channel ch on row y over columns lo..hi (clipped to the image; rows < 0 are 0). */
function rowActivity(p: ContextPlanes, y: number, lo: number, hi: number, ch: number): number {
  if (y < 0) return 0;
  const { width, channels, absPrefix } = p;
  const a = lo < 0 ? 0 : lo;
  const b = hi >= width ? width - 1 : hi;
  if (b < a) return 0;
  const row = (y % p.rows) * (width + 1);
  return absPrefix[(row + b + 1) * channels + ch] - absPrefix[(row + a) * channels + ch];
}

/** Value of channel `ch` at (y + dy, x + dx) under the fallback rule (causal for any (y, x)). */
function neighbourValue(p: ContextPlanes, y: number, x: number, dy: number, dx: number, ch: number): number {
  const { width, channels, values } = p;
  let yy = y + dy;
  let xx = x + dx;
  if (xx < 0) xx = 0;
  else if (xx >= width) xx = width - 1;
  if (yy < 0) yy = 0;
  if (yy < y || (yy === y && xx < x)) return values[(yy * width + xx) * channels + ch];
  if (y > 0) return values[((y - 1) * width + xx) * channels + ch];
  if (x > 0) return values[(x - 1) * channels + ch];
  return 0;
}

/** The median edge predictor of channel `ch` at (y, x); stored in `p.med` by the caller's pass. */
export function medianPrediction(p: ContextPlanes, y: number, x: number, ch: number): number {
  const interior = y > 0 && x > 0;
  if (interior) {
    const { width, channels, values } = p;
    const i = (y * width + x) * channels + ch;
    return medianEdge(values[i - channels], values[i - width * channels], values[i - width * channels - channels]);
  }
  return medianEdge(neighbourValue(p, y, x, 0, -1, ch), neighbourValue(p, y, x, -1, 0, ch), neighbourValue(p, y, x, -1, -1, ch));
}

/**
 * Fill `out` with the features of the c-th coded channel at (y, x); `order[k]` is the data channel coded
 * k-th. Needs values of every earlier sample, and `med`/`medError` of every earlier sample and of the
 * earlier channels of this pixel. Returns p0 of this sample (the prediction the network corrects).
 */
export function contextOf(p: ContextPlanes, order: ArrayLike<number>, y: number, x: number, c: number, out: Float64Array | Int16Array, context = 1): number {
  const { width, height, channels, values, med, medError } = p;
  const fast = y >= 2 && x >= 2 && x + 2 < width;
  const pixel = (y * width + x) * channels;
  const rowStride = width * channels;
  // The same sample in the ring of kept rows (med, medError), and the sample above it.
  const ringPixel = ((y % p.rows) * width + x) * channels;
  const ringAbove = y > 0 ? (((y - 1) % p.rows) * width + x) * channels : 0;
  let f = 0;
  let own = 0;
  for (let k = c; k >= 0; k--) {
    const ch = order[k];
    const i = pixel + ch;
    const mi = ringPixel + ch;
    const p0 = k === c ? medianPrediction(p, y, x, ch) : med[mi];
    if (k === c) own = p0;
    if (fast) {
      // Interior: the offsets of NEIGHBOURS, written out (the decoder's hot loop).
      const n = i - rowStride;
      const nn = n - rowStride;
      out[f] = values[i - channels] - p0;
      out[f + 1] = values[n] - p0;
      out[f + 2] = values[n - channels] - p0;
      out[f + 3] = values[n + channels] - p0;
      out[f + 4] = values[i - 2 * channels] - p0;
      out[f + 5] = values[nn] - p0;
      out[f + 6] = values[nn + channels] - p0;
      out[f + 7] = values[n - 2 * channels] - p0;
      out[f + 8] = values[nn - channels] - p0;
      out[f + 9] = values[n + 2 * channels] - p0;
      f += 10;
      const mn = ringAbove + ch;
      if (k < c) out[f++] = medError[mi];
      out[f] = medError[mi - channels];
      out[f + 1] = medError[mn];
      out[f + 2] = medError[mn - channels];
      out[f + 3] = medError[mn + channels];
      f += 4;
      f = activity(p, y, x, ch, out, f);
      continue;
    }
    for (let q = 0; q < NEIGHBOURS.length; q++) out[f++] = neighbourValue(p, y, x, NEIGHBOURS[q][0], NEIGHBOURS[q][1], ch) - p0;
    if (k < c) out[f++] = medError[mi];
    for (let q = 0; q < ERROR_NEIGHBOURS.length; q++) {
      const yy = y + ERROR_NEIGHBOURS[q][0];
      const xx = x + ERROR_NEIGHBOURS[q][1];
      out[f++] = yy >= 0 && yy < height && xx >= 0 && xx < width ? medError[((yy % p.rows) * width + xx) * channels + ch] : 0;
    }
    f = activity(p, y, x, ch, out, f);
  }
  if (hasFarWindow(c, context)) farWindow(p, y, x, order[c], own, out, f);
  return own;
}

/** Contexts 2 and 3: the FAR_NEIGHBOURS of channel ch minus p0 into out[f..]. */
function farWindow(p: ContextPlanes, y: number, x: number, ch: number, p0: number, out: Float64Array | Int16Array, f: number): void {
  const { width, channels, values } = p;
  if (y >= FAR_REACH && x >= FAR_REACH && x + FAR_REACH < width) {
    const i = (y * width + x) * channels + ch;
    for (let q = 0; q < FAR_NEIGHBOURS.length; q++) out[f + q] = values[i + (FAR_NEIGHBOURS[q][0] * width + FAR_NEIGHBOURS[q][1]) * channels] - p0;
    return;
  }
  for (let q = 0; q < FAR_NEIGHBOURS.length; q++) out[f + q] = neighbourValue(p, y, x, FAR_NEIGHBOURS[q][0], FAR_NEIGHBOURS[q][1], ch) - p0;
}

function activity(p: ContextPlanes, y: number, x: number, ch: number, out: Float64Array | Int16Array, f: number): number {
  const above = (rowActivity(p, y - 1, x - ABOVE_REACH, x + ABOVE_REACH, ch) + rowActivity(p, y - 2, x - ABOVE_REACH, x + ABOVE_REACH, ch)) >> 2;
  const left = rowActivity(p, y, x - LEFT_REACH, x - 1, ch);
  out[f] = above > MAX_ACTIVITY ? MAX_ACTIVITY : above;
  out[f + 1] = left > MAX_ACTIVITY ? MAX_ACTIVITY : left;
  return f + 2;
}
