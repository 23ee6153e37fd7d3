/** Shared test helpers: a seeded PRNG and fixture paths. */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../models/shared/random.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(FIXTURES + name));
}

export function fixtureNames(pattern: RegExp): string[] {
  return readdirSync(FIXTURES).filter((f) => pattern.test(f)).sort();
}

/** Seeded PRNG for property tests. */
export const rng = seededRandom;

export function randomInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/** A random probability vector with a spread of magnitudes (some near zero). */
export function randomProbs(r: () => number, n: number): Float64Array {
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) p[i] = r() < 0.1 ? r() * 1e-6 : Math.exp(4 * r());
  return p;
}

/** Draw from a frequency table (by slot, so the draw follows the quantized distribution). */
export function sampleTable(r: () => number, cum: Uint32Array, precision: number): number {
  const slot = Math.floor(r() * 2 ** precision);
  let lo = 0;
  let hi = cum.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (cum[mid] <= slot) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
