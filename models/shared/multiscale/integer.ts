/**
 * The IDF's deterministic coding path. Every network runs on integer-valued float32 tensors whose sums
 * stay below 2^24 (see nets.ts), and every rounding is built from exact ops (scaling by powers of two,
 * floor), so encoder and decoder compute identical translations and table indices on any backend.
 *
 * Images are coded in independent tiles of at most TILE x TILE pixels (tiles.ts) (bounded memory; each tile's
 * rANS message is separate). A tile is padded to a multiple of 2^levels by edge replication; the
 * decoder crops. Per tile the decoder pops: the top latents (baseline causal coder), then for each
 * level from the deepest: factored groups 0, 1, 2 (each under tables chosen by the prior nets from
 * what is already decoded), then inverts that level's couplings and unsqueezes.
 *
 * A fixed-point flow (config.fractionBits = k > 0) is the same machine on X = 2^k x + U: the encoder
 * first pops U (k uniform bits per sample: bits-back), translations and prior means live on the 2^-k
 * grid, latents are coded in bins of 2^-k under the fine tables, nets read floor(X / 2^k), and the top
 * codes floor(X / 2^k) with the baseline coder and the k low bits uniformly. The decoder ends by pushing
 * U back, which restores the message the encoder started from.
 */
import * as tf from '@tensorflow/tfjs';
import { Message, bitsBackJoint, fail, uniformBits, type Codec } from '../../../codec/index.js';
import type { BaselineTables } from '../baseline-tables.js';
import { decodeBaseline, encodeBaseline } from '../baseline-coder.js';
import type { DecodePartJob, EncodePartJob, EncodedPart, PartCoder } from '../parts.js';
import { QUARTERS, type PriorTables } from '../prior-tables.js';
import { ALPHA_BITS, ALPHA_MAX, channelPairs, ACT_BITS, ACT_MAX, INPUT_CLIP, PRIOR_SCALE_0, PRIOR_SCALE_COUNT, PRIOR_SCALE_INIT, WEIGHT_BITS, couplingPermutation, type IdfConfig } from './constants.js';
import type { IntegerModelFile } from './model-file.js';

interface IntLayer {
  w: tf.Tensor4D;
  b: tf.Tensor1D;
  /** Right shift (power of two) from this layer's accumulator to the next layer's activation grid. */
  shift: number;
}

/** round(v / 2^shift) with ties to even, exact for integers v (|v| < 2^53). */
function roundShift(v: number, shift: number): number {
  const unit = 2 ** shift;
  const q = Math.floor(v / unit);
  const rem = v - q * unit;
  const half = unit / 2;
  return rem > half || (rem === half && q % 2 !== 0) ? q + 1 : q;
}

/**
 * Integer conv net on an (h, w, cin) latent held in JS; returns the last layer's accumulator (integers
 * on the grid 2^-(ACT_BITS + WEIGHT_BITS)). Hidden layers: fused conv + bias + ReLU, then the
 * activation grid: tf.round (ties to even on every tfjs backend) of a power-of-two rescale, clipped.
 */
function runIntNet(layers: IntLayer[], latent: Float32Array, h: number, w: number, cin: number): Float32Array {
  const out = tf.tidy(() => {
    let x = tf.clipByValue(tf.tensor4d(latent, [1, h, w, cin]), -INPUT_CLIP, INPUT_CLIP - 1) as tf.Tensor4D;
    layers.forEach((layer, i) => {
      const last = i === layers.length - 1;
      const acc = tf.fused.conv2d({ x, filter: layer.w, strides: 1, pad: 'same', bias: layer.b, activation: last ? 'linear' : 'relu' });
      x = last ? acc : (tf.clipByValue(tf.round(tf.mul(acc, 2 ** -layer.shift)), 0, ACT_MAX) as tf.Tensor4D);
    });
    return x;
  });
  const values = out.dataSync() as Float32Array;
  out.dispose();
  return values;
}

/** (h, w, c) -> (h/2, w/2, 4c), channels ordered (dy, dx, c): the same as the training-side squeeze. */
function squeeze(x: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  const h2 = h / 2;
  const w2 = w / 2;
  for (let y = 0; y < h2; y++)
    for (let xx = 0; xx < w2; xx++)
      for (let dy = 0; dy < 2; dy++)
        for (let dx = 0; dx < 2; dx++)
          for (let ch = 0; ch < c; ch++)
            out[(y * w2 + xx) * 4 * c + (dy * 2 + dx) * c + ch] = x[((2 * y + dy) * w + 2 * xx + dx) * c + ch];
  return out;
}

