/**
 * Data-parallel training helper (worker thread): holds a replica of the model, and for each message
 * (current weights) returns the gradient of the mean bits/dim on its own random crops.
 */
import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { useBackend } from '../../backend.js';
import { dequantize, loadImages, randomCrops, seededRandom, splitHeldOut } from '../../train-data.js';
import { createIdf, idfForward, idfVariables, type IdfConfig } from './flow.js';

interface Setup {
  data: string[];
  config: IdfConfig;
  batch: number;
  crop: number;
  seed: number;
}

const setup = workerData as Setup;
await useBackend('wasm');
const images = await loadImages(setup.data, setup.crop, setup.config.channels);
const { train: trainSet } = splitHeldOut(images);
const model = createIdf(setup.config);
const variables = idfVariables(model);
const rand = seededRandom(setup.seed);
const dims = setup.batch * setup.crop * setup.crop * setup.config.channels;

parentPort!.on('message', (weights: Float32Array) => {
  let offset = 0;
  for (const v of variables) {
    v.assign(tf.tensor(weights.subarray(offset, offset + v.size), v.shape));
    offset += v.size;
  }
  const x = tf.tensor4d(dequantize(randomCrops(trainSet, setup.batch, setup.crop, rand, setup.config.channels), setup.config.fractionBits ?? 0, rand), [setup.batch, setup.crop, setup.crop, setup.config.channels]);
  const { value, grads } = tf.variableGrads(() => tf.div(idfForward(model, x).bits.sum(), dims) as tf.Scalar, variables);
  const flat = new Float32Array(weights.length);
  offset = 0;
  for (const v of variables) {
    flat.set(grads[v.name].dataSync() as Float32Array, offset);
    offset += v.size;
  }
  const loss = value.dataSync()[0];
  tf.dispose([x, value, ...Object.values(grads)]);
  parentPort!.postMessage({ loss, grads: flat }, [flat.buffer]);
});
parentPort!.postMessage({ ready: true });
