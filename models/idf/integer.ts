/**
 * The IDF's deterministic coding path. Every network runs on integer-valued float32 tensors whose sums
 * stay below 2^24 (see nets.ts), and every rounding is built from exact ops (scaling by powers of two,
 * floor), so encoder and decoder compute identical translations and table indices on any backend.
 *
 * Images are coded in independent tiles of at most TILE x TILE pixels (bounded memory; each tile's
 * rANS message is separate). A tile is padded to a multiple of 2^levels by edge replication; the
 * decoder crops. Per tile the decoder pops: the top latents (baseline causal coder), then for each
 * level from the deepest: factored groups 0, 1, 2 (each under tables chosen by the prior nets from
 * what is already decoded), then inverts that level's couplings and unsqueezes.
 */
import * as tf from '@tensorflow/tfjs';
import { Message, escapeBits, fail, popEscaped, pushEscaped } from '../../codec/index.js';
import type { BaselineTables } from '../baseline/tables.js';
import { decodeBaseline, encodeBaseline } from '../baseline/model.js';
import type { Progress } from '../types.js';
import { ACT_BITS, ACT_MAX, INPUT_CLIP, PRIOR_SCALE_COUNT, PRIOR_SCALE_INIT, WEIGHT_BITS, couplingPermutation, type IdfConfig } from './constants.js';
import type { IntegerModelFile } from './export.js';
import { QUARTERS, type PriorTables } from './tables.js';

export const TILE = 256;

interface IntLayer {
  w: tf.Tensor4D;
  b: tf.Tensor1D;
  inputBits: number;
}

/** round(x) with ties to even, from exact ops only (x must be exactly representable). */
function roundHalfEven(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const t = tf.add(x, 0.5);
    const r = tf.floor(t);
    const tie = tf.equal(t, r);
    const odd = tf.notEqual(tf.sub(r, tf.mul(tf.floor(tf.div(r, 2)), 2)), 0);
    return tf.sub(r, tf.cast(tf.logicalAnd(tie, odd), 'float32'));
  });
}

/** Integer conv net: returns the last layer's accumulator (integer, grid 2^-(ACT_BITS + WEIGHT_BITS)). */
function runIntNet(layers: IntLayer[], x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    let h = tf.clipByValue(x, -INPUT_CLIP, INPUT_CLIP - 1) as tf.Tensor4D;
    layers.forEach((layer, i) => {
      const acc = tf.add(tf.conv2d(h, layer.w, 1, 'same'), layer.b) as tf.Tensor4D;
      if (i < layers.length - 1) {
        const shift = layer.inputBits + WEIGHT_BITS - ACT_BITS;
        h = tf.clipByValue(roundHalfEven(tf.mul(tf.relu(acc), 2 ** -shift)), 0, ACT_MAX) as tf.Tensor4D;
      } else h = acc;
    });
    return h;
  });
}

function squeezeInt(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  return tf.tidy(() => x.reshape([b, h / 2, 2, w / 2, 2, c]).transpose([0, 1, 3, 2, 4, 5]).reshape([b, h / 2, w / 2, 4 * c]));
}

function unsqueezeInt(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c4] = x.shape;
  const c = c4 / 4;
  return tf.tidy(() => x.reshape([b, h, w, 2, 2, c]).transpose([0, 1, 3, 2, 4, 5]).reshape([b, 2 * h, 2 * w, c]));
}

function channels(x: tf.Tensor4D, index: ArrayLike<number>): tf.Tensor4D {
  return tf.gather(x, Array.from(index), 3) as tf.Tensor4D;
}

/** Per-element coding parameters of one factored group. */
interface GroupParams {
  /** Integer part of the mean: floor(mean). */
  base: Int32Array;
  /** Table index j * QUARTERS + quarter. */
  table: Uint16Array;
}

export class IntegerIdf {
  readonly config: IdfConfig;
  private readonly couplings: IntLayer[][][];
  private readonly priors: IntLayer[][][];
  private readonly translationShift: number;
  private readonly meanShift: number;
  private readonly scaleShift: number;

