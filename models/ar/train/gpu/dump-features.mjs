// contextOf's features and targets for every pixel of image i of data/images.json (each coded channel),
// for check-features.py: node models/ar/train/gpu/dump-features.mjs 2 [context] (after export-images.mjs;
// context 2 writes feat-<i>-<k>-far.bin, context 3 feat-<i>-<k>-far3.bin).
import { readFileSync, writeFileSync } from 'node:fs';
import { createPlanes, fillPlanes, contextOf, featureCount } from '../../../../dist/models/ar/context.js';
const idx = JSON.parse(readFileSync('models/ar/train/gpu/data/images.json', 'utf8'));
const bin = readFileSync('models/ar/train/gpu/data/images.bin');
const i = Number(process.argv[2]);
const context = Number(process.argv[3] ?? 1);
const e = idx[i];
const px = new Uint8Array(bin.buffer, bin.byteOffset + e.offset, e.height * e.width * e.channels);
const planes = createPlanes(px, e.height, e.width, e.channels); fillPlanes(planes);
const order = e.channels === 3 ? [1, 0, 2] : [0];
for (let k = 0; k < e.channels; k++) {
  const d = featureCount(k, context); const out = new Int16Array(e.height * e.width * (d + 1)); const row = new Float64Array(d);
  for (let y = 0; y < e.height; y++) for (let x = 0; x < e.width; x++) {
    const p0 = contextOf(planes, order, y, x, k, row, context); const at = (y * e.width + x) * (d + 1);
    for (let f = 0; f < d; f++) out[at + f] = row[f]; out[at + d] = px[(y * e.width + x) * e.channels + order[k]] - p0;
  }
  writeFileSync(`models/ar/train/gpu/data/feat-${i}-${k}${context === 2 ? '-far' : context === 3 ? '-far3' : ''}.bin`, out);
}
console.log(e);
