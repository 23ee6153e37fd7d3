/**
 * Training of the autoregressive flow: one float MLP per coded channel (tfjs), on the context features
 * of sampled pixels (context.ts, the same function the coder calls), minimizing the discretized
 * logistic's -log2 P(x); then `quantizeNet` freezes it to the integer net the coder runs, and validation
 * bits/dim are measured by the integer coder itself on held-out images.
 *
 * The features are computed once and the nets are small: the shipped run (8000 steps a net) took 40
 * minutes on one core; a smaller --steps gives a usable model in minutes. Longer runs write
 * checkpoint.json to --out every CHECKPOINT_STEPS steps (the nets finished so far, frozen, and the current
 * net's float weights); a run started again with the same --out resumes from it (Adam's moments restart
 * from zero; the learning-rate schedule continues). `init` starts every net from another model's nets
 * (a longer, lower-rate run on top of a shipped model).
 */
import * as tf from '@tensorflow/tfjs';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../../shared/atomic.js';
import { FlowzipError, Message } from '../../../codec/index.js';
import { useBackend, type BackendName } from '../../shared/backend.js';
import { loadImages, seededRandom, splitHeldOut, type TrainImage } from '../../shared/train-data.js';
import { PRIOR_SCALE_0, PRIOR_SCALE_COUNT, loadPriorTables } from '../../shared/prior-tables.js';
import { contextOf, createPlanes, featureCount, fillPlanes } from '../context.js';
import { AR_FORMAT, AR_FORMAT_VERSION, AR_FORMAT_VERSION_CONTEXT, AR_FORMAT_VERSION_CONTEXT3, AR_FORMAT_VERSION_SHIFTED, ArFlow, parseArFlow, readArFile, type ArModelFile } from '../model.js';
import { arKind } from '../kind.js';
import { assetPath } from '../../shared/assets.js';
import { ACT_BITS, INPUT_SHIFT, MIXTURE_OUTPUTS, SINGLE_OUTPUTS, WEIGHT_BITS, quantizeNet } from '../net.js';
import { MIX_LOGIT_STEPS } from '../mixture.js';

export interface ArTrainOptions {
  data: string[];
  out: string;
  /** Adam steps per net. */
  steps?: number;
  /** Sampled pixels per training image (each gives one example per channel). */
  samplesPerImage?: number;
  hidden?: number[];
  batch?: number;
  learningRate?: number;
  /** Data channel coded first, second, third (RGB). */
  order?: number[];
  backend?: BackendName;
  seed?: number;
  /** A model directory whose nets every net starts from (same hidden sizes), instead of random weights. */
  init?: string;
  /** Nets output a two-component logistic mixture (model.json `mixture: 2`, format route 5). */
  mixture?: boolean;
  onLog?: (record: Record<string, number | string>) => void;
  onProgress?: (fraction: number, step: number) => void;
}

export const AR_DEFAULTS = { steps: 6000, samplesPerImage: 100_000, hidden: [64, 64], batch: 4096, learningRate: 2e-3, order: [1, 0, 2], mixture: false };

/** Log-scale range of the prior tables: training clips to it as the coder clamps j. */
const LOG_SCALE_MIN = Math.log(PRIOR_SCALE_0);
const LOG_SCALE_MAX = Math.log(PRIOR_SCALE_0 * 2 ** ((PRIOR_SCALE_COUNT - 1) / 4));
const LOG_SCALE_INIT = Math.log(3);
/** A mixture's second component starts twice as wide as the first, which starts with weight sigmoid(2). */
const MIX_INIT_LOG_WIDER = Math.LN2;
const MIX_INIT_LOGIT = 2;
/** j = (log s - log s_0) * SCALE_TO_INDEX: the frozen net outputs the tables' scale index directly. */
const SCALE_TO_INDEX = 4 / Math.LN2;
const CHECKPOINT_STEPS = 500;
const CHECKPOINT_FILE = 'checkpoint.json';

/** What checkpoint.json holds: the run's settings (a resume must match them), finished nets, the current one. */
interface Checkpoint {
  settings: string;
  nets: ArModelFile['nets'];
  net: number;
  step: number;
  /** Float weights (inputs x outputs, row-major) and biases of the net being trained. */
  weights: number[][];
  biases: number[][];
}

interface Examples {
  features: Float32Array;
  residual: Float32Array;
  count: number;
}

