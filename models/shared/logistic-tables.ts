/**
 * Discretized logistic residual tables with an escape symbol: the one place models turn a logistic
 * into integer frequencies (at table-build time only; decoders read the frozen result).
 */
import { FrequencyTable, escapeTable, fail } from '../../codec/index.js';

const MIN_ESCAPE_PROB = 2 ** -16;

function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * Table over hi = -halfWidth..halfWidth (+ ESCAPE) for a residual r = hi * unit + lo (lo in [0, unit)):
 * P(hi) = F((hi + 1) * unit - 1/2) - F(hi * unit - 1/2) with F the logistic CDF of the given center and
 * scale; everything beyond the half-width goes to ESCAPE (at least MIN_ESCAPE_PROB).
 */
export function logisticResidualTable(scale: number, center: number, halfWidth: number, unit: number, precision: number): FrequencyTable {
  const cdf = (x: number) => logistic((x - center) / scale);
  const probs = new Float64Array(2 * halfWidth + 1);
  for (let h = -halfWidth; h <= halfWidth; h++) probs[h + halfWidth] = cdf((h + 1) * unit - 0.5) - cdf(h * unit - 0.5);
  const tail = cdf(-halfWidth * unit - 0.5) + 1 - cdf((halfWidth + 1) * unit - 0.5);
  return escapeTable(probs, Math.max(tail, MIN_ESCAPE_PROB), precision);
}

/** Expected |r| of the integer residual under a centered logistic of scale s. */
export function meanAbsResidual(s: number): number {
  let m = 0;
  for (let r = 1; r < 40 * s + 40; r++) m += 2 * r * (logistic((r + 0.5) / s) - logistic((r - 0.5) / s));
  return m;
}

/** Table files are little-endian uint32 words. */
export function wordsToBytes(words: number[]): Uint8Array {
  const out = new Uint8Array(4 * words.length);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint32(4 * i, w, true));
  return out;
}

/** Sequential reader of a table file's words; running past the end is MODEL_MISMATCH (`what` is truncated). */
export function wordReader(bytes: Uint8Array, what: string): () => number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  return () => {
    if (o + 4 > bytes.length) fail('MODEL_MISMATCH', `${what} is truncated`);
    const v = view.getUint32(o, true);
    o += 4;
    return v;
  };
}

/**
 * A table file's start: magic, version, then `fields` header words (returned), with the reader
 * positioned after them. A wrong magic or version is MODEL_MISMATCH.
 */
export function readTableFile(bytes: Uint8Array, what: string, magic: number, version: number, fields: number): { next: () => number; header: number[] } {
  const next = wordReader(bytes, what);
  if (next() !== magic || next() !== version) fail('MODEL_MISMATCH', `not a ${what} file`);
  return { next, header: Array.from({ length: fields }, next) };
}

/** One residual table as files store it: half-width K, then 2K + 2 frequencies (residuals -K..K, ESCAPE). */
export function readResidualTable(next: () => number, precision: number, maxHalfWidth: number): { halfWidth: number; table: FrequencyTable } {
  const halfWidth = next();
  if (halfWidth > maxHalfWidth) fail('MODEL_MISMATCH', 'residual table too wide');
  const freq = new Uint32Array(2 * halfWidth + 2);
  for (let k = 0; k < freq.length; k++) freq[k] = next();
  return { halfWidth, table: new FrequencyTable(freq, precision) };
}
