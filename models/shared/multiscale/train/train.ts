/**
 * IDF training: Adam on random crops, periodic checkpoints (weights + optimizer state, so a run resumes
 * exactly where it stopped, across sessions), validation bits/dim on a held-out split, and an export of
 * the frozen integer model after every checkpoint.
 */
import * as tf from '@tensorflow/tfjs';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../../atomic.js';
import { Worker } from 'node:worker_threads';
import { FlowzipError } from '../../../../codec/index.js';
import { compiledSibling } from '../../assets.js';
import { useBackend, type BackendName } from '../../backend.js';
import { dequantize, loadImages, randomCrops, seededRandom, splitHeldOut } from '../../train-data.js';
import { DEFAULT_CONFIG, createIdf, idfForward, idfVariables, stableName, type Idf, type IdfConfig } from './flow.js';
import { exportIntegerModel } from './export.js';

export interface TrainOptions {
  data: string[];
  out: string;
  /** Stop after this many total steps (counting resumed ones) or this many minutes of this run. */
  steps?: number;
  minutes?: number;
  batch?: number;
  crop?: number;
  learningRate?: number;
  checkpointMinutes?: number;
  backend?: BackendName;
  /** Worker threads that each compute gradients on their own batch (data parallel); 1 = none. */
  workers?: number;
  config?: Partial<IdfConfig>;
  /**
   * A model directory whose checkpoint's weights start this run when `out` has no checkpoint yet (the
   * optimizer starts fresh; `config` may change what the weights mean, e.g. fractionBits).
   */
  init?: string;
  /** Called with each log record (also appended to <out>/train.log). */
  onLog?: (record: Record<string, number | string>) => void;
  onProgress?: (fraction: number, step: number) => void;
}

interface Checkpoint {
  config: IdfConfig;
  step: number;
  seconds: number;
  tensors: { name: string; shape: number[]; offset: number; size: number }[];
}


async function saveCheckpoint(dir: string, model: Idf, optimizer: tf.AdamOptimizer, step: number, seconds: number): Promise<void> {
  const named: { name: string; tensor: tf.Tensor }[] = idfVariables(model).map((v) => ({ name: stableName(v.name), tensor: v }));
  for (const w of await optimizer.getWeights()) named.push({ name: `adam:${stableName(w.name)}`, tensor: w.tensor });
  const tensors: Checkpoint['tensors'] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const { name, tensor } of named) {
    const values = (await tensor.data()) as Float32Array;
    tensors.push({ name, shape: tensor.shape, offset, size: values.length });
    chunks.push(Float32Array.from(values));
    offset += values.length;
  }
  const all = new Float32Array(offset);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  writeAtomic(join(dir, 'checkpoint.bin'), new Uint8Array(all.buffer));
  const meta: Checkpoint = { config: model.config, step, seconds, tensors };
  writeAtomic(join(dir, 'checkpoint.json'), JSON.stringify(meta));
}

export async function loadCheckpoint(
  dir: string,
  override?: Partial<IdfConfig>,
): Promise<{ model: Idf; optimizer: tf.AdamOptimizer; step: number; seconds: number; lr: number } | undefined> {
  const metaPath = join(dir, 'checkpoint.json');
  if (!existsSync(metaPath)) return undefined;
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Checkpoint;
  const buf = readFileSync(join(dir, 'checkpoint.bin'));
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  const model = createIdf({ ...meta.config, ...override });
  const byName = new Map(meta.tensors.map((t) => [t.name, t]));
  let reshaped = false;
  for (const v of idfVariables(model)) {
    const t = byName.get(stableName(v.name));
    if (!t) throw new Error(`checkpoint lacks ${stableName(v.name)}`);
    const values = all.subarray(t.offset, t.offset + t.size);
    if (t.shape.join() === v.shape.join()) v.assign(tf.tensor(values, t.shape));
    else {
      // A model that adds outputs (e.g. channelContext's alphas) starts from the old ones, new ones zero.
      const last = t.shape.length - 1;
      if (!override || t.shape.slice(0, last).join() !== v.shape.slice(0, last).join() || t.shape[last] > v.shape[last])
        throw new Error(`checkpoint ${stableName(v.name)} has shape ${t.shape.join('x')}, the model ${v.shape.join('x')}`);
      const padding = t.shape.map((_, i) => [0, i === last ? v.shape[last] - t.shape[last] : 0] as [number, number]);
      v.assign(tf.pad(tf.tensor(values, t.shape), padding));
      reshaped = true;
    }
  }
  const optimizer = tf.train.adam(1e-3);
  const adam = reshaped ? [] : meta.tensors.filter((t) => t.name.startsWith('adam:'));
  if (adam.length > 0)
    await optimizer.setWeights(adam.map((t) => ({ name: t.name === 'adam:iter' ? 'iter' : model.prefix + t.name.slice(5), tensor: tf.tensor(all.subarray(t.offset, t.offset + t.size), t.shape) })));
  return { model, optimizer, step: meta.step, seconds: meta.seconds, lr: 1e-3 };
}