/** Examples of the k-th coded channel from sampled pixels of the images (features of context 1 or 2). */
function collect(images: TrainImage[], channels: number, order: number[], k: number, perImage: number, seed: number, context = 1): Examples {
  const d = featureCount(k, context);
  const rand = seededRandom(seed);
  const picks: { im: TrainImage; positions: Int32Array }[] = [];
  let total = 0;
  for (const im of images) {
    const n = im.width * im.height;
    const keep = Math.min(1, perImage / n);
    const positions: number[] = [];
    for (let i = 0; i < n; i++) if (rand() < keep) positions.push(i);
    picks.push({ im, positions: Int32Array.from(positions) });
    total += positions.length;
  }
  const features = new Float32Array(total * d);
  const residual = new Float32Array(total);
  const row = new Float64Array(d);
  let e = 0;
  for (const { im, positions } of picks) {
    const planes = createPlanes(im.pixels, im.height, im.width, channels);
    fillPlanes(planes);
    const ord = channels === 1 ? [0] : order;
    for (const pos of positions) {
      const y = Math.floor(pos / im.width);
      const x = pos % im.width;
      const p0 = contextOf(planes, ord, y, x, k, row, context);
      features.set(row, e * d);
      residual[e] = im.pixels[pos * channels + ord[k]] - p0;
      e++;
    }
  }
  return { features, residual, count: total };
}

interface FloatNet {
  weights: tf.Variable[];
  biases: tf.Variable[];
}

