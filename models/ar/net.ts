/**
 * The integer networks of the autoregressive flow: small MLPs from a sample's integer context features
 * to its prior's mean and scale index. Weights, inputs and activations are int16, sums int32, every
 * rescaling an arithmetic shift, computed by a 275-byte wasm SIMD kernel (dense.wat, built by
 * `npm run build:wasm`): integer arithmetic, so the same on every machine and independent of the tensor
 * backend. `checkNet` bounds every sum below 2^31, so none can wrap.
 *
 * Fixed-point conventions (a trained float net maps onto them by `quantizeNet`):
 * - features enter as f / 2^INPUT_SHIFT (|f| <= MAX_FEATURE); weights are w / 2^WEIGHT_BITS;
 * - hidden activations are a / 2^ACT_BITS, ReLU clipped at MAX_ACT (64.0; the float net clips too);
 * - the outputs (mean offset in pixels, scale index t) are at 2^-(WEIGHT_BITS + ACT_BITS) (OUTPUT_UNIT);
 *   a net with an output shift s has its last layer's weights and bias at 2^s times that unit, and the
 *   runner multiplies its outputs by 2^s (exact in a double): wide nets' summed output weights would not
 *   fit int16 weights and int32 sums otherwise.
 */
import { fail } from '../../codec/index.js';
import { readAsset } from '../shared/assets.js';

export const INPUT_SHIFT = 5;
export const WEIGHT_BITS = 11;
export const ACT_BITS = 6;
export const MAX_ACT = 4095;
export const MAX_FEATURE = 255;
const MAX_WEIGHT = 2 ** 15 - 1;
/** Raw outputs of the last layer, at 2^-(WEIGHT_BITS + ACT_BITS). */
export const OUTPUT_UNIT = 2 ** (WEIGHT_BITS + ACT_BITS);

export interface NetLayer {
  inputs: number;
  outputs: number;
  /** outputs x inputs, row-major, integers. */
  weight: ArrayLike<number>;
  bias: ArrayLike<number>;
}

export interface IntegerNet {
  layers: NetLayer[];
}

/** Outputs of a net: (mean, scale index) for one logistic; (mean, scale index) x 2 and the weight's logit for a mixture. */
export const SINGLE_OUTPUTS = 2;
export const MIXTURE_OUTPUTS = 5;
/** Largest output shift a model file may give (model.json version 2). */
export const MAX_OUTPUT_SHIFT = 4;

/**
 * Check a net read from a model file: a hidden layer at least, shapes chain, `outputs` outputs, no sum can
 * leave int32.
 */
export function checkNet(net: IntegerNet, features: number, outputs = SINGLE_OUTPUTS): void {
  const { layers } = net;
  if (layers.length < 2 || layers[0].inputs !== features || layers[layers.length - 1].outputs !== outputs) fail('MODEL_MISMATCH', 'autoregressive net has the wrong shape');
  for (let l = 0; l < layers.length; l++) {
    const { inputs, outputs, weight, bias } = layers[l];
    if (l > 0 && inputs !== layers[l - 1].outputs) fail('MODEL_MISMATCH', 'autoregressive net layers do not chain');
    if (weight.length !== inputs * outputs || bias.length !== outputs || outputs > 256) fail('MODEL_MISMATCH', 'autoregressive net layer has the wrong size');
    const maxInput = l === 0 ? MAX_FEATURE : MAX_ACT;
    for (let o = 0; o < outputs; o++) {
      let bound = Math.abs(bias[o]);
      if (!Number.isInteger(bias[o])) fail('MODEL_MISMATCH', 'autoregressive net bias is not an integer');
      for (let i = 0; i < inputs; i++) {
        const w = weight[o * inputs + i];
        if (!Number.isInteger(w) || Math.abs(w) > MAX_WEIGHT) fail('MODEL_MISMATCH', 'autoregressive net weight out of range');
        bound += Math.abs(w) * maxInput;
      }
      if (bound >= 2 ** 31) fail('MODEL_MISMATCH', 'autoregressive net sums could overflow');
    }
  }
}