/** Train (or resume) a multi-scale flow; returns the exported model's held-out bits/dim. */
export async function train(opts: TrainOptions): Promise<number | undefined> {
  const backend = await useBackend(opts.backend);
  const batch = opts.batch ?? 8;
  const crop = opts.crop ?? 64;
  const baseLr = opts.learningRate ?? 1e-3;
  const checkpointMs = (opts.checkpointMinutes ?? 3) * 60_000;
  mkdirSync(opts.out, { recursive: true });
  const logPath = join(opts.out, 'train.log');
  const log = (record: Record<string, number | string>) => {
    appendFileSync(logPath, JSON.stringify(record) + '\n');
    opts.onLog?.(record);
  };

  const config = { ...DEFAULT_CONFIG, ...opts.config };
  const images = await loadImages(opts.data, crop, config.channels);
  if (images.length === 0) throw new Error('no usable training images (RGB 8-bit, at least crop size)');
  const { train: trainSet, validation } = splitHeldOut(images);

  const resumed = await loadCheckpoint(opts.out);
  const wantBits = opts.config?.fractionBits;
  if (resumed && wantBits !== undefined && (resumed.model.config.fractionBits ?? 0) !== wantBits)
    throw new FlowzipError('USAGE', `${opts.out} holds a ${resumed.model.config.fractionBits ? 'fixed-point' : 'IDF'} checkpoint: train it with that kind`);
  const initial = resumed ? undefined : opts.init ? await loadCheckpoint(opts.init, opts.config) : undefined;
  if (opts.init && !resumed && !initial) throw new Error(`no checkpoint in ${opts.init} to start from`);
  const model = resumed?.model ?? initial?.model ?? createIdf(config);
  const optimizer = resumed?.optimizer ?? tf.train.adam(baseLr);
  let step = resumed?.step ?? 0;
  const priorSeconds = resumed?.seconds ?? 0;
  log({ event: resumed ? 'resume' : 'start', ...(initial ? { init: opts.init!, initStep: initial.step } : {}), fractionBits: model.config.fractionBits ?? 0, learningRate: baseLr, step, backend, trainImages: trainSet.length, validationImages: validation.length, batch, crop });

  const dims = batch * crop * crop * config.channels;
  const validationRandom = seededRandom(99);
  const validationCrops = dequantize(randomCrops(validation, 16, crop, validationRandom, config.channels), model.config.fractionBits ?? 0, validationRandom);
  const validate = () =>
    tf.tidy(() => {
      const x = tf.tensor4d(validationCrops, [16, crop, crop, config.channels]);
      return (idfForward(model, x).bits.sum().dataSync()[0] as number) / (16 * crop * crop * config.channels);
    });

  const rand = seededRandom(1234 + step);
  const helpers = await startHelpers(opts.workers ?? 1, { data: opts.data, config: model.config, batch, crop, seed: 5678 + step });
  const started = Date.now();
  let lastCheckpoint = started;
  let recent: number[] = [];
  const variables = idfVariables(model);
  const deadline = opts.minutes !== undefined ? started + opts.minutes * 60_000 : Infinity;
  const lastStep = opts.steps ?? Infinity;
  while (step < lastStep && Date.now() < deadline) {
    const warm = Math.min(1, (step + 1) / 200);
    (optimizer as unknown as { learningRate: number }).learningRate = baseLr * warm;
    const x = tf.tensor4d(dequantize(randomCrops(trainSet, batch, crop, rand, config.channels), model.config.fractionBits ?? 0, rand), [batch, crop, crop, config.channels]);
    if (helpers.length === 0) {
      const cost = optimizer.minimize(() => tf.div(idfForward(model, x).bits.sum(), dims) as tf.Scalar, true, variables);
      recent.push(cost!.dataSync()[0]);
      cost!.dispose();
    } else {
      // Data parallel: helpers compute gradients at the same weights on their own crops; average all.
      const weights = flattenVariables(variables);
      const remote = helpers.map((h) => h.step(weights));
      const { value, grads } = tf.variableGrads(() => tf.div(idfForward(model, x).bits.sum(), dims) as tf.Scalar, variables);
      const results = await Promise.all(remote);
      const averaged: Record<string, tf.Tensor> = {};
      let offset = 0;
      for (const v of variables) {
        const sum = Float32Array.from(grads[v.name].dataSync() as Float32Array);
        for (const r of results) for (let i = 0; i < sum.length; i++) sum[i] += r.grads[offset + i];
        for (let i = 0; i < sum.length; i++) sum[i] /= results.length + 1;
        averaged[v.name] = tf.tensor(sum, v.shape);
        offset += v.size;
      }
      optimizer.applyGradients(averaged as never);
      recent.push((value.dataSync()[0] + results.reduce((a, r) => a + r.loss, 0)) / (results.length + 1));
      tf.dispose([value, ...Object.values(grads), ...Object.values(averaged)]);
    }
    x.dispose();
    step++;
    opts.onProgress?.(Math.min(1, opts.steps ? step / opts.steps : (Date.now() - started) / (deadline - started)), step);
    if (step % 50 === 0) {
      log({ step, seconds: Math.round(priorSeconds + (Date.now() - started) / 1000), trainBpd: recent.reduce((a, b) => a + b, 0) / recent.length });
      recent = [];
    }
    if (Date.now() - lastCheckpoint > checkpointMs) {
      await checkpoint();
      lastCheckpoint = Date.now();
    }
  }
  await checkpoint();
  await Promise.all(helpers.map((h) => h.stop()));
  return exportedValidation(opts.out);

  async function checkpoint(): Promise<void> {
    const seconds = Math.round(priorSeconds + (Date.now() - started) / 1000);
    await saveCheckpoint(opts.out, model, optimizer, step, seconds);
    const validationBpd = validate();
    // The exported model is the best by held-out bits so far: a resumed run that drifts keeps the better one.
    const best = exportedValidation(opts.out);
    if (best === undefined || validationBpd <= best) {
      await exportIntegerModel(model, opts.out, { step, seconds, validationBpd, data: opts.data.join(','), backend });
      log({ event: 'checkpoint', step, seconds, validationBpd, exported: 'yes' });
    } else log({ event: 'checkpoint', step, seconds, validationBpd, exported: `no (the exported model has ${best})` });
  }
}

