/**
 * Quantized distributions: integer frequency tables under the zero-probability contract.
 *
 * Contract (checked by `assertTable`): a table over symbols 0..n-1 at precision p has
 *   - freq[s] >= 1 for every symbol in the support (nothing codable has probability zero),
 *   - sum(freq) === 2^p exactly, cum[s] = freq[0] + ... + freq[s-1], cum[n] = 2^p.
 * `quantizeFrequencies` is the one function that turns float probabilities into such a table.
 *
 * Floats (Math.exp and friends) are used only here, to build tables. A decoder must never rebuild
 * a table from floats that could differ between machines: models ship frozen integer tables
 * (see models/baseline) and the container records their hash.
 */
import { fail } from './errors.js';
import { MAX_PRECISION } from './rans.js';

/** Coarse decode index: slot >> shift -> first symbol whose interval can contain the slot. */
const LOOKUP_BITS = 10;

export class FrequencyTable {
  readonly precision: number;
  readonly size: number;
  readonly freq: Uint32Array;
  readonly cum: Uint32Array;
  private readonly lookup: Uint32Array;
  private readonly lookupShift: number;

  constructor(freq: Uint32Array, precision: number) {
    this.precision = precision;
    this.size = freq.length;
    this.freq = freq;
    this.cum = new Uint32Array(freq.length + 1);
    for (let s = 0; s < freq.length; s++) this.cum[s + 1] = this.cum[s] + freq[s];
    assertTable(this);
    const lookupBits = Math.min(LOOKUP_BITS, precision);
    this.lookupShift = precision - lookupBits;
    this.lookup = new Uint32Array(1 << lookupBits);
    let s = 0;
    for (let j = 0; j < this.lookup.length; j++) {
      const slot = j << this.lookupShift;
      while (this.cum[s + 1] <= slot) s++;
      this.lookup[j] = s;
    }
  }

  /** The symbol whose interval [cum[s], cum[s+1]) holds `slot`. */
  symbolOf(slot: number): number {
    let s = this.lookup[slot >>> this.lookupShift];
    const cum = this.cum;
    while (cum[s + 1] <= slot) s++;
    return s;
  }

  /** -log2 P(s), the information content the coder is charged for symbol s. */
  bits(s: number): number {
    return this.precision - Math.log2(this.freq[s]);
  }
}

export function assertTable(t: { freq: Uint32Array; precision: number }): void {
  if (!(t.precision >= 1 && t.precision <= MAX_PRECISION)) fail('INTERNAL', `precision ${t.precision}`);
  let sum = 0;
  for (let s = 0; s < t.freq.length; s++) {
    if (t.freq[s] < 1) fail('INTERNAL', `symbol ${s} has zero frequency`);
    sum += t.freq[s];
  }
  if (sum !== 2 ** t.precision) fail('INTERNAL', `frequencies sum to ${sum}, not 2^${t.precision}`);
}

/**
 * Probabilities (any non-negative weights) -> integer frequencies summing to 2^precision, each >= 1.
 * Each symbol gets 1 plus its share of the remaining mass, rounded down; the leftover units go to the
 * symbols with the largest rounding remainders (ties by index), which keeps the result deterministic
 * for identical inputs and close to the ideal KL.
 */
export function quantizeFrequencies(probs: ArrayLike<number>, precision: number): Uint32Array {
  const n = probs.length;
  const total = 2 ** precision;
  if (n < 1 || n > total) fail('INTERNAL', `cannot fit ${n} symbols in 2^${precision}`);
  let mass = 0;
  for (let s = 0; s < n; s++) {
    const p = probs[s];
    if (!(p >= 0) || !Number.isFinite(p)) fail('INTERNAL', `probability ${p} at ${s}`);
    mass += p;
  }
  const freq = new Uint32Array(n);
  const spare = total - n;
  const remainders = new Float64Array(n);
  let used = n;
  for (let s = 0; s < n; s++) {
    const share = mass > 0 ? (probs[s] / mass) * spare : spare / n;
    const whole = Math.floor(share);
    freq[s] = 1 + whole;
    remainders[s] = share - whole;
    used += whole;
  }
  let left = total - used;
  if (left > 0) {
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => remainders[b] - remainders[a] || a - b);
    for (let i = 0; left > 0; i = (i + 1) % n, left--) freq[order[i]]++;
  }
  return freq;
}

export function categorical(probs: ArrayLike<number>, precision: number): FrequencyTable {
  return new FrequencyTable(quantizeFrequencies(probs, precision), precision);
}

/** Uniform over n symbols; exact (all equal) when n is a power of two no larger than 2^precision. */
export function uniform(n: number, precision: number): FrequencyTable {
  return categorical(new Float64Array(n).fill(1), precision);
}

function logisticCdf(x: number, mu: number, scale: number): number {
  return 1 / (1 + Math.exp(-(x - mu) / scale));
}

/**
 * Bin probabilities of a continuous CDF over integers lo..hi: P(k) = F(k + 1/2) - F(k - 1/2), with
 * the tails below lo and above hi folded into the end bins (the "discretized" distributions of
 * PixelCNN++ / IDF). Returns probabilities for symbols 0..hi-lo.
 */
export function binProbabilities(cdf: (x: number) => number, lo: number, hi: number): Float64Array {
  const n = hi - lo + 1;
  const p = new Float64Array(n);
  let prev = 0;
  for (let s = 0; s < n; s++) {
    const next = s === n - 1 ? 1 : cdf(lo + s + 0.5);
    p[s] = Math.max(0, next - prev);
    prev = next;
  }
  return p;
}

export interface Support {
  lo: number;
  hi: number;
}

export function discretizedLogistic(mu: number, scale: number, support: Support, precision: number): FrequencyTable {
  return categorical(binProbabilities((x) => logisticCdf(x, mu, scale), support.lo, support.hi), precision);
}