  constructor(
    file: IntegerModelFile,
    weights: Int32Array,
    private readonly priorTables: PriorTables,
    private readonly baseline: BaselineTables,
  ) {
    this.config = file.config;
    if (file.gains.scaleCount !== PRIOR_SCALE_COUNT || file.gains.scaleInit !== PRIOR_SCALE_INIT)
      fail('MODEL_MISMATCH', 'IDF model was trained with another scale grid');
    const accBits = ACT_BITS + WEIGHT_BITS;
    this.translationShift = accBits - Math.log2(file.gains.translation);
    this.meanShift = accBits - Math.log2(QUARTERS * file.gains.mean);
    this.scaleShift = accBits - Math.log2(file.gains.scale);
    let offset = 0;
    const byName = new Map<string, IntLayer>();
    for (const spec of file.layers) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const cout = spec.shape[3];
      if (offset + size + cout > weights.length) fail('MODEL_MISMATCH', 'IDF weights file is too short');
      byName.set(spec.name, {
        w: tf.tensor4d(Float32Array.from(weights.subarray(offset, offset + size)), spec.shape as [number, number, number, number]),
        b: tf.tensor1d(Float32Array.from(weights.subarray(offset + size, offset + size + cout))),
        inputBits: spec.inputBits,
      });
      offset += size + cout;
    }
    const net = (name: string) => [0, 1, 2].map((i) => byName.get(`${name}/${i}`) ?? fail('MODEL_MISMATCH', `IDF lacks ${name}`));
    const { levels, couplings } = this.config;
    this.couplings = Array.from({ length: levels }, (_, l) => Array.from({ length: couplings }, (_, k) => net(`coupling${l}.${k}`)));
    this.priors = Array.from({ length: levels }, (_, l) => [0, 1, 2].map((g) => net(`prior${l}.${g}`)));
  }

  /** Smallest bits any latent can cost under the prior tables. */
  minBits(): number {
    let m = Infinity;
    for (const { table } of this.priorTables.tables) for (let s = 0; s < table.size; s++) m = Math.min(m, table.bits(s));
    return m;
  }

  private coupling(l: number, k: number, h: tf.Tensor4D, inverse: boolean): tf.Tensor4D {
    return tf.tidy(() => {
      const d = h.shape[3];
      const perm = couplingPermutation(d, l, k);
      const a = channels(h, perm.subarray(0, d / 2));
      const b = channels(h, perm.subarray(d / 2));
      const t = roundHalfEven(tf.mul(runIntNet(this.couplings[l][k], a), 2 ** -this.translationShift));
      const bNew = inverse ? tf.sub(b, t) : tf.add(b, t);
      const back = new Array<number>(d);
      perm.forEach((p, i) => (back[p] = i));
      return channels(tf.concat([a, bNew], 3) as tf.Tensor4D, back);
    });
  }

  private groupParams(l: number, g: number, context: tf.Tensor4D): GroupParams {
    const c = this.config.channels;
    const [meanQ4, j] = tf.tidy(() => {
      const acc = runIntNet(this.priors[l][g], context);
      const [meanAcc, scaleAcc] = tf.split(acc, [c, c], 3);
      const mean = roundHalfEven(tf.mul(meanAcc, 2 ** -this.meanShift));
      const scale = tf.clipByValue(tf.add(roundHalfEven(tf.mul(scaleAcc, 2 ** -this.scaleShift)), PRIOR_SCALE_INIT), 0, PRIOR_SCALE_COUNT - 1);
      return [mean, scale];
    });
    const meanValues = meanQ4.dataSync();
    const scaleValues = j.dataSync();
    meanQ4.dispose();
    j.dispose();
    const n = meanValues.length;
    const base = new Int32Array(n);
    const table = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      const q = meanValues[i];
      const whole = Math.floor(q / QUARTERS);
      base[i] = whole;
      table[i] = scaleValues[i] * QUARTERS + (q - whole * QUARTERS);
    }
    return { base, table };
  }

  /** Bits of a group's values under its tables (the model's -log2 p). */
  private groupBits(z: Int32Array, p: GroupParams): number {
    let bits = 0;
    for (let i = 0; i < z.length; i++) {
      const { halfWidth, table } = this.priorTables.tables[p.table[i]];
      const r = z[i] - p.base[i];
      bits += r >= -halfWidth && r <= halfWidth ? table.bits(r + halfWidth) : table.bits(table.size - 1) + escapeBits(r, -halfWidth, halfWidth);
    }
    return bits;
  }

  private pushGroup(msg: Message, z: Int32Array, p: GroupParams): void {
    const tables = this.priorTables.tables;
    for (let i = z.length - 1; i >= 0; i--) {
      const { halfWidth, table } = tables[p.table[i]];
      const r = z[i] - p.base[i];
      let s = r + halfWidth;
      if (r < -halfWidth || r > halfWidth) {
        pushEscaped(msg, r, -halfWidth, halfWidth);
        s = table.size - 1;
      }
      msg.push(table.cum[s], table.freq[s], table.precision);
    }
  }

  private popGroup(msg: Message, p: GroupParams): Int32Array {
    const tables = this.priorTables.tables;
    const z = new Int32Array(p.base.length);
    for (let i = 0; i < z.length; i++) {
      const { halfWidth, table } = tables[p.table[i]];
      const s = table.symbolOf(msg.peek(table.precision));
      msg.pop(table.cum[s], table.freq[s], table.precision);
      const r = s === table.size - 1 ? popEscaped(msg, -halfWidth, halfWidth) : s - halfWidth;
      z[i] = p.base[i] + r;
    }
    return z;
  }

  /** Code one padded tile (values centered: sample - 128), height and width multiples of 2^levels. */
  encodeTile(msg: Message, values: Int32Array, height: number, width: number): number {
    const { channels: c, levels, couplings } = this.config;
    const pushes: { z: Int32Array; p: GroupParams }[] = [];
    let bits = 0;
    let h = tf.tensor4d(Float32Array.from(values), [1, height, width, c]);
    for (let l = 0; l < levels; l++) {
      let next = squeezeInt(h);
      h.dispose();
      for (let k = 0; k < couplings; k++) {
        const mixed = this.coupling(l, k, next, false);
        next.dispose();
        next = mixed;
      }
      const [kept, ...groups] = tf.split(next, [c, c, c, c], 3) as tf.Tensor4D[];
      next.dispose();
      for (let g = 0; g < 3; g++) {
        const context = g === 0 ? kept : (tf.concat([kept, ...groups.slice(0, g)], 3) as tf.Tensor4D);
        const p = this.groupParams(l, g, context);
        if (g > 0) context.dispose();
        const z = Int32Array.from(groups[g].dataSync());
        bits += this.groupBits(z, p);
        pushes.push({ z, p });
      }
      groups.forEach((t) => t.dispose());
      h = kept;
    }
    const [, th, tw] = h.shape;
    const top = Int32Array.from(h.dataSync());
    h.dispose();
    // Level 0's groups first (the decoder pops them last), group 2 before 1 before 0.
    for (let l = 0; l < levels; l++) for (let g = 2; g >= 0; g--) this.pushGroup(msg, pushes[3 * l + g].z, pushes[3 * l + g].p);
    bits += encodeBaseline(this.baseline, msg, top, { height: th, width: tw, channels: c });
    return bits;
  }

  decodeTile(msg: Message, height: number, width: number): Int32Array {
    const { channels: c, levels, couplings } = this.config;
    const scale = 2 ** levels;
    const top = new Int32Array((height / scale) * (width / scale) * c);
    decodeBaseline(this.baseline, msg, { height: height / scale, width: width / scale, channels: c }, top);
    let h = tf.tensor4d(Float32Array.from(top), [1, height / scale, width / scale, c]);
    for (let l = levels - 1; l >= 0; l--) {
      const groups: tf.Tensor4D[] = [];
      for (let g = 0; g < 3; g++) {
        const context = g === 0 ? h : (tf.concat([h, ...groups], 3) as tf.Tensor4D);
        const p = this.groupParams(l, g, context);
        if (g > 0) context.dispose();
        groups.push(tf.tensor4d(Float32Array.from(this.popGroup(msg, p)), h.shape));
      }
      let next = tf.concat([h, ...groups], 3) as tf.Tensor4D;
      h.dispose();
      groups.forEach((t) => t.dispose());
      for (let k = couplings - 1; k >= 0; k--) {
        const mixed = this.coupling(l, k, next, true);
        next.dispose();
        next = mixed;
      }
      h = unsqueezeInt(next);
      next.dispose();
    }
    const out = Int32Array.from(h.dataSync());
    h.dispose();
    return out;
  }

  /** Encode an 8-bit image (H x W x C interleaved samples) tile by tile; one message per tile. */
  encodeImage(samples: ArrayLike<number>, height: number, width: number, progress?: Progress): { messages: Uint8Array[]; bits: number } {
    const messages: Uint8Array[] = [];
    let bits = 0;
    const tiles = tileGrid(height, width);
    tiles.forEach((t, i) => {
      progress?.(i / tiles.length);
      const { values, paddedHeight, paddedWidth } = extractTile(samples, width, this.config.channels, t, 2 ** this.config.levels);
      const msg = new Message(1024);
      bits += this.encodeTile(msg, values, paddedHeight, paddedWidth);
      messages.push(msg.flatten());
    });
    return { messages, bits };
  }

  decodeImage(messages: Uint8Array[], height: number, width: number, out: Int32Array | Float64Array, progress?: Progress): void {
    const tiles = tileGrid(height, width);
    if (messages.length !== tiles.length) fail('CORRUPT', `${messages.length} tiles, expected ${tiles.length}`);
    const c = this.config.channels;
    const multiple = 2 ** this.config.levels;
    tiles.forEach((t, i) => {
      progress?.(i / tiles.length);
      const paddedHeight = Math.ceil(t.height / multiple) * multiple;
      const paddedWidth = Math.ceil(t.width / multiple) * multiple;
      const msg = Message.unflatten(messages[i]);
      const values = this.decodeTile(msg, paddedHeight, paddedWidth);
      if (!msg.isEmpty()) fail('CORRUPT', `tile ${i} does not end where its data does`);
      for (let y = 0; y < t.height; y++)
        for (let x = 0; x < t.width; x++)
          for (let ch = 0; ch < c; ch++) out[((t.y + y) * width + t.x + x) * c + ch] = values[(y * paddedWidth + x) * c + ch] + 128;
    });
  }
}

export interface Tile {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function tileGrid(height: number, width: number): Tile[] {
  const tiles: Tile[] = [];
  for (let y = 0; y < height; y += TILE)
    for (let x = 0; x < width; x += TILE) tiles.push({ x, y, width: Math.min(TILE, width - x), height: Math.min(TILE, height - y) });
  return tiles;
}

/** A tile's samples minus 128, padded by edge replication to multiples of `multiple`. */
function extractTile(samples: ArrayLike<number>, width: number, c: number, t: Tile, multiple: number) {
  const paddedHeight = Math.ceil(t.height / multiple) * multiple;
  const paddedWidth = Math.ceil(t.width / multiple) * multiple;
  const values = new Int32Array(paddedHeight * paddedWidth * c);
  for (let y = 0; y < paddedHeight; y++) {
    const sy = t.y + Math.min(y, t.height - 1);
    for (let x = 0; x < paddedWidth; x++) {
      const sx = t.x + Math.min(x, t.width - 1);
      for (let ch = 0; ch < c; ch++) values[(y * paddedWidth + x) * c + ch] = samples[(sy * width + sx) * c + ch] - 128;
    }
  }
  return { values, paddedHeight, paddedWidth };
}
