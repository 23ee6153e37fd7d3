/**
 * ar at effort 3: the registry codes with the effort sibling models/ar/photo-opinions, whose nets are
 * models/ar/photo-wide6's (three hidden layers of 256 units, model.json version 4: an output shift, and
 * every net with context 3's far window), through routes 16 and 17 (second opinions: ar-opinions.test.ts;
 * photo-wide6 alone wrote routes 13 and 14 before). photo-wide6, and the retired wide models (models/ar/photo-wide, photo-wide2:
 * version 2; photo-wide3, photo-wide4: version 3; photo-wide5: version 4, two hidden layers), are what their
 * committed float nets freeze to; files name the sibling's hash and decode without an option, alone, in
 * archives, on worker threads; a model file with a bad output shift is refused.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { modelHashMatches, readContainer } from '../codec/index.js';
import { BAND_ROWS } from '../models/ar/model.js';
import { freezeLayers, outputShiftFor, trainAr, type FloatNetsFile } from '../models/ar/train/train.js';
import { compress, compressArchive, decompress, decompressArchive, effortOfFile, loadModel, setTileThreads, startPartWorkers, verify } from '../src/index.js';
import { decodeImage } from '../src/image.js';
import { FIXTURES, fixture } from './helpers.js';

const WIDE_DIR = new URL('../models/ar/photo-wide6/', import.meta.url).pathname;
const wideFile = (dir = WIDE_DIR) => JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
/** Each wide model directory and the float nets (models/ar/train/gpu/) it was frozen from. */
const WIDE_MODELS = [
  { name: 'photo-wide6', dir: WIDE_DIR, floatNets: 'wide6-256x256x256-float.json.gz', version: 4, inputs: [46, 63, 80], hidden: [256, 256, 256] },
  { name: 'photo-wide5 (retired)', dir: new URL('../models/ar/photo-wide5/', import.meta.url).pathname, floatNets: 'wide5-256x256-float.json.gz', version: 4, inputs: [46, 63, 80] },
  { name: 'photo-wide4 (retired)', dir: new URL('../models/ar/photo-wide4/', import.meta.url).pathname, floatNets: 'wide4-256x256-float.json.gz', version: 3, inputs: [46, 33, 50] },
  { name: 'photo-wide3 (retired)', dir: new URL('../models/ar/photo-wide3/', import.meta.url).pathname, floatNets: 'wide3-256x256-float.json.gz', version: 3, inputs: [46, 33, 50] },
  { name: 'photo-wide2 (retired)', dir: new URL('../models/ar/photo-wide2/', import.meta.url).pathname, floatNets: 'wide2-256x256-float.json.gz', version: 2, inputs: [16, 33, 50] },
  { name: 'photo-wide (retired)', dir: new URL('../models/ar/photo-wide/', import.meta.url).pathname, floatNets: 'wide-256x256-float.json.gz', version: 2, inputs: [16, 33, 50] },
];

async function pixels(bytes: Uint8Array): Promise<Uint8Array> {
  const im = await decodeImage(bytes);
  if ('unsupported' in im) throw new Error('not decodable');
  return new Uint8Array(im.samples.buffer, im.samples.byteOffset, im.samples.byteLength);
}

