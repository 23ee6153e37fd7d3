/**
 * The IDF's fixed conventions, shared by training (flow.ts) and integer inference (integer.ts). Changing
 * any of them changes what a trained model means: bump the model file version.
 */
export interface IdfConfig {
  channels: number;
  levels: number;
  couplings: number;
  hidden: number;
  priorHidden: number;
  /**
   * Prior means are predicted relative to the kept (coarse) latent of the same channel at the same
   * position, so an untrained prior already predicts "like the coarse pixel". Absent in older models.
   */
  meanSkip?: boolean;
  /**
   * 0 (or absent): an integer flow (IDF). k > 0: a fixed-point flow on x + u, u in [0,1) at k fractional
   * bits (bits-back dequantization): translations and prior means on the 2^-k grid, latents coded in bins
   * of width 2^-k, nets read the integer part of their inputs.
   */
  fractionBits?: number;
  /**
   * Channel context inside each factored group: channel c's mean moves by sum_{c' < c} alpha_{c,c'} e_c',
   * e_c' the previous channels' residuals from their means, alpha predicted by the prior net (extra
   * outputs, on a grid of 2^-ALPHA_BITS). Codes colour correlation that a per-channel prior misses.
   */
  channelContext?: boolean;
}

/** Channel-context coefficients: alpha = round(ALPHA_GAIN * 2^ALPHA_BITS * net output) / 2^ALPHA_BITS, |alpha| <= 2. */
export const ALPHA_GAIN = 16;
export const ALPHA_BITS = 5;
export const ALPHA_MAX = 2 * 2 ** ALPHA_BITS;

/** (c, c') pairs with c' < c, in the order of the prior net's extra outputs. */
export function channelPairs(c: number): [number, number][] {
  const pairs: [number, number][] = [];
  for (let a = 1; a < c; a++) for (let b = 0; b < a; b++) pairs.push([a, b]);
  return pairs;
}

/** Prior scale grid (prior-tables.ts); the prior net's zero output means j = PRIOR_SCALE_INIT. */
export { PRIOR_SCALE_0, PRIOR_SCALE_COUNT } from '../prior-tables.js';
export const PRIOR_SCALE_INIT = 24;
/** Prior net outputs are in units of 2^-(ACT_BITS + WEIGHT_BITS); these scale them to mean (pixels) and j. */
export const MEAN_GAIN = 64;
export const SCALE_GAIN = 16;
/** Coupling translation = round(TRANSLATION_GAIN * net output). */
export const TRANSLATION_GAIN = 64;

/** Integer-network grids (see nets.ts): value = integer / 2^bits. */
export const INPUT_BITS = 6;
export const INPUT_CLIP = 256;
export const WEIGHT_BITS = 7;
export const WEIGHT_MAX = 127;
export const ACT_BITS = 4;
export const ACT_MAX = 255;
export const MAX_CHANNELS = 48;

/** Fixed channel permutation of coupling k at a level with d channels (a = first half, b = second). */
export function couplingPermutation(d: number, level: number, k: number): Int32Array {
  const perm = Int32Array.from({ length: d }, (_, i) => i);
  let seed = 1000 * level + k + 1;
  for (let i = d - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const j = seed % (i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return perm;
}

