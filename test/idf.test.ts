/**
 * The learned IDF: a tiny model trained here for a few steps (training code runs in CI), then the
 * deterministic coding path on real images: round trips (odd sizes, every route), float vs integer
 * bits, and cross-backend decoding (cpu <-> wasm) in separate processes with the shipped model.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Message } from '../codec/index.js';
import { encodeBaseline } from '../models/shared/baseline-coder.js';
import { loadBaselineTables } from '../models/shared/baseline-tables.js';
import { idfForward } from '../models/shared/multiscale/train/flow.js';
import { loadCheckpoint, train } from '../models/shared/multiscale/train/train.js';
import sharp from 'sharp';
import { compressWithReport, decompress, loadModel, setTileThreads } from '../src/index.js';
import { useBackend } from '../src/train.js';
import { decodeImage } from '../src/image.js';
import { FIXTURES, fixture } from './helpers.js';
import { trainTinyFlow } from './tiny-model.js';

const SHIPPED = fileURLToPath(new URL('../models/idf/rgb', import.meta.url));
let tiny: string;

beforeAll(async () => {
  await useBackend('wasm');
  tiny = await trainTinyFlow();
}, 120_000);

async function samplesOf(bytes: Uint8Array): Promise<Int32Array> {
  const d = await decodeImage(bytes);
  if ('unsupported' in d) throw new Error(d.unsupported);
  return d.samples;
}

describe('IDF training', () => {
  it('writes a checkpoint, a log and an exported integer model', () => {
    for (const f of ['checkpoint.json', 'checkpoint.bin', 'train.log', 'model.json', 'weights.bin']) expect(existsSync(join(tiny, f))).toBe(true);
    const log = readFileSync(join(tiny, 'train.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.some((r) => r.event === 'checkpoint' && r.step === 3 && Number.isFinite(r.validationBpd))).toBe(true);
  });

  it('resumes from its checkpoint, with a data-parallel helper thread', async () => {
    await train({ data: [FIXTURES + 'photo-rgb.png'], out: tiny, steps: 4, batch: 2, crop: 16, workers: 2 });
    const log = readFileSync(join(tiny, 'train.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.some((r) => r.event === 'resume' && r.step === 3)).toBe(true);
    expect(log.at(-1).step).toBe(4);
  }, 120_000);
});

describe('IDF coding', () => {
  for (const name of ['photo-rgb.png', 'rgb-37x29.png', 'rgb-41x1.png', 'grey-67x53.png', 'rgba-53x31.png', 'fits-rgb16.png']) {
    it(`${name}: round trip is pixel-exact (tiny model)`, async () => {
      const input = fixture(name);
      const { bytes, report } = await compressWithReport(input, { model: tiny, forceModel: true });
      expect(report.codedBits).toBeLessThanOrEqual(report.modelBits * 1.005 + 64 * 4 + 8);
      const restored = await decompress(bytes, { model: tiny });
      expect(await samplesOf(restored.data)).toEqual(await samplesOf(input));
    });
  }

  it('tiles coded on worker threads give the same bytes as on one thread', async () => {
    const big = new Uint8Array(await sharp(Buffer.from(fixture('photo-rgb.png'))).resize(530, 520).png().toBuffer());
    setTileThreads(1);
    const one = await compressWithReport(big, { model: tiny, forceModel: true });
    setTileThreads(2);
    const two = await compressWithReport(big, { model: tiny, forceModel: true });
    expect(Buffer.from(two.bytes).equals(Buffer.from(one.bytes))).toBe(true);
    const restored = await decompress(two.bytes, { model: tiny });
    expect(await samplesOf(restored.data)).toEqual(await samplesOf(big));
    setTileThreads(1);
  }, 120_000);

  it('a payload from another model is rejected', async () => {
    const { bytes } = await compressWithReport(fixture('photo-rgb.png'), { model: tiny, forceModel: true });
    await expect(decompress(bytes)).rejects.toThrow(/--model/);
  });
});

describe.skipIf(!existsSync(join(SHIPPED, 'checkpoint.json')))('shipped IDF', () => {
  it("float and integer models' bits differ by less than 2% (shipped model and its checkpoint)", async () => {
    const { model } = (await loadCheckpoint(SHIPPED))!;
    const image = await decodeImage(fixture('photo-rgb.png'));
    if ('unsupported' in image) throw new Error('fixture');
    const x = tf.tensor4d(Float32Array.from(image.samples, (v) => v - 128), [1, image.height, image.width, 3]);
    const out = idfForward(model, x);
    const top = Int32Array.from(out.top.dataSync());
    const [, th, tw] = out.top.shape;
    const topBits = encodeBaseline(loadBaselineTables(), new Message(), top, { height: th, width: tw, channels: 3 });
    const floatBits = out.priorBits.dataSync()[0] + topBits;
    const integer = await loadModel(SHIPPED);
    const { modelBits } = await integer.encode(image.samples, { height: image.height, width: image.width, channels: 3, dtype: 'uint8' });
    expect(Math.abs(modelBits - floatBits) / floatBits).toBeLessThan(0.02);
  });

});

