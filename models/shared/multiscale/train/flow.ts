/**
 * Integer discrete flow (Hoogeboom et al. 2019) with multi-scale factor-out, in tfjs (training side).
 *
 * Per level l = 1..L, on h with C channels (C = 3 at level 1):
 *   squeeze 2x2 -> 4C channels ordered (dy, dx, c);
 *   K additive couplings: with a fixed channel permutation per coupling, b <- b + round(t(a));
 *   factor out the last 3C channels z_l (the sub-pixels (0,1), (1,0), (1,1) before mixing), keep C.
 * z_l is coded under discretized logistics whose mean and scale come from conditional prior nets,
 * group by group: group g (C channels) is conditioned on the kept channels and groups < g.
 * The top (C channels at H/2^L) is coded by the baseline causal coder; training uses a logistic on its
 * residual from the mean of its left and upper neighbours as a stand-in.
 *
 * Prior parameters are quantized the way the frozen tables are indexed: the mean to quarters, the
 * scale to SCALE_0 * 2^(j/4), j in [0, SCALE_COUNT). So the training loss is the coded rate up to the
 * tables' integer frequencies.
 */
import * as tf from '@tensorflow/tfjs';
import { createNet, floorSTE, netVariables, roundSTE, runNet, type ConvNet } from './nets.js';
import { ALPHA_BITS, ALPHA_GAIN, ALPHA_MAX, channelPairs, couplingPermutation, type IdfConfig, MEAN_GAIN, PRIOR_SCALE_0, PRIOR_SCALE_COUNT, PRIOR_SCALE_INIT, SCALE_GAIN, TRANSLATION_GAIN } from '../constants.js';

export type { IdfConfig };
export const DEFAULT_CONFIG: IdfConfig = { channels: 3, levels: 3, couplings: 4, hidden: 32, priorHidden: 32, meanSkip: true };

export interface Idf {
  config: IdfConfig;
  /** Prefix of this instance's variable names. */
  prefix: string;
  /** couplings[l][k] */
  couplings: ConvNet[][];
  /** priors[l][g], g = 0..2 */
  priors: ConvNet[][];
  /** Per-channel log-scale of the training stand-in for the top prior. */
  topLogScale: tf.Variable;
}

let instances = 0;

/** Variable names are `idf<N>/<stable name>`: tfjs needs unique names; checkpoints store the stable part. */
export function stableName(name: string): string {
  return name.replace(/^idf\d+\//, '');
}

export function createIdf(config: IdfConfig = DEFAULT_CONFIG): Idf {
  const { channels: c, levels, couplings: k, hidden, priorHidden } = config;
  const prefix = `idf${instances++}/`;
  const d = 4 * c;
  let seed = 1;
  const couplings: ConvNet[][] = [];
  const priors: ConvNet[][] = [];
  for (let l = 0; l < levels; l++) {
    couplings.push(Array.from({ length: k }, (_, i) => createNet(`${prefix}c${l}_${i}`, d / 2, hidden, d / 2, (seed += 10))));
    const priorOutputs = 2 * c + (config.channelContext ? channelPairs(c).length : 0);
    priors.push(Array.from({ length: 3 }, (_, g) => createNet(`${prefix}p${l}_${g}`, c * (1 + g), priorHidden, priorOutputs, (seed += 10))));
  }
  return { config, prefix, couplings, priors, topLogScale: tf.variable(tf.fill([c], Math.log(8)), true, `${prefix}top_log_scale`) };
}

export function idfVariables(m: Idf): tf.Variable[] {
  return [...netVariables(m.couplings.flat()), ...netVariables(m.priors.flat()), m.topLogScale];
}

/**
 * Channels `index` of x, as a product with a 0/1 matrix (exact on integers; its gradient is a matMul,
 * where gather's needs a kernel the wasm backend lacks).
 */
export function selectChannels(x: tf.Tensor4D, index: ArrayLike<number>): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, d] = x.shape;
    const select = new Float32Array(d * index.length);
    for (let j = 0; j < index.length; j++) select[index[j] * index.length + j] = 1;
    return tf.matMul(x.reshape([b * h * w, d]), tf.tensor2d(select, [d, index.length])).reshape([b, h, w, index.length]);
  });
}

export function squeeze(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  return tf.tidy(() => x.reshape([b, h / 2, 2, w / 2, 2, c]).transpose([0, 1, 3, 2, 4, 5]).reshape([b, h / 2, w / 2, 4 * c]));
}