function createNet(inputs: number, hidden: number[], rand: () => number, mixture = false): FloatNet {
  const sizes = [inputs, ...hidden, mixture ? MIXTURE_OUTPUTS : SINGLE_OUTPUTS];
  const weights: tf.Variable[] = [];
  const biases: tf.Variable[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const last = l + 2 === sizes.length;
    const w = new Float32Array(sizes[l] * sizes[l + 1]);
    // He init for hidden layers; the output starts at zero (mean p0, scale 3).
    if (!last) for (let i = 0; i < w.length; i++) w[i] = gaussian(rand) * Math.sqrt(2 / sizes[l]);
    weights.push(tf.variable(tf.tensor2d(w, [sizes[l], sizes[l + 1]])));
    const outputBias = mixture ? [0, LOG_SCALE_INIT, 0, LOG_SCALE_INIT + MIX_INIT_LOG_WIDER, MIX_INIT_LOGIT] : [0, LOG_SCALE_INIT];
    biases.push(tf.variable(last ? tf.tensor1d(outputBias) : tf.zeros([sizes[l + 1]])));
  }
  return { weights, biases };
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function forward(net: FloatNet, x: tf.Tensor2D): tf.Tensor2D {
  let h: tf.Tensor2D = x.div(2 ** INPUT_SHIFT);
  net.weights.forEach((w, l) => {
    h = h.matMul(w as tf.Tensor2D).add(net.biases[l]);
    // The integer net clips activations at MAX_ACT / 2^ACT_BITS = 64.
    if (l + 1 < net.weights.length) h = h.clipByValue(0, 64) as tf.Tensor2D;
  });
  return h;
}

/** log P(r) of the discretized logistic at (mean, log scale): P = sigmoid(a) sigmoid(-b) (1 - e^-(a-b)), a - b = 1/s. */
function logistic(mean: tf.Tensor, logScaleRaw: tf.Tensor, r: tf.Tensor): tf.Tensor {
  const inv = tf.exp(logScaleRaw.clipByValue(LOG_SCALE_MIN, LOG_SCALE_MAX).neg());
  const centred = r.sub(mean);
  const a = centred.add(0.5).mul(inv);
  const b = centred.sub(0.5).mul(inv);
  // log sigmoid(v) = -softplus(-v) (tf.logSigmoid's custom gradient loses its input inside minimize).
  return tf.softplus(a.neg()).add(tf.softplus(b)).neg().add(tf.log(tf.expm1(inv.neg()).neg()));
}

/** Mean -log2 P(r): one logistic (2 outputs) or a two-component mixture (5: means, log scales, logit of A's weight). */
function lossBits(out: tf.Tensor2D, residual: tf.Tensor1D): tf.Scalar {
  // No tidy here: the gradient tape needs the intermediates (minimize disposes them).
  const r = residual.reshape([-1, 1]);
  if (out.shape[1] === SINGLE_OUTPUTS) {
    const [mean, logScale] = tf.split(out, 2, 1);
    return logistic(mean, logScale, r).mean().neg().div(Math.LN2) as tf.Scalar;
  }
  const [meanA, logScaleA, meanB, logScaleB, logit] = tf.split(out, 5, 1);
  // log(w P_A + (1 - w) P_B), w = sigmoid(logit): logsumexp of the weighted logs.
  const a = logistic(meanA, logScaleA, r).sub(tf.softplus(logit.neg()));
  const b = logistic(meanB, logScaleB, r).sub(tf.softplus(logit));
  return tf.concat([a, b], 1).logSumExp(1).mean().neg().div(Math.LN2) as tf.Scalar;
}

/** The float net an integer net was frozen from (up to rounding): `freeze` undone. */
function thawNet(frozen: ArModelFile['nets'][number], d: number, hidden: number[], mixture: boolean, outputShift: number): FloatNet {
  const { layers } = frozen;
  const frozenOutputs = layers[layers.length - 1]?.outputs;
  const sizes = [d, ...hidden, frozenOutputs];
  if (layers.length !== sizes.length - 1 || layers.some((l, i) => l.inputs !== sizes[i] || l.outputs !== sizes[i + 1]) || (frozenOutputs === MIXTURE_OUTPUTS && !mixture))
    throw new FlowzipError('USAGE', `--init model's nets are not ${[d, ...hidden].join('-')}-${mixture ? '2 or 5' : 2} (give --hidden and --mixture to match it)`);
  const weights: tf.Variable[] = [];
  const biases: tf.Variable[] = [];
  layers.forEach((layer, l) => {
    const last = l + 1 === layers.length;
    const shift = last ? outputShift : 0;
    const biasUnit = 2 ** (WEIGHT_BITS + (l === 0 ? INPUT_SHIFT : ACT_BITS) - shift);
    const w = new Float32Array(layer.inputs * layer.outputs);
    const unit = (o: number) => 2 ** (WEIGHT_BITS - shift) * (last ? outputUnit(o) : 1);
    for (let o = 0; o < layer.outputs; o++)
      for (let i = 0; i < layer.inputs; i++) w[i * layer.outputs + o] = layer.weight[o * layer.inputs + i] / unit(o);
    const b = layer.bias.map((v, o) => (last ? v / biasUnit / outputUnit(o) + (isScale(o) ? LOG_SCALE_MIN : 0) : v / biasUnit));
    if (last && mixture && layer.outputs === SINGLE_OUTPUTS) {
      // A mixture from one logistic: B starts as a wider copy of A, A with weight sigmoid(MIX_INIT_LOGIT).
      const rows = Array.from({ length: MIXTURE_OUTPUTS }, (_, o) => (o < 4 ? o % 2 : -1));
      const wide = new Float32Array(layer.inputs * MIXTURE_OUTPUTS);
      for (let i = 0; i < layer.inputs; i++) rows.forEach((from, o) => (wide[i * MIXTURE_OUTPUTS + o] = from < 0 ? 0 : w[i * layer.outputs + from]));
      weights.push(tf.variable(tf.tensor2d(wide, [layer.inputs, MIXTURE_OUTPUTS])));
      biases.push(tf.variable(tf.tensor1d([b[0], b[1], b[0], b[1] + MIX_INIT_LOG_WIDER, MIX_INIT_LOGIT])));
      return;
    }
    weights.push(tf.variable(tf.tensor2d(w, [layer.inputs, layer.outputs])));
    biases.push(tf.variable(tf.tensor1d(b)));
  });
  return { weights, biases };
}

/** Output o of a float net is a log scale (folded onto the tables' index by `freeze`). */
function isScale(o: number): boolean {
  return o === 1 || o === 3;
}

/** What `freeze` multiplies output o by: log scales onto the scale index, the logit onto its steps. */
function outputUnit(o: number): number {
  return isScale(o) ? SCALE_TO_INDEX : o === 4 ? MIX_LOGIT_STEPS : 1;
}

async function floatArrays(vars: tf.Variable[]): Promise<number[][]> {
  return Promise.all(vars.map(async (v) => Array.from((await v.data()) as Float32Array)));
}

interface TrainNetStart {
  /** Start weights (init or checkpoint); random when absent. */
  net?: FloatNet;
  /** First step (a resumed run). */
  step?: number;
  /** Called every CHECKPOINT_STEPS steps with the next step to run. */
  checkpoint?: (net: FloatNet, nextStep: number) => Promise<void>;
}

async function trainNet(examples: Examples, d: number, options: Required<Pick<ArTrainOptions, 'steps' | 'hidden' | 'batch' | 'learningRate' | 'mixture'>>, seed: number, report: (step: number, bits: number) => void, start: TrainNetStart = {}): Promise<FloatNet> {
  const rand = seededRandom(seed);
  // Random weights are drawn either way, so that the shuffle below is the same for every start.
  const fresh = createNet(d, options.hidden, rand, options.mixture);
  if (start.net) tf.dispose([...fresh.weights, ...fresh.biases]);
  const net = start.net ?? fresh;
  const optimizer = tf.train.adam(options.learningRate);
  shuffleExamples(examples, d, rand);
  const batchFeatures = new Float32Array(options.batch * d);
  const batchResidual = new Float32Array(options.batch);
  let running = 0;
  const first = start.step ?? 0;
  // A resumed run reads the shuffled examples from where it stopped.
  let cursor = (first * options.batch) % examples.count;
  for (let step = first; step < options.steps; step++) {
    if (step > first && step % CHECKPOINT_STEPS === 0) await start.checkpoint?.(net, step);
    // Cosine decay to zero.
    (optimizer as unknown as { learningRate: number }).learningRate = options.learningRate * 0.5 * (1 + Math.cos((Math.PI * step) / options.steps)) + 1e-6;
    // Epochs over the shuffled examples, in contiguous slices.
    for (let n = 0; n < options.batch; ) {
      const take = Math.min(options.batch - n, examples.count - cursor);
      batchFeatures.set(examples.features.subarray(cursor * d, (cursor + take) * d), n * d);
      batchResidual.set(examples.residual.subarray(cursor, cursor + take), n);
      n += take;
      cursor = (cursor + take) % examples.count;
    }
    const x = tf.tensor2d(batchFeatures, [options.batch, d]);
    const r = tf.tensor1d(batchResidual);
    const cost = optimizer.minimize(() => lossBits(forward(net, x), r), true) as tf.Scalar;
    const bits = (await cost.data())[0];
    tf.dispose([x, r, cost]);
    running = step === first ? bits : 0.98 * running + 0.02 * bits;
    if (step % 50 === 0 || step + 1 === options.steps) report(step, running);
  }
  optimizer.dispose();
  return net;
}

function shuffleExamples(examples: Examples, d: number, rand: () => number): void {
  const { features, residual } = examples;
  const row = new Float32Array(d);
  for (let i = examples.count - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    row.set(features.subarray(i * d, (i + 1) * d));
    features.copyWithin(i * d, j * d, (j + 1) * d);
    features.set(row, j * d);
    const r = residual[i];
    residual[i] = residual[j];
    residual[j] = r;
  }
}

/**
 * The output shift nets of these hidden widths are frozen at (model.json version 2 above 0): the last
 * layer's summed weights grow with its inputs (256 units: shift 2, models/ar/photo-wide2), and 64 needs none.
 */
export function outputShiftFor(hidden: number[]): number {
  const last = hidden[hidden.length - 1];
  return last > 128 ? 2 : last > 64 ? 1 : 0;
}

/** The float net as an integer net: folds the log-scale output onto the tables' scale index j. */
async function freeze(net: FloatNet, outputShift: number): Promise<ArModelFile['nets'][number]> {
  const layers: FloatLayer[] = [];
  for (let l = 0; l < net.weights.length; l++) {
    const [inputs, outputs] = net.weights[l].shape;
    layers.push({ inputs, outputs, weight: (await net.weights[l].data()) as Float32Array, bias: Array.from((await net.biases[l].data()) as Float32Array) });
  }
  return freezeLayers(layers, outputShift);
}

/** A float layer as the trainer holds it: weight inputs x outputs, row-major (tfjs's layout). */
export interface FloatLayer {
  inputs: number;
  outputs: number;
  weight: ArrayLike<number>;
  bias: ArrayLike<number>;
}

/**
 * Float layers (trained here or elsewhere on the same features, loss and output convention) as an integer
 * net: transposed to outputs x inputs, log scales folded onto the tables' scale index, quantized (the last
 * layer at 2^outputShift times the output unit: model.json version 2).
 */
export function freezeLayers(floatLayers: FloatLayer[], outputShift = 0): ArModelFile['nets'][number] {
  const layers = floatLayers.map(({ inputs, outputs, weight: wIn, bias: b }, l) => {
    const bias = Array.from(b);
    const weight: number[] = new Array(inputs * outputs); // outputs x inputs
    for (let i = 0; i < inputs; i++) for (let o = 0; o < outputs; o++) weight[o * inputs + i] = wIn[i * outputs + o];
    if (l + 1 === floatLayers.length)
      for (let o = 0; o < outputs; o++) {
        for (let i = 0; i < inputs; i++) weight[o * inputs + i] *= outputUnit(o);
        bias[o] = (bias[o] - (isScale(o) ? LOG_SCALE_MIN : 0)) * outputUnit(o);
      }
    return { inputs, outputs, weight, bias };
  });
  const q = quantizeNet(layers, outputShift);
  return { layers: q.layers.map((l) => ({ inputs: l.inputs, outputs: l.outputs, weight: Array.from(l.weight), bias: Array.from(l.bias) })) };
}

/** Bits of the integer coder on images (what files would cost, less headers), and their samples. */
export function codedBits(flow: ArFlow, images: TrainImage[], channels: number): { bits: number; dims: number } {
  let bits = 0;
  let dims = 0;
  for (const im of images) {
    const msg = new Message(1024);
    bits += flow.encode(msg, Int32Array.from(im.pixels), { height: im.height, width: im.width, channels, dtype: 'uint8' }).bits;
    dims += im.pixels.length;
  }
  return { bits, dims };
}


/**
 * Scale adaptation stays on (sets `file.adaptScale`) only if it lowers the held-out bits, RGB and grey
 * pooled. Returns the validation record (bits/dim of the integer coder, both ways).
 */
export function chooseAdaptation(file: ArModelFile, rgbValidation: TrainImage[], greyValidation: TrainImage[]): Record<string, number | string> {
  const score = (adaptScale: boolean) => {
    const flow = new ArFlow({ ...file, adaptScale }, loadPriorTables());
    const rgb = codedBits(flow, rgbValidation, 3);
    const grey = codedBits(flow, greyValidation, 1);
    return {
      rgbBits: rgb.dims ? rgb.bits / rgb.dims : undefined,
      greyBits: grey.dims ? grey.bits / grey.dims : undefined,
      pooled: (rgb.bits + grey.bits) / Math.max(1, rgb.dims + grey.dims),
    };
  };
  const fixed = score(false);
  const adapted = score(true);
  file.adaptScale = adapted.pooled < fixed.pooled;
  const chosen = file.adaptScale ? adapted : fixed;
  const validation: Record<string, number | string> = { event: 'validation', adaptScale: String(file.adaptScale), pooledFixed: round4(fixed.pooled), pooledAdapted: round4(adapted.pooled) };
  if (chosen.rgbBits !== undefined) validation.rgbBitsPerDim = round4(chosen.rgbBits);
  if (chosen.greyBits !== undefined) validation.greyBitsPerDim = round4(chosen.greyBits);
  return validation;
}

/** The 8-bit RGB and grey images under `data`, each layout split into train and held-out images (1 in 8; none held out of one image). */
async function heldOutSplits(data: string[]) {
  const rgb = await loadImages(data, 1, 3);
  const grey = await loadImages(data, 1, 1);
  if (rgb.length + grey.length === 0) throw new FlowzipError('USAGE', `no 8-bit grey or RGB images under ${data.join(', ')}`);
  const rgbSplit = rgb.length > 1 ? splitHeldOut(rgb) : { train: rgb, validation: [] };
  const greySplit = grey.length > 1 ? splitHeldOut(grey) : { train: grey, validation: [] };
  const counts = { rgbTrain: rgbSplit.train.length, rgbValidation: rgbSplit.validation.length, greyTrain: greySplit.train.length, greyValidation: greySplit.validation.length };
  return { rgbSplit, greySplit, counts };
}

/**
 * model.json's head and nets: version 4 (context 3) when net 1 has its far window's inputs, version 3
 * (context 2) when net 0 has, else version 2 with the output shift when there is one, else version 1.
 */
function modelFile(order: number[], mixture: boolean, outputShift: number, nets: ArModelFile['nets']): ArModelFile {
  const context = nets[1]?.layers[0]?.inputs === featureCount(1, 3) ? 3 : nets[0]?.layers[0]?.inputs === featureCount(0, 2) ? 2 : 1;
  const version = context === 3 ? AR_FORMAT_VERSION_CONTEXT3 : context === 2 ? AR_FORMAT_VERSION_CONTEXT : outputShift > 0 ? AR_FORMAT_VERSION_SHIFTED : AR_FORMAT_VERSION;
  return { format: AR_FORMAT, version, ...(outputShift > 0 ? { outputShift } : {}), ...(context > 1 ? { context } : {}), order, ...(mixture ? { mixture: 2 } : {}), nets };
}

/** The shipped model's pooled bits/dim on held-out images (is a new model better for this data?); undefined without any. */
function shippedHeldOutBits(rgbValidation: TrainImage[], greyValidation: TrainImage[]): number | undefined {
  const shipped = parseArFlow(readArFile(assetPath(arKind.shippedDir!)), 'shipped');
  const rgb = codedBits(shipped, rgbValidation, 3);
  const grey = codedBits(shipped, greyValidation, 1);
  const dims = rgb.dims + grey.dims;
  return dims > 0 ? round4((rgb.bits + grey.bits) / dims) : undefined;
}

/** Train an autoregressive model on the images under `data` and export it to `out`/model.json. */
export async function trainAr(options: ArTrainOptions): Promise<ArModelFile> {
  const o = { ...AR_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as Required<ArTrainOptions>;
  if ([...o.order].sort().join() !== '0,1,2') throw new FlowzipError('USAGE', '--order must be a permutation of 0,1,2');
  await useBackend(o.backend);
  mkdirSync(o.out, { recursive: true });
  const logFile = join(o.out, 'train.log');
  const started = Date.now();
  const log = (record: Record<string, number | string>) => {
    const line = { ...record, seconds: Math.round((Date.now() - started) / 100) / 10 };
    appendFileSync(logFile, JSON.stringify(line) + '\n');
    o.onLog?.(line);
  };
  const { rgbSplit, greySplit, counts } = await heldOutSplits(o.data);
  log({ event: 'data', ...counts });
  const seed = o.seed ?? 1;
  const initFile = o.init ? (JSON.parse(new TextDecoder().decode(readArFile(o.init))) as ArModelFile) : undefined;
  const initNets = initFile?.nets;
  const outputShift = outputShiftFor(o.hidden);
  // A checkpoint of a run with these settings resumes; anything else starts afresh.
  const settings = JSON.stringify({ data: o.data, steps: o.steps, samplesPerImage: o.samplesPerImage, hidden: o.hidden, batch: o.batch, learningRate: o.learningRate, order: o.order, seed, init: o.init ?? null, mixture: o.mixture });
  const checkpointPath = join(o.out, CHECKPOINT_FILE);
  let resume: Checkpoint | undefined;
  if (existsSync(checkpointPath)) {
    const saved = JSON.parse(readFileSync(checkpointPath, 'utf8')) as Checkpoint;
    if (saved.settings === settings) resume = saved;
    else log({ event: 'checkpoint ignored (other settings)' });
  }
  const nets: ArModelFile['nets'] = resume ? resume.nets.slice(0, resume.net) : [];
  if (resume) log({ event: 'resume', net: resume.net, step: resume.step });
  // An --init model's features (context 2: net 0 also sees the far window; 3: every net); new models have context 1.
  const context = initFile?.context === 2 || initFile?.context === 3 ? initFile.context : 1;
  for (let k = nets.length; k < 3; k++) {
    const d = featureCount(k, context);
    const parts = [collect(rgbSplit.train, 3, o.order, k, o.samplesPerImage, seed + 10 * k, context)];
    if (k === 0) parts.push(collect(greySplit.train, 1, o.order, 0, o.samplesPerImage, seed + 5, context));
    const examples = concat(parts, d);
    if (examples.count === 0) throw new FlowzipError('USAGE', `no training samples for channel ${k} (RGB images are needed for colour)`);
    log({ event: 'examples', net: k, count: examples.count, features: d });
    let start: FloatNet | undefined;
    let firstStep = 0;
    if (resume && resume.net === k && resume.weights.length > 0) {
      start = { weights: resume.weights.map((w, l) => tf.variable(tf.tensor2d(w, [w.length / resume!.biases[l].length, resume!.biases[l].length]))), biases: resume.biases.map((b) => tf.variable(tf.tensor1d(b))) };
      firstStep = resume.step;
    } else if (initNets) start = thawNet(initNets[k], d, o.hidden, o.mixture, initFile!.outputShift ?? 0);
    const checkpoint = async (current: FloatNet, step: number) => {
      const saved: Checkpoint = { settings, nets, net: k, step, weights: await floatArrays(current.weights), biases: await floatArrays(current.biases) };
      writeAtomic(checkpointPath, JSON.stringify(saved));
      log({ event: 'checkpoint', net: k, step });
    };
    const net = await trainNet(examples, d, o, seed + k, (step, bits) => {
      o.onProgress?.((k + step / o.steps) / 3, step);
      if (step % 500 === 0 || step + 1 === o.steps) log({ net: k, step, trainBits: round4(bits) });
    }, { net: start, step: firstStep, checkpoint });
    nets.push(await freeze(net, outputShift));
    tf.dispose([...net.weights, ...net.biases]);
    // The next net starts from step 0: a checkpoint there holds this one frozen.
    if (k + 1 < 3) writeAtomic(checkpointPath, JSON.stringify({ settings, nets, net: k + 1, step: 0, weights: [], biases: [] }));
  }
  const file = modelFile(o.order, o.mixture, outputShift, nets);
  const validation = chooseAdaptation(file, rgbSplit.validation, greySplit.validation);
  log(validation);
  const shippedPooled = shippedHeldOutBits(rgbSplit.validation, greySplit.validation);
  if (shippedPooled !== undefined) {
    validation.shippedPooled = shippedPooled;
    log({ event: 'shipped', pooledBitsPerDim: shippedPooled });
  }
  file.training = {
    data: o.data,
    images: counts,
    steps: o.steps,
    ...(o.init ? { init: o.init } : {}),
    samplesPerImage: o.samplesPerImage,
    hidden: o.hidden,
    batch: o.batch,
    learningRate: o.learningRate,
    seconds: Math.round((Date.now() - started) / 1000),
    validation,
  };
  writeAtomic(join(o.out, 'model.json'), JSON.stringify(file));
  // The run is done: nothing to resume.
  rmSync(checkpointPath, { force: true });
  log({ event: 'exported', path: join(o.out, 'model.json') });
  return file;
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

function concat(parts: Examples[], d: number): Examples {
  const count = parts.reduce((a, p) => a + p.count, 0);
  const features = new Float32Array(count * d);
  const residual = new Float32Array(count);
  let o = 0;
  for (const p of parts) {
    features.set(p.features, o * d);
    residual.set(p.residual, o);
    o += p.count;
  }
  return { features, residual, count };
}

/** Float nets trained elsewhere (models/ar/train/gpu/wide.py's output: per net, layer sizes, weights inputs x outputs, biases). */
export interface FloatNetsFile {
  hidden: number[];
  nets: { sizes: number[]; weights: number[][]; biases: number[][] }[];
}

/**
 * An ar model from float nets trained off this machine on the same features, loss and outputs: frozen
 * (the last layers at 2^outputShift times the output unit, by default outputShiftFor the widths; model.json
 * version 2 when above 0), scale
 * adaptation chosen on the trainer's held-out images of `data`, compared with the shipped model there,
 * written to `out`/model.json.
 */
export async function importFloatNets(options: { float: FloatNetsFile; data: string[]; out: string; outputShift?: number; training: Record<string, unknown> }): Promise<ArModelFile> {
  const { float } = options;
  const outputShift = options.outputShift ?? outputShiftFor(float.hidden);
  if (float.nets.length !== 3) throw new FlowzipError('USAGE', 'float nets: 3 nets expected');
  const nets = float.nets.map((n) => freezeLayers(n.weights.map((weight, l) => ({ inputs: n.sizes[l], outputs: n.sizes[l + 1], weight, bias: n.biases[l] })), outputShift));
  const file = modelFile(AR_DEFAULTS.order, true, outputShift, nets);
  const { rgbSplit, greySplit, counts } = await heldOutSplits(options.data);
  const validation = chooseAdaptation(file, rgbSplit.validation, greySplit.validation);
  const shippedPooled = shippedHeldOutBits(rgbSplit.validation, greySplit.validation);
  if (shippedPooled !== undefined) validation.shippedPooled = shippedPooled;
  file.training = { ...options.training, data: options.data, hidden: float.hidden, images: counts, validation };
  mkdirSync(options.out, { recursive: true });
  writeAtomic(join(options.out, 'model.json'), JSON.stringify(file));
  return file;
}