function unsqueeze(x: Float32Array, h2: number, w2: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  const w = 2 * w2;
  for (let y = 0; y < h2; y++)
    for (let xx = 0; xx < w2; xx++)
      for (let dy = 0; dy < 2; dy++)
        for (let dx = 0; dx < 2; dx++)
          for (let ch = 0; ch < c; ch++)
            out[((2 * y + dy) * w + 2 * xx + dx) * c + ch] = x[(y * w2 + xx) * 4 * c + (dy * 2 + dx) * c + ch];
  return out;
}

/** Per-element coding parameters of one factored group. */
interface GroupParams {
  /** Mean on the grid (quarters, or 2^-k for a fixed-point flow), meanSkip included, before channel context. */
  mean: Float64Array;
  /** Scale index j. */
  scale: Uint8Array;
  /** Channel context: integer alphas (grid 2^-ALPHA_BITS), channelPairs order, per pixel. */
  alpha?: Int32Array;
  /** Final mean on the grid, filled element by element by `finalize`. */
  final: Float64Array;
  /** Residual base (IDF: floor(mean); fixed point: the mean) and table index (IDF: j * QUARTERS + quarter; fixed point: j). */
  base: Int32Array;
  table: Uint16Array;
}

/**
 * Expand a net trained on a channel subset to the full level latent: input channel i of the trained
 * first layer reads latent channel inputs[i]; output channel j of the last layer writes latent channel
 * outputs[j]. Other weights and biases are zero, so the expanded net computes exactly the same values
 * without any gather or concat at run time.
 */
function expandNet(layers: { w: Int32Array; b: Int32Array; shape: number[]; inputBits: number }[], d: number, inputs: ArrayLike<number>, outputs: ArrayLike<number> | null): IntLayer[] {
  return layers.map((layer, i) => {
    const [kh, kw, cin, cout] = layer.shape;
    const first = i === 0;
    const last = i === layers.length - 1;
    const fullIn = first ? d : cin;
    const fullOut = last && outputs ? d : cout;
    const w = new Float32Array(kh * kw * fullIn * fullOut);
    const b = new Float32Array(fullOut);
    for (let o = 0; o < cout; o++) b[last && outputs ? outputs[o] : o] = layer.b[o];
    for (let p = 0; p < kh * kw; p++)
      for (let ci = 0; ci < cin; ci++)
        for (let o = 0; o < cout; o++) {
          const to = last && outputs ? outputs[o] : o;
          const from = first ? inputs[ci] : ci;
          w[(p * fullIn + from) * fullOut + to] = layer.w[(p * cin + ci) * cout + o];
        }
    return {
      w: tf.tensor4d(w, [kh, kw, fullIn, fullOut]),
      b: tf.tensor1d(b),
      shift: layer.inputBits + WEIGHT_BITS - ACT_BITS,
    };
  });
}

/** values -> values * 2^k + k bits popped each, first value first (the top's low bits). */
function popLowBits(msg: Message, values: Int32Array | Float32Array, k: number): void {
  for (let i = 0; i < values.length; i++) values[i] = values[i] * 2 ** k + msg.popBits(k);
}

/** The inverse of popLowBits: push each value's k low bits (last value first), keep floor(value / 2^k). */
function pushLowBits(msg: Message, values: Int32Array, k: number): void {
  for (let i = values.length - 1; i >= 0; i--) {
    const whole = Math.floor(values[i] / 2 ** k);
    msg.pushBits(values[i] - whole * 2 ** k, k);
    values[i] = whole;
  }
}

/** sigma(b) - sigma(a) for a < b, accurate in both tails. */
function logisticMass(a: number, b: number): number {
  const sa = 1 / (1 + Math.exp(-a));
  const sb = 1 / (1 + Math.exp(-b));
  return sb * (1 - sa) - sa * (1 - sb);
}

export class IntegerIdf implements PartCoder {
  readonly config: IdfConfig;
  /** couplings[l][k]: full-latent nets whose outputs are zero on the conditioning half. */
  private readonly couplings: IntLayer[][][];
  /** priors[l][g]: full-latent nets reading the kept channels and groups < g. */
  private readonly priors: IntLayer[][][];
  private readonly translationShift: number;
  private readonly meanShift: number;
  private readonly scaleShift: number;
  /** k: 0 for an IDF; the fixed-point flow's fractional bits. */
  readonly fractionBits: number;
  private readonly alphaShift: number;
  private readonly priorOutputs: number;
  /** For each channel, the [pair index, earlier channel] terms of its channel context. */
  private readonly contextTerms: [number, number][][];