/**
 * Prior mean and scale (on the table grid) from a prior net's raw output; the mean is on a grid of
 * 1/4 pixel (IDF) or 2^-fractionBits (fixed-point flow).
 */
export function priorParams(raw: tf.Tensor4D, c: number, fractionBits = 0): { mean: tf.Tensor4D; scale: tf.Tensor4D } {
  return tf.tidy(() => {
    const [meanRaw, scaleRaw] = tf.split(raw, [c, c], 3) as [tf.Tensor4D, tf.Tensor4D];
    const grid = fractionBits > 0 ? 2 ** fractionBits : 4;
    const mean = tf.div(roundSTE(tf.mul(meanRaw, grid * MEAN_GAIN)), grid) as tf.Tensor4D;
    const j = tf.clipByValue(roundSTE(tf.add(tf.mul(scaleRaw, SCALE_GAIN), PRIOR_SCALE_INIT)), 0, PRIOR_SCALE_COUNT - 1);
    const scale = tf.mul(PRIOR_SCALE_0, tf.pow(2, tf.div(j, 4))) as tf.Tensor4D;
    return { mean, scale };
  });
}

/** -log2 P(z) under a discretized logistic, floored at the tables' smallest probability 2^-20. */
export function logisticBits(z: tf.Tensor, mean: tf.Tensor, scale: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const centered = tf.sub(z, mean);
    const upper = tf.sigmoid(tf.div(tf.add(centered, 0.5), scale));
    const lower = tf.sigmoid(tf.div(tf.sub(centered, 0.5), scale));
    const p = tf.maximum(tf.sub(upper, lower), 2 ** -20);
    return tf.div(tf.neg(tf.log(p)), Math.LN2);
  });
}

/**
 * Fixed-point flow: -log2 of the logistic mass of the bin [z, z + 2^-k), floored at 2^-24, minus the
 * k bits that bits-back returns. The mass is written as s(b)s(-a) - s(a)s(-b) (= s(b) - s(a)), a difference
 * of two small numbers in either tail, so float32 keeps it.
 */
export function fineLogisticNetBits(z: tf.Tensor, mean: tf.Tensor, scale: tf.Tensor, fractionBits: number): tf.Tensor {
  return tf.tidy(() => {
    const width = 2 ** -fractionBits;
    const a = tf.div(tf.sub(z, mean), scale);
    const b = tf.div(tf.add(tf.sub(z, mean), width), scale);
    const mass = tf.sub(tf.mul(tf.sigmoid(b), tf.sigmoid(tf.neg(a))), tf.mul(tf.sigmoid(a), tf.sigmoid(tf.neg(b))));
    const p = tf.maximum(mass, 2 ** -24);
    return tf.sub(tf.div(tf.neg(tf.log(p)), Math.LN2), fractionBits);
  });
}

/**
 * Channel context: channel c's mean (on a grid of 1/grid) moves by round(grid * sum alpha_{c,c'} e_c'),
 * e_c' = z_c' - (final) mean_c', alphas from the prior net's outputs after the 2c mean/scale ones.
 */
export function channelContextMean(raw: tf.Tensor4D, mean: tf.Tensor4D, z: tf.Tensor4D, c: number, grid: number): tf.Tensor4D {
  return tf.tidy(() => {
    const pairs = channelPairs(c);
    const alphaRaw = raw.slice([0, 0, 0, 2 * c], [-1, -1, -1, pairs.length]);
    const alpha = tf.div(tf.clipByValue(roundSTE(tf.mul(alphaRaw, ALPHA_GAIN * 2 ** ALPHA_BITS)), -ALPHA_MAX, ALPHA_MAX), 2 ** ALPHA_BITS);
    const alphas = tf.split(alpha, pairs.length, 3) as tf.Tensor4D[];
    const means = tf.split(mean, c, 3) as tf.Tensor4D[];
    const zs = tf.split(z, c, 3) as tf.Tensor4D[];
    const residuals: tf.Tensor4D[] = [];
    const final: tf.Tensor4D[] = [];
    for (let ch = 0; ch < c; ch++) {
      let m = means[ch];
      const terms = pairs.map(([a, b], i) => (a === ch ? tf.mul(alphas[i], residuals[b]) : null)).filter((t) => t !== null);
      if (terms.length > 0) m = tf.add(m, tf.div(roundSTE(tf.mul(tf.addN(terms as tf.Tensor[]), grid)), grid)) as tf.Tensor4D;
      final.push(m);
      residuals.push(tf.sub(zs[ch], m) as tf.Tensor4D);
    }
    return tf.concat(final, 3) as tf.Tensor4D;
  });
}