/**
 * Integer net from float layers (weights outputs x inputs, row-major) of a float MLP that reads
 * f / 2^INPUT_SHIFT and outputs (mean, t) directly.
 */
export function quantizeNet(floatLayers: NetLayer[], outputShift = 0): IntegerNet {
  return {
    layers: floatLayers.map((layer, l) => {
      const shift = l + 1 === floatLayers.length ? outputShift : 0;
      // The bias adds to sums at 2^-(WEIGHT_BITS + INPUT_SHIFT) on layer 0, 2^-(WEIGHT_BITS + ACT_BITS) after.
      const biasUnit = 2 ** (WEIGHT_BITS + (l === 0 ? INPUT_SHIFT : ACT_BITS) - shift);
      const weight = Array.from(layer.weight, (w) => Math.max(-MAX_WEIGHT, Math.min(MAX_WEIGHT, Math.round(w * 2 ** (WEIGHT_BITS - shift)))));
      const bias = Array.from(layer.bias, (b) => Math.round(b * biasUnit));
      return { inputs: layer.inputs, outputs: layer.outputs, weight, bias };
    }),
  };
}

let kernel: WebAssembly.Module | undefined;

function loadKernel(): WebAssembly.Module {
  if (!kernel) kernel = new WebAssembly.Module(readAsset('models/ar/dense.wasm'));
  return kernel;
}

interface PlacedLayer {
  weight: number;
  bias: number;
  blocks: number;
  outputs: number;
  shift: number;
}

/** What online adaptation reads (NetRunner.adaptDot): the last hidden layer, or the input features. */
export const ADAPT_HIDDEN = 0;
export const ADAPT_FEATURES = 1;

/**
 * Several integer nets in one wasm instance. Write a sample's features into `features`, call `run(k)`,
 * read the raw outputs (2 or 5, SINGLE_OUTPUTS / MIXTURE_OUTPUTS) from `output`, at OUTPUT_UNIT.
 */
export class NetRunner {
  readonly features: Int16Array;
  /** The kernel's int32 outputs, or (an output shift) their scaled copies. */
  readonly output: Int32Array | Float64Array;
  private readonly kernelOutput: Int32Array;
  private readonly outputScale: number;
  /** Net k's last hidden layer after `run(k)` (int16 activations 0..4095, units 2^-ACT_BITS). */
  readonly hidden: Int16Array[];
  /**
   * Per net, the online mean adaptation's int32 weights (model.ts, MeanAdapter): [k][ADAPT_HIDDEN]
   * against `hidden`, [k][ADAPT_FEATURES] against the net's input features.
   */
  readonly adaptWeights: [Int32Array, Int32Array][];
  private readonly adaptPtr: [number, number][];
  private readonly sourcePtr: [number, number][];
  private readonly dot: (w: number, h: number, n: number) => number;
  private readonly update: (w: number, h: number, n: number, up: number, limit: number) => void;
  private readonly nets: PlacedLayer[][];
  private readonly layer: (w: number, b: number, x: number, blocks: number, outputs: number, y: number, shift: number, final: number) => void;
  private readonly featurePtr: number;
  private readonly actPtr: [number, number];
  private readonly outputPtr: number;

