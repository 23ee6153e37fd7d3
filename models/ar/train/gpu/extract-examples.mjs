// Examples of the ar net's inputs (features) and targets (x - p0) for an off-machine capacity check.
import { mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { loadImages, splitHeldOut } from '../../../../dist/models/shared/train-data.js';
import { createPlanes, fillPlanes, contextOf, featureCount } from '../../../../dist/models/ar/context.js';
import { buildNpy } from '../../../../dist/src/npy.js';
import { seededRandom } from '../../../../dist/models/shared/random.js';
const dirs = ['../shared/data/corpus/photos-ds/train', '../shared/data/corpus/photos-full/train'];
const images = await loadImages(dirs, 32, 3);
const { train, validation } = splitHeldOut(images);
const order = [1, 0, 2];
mkdirSync('models/ar/train/gpu/data', { recursive: true });
function collect(list, k, perImage, seed) {
  const d = featureCount(k), rand = seededRandom(seed);
  const feats = [], res = [];
  for (const im of list) {
    const n = im.width * im.height, keep = Math.min(1, perImage / n);
    const planes = createPlanes(im.pixels, im.height, im.width, 3);
    fillPlanes(planes);
    const row = new Float64Array(d);
    for (let pos = 0; pos < n; pos++) {
      if (rand() >= keep) continue;
      const y = Math.floor(pos / im.width), x = pos % im.width;
      const p0 = contextOf(planes, order, y, x, k, row);
      for (let i = 0; i < d; i++) feats.push(row[i]);
      res.push(im.pixels[pos * 3 + order[k]] - p0);
    }
  }
  return { f: Int16Array.from(feats), r: Int16Array.from(res), d };
}
for (const k of [0, 2]) {
  for (const [name, list, per] of [['train', train, 20000], ['val', validation, 8000]]) {
    const { f, r, d } = collect(list, k, per, 7 + k);
    writeFileSync(`models/ar/train/gpu/data/k${k}-${name}-x.npy.gz`, gzipSync(buildNpy(f, 'int16', [r.length, d]), { level: 6 }));
    writeFileSync(`models/ar/train/gpu/data/k${k}-${name}-y.npy.gz`, gzipSync(buildNpy(r, 'int16', [r.length]), { level: 6 }));
    console.log(k, name, r.length, d);
  }
}