export interface FlowOutput {
  /** Total bits per image in the batch: [B] (factored-out latents + the stand-in top prior). */
  bits: tf.Tensor1D;
  /** Bits of the factored-out latents alone: [B]. */
  priorBits: tf.Tensor1D;
  /** The integer top latents. */
  top: tf.Tensor4D;
}

/**
 * Forward flow x -> latents with the (fake-quantized) priors' bits. x: centered; integers for an IDF,
 * x + u on the 2^-k grid for a fixed-point flow (whose bits are then net of the k bits per dimension
 * that bits-back returns: -log2 p(x + u) in bins of 2^-k, plus k).
 */
export function idfForward(m: Idf, x: tf.Tensor4D): FlowOutput {
  return tf.tidy(() => {
    const c = m.config.channels;
    const k = m.config.fractionBits ?? 0;
    // A fixed-point flow's nets read the integer part of their inputs: exact integers on every backend.
    const netInput = (t: tf.Tensor4D) => (k > 0 ? (floorSTE(t) as tf.Tensor4D) : t);
    let h = x;
    let bits = tf.zeros([x.shape[0]]) as tf.Tensor1D;
    for (let l = 0; l < m.config.levels; l++) {
      h = squeeze(h);
      const d = 4 * c;
      for (let i = 0; i < m.config.couplings; i++) {
        const perm = couplingPermutation(d, l, i);
        const a = selectChannels(h, perm.subarray(0, d / 2));
        const b = selectChannels(h, perm.subarray(d / 2));
        const raw = tf.mul(runNet(m.couplings[l][i], netInput(a)), TRANSLATION_GAIN);
        const t = k > 0 ? tf.div(roundSTE(tf.mul(raw, 2 ** k)), 2 ** k) : roundSTE(raw);
        const bNew = tf.add(b, t);
        // Put the halves back in the original channel positions.
        const inverse = new Array<number>(d);
        perm.forEach((p, i) => (inverse[p] = i));
        h = selectChannels(tf.concat([a, bNew], 3) as tf.Tensor4D, inverse);
      }
      const [kept, factored] = tf.split(h, [c, 3 * c], 3) as [tf.Tensor4D, tf.Tensor4D];
      const groups = tf.split(factored, 3, 3) as tf.Tensor4D[];
      for (let g = 0; g < 3; g++) {
        const context = g === 0 ? kept : (tf.concat([kept, ...groups.slice(0, g)], 3) as tf.Tensor4D);
        const raw = runNet(m.priors[l][g], netInput(context));
        const params = priorParams(raw.slice([0, 0, 0, 0], [-1, -1, -1, 2 * c]) as tf.Tensor4D, c, k);
        let mean = m.config.meanSkip ? (tf.add(params.mean, kept) as tf.Tensor4D) : params.mean;
        if (m.config.channelContext) mean = channelContextMean(raw, mean, groups[g], c, k > 0 ? 2 ** k : 4);
        const scale = params.scale;
        const groupBits = k > 0 ? fineLogisticNetBits(groups[g], mean, scale, k) : logisticBits(groups[g], mean, scale);
        bits = tf.add(bits, tf.sum(groupBits, [1, 2, 3]));
      }
      h = kept;
    }
    const priorBits = bits;
    // A fixed-point flow codes the top's integer part like an IDF's top and its fraction uniformly
    // (k bits, which bits-back returns).
    if (k > 0) h = floorSTE(h) as tf.Tensor4D;
    // Stand-in top prior: residual from the mean of the left and upper neighbours.
    const left = tf.concat([h.slice([0, 0, 0, 0], [-1, -1, 1, -1]), h.slice([0, 0, 0, 0], [-1, -1, h.shape[2] - 1, -1])], 2);
    const up = tf.concat([left.slice([0, 0, 0, 0], [-1, 1, -1, -1]), h.slice([0, 0, 0, 0], [-1, h.shape[1] - 1, -1, -1])], 1);
    const pred = tf.floor(tf.div(tf.add(left, up), 2));
    const residualBits = logisticBits(tf.sub(h, pred), tf.zerosLike(h), tf.exp(m.topLogScale).reshape([1, 1, 1, c]));
    bits = tf.add(bits, tf.sum(residualBits, [1, 2, 3]));
    return { bits, priorBits, top: h };
  });
}