  constructor(nets: IntegerNet[], outputShift = 0) {
    const instance = new WebAssembly.Instance(loadKernel(), {});
    const memory = instance.exports.memory as WebAssembly.Memory;
    this.layer = instance.exports.layer as NetRunner['layer'];
    this.dot = instance.exports.adaptDot as NetRunner['dot'];
    this.update = instance.exports.adaptUpdate as NetRunner['update'];
    const blocksOf = (n: number) => Math.ceil(n / 8);
    let ptr = 0;
    const take = (bytes: number) => {
      const at = ptr;
      ptr += Math.ceil(bytes / 16) * 16;
      return at;
    };
    const widest = Math.max(...nets.flatMap((n) => n.layers.flatMap((l) => [l.inputs, l.outputs])));
    this.featurePtr = take(16 * blocksOf(widest));
    this.actPtr = [take(16 * blocksOf(widest)), take(16 * blocksOf(widest))];
    this.outputPtr = take(4 * MIXTURE_OUTPUTS);
    const layout = nets.map((net) =>
      net.layers.map((l, i) => ({
        source: l,
        weight: take(16 * blocksOf(l.inputs) * l.outputs),
        bias: take(4 * l.outputs),
        blocks: blocksOf(l.inputs),
        outputs: l.outputs,
        shift: i === 0 ? WEIGHT_BITS + INPUT_SHIFT - ACT_BITS : WEIGHT_BITS,
      })),
    );
    const sizes = nets.map((net): [number, number] => [net.layers[net.layers.length - 2].outputs, net.layers[0].inputs]);
    this.adaptPtr = sizes.map(([hidden, features]): [number, number] => [take(4 * hidden), take(4 * features)]);
    // The last hidden layer is written to the activation buffer of its index's parity (see run).
    this.sourcePtr = nets.map((net): [number, number] => [this.actPtr[(net.layers.length - 2) & 1], this.featurePtr]);
    const pages = Math.ceil(ptr / 65536) - memory.buffer.byteLength / 65536;
    if (pages > 0) memory.grow(pages);
    const buffer = memory.buffer;
    for (const net of layout)
      for (const l of net) {
        const rowWords = 8 * l.blocks;
        const weights = new Int16Array(buffer, l.weight, rowWords * l.outputs);
        // The kernel's order (dense.wat): groups of 4 rows interleaved block by block, then the rest row by row.
        const grouped = l.outputs - (l.outputs % 4);
        const at = (o: number, i: number) => (o < grouped ? ((o - (o % 4)) * l.blocks + (i >> 3) * 4 + (o % 4)) * 8 + (i & 7) : o * rowWords + i);
        for (let o = 0; o < l.outputs; o++)
          for (let i = 0; i < l.source.inputs; i++) weights[at(o, i)] = l.source.weight[o * l.source.inputs + i];
        new Int32Array(buffer, l.bias, l.outputs).set(Array.from(l.source.bias));
      }
    this.nets = layout;
    this.features = new Int16Array(buffer, this.featurePtr, 8 * blocksOf(widest));
    this.kernelOutput = new Int32Array(buffer, this.outputPtr, MIXTURE_OUTPUTS);
    this.outputScale = 2 ** outputShift;
    this.output = outputShift === 0 ? this.kernelOutput : new Float64Array(MIXTURE_OUTPUTS);
    this.hidden = sizes.map(([n], k) => new Int16Array(buffer, this.sourcePtr[k][ADAPT_HIDDEN], n));
    this.adaptWeights = sizes.map((n, k): [Int32Array, Int32Array] => [new Int32Array(buffer, this.adaptPtr[k][0], n[0]), new Int32Array(buffer, this.adaptPtr[k][1], n[1])]);
  }

  /** w . source for net k after `run(k)` (source ADAPT_HIDDEN or ADAPT_FEATURES), exactly: an integer below 2^53. */
  adaptDot(k: number, source: number): number {
    return this.dot(this.adaptPtr[k][source], this.sourcePtr[k][source], this.adaptWeights[k][source].length);
  }

  /** w += source (up) or w -= source, clamped to +-limit. */
  adaptUpdate(k: number, source: number, up: boolean, limit: number): void {
    this.update(this.adaptPtr[k][source], this.sourcePtr[k][source], this.adaptWeights[k][source].length, up ? 1 : 0, limit);
  }

  /** Run net k on `features`; the raw outputs land in `output`. */
  run(k: number): void {
    const layers = this.nets[k];
    let x = this.featurePtr;
    for (let l = 0; l < layers.length; l++) {
      const { weight, bias, blocks, outputs, shift } = layers[l];
      const last = l === layers.length - 1;
      const y = last ? this.outputPtr : this.actPtr[l & 1];
      this.layer(weight, bias, x, blocks, outputs, y, shift, last ? 1 : 0);
      x = y;
    }
    if (this.output !== this.kernelOutput) for (let o = 0; o < MIXTURE_OUTPUTS; o++) this.output[o] = this.kernelOutput[o] * this.outputScale;
  }
}