describe('ar at effort 3: the wide nets (models/ar/photo-wide6)', () => {
  afterAll(() => setTileThreads(1));

  it.each(WIDE_MODELS)('$name is its committed float nets ($floatNets) frozen at output shift 2: model.json version $version, hidden layers of 256 units', ({ dir, floatNets, version, inputs, hidden = [256, 256] }) => {
    const file = wideFile(dir);
    expect(file.version).toBe(version);
    expect(file.context).toBe(version === 4 ? 3 : version === 3 ? 2 : undefined);
    expect(file.nets.map((n: { layers: { inputs: number }[] }) => n.layers[0].inputs)).toEqual(inputs);
    expect(file.outputShift).toBe(2);
    const float = JSON.parse(gunzipSync(readFileSync(new URL(`../models/ar/train/gpu/${floatNets}`, import.meta.url))).toString('utf8')) as FloatNetsFile;
    expect(float.nets.length).toBe(3);
    float.nets.forEach((n, k) => {
      const frozen = freezeLayers(n.weights.map((weight, l) => ({ inputs: n.sizes[l], outputs: n.sizes[l + 1], weight, bias: n.biases[l] })), 2);
      expect(frozen.layers.map((l) => l.outputs)).toEqual([...hidden, 5]);
      // As written to model.json (JSON has no -0).
      expect(JSON.stringify(frozen)).toBe(JSON.stringify(file.nets[k]));
    });
  });

  it('photos: the file names the wide model, restores bit-exact without an option, and is smaller than effort 2', async () => {
    const [current, wide] = [await loadModel('ar'), await loadModel('ar', 3)];
    expect(modelHashMatches(wide.hash, current.hash)).toBe(false);
    for (const name of ['photo-300x72.png', 'grey-67x53.png']) {
      const input = fixture(name);
      const e2 = await compress(input, { effort: 2 });
      const e3 = await compress(input, { effort: 3 });
      const c = readContainer(e3);
      expect(modelHashMatches(wide.hash, c.modelHash)).toBe(true);
      expect(c.payload[0]).toBe(18);
      expect(e3.length).toBeLessThan(e2.length);
      const back = await decompress(e3);
      expect(Buffer.from(await pixels(back.data)).equals(Buffer.from(await pixels(input)))).toBe(true);
    }
    const report = await verify(fixture('photo-300x72.png'), { effort: 3 });
    expect(report.overheadPct).toBeGreaterThanOrEqual(0);
    expect(report.overheadPct).toBeLessThan(0.5);
  });

  it('effortOfFile tells the effort a file was written at (the page re-codes its heatmap with it)', async () => {
    const photo = fixture('photo-300x72.png');
    for (const effort of [1, 2, 3]) expect(await effortOfFile(await compress(photo, { effort }))).toBe(effort);
    // RGBA: route 7 with the mixer's colour body; other models; older files: by their routes, and the
    // retired wide models' by the effort they served (retiredEfforts).
    expect(await effortOfFile(await compress(fixture('rgba-53x31.png'), { effort: 2 }))).toBe(2);
    expect(await effortOfFile(await compress(photo, { model: 'baseline' }))).toBe(1);
    const older = (golden: string) => readFileSync(new URL(`golden/older/${golden}`, import.meta.url));
    expect(await effortOfFile(older('ar-mixer1/effort2/grey-67x53.png.flz'))).toBe(2);
    expect(await effortOfFile(older('ar-photo-wide1/photo-300x72.png.flz'))).toBe(3);
    expect(await effortOfFile(older('ar-mixer1/effort3/grey-67x53.png.flz'))).toBe(3);
    expect(await effortOfFile(older('ar-mixer2/effort3/grey-67x53.png.flz'))).toBe(3);
  });

  it('an archive at effort 3 (a photo and an RGBA image) names the wide model and restores every member', async () => {
    const members = ['photo-300x72.png', 'rgba-53x31.png'].map((name) => ({ name, bytes: fixture(name) }));
    const { bytes } = await compressArchive(members, { effort: 3 });
    const wide = await loadModel('ar', 3);
    expect(modelHashMatches(wide.hash, readContainer(bytes).modelHash)).toBe(true);
    const { members: restored } = await decompressArchive(bytes);
    expect(restored.length).toBe(2);
    for (const [i, m] of restored.entries()) expect(Buffer.from(await pixels(m.data)).equals(Buffer.from(await pixels(members[i].bytes)))).toBe(true);
    // Each member tells the model and effort it was coded with (the page re-codes its heatmap so).
    expect([restored[0].method, restored[0].model, restored[0].effort]).toEqual(['payload', 'ar', 3]);
    for (const m of restored) if (m.model === 'ar') expect(m.effort).toBe(3);
    for (const effort of [1, 2]) {
      const { members: made } = await decompressArchive((await compressArchive([{ name: 'grey.png', bytes: fixture('grey-67x53.png') }], { effort })).bytes);
      expect([made[0].method, made[0].model, made[0].effort]).toEqual(['payload', 'ar', effort]);
    }
  });

  it('images taller than a band: worker threads (which load the wide model by its folder) give the bytes of one thread', async () => {
    const photo = await pixels(fixture('photo-300x72.png'));
    const height = BAND_ROWS + 37;
    const width = 24;
    const data = new Uint8Array(height * width * 3);
    for (let y = 0; y < height; y++) data.set(photo.subarray(((y % 72) * 300 + (y % 5) * 40) * 3, ((y % 72) * 300 + (y % 5) * 40 + width) * 3), y * width * 3);
    const layout = { height, width, channels: 3, dtype: 'uint8' as const };
    const wide = await loadModel('ar', 3);
    const payloads: Uint8Array[] = [];
    for (const threads of [1, 2]) {
      setTileThreads(threads);
      if (threads === 2) startPartWorkers();
      const { payload } = await wide.encode(data, layout, undefined, { effort: 3, floatBits: false });
      payloads.push(payload);
      const out = new Uint8Array(data.length);
      await wide.decode(payload, layout, out);
      expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
    }
    expect(Buffer.from(payloads[0]).equals(Buffer.from(payloads[1]))).toBe(true);
  }, 60_000);

  it('the trainer starts from it (--init, three layers of 256 units, context 3): thawed at its output shift, a step at a tiny rate gives back its integer nets within 1', async () => {
    const out = mkdtempSync(join(tmpdir(), 'flowzip-wide-init-'));
    try {
      const file = await trainAr({ data: [FIXTURES + 'photo-rgb.png', FIXTURES + 'grey-67x53.png'], out, steps: 1, samplesPerImage: 500, hidden: [256, 256, 256], batch: 64, learningRate: 1e-12, mixture: true, init: WIDE_DIR });
      // Context 3 carries over: every net keeps its far window's inputs, so the file is version 4.
      expect(file.version).toBe(4);
      expect(file.context).toBe(3);
      expect(file.outputShift).toBe(outputShiftFor([256, 256, 256]));
      const wide = wideFile();
      file.nets.forEach((net, k) =>
        net.layers.forEach((layer, l) => {
          const from = wide.nets[k].layers[l];
          for (let i = 0; i < layer.weight.length; i++) expect(Math.abs(layer.weight[i] - from.weight[i])).toBeLessThanOrEqual(1);
          for (let i = 0; i < layer.bias.length; i++) expect(Math.abs(layer.bias[i] - from.bias[i])).toBeLessThanOrEqual(1);
        }),
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);

  it('a model file with an output shift out of range, or one in a version 1 file, is MODEL_MISMATCH', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowzip-wide-'));
    try {
      for (const [i, forge] of [(f: Record<string, unknown>) => (f.outputShift = 9), (f: Record<string, unknown>) => (f.outputShift = -1), (f: Record<string, unknown>) => (f.version = 1)].entries()) {
        const file = wideFile();
        forge(file);
        const sub = join(dir, `m${i}`);
        mkdirSync(sub);
        writeFileSync(join(sub, 'model.json'), JSON.stringify(file));
        await expect(loadModel(sub)).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
