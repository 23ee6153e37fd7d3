/**
 * Freeze a trained IDF into its integer model: model.json (architecture, grids, provenance) and
 * weights.bin (int32 little-endian: every layer's weights then bias, in model.json's order). The
 * integers are read off the same quantizers the training used, so the shipped model is exactly the
 * trained one. The SHA-256 of both files identifies the model in every .flz it writes.
 */
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { writeAtomic } from '../../atomic.js';
import type { Idf } from './flow.js';
import { quantBias, quantWeights, type ConvNet } from './nets.js';
import { ACT_BITS, INPUT_BITS, WEIGHT_BITS } from '../constants.js';
import * as flow from '../constants.js';
import { INTEGER_MODEL_VERSION, type IntegerLayerSpec, type IntegerModelFile } from '../model-file.js';

export { INTEGER_MODEL_VERSION } from '../model-file.js';

function netLayers(prefix: string, net: ConvNet): { spec: IntegerLayerSpec; w: tf.Tensor; b: tf.Tensor }[] {
  return net.layers.map((layer, i) => ({
    spec: { name: `${prefix}/${i}`, shape: layer.w.shape, inputBits: net.inputBits[i] },
    w: tf.round(tf.mul(quantWeights(layer), 2 ** WEIGHT_BITS)),
    b: tf.round(tf.mul(quantBias(layer, net.inputBits[i]), 2 ** (net.inputBits[i] + WEIGHT_BITS))),
  }));
}

export async function exportIntegerModel(model: Idf, dir: string, info: Record<string, unknown>): Promise<void> {
  const entries = [
    ...model.couplings.flatMap((nets, l) => nets.flatMap((n, k) => netLayers(`coupling${l}.${k}`, n))),
    ...model.priors.flatMap((nets, l) => nets.flatMap((n, g) => netLayers(`prior${l}.${g}`, n))),
  ];
  const values: number[] = [];
  for (const e of entries) {
    values.push(...(await e.w.data()), ...(await e.b.data()));
    e.w.dispose();
    e.b.dispose();
  }
  const file: IntegerModelFile = {
    format: 'flowzip-idf',
    version: INTEGER_MODEL_VERSION,
    config: model.config,
    grids: { inputBits: INPUT_BITS, weightBits: WEIGHT_BITS, actBits: ACT_BITS },
    gains: {
      translation: flow.TRANSLATION_GAIN,
      mean: flow.MEAN_GAIN,
      scale: flow.SCALE_GAIN,
      scale0: flow.PRIOR_SCALE_0,
      scaleCount: flow.PRIOR_SCALE_COUNT,
      scaleInit: flow.PRIOR_SCALE_INIT,
      ...(model.config.channelContext ? { alpha: flow.ALPHA_GAIN } : {}),
    },
    layers: entries.map((e) => e.spec),
    info,
  };
  const weights = new Int32Array(values);
  writeAtomic(join(dir, 'weights.bin'), new Uint8Array(weights.buffer));
  writeAtomic(join(dir, 'model.json'), JSON.stringify(file, null, 1));
}