  constructor(
    file: IntegerModelFile,
    weights: Int32Array,
    private readonly priorTables: PriorTables,
    private readonly baseline: BaselineTables,
  ) {
    this.config = file.config;
    this.fractionBits = file.config.fractionBits ?? 0;
    if (priorTables.fractionBits !== this.fractionBits) fail('MODEL_MISMATCH', 'prior tables are for another fixed-point precision');
    if (file.gains.scaleCount !== PRIOR_SCALE_COUNT || file.gains.scaleInit !== PRIOR_SCALE_INIT)
      fail('MODEL_MISMATCH', 'IDF model was trained with another scale grid');
    const accBits = ACT_BITS + WEIGHT_BITS;
    const k = this.fractionBits;
    this.translationShift = accBits - Math.log2(file.gains.translation) - k;
    this.meanShift = accBits - Math.log2((k > 0 ? 2 ** k : QUARTERS) * file.gains.mean);
    if (this.translationShift < 0 || this.meanShift < 0) fail('MODEL_MISMATCH', 'fixed-point precision finer than the nets');
    const c0 = file.config.channels;
    const pairs = file.config.channelContext ? channelPairs(c0) : [];
    this.alphaShift = accBits - Math.log2(file.gains.alpha ?? 1) - ALPHA_BITS;
    this.priorOutputs = 2 * c0 + pairs.length;
    this.contextTerms = Array.from({ length: c0 }, (_, ch) => pairs.flatMap(([a, b], t) => (a === ch ? [[t, b] as [number, number]] : [])));
    this.scaleShift = accBits - Math.log2(file.gains.scale);
    let offset = 0;
    const byName = new Map<string, { w: Int32Array; b: Int32Array; shape: number[]; inputBits: number }>();
    for (const spec of file.layers) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const cout = spec.shape[3];
      if (offset + size + cout > weights.length) fail('MODEL_MISMATCH', 'IDF weights file is too short');
      byName.set(spec.name, { w: weights.subarray(offset, offset + size), b: weights.subarray(offset + size, offset + size + cout), shape: spec.shape, inputBits: spec.inputBits });
      offset += size + cout;
    }
    if (offset !== weights.length) fail('MODEL_MISMATCH', 'IDF weights file has extra data');
    const net = (name: string) => [0, 1, 2].map((i) => byName.get(`${name}/${i}`) ?? fail('MODEL_MISMATCH', `IDF lacks ${name}`));
    const { levels, couplings, channels: c } = this.config;
    const d = 4 * c;
    this.couplings = Array.from({ length: levels }, (_, l) =>
      Array.from({ length: couplings }, (_, k) => {
        const perm = couplingPermutation(d, l, k);
        return expandNet(net(`coupling${l}.${k}`), d, perm.subarray(0, d / 2), perm.subarray(d / 2));
      }),
    );
    const identity = Array.from({ length: d }, (_, i) => i);
    this.priors = Array.from({ length: levels }, (_, l) => [0, 1, 2].map((g) => expandNet(net(`prior${l}.${g}`), d, identity, null)));
  }

  /** Smallest bits any latent can cost under the prior tables. */
  minBits(): number {
    let m = Infinity;
    for (const { table } of this.priorTables.tables) for (let s = 0; s < table.size; s++) m = Math.min(m, table.bits(s));
    return m;
  }

  /** Apply (or undo) coupling k of level l in place on the (h, w, d) latent. */
  private coupling(l: number, k: number, latent: Float32Array, h: number, w: number, inverse: boolean): void {
    const d = 4 * this.config.channels;
    const acc = runIntNet(this.couplings[l][k], this.netInput(latent), h, w, d);
    const shift = this.translationShift;
    const sign = inverse ? -1 : 1;
    for (let i = 0; i < latent.length; i++) if (acc[i] !== 0) latent[i] += sign * roundShift(acc[i], shift);
  }

  /** What the nets read: the latent itself (IDF) or its integer part floor(X / 2^k). */
  private netInput(latent: Float32Array): Float32Array {
    if (this.fractionBits === 0) return latent;
    const unit = 2 ** this.fractionBits;
    const out = new Float32Array(latent.length);
    for (let i = 0; i < latent.length; i++) out[i] = Math.floor(latent[i] / unit);
    return out;
  }

  private groupParams(l: number, g: number, latent: Float32Array, h: number, w: number): GroupParams {
    const c = this.config.channels;
    const acc = runIntNet(this.priors[l][g], this.netInput(latent), h, w, 4 * c);
    const stride = this.priorOutputs;
    if (acc.length !== h * w * stride) fail('MODEL_MISMATCH', 'prior net outputs');
    // The kept latent in grid units: integer pixels are 4 quarters; fixed-point latents are already 2^-k.
    const keptUnits = this.fractionBits > 0 ? 1 : QUARTERS;
    const n = h * w * c;
    const mean = new Float64Array(n);
    const scale = new Uint8Array(n);
    const skip = this.config.meanSkip === true;
    for (let p = 0, i = 0; p < h * w; p++)
      for (let ch = 0; ch < c; ch++, i++) {
        // With meanSkip the mean is the kept latent (channel ch) plus the net's offset.
        mean[i] = roundShift(acc[p * stride + ch], this.meanShift) + (skip ? keptUnits * latent[p * 4 * c + ch] : 0);
        scale[i] = Math.min(PRIOR_SCALE_COUNT - 1, Math.max(0, roundShift(acc[p * stride + c + ch], this.scaleShift) + PRIOR_SCALE_INIT));
      }
    let alpha: Int32Array | undefined;
    const pairs = stride - 2 * c;
    if (pairs > 0) {
      alpha = new Int32Array(h * w * pairs);
      for (let p = 0; p < h * w; p++)
        for (let t = 0; t < pairs; t++)
          alpha[p * pairs + t] = Math.min(ALPHA_MAX, Math.max(-ALPHA_MAX, roundShift(acc[p * stride + 2 * c + t], this.alphaShift)));
    }
    return { mean, scale, alpha, final: new Float64Array(n), base: new Int32Array(n), table: new Uint16Array(n) };
  }

  /**
   * Final parameters of element i (pixel-major, channels inner) once the earlier channels of its pixel
   * are known in z: the channel context moves the mean by round(sum alpha E / 2^ALPHA_BITS), E the
   * earlier channels' residuals on the grid. The decoder calls it right before popping element i.
   */
  private finalize(p: GroupParams, i: number, z: Int32Array): void {
    const c = this.config.channels;
    const ch = i % c;
    const fine = this.fractionBits > 0;
    let m = p.mean[i];
    if (p.alpha && ch > 0) {
      const pairs = this.priorOutputs - 2 * c;
      const pixel = (i - ch) / c;
      let sum = 0;
      for (const [t, b] of this.contextTerms[ch]) {
        const e = (fine ? z[i - ch + b] : QUARTERS * z[i - ch + b]) - p.final[i - ch + b];
        sum += p.alpha[pixel * pairs + t] * e;
      }
      m += roundShift(sum, ALPHA_BITS);
    }
    p.final[i] = m;
    if (fine) {
      p.base[i] = m;
      p.table[i] = p.scale[i];
    } else {
      const whole = Math.floor(m / QUARTERS);
      p.base[i] = whole;
      p.table[i] = p.scale[i] * QUARTERS + (m - whole * QUARTERS);
    }
  }

  /** Group g of an (h, w, 4c) latent: channels c(1+g) .. c(2+g)-1. */
  private readGroup(latent: Float32Array, g: number, pixels: number): Int32Array {
    const c = this.config.channels;
    const z = new Int32Array(pixels * c);
    for (let p = 0; p < pixels; p++) for (let ch = 0; ch < c; ch++) z[p * c + ch] = latent[p * 4 * c + c * (1 + g) + ch];
    return z;
  }

  private writeGroup(latent: Float32Array, g: number, z: Int32Array): void {
    const c = this.config.channels;
    for (let p = 0; p < z.length / c; p++) for (let ch = 0; ch < c; ch++) latent[p * 4 * c + c * (1 + g) + ch] = z[p * c + ch];
  }

  /**
   * Bits of a group's values under its integer tables (the coded model) and under the float logistic
   * with the same parameters (the float model; floored at 2^-20 as in training). With `map`, each
   * latent's table bits are spread evenly over the `block` x `block` pixels it stands for.
   */
  private groupBits(z: Int32Array, p: GroupParams, map?: { bits: Float32Array; width: number; levelWidth: number; block: number }): [number, number] {
    const c = this.config.channels;
    let bits = 0;
    let floatBits = 0;
    for (let i = 0; i < z.length; i++) {
      const r = z[i] - p.base[i];
      const b = this.priorTables.tables[p.table[i]].residual.bits(r);
      bits += b;
      if (this.fractionBits > 0) {
        // The continuous model: logistic mass of the bin [r, r + 1) / 2^k (encodeTile counts the k bits given back).
        const unit = 2 ** this.fractionBits;
        const scale = PRIOR_SCALE_0 * 2 ** (p.table[i] / 4);
        floatBits -= Math.log2(Math.max(logisticMass(r / unit / scale, (r + 1) / unit / scale), 2 ** -24));
      } else {
        const scale = PRIOR_SCALE_0 * 2 ** (Math.floor(p.table[i] / QUARTERS) / 4);
        const centered = r - (p.table[i] % QUARTERS) / QUARTERS;
        const prob = 1 / (1 + Math.exp(-(centered + 0.5) / scale)) - 1 / (1 + Math.exp(-(centered - 0.5) / scale));
        floatBits -= Math.log2(Math.max(prob, 2 ** -20));
      }
      if (map) {
        const pos = Math.floor(i / c);
        const y0 = Math.floor(pos / map.levelWidth) * map.block;
        const x0 = (pos % map.levelWidth) * map.block;
        const share = b / (map.block * map.block);
        for (let y = y0; y < y0 + map.block; y++) for (let x = x0; x < x0 + map.block; x++) map.bits[y * map.width + x] += share;
      }
    }
    return [bits, floatBits];
  }

  private pushGroup(msg: Message, z: Int32Array, p: GroupParams): void {
    const tables = this.priorTables.tables;
    for (let i = z.length - 1; i >= 0; i--) {
      tables[p.table[i]].residual.push(msg, z[i] - p.base[i]);
    }
  }

  private popGroup(msg: Message, p: GroupParams): Int32Array {
    const tables = this.priorTables.tables;
    const z = new Int32Array(p.base.length);
    for (let i = 0; i < z.length; i++) {
      this.finalize(p, i, z);
      z[i] = p.base[i] + tables[p.table[i]].residual.pop(msg);
    }
    return z;
  }

  /**
   * Code one padded tile (values centered: sample - 128), height and width multiples of 2^levels.
   * Returns [integer-table bits, float-model bits]; fills `pixelBits` (height * width) when given.
   */
  encodeTile(msg: Message, values: Int32Array, height: number, width: number, pixelBits?: Float32Array): [number, number] {
    const k = this.fractionBits;
    let coded: [number, number] = [0, 0];
    this.tileCodec(height, width, (bits) => (coded = bits), pixelBits).push(msg, values);
    // The dequantization noise U came off the message: k bits a sample given back in full.
    return [coded[0] - k * values.length, coded[1] - k * values.length];
  }

  decodeTile(msg: Message, height: number, width: number): Int32Array {
    return this.tileCodec(height, width).pop(msg);
  }

  /**
   * A tile as a codec. Bits-back (codec's bitsBackJoint): the encoder pops the dequantization noise U
   * (k uniform bits a sample) and pushes X = 2^k x + U with the flow; the decoder pops X and pushes U
   * back, which restores the message the encoder started from. An IDF (k = 0) pops and pushes nothing.
   */
  private tileCodec(height: number, width: number, onBits?: (bits: [number, number]) => void, pixelBits?: Float32Array): Codec<Int32Array> {
    const k = this.fractionBits;
    const count = height * width * this.config.channels;
    const noise = uniformBits(count, k);
    return bitsBackJoint<Int32Array, Int32Array>({
      posterior: () => noise,
      joint: {
        push: (msg, [x, u]) => {
          const latent = new Float32Array(count);
          for (let i = 0; i < count; i++) latent[i] = x[i] * 2 ** k + u[i];
          const bits = this.pushDequantized(msg, latent, height, width, pixelBits);
          onBits?.(bits);
        },
        pop: (msg) => {
          const latent = this.popDequantized(msg, height, width);
          const x = new Int32Array(count);
          const u = new Int32Array(count);
          for (let i = 0; i < count; i++) {
            x[i] = Math.floor(latent[i] / 2 ** k);
            u[i] = latent[i] - x[i] * 2 ** k;
          }
          return [x, u];
        },
      },
    });
  }

  /** Push a padded tile's X (2^-k grid) with the flow; returns [integer-table bits, float-model bits]. */
  private pushDequantized(msg: Message, dequantized: Float32Array, height: number, width: number, pixelBits?: Float32Array): [number, number] {
    const { channels: c, levels, couplings } = this.config;
    const k = this.fractionBits;
    const pushes: { z: Int32Array; p: GroupParams }[] = [];
    let bits = 0;
    let floatBits = 0;
    let latent = dequantized;
    let h = height;
    let w = width;
    for (let l = 0; l < levels; l++) {
      latent = squeeze(latent, h, w, c);
      h /= 2;
      w /= 2;
      for (let k = 0; k < couplings; k++) this.coupling(l, k, latent, h, w, false);
      for (let g = 0; g < 3; g++) {
        // The prior net of group g reads only the kept channels and groups < g (zero weights elsewhere).
        const p = this.groupParams(l, g, latent, h, w);
        const z = this.readGroup(latent, g, h * w);
        for (let i = 0; i < z.length; i++) this.finalize(p, i, z);
        const map = pixelBits ? { bits: pixelBits, width, levelWidth: w, block: 2 ** (l + 1) } : undefined;
        const [b, f] = this.groupBits(z, p, map);
        bits += b;
        floatBits += f;
        pushes.push({ z, p });
      }
      const kept = new Float32Array(h * w * c);
      for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++) kept[p * c + ch] = latent[p * 4 * c + ch];
      latent = kept;
    }
    // Level 0's groups first (the decoder pops them last), group 2 before 1 before 0.
    for (let l = 0; l < levels; l++) for (let g = 2; g >= 0; g--) this.pushGroup(msg, pushes[3 * l + g].z, pushes[3 * l + g].p);
    const topMap = pixelBits ? new Float32Array(h * w) : undefined;
    const top = Int32Array.from(latent);
    if (k > 0) {
      // The top's k low bits uniformly, then its integer part with the baseline coder (popped first).
      pushLowBits(msg, top, k);
      bits += k * top.length;
      floatBits += k * top.length;
    }
    const topBits = encodeBaseline(this.baseline, msg, top, { height: h, width: w, channels: c }, undefined, topMap);
    if (topMap && pixelBits) {
      const block = 2 ** levels;
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixelBits[y * width + x] += topMap[Math.floor(y / block) * w + Math.floor(x / block)] / (block * block);
    }
    // The top has no float model: the baseline coder's bits count for both.
    return [bits + topBits, floatBits + topBits];
  }

  /** Pop a padded tile's X (2^-k grid). */
  private popDequantized(msg: Message, height: number, width: number): Float32Array {
    const { channels: c, levels, couplings } = this.config;
    let h = height / 2 ** levels;
    let w = width / 2 ** levels;
    const top = new Int32Array(h * w * c);
    decodeBaseline(this.baseline, msg, { height: h, width: w, channels: c }, top);
    const k = this.fractionBits;
    if (k > 0) popLowBits(msg, top, k);
    let latent: Float32Array = Float32Array.from(top);
    for (let l = levels - 1; l >= 0; l--) {
      const full = new Float32Array(h * w * 4 * c);
      for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++) full[p * 4 * c + ch] = latent[p * c + ch];
      for (let g = 0; g < 3; g++) this.writeGroup(full, g, this.popGroup(msg, this.groupParams(l, g, full, h, w)));
      for (let k = couplings - 1; k >= 0; k--) this.coupling(l, k, full, h, w, true);
      latent = unsqueeze(full, h, w, c);
      h *= 2;
      w *= 2;
    }
    return latent;
  }

  /** One padded, centred tile (its layout: the padded size) as its own message (worker threads run these). */
  encodePart(job: EncodePartJob): EncodedPart {
    const msg = new Message(1024);
    const { height, width } = job.layout;
    const pixelBits = job.withPixelBits ? new Float32Array(height * width) : undefined;
    // Tiles are extracted centred (sample - 128) into an Int32Array (tiles.ts).
    const [bits, floatBits] = this.encodeTile(msg, job.values as Int32Array, height, width, pixelBits);
    return { message: msg.flatten(), bits, floatBits, pixelBits };
  }

  /** Decode one tile's message to its padded, centred values. */
  decodePart(job: DecodePartJob): Int32Array {
    const msg = Message.unflatten(job.message);
    const values = this.decodeTile(msg, job.layout.height, job.layout.width);
    if (!msg.isEmpty()) fail('CORRUPT', 'a tile does not end where its data does');
    return values;
  }
}