/** Held-out bits/dim of the model already exported in `dir`, if any. */
function exportedValidation(dir: string): number | undefined {
  try {
    const info = (JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { info?: { validationBpd?: unknown } }).info;
    return typeof info?.validationBpd === 'number' ? info.validationBpd : undefined;
  } catch {
    return undefined;
  }
}

function flattenVariables(variables: tf.Variable[]): Float32Array {
  const out = new Float32Array(variables.reduce((a, v) => a + v.size, 0));
  let offset = 0;
  for (const v of variables) {
    out.set(v.dataSync() as Float32Array, offset);
    offset += v.size;
  }
  return out;
}

interface Helper {
  step(weights: Float32Array): Promise<{ loss: number; grads: Float32Array }>;
  stop(): Promise<number>;
}

async function startHelpers(count: number, setup: Record<string, unknown>): Promise<Helper[]> {
  const helpers: Helper[] = [];
  for (let i = 1; i < count; i++) {
    const worker = new Worker(compiledSibling(import.meta.url, 'train-worker.js'), { workerData: { ...setup, seed: (setup.seed as number) + 1000 * i } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    let pending: { resolve: (r: { loss: number; grads: Float32Array }) => void; reject: (e: Error) => void } | undefined;
    worker.on('message', (r) => pending?.resolve(r));
    worker.on('error', (e) => pending?.reject(e));
    helpers.push({
      step: (weights) =>
        new Promise((resolve, reject) => {
          pending = { resolve, reject };
          worker.postMessage(weights);
        }),
      stop: () => worker.terminate(),
    });
  }
  return helpers;
}
