/**
 * Small integer-friendly conv nets for the IDF (tfjs), in the style of Ballé et al. 2019 integer
 * networks: weights, biases and activations live on fixed power-of-two grids, so the same net
 * evaluated on integer-valued float32 tensors is exact on every backend (all sums < 2^24).
 *
 * Grids (float value = integer / 2^bits):
 *   net input   INPUT_BITS:  latent values clipped to [-256, 255], divided by 2^6
 *   weights     WEIGHT_BITS: integers in [-127, 127]; biases: integers in [-2^21, 2^21] on the accumulator grid
 *   activations ACT_BITS:    ReLU outputs rounded and clipped to integers in [0, 255]
 * Training uses the same grids with straight-through rounding ("fake quantization"), so the float
 * forward pass and the integer one compute the same numbers: the quantized model is what is trained.
 *
 * Exactness bound: a 3x3 conv over C inputs sums 9C products of |input| <= 256 and |weight| <= 127,
 * plus a bias: first layers (C <= 12, |input| <= 256) < 9 * 12 * 256 * 127 + 2^21 ~ 5.6e6, hidden layers
 * (C <= 48, activations <= 255) < 9 * 48 * 255 * 127 + 2^21 ~ 1.61e7, both < 2^24 ~ 1.68e7.
 */
import * as tf from '@tensorflow/tfjs';

import { ACT_BITS, ACT_MAX, INPUT_BITS, INPUT_CLIP, WEIGHT_BITS, WEIGHT_MAX } from '../constants.js';

/** Round with a straight-through gradient. */
export const roundSTE = tf.customGrad(((x: tf.Tensor) => {
  return { value: tf.round(x), gradFunc: (dy: tf.Tensor) => dy };
}) as never) as (x: tf.Tensor) => tf.Tensor;

/** Floor with a straight-through gradient. */
export const floorSTE = tf.customGrad(((x: tf.Tensor) => {
  return { value: tf.floor(x), gradFunc: (dy: tf.Tensor) => dy };
}) as never) as (x: tf.Tensor) => tf.Tensor;

/** Fake-quantize to a grid of 2^-bits within [lo, hi] (in grid units); gradient passes where not clipped. */
export function quantize(x: tf.Tensor, bits: number, lo: number, hi: number): tf.Tensor {
  return tf.tidy(() => {
    const scale = 2 ** bits;
    const clipped = tf.clipByValue(x, lo / scale, hi / scale);
    return tf.div(roundSTE(tf.mul(clipped, scale)), scale);
  });
}

/**
 * 3x3 'same' conv whose gradients are forward convs: the wasm backend has no Conv2DBackpropFilter and its
 * Conv2DBackpropInput is slow.
 * dW[kh,kw,ci,co] = sum_{b,h,w} xpad[b,h+kh,w+kw,ci] * dy[b,h,w,co], computed as a 'valid' conv of
 * xpad (batch and channel axes swapped) with dy as the filter.
 */
export const conv3x3 = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
  const x4 = x as tf.Tensor4D;
  const w4 = w as tf.Tensor4D;
  save([x4, w4]);
  return {
    value: tf.conv2d(x4, w4, 1, 'same'),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
      const dy4 = dy as tf.Tensor4D;
      // dx = conv(dy, w rotated 180 degrees with in/out swapped): a forward conv, ~8x faster on wasm than conv2dTranspose.
      const dx = tf.conv2d(dy4, tf.transpose(tf.reverse(ws, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D, 1, 'same');
      const xpad = tf.pad(xs, [[0, 0], [1, 1], [1, 1], [0, 0]]);
      const xT = tf.transpose(xpad, [3, 1, 2, 0]) as tf.Tensor4D; // [Ci, H+2, W+2, B]
      const dyT = tf.transpose(dy4, [1, 2, 0, 3]) as tf.Tensor4D; // [H, W, B, Co]
      const dwT = tf.conv2d(xT, dyT, 1, 'valid'); // [Ci, 3, 3, Co]
      const dw = tf.transpose(dwT, [1, 2, 0, 3]);
      return [dx, dw];
    },
  };
}) as never) as (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D;

export interface ConvLayer {
  /** [3, 3, cin, cout] float weights (quantized on use). */
  w: tf.Variable;
  /** [cout] float bias (quantized on use to the accumulator grid). */
  b: tf.Variable;
}

export interface ConvNet {
  layers: ConvLayer[];
  /** Bits of the input grid of each layer (INPUT_BITS for the first, ACT_BITS after). */
  inputBits: number[];
}

/** cin -> hidden (ReLU) -> hidden (ReLU) -> cout; the last layer starts at zero (identity flow). */
export function createNet(name: string, cin: number, hidden: number, cout: number, seed: number): ConvNet {
  const dims = [cin, hidden, hidden, cout];
  const layers: ConvLayer[] = [];
  for (let i = 0; i < 3; i++) {
    const fanIn = 9 * dims[i];
    const last = i === 2;
    const std = last ? 0 : Math.sqrt(2 / fanIn);
    layers.push({
      w: tf.variable(last ? tf.zeros([3, 3, dims[i], dims[i + 1]]) : tf.randomNormal([3, 3, dims[i], dims[i + 1]], 0, std, 'float32', seed + i), true, `${name}/w${i}`),
      b: tf.variable(tf.zeros([dims[i + 1]]), true, `${name}/b${i}`),
    });
  }
  return { layers, inputBits: [INPUT_BITS, ACT_BITS, ACT_BITS] };
}

/** Quantized weights of a layer: integers in [-WEIGHT_MAX, WEIGHT_MAX] / 2^WEIGHT_BITS. */
export function quantWeights(layer: ConvLayer): tf.Tensor4D {
  return quantize(layer.w, WEIGHT_BITS, -WEIGHT_MAX, WEIGHT_MAX) as tf.Tensor4D;
}

/** Bias on the accumulator grid of a layer whose input has `inputBits`. */
export function quantBias(layer: ConvLayer, inputBits: number): tf.Tensor {
  const bits = inputBits + WEIGHT_BITS;
  return quantize(layer.b, bits, -(2 ** 21), 2 ** 21);
}

/**
 * Float (fake-quantized) forward pass. `x` holds integer latents; returns the last layer's output in
 * float units (its grid is 2^-(ACT_BITS + WEIGHT_BITS)).
 */
export function runNet(net: ConvNet, x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    let h = tf.div(tf.clipByValue(x, -INPUT_CLIP, INPUT_CLIP - 1), 2 ** INPUT_BITS) as tf.Tensor4D;
    net.layers.forEach((layer, i) => {
      const acc = tf.add(conv3x3(h, quantWeights(layer)), quantBias(layer, net.inputBits[i])) as tf.Tensor4D;
      h = i < net.layers.length - 1 ? (quantize(tf.relu(acc), ACT_BITS, 0, ACT_MAX) as tf.Tensor4D) : acc;
    });
    return h;
  });
}

/** The variables of a set of nets, for the optimizer and checkpoints. */
export function netVariables(nets: ConvNet[]): tf.Variable[] {
  return nets.flatMap((n) => n.layers.flatMap((l) => [l.w, l.b]));
}
