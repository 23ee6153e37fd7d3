// The train split's RGB photos as raw bytes for context.py (an off-machine experiment): data/images.bin
// (H x W x 3 uint8 each, back to back) and data/images.json (name, height, width, offset, heldOut: the
// trainer's split). Run from the repository root after `npm run build`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadImages, splitHeldOut } from '../../../../dist/models/shared/train-data.js';
const dirs = ['../shared/data/corpus/photos-ds/train', '../shared/data/corpus/photos-full/train'];
const images = await loadImages(dirs, 32, 3);
const { validation } = splitHeldOut(images);
const held = new Set(validation.map((im) => im.name));
mkdirSync('models/ar/train/gpu/data', { recursive: true });
let offset = 0;
const index = images.map((im) => {
  const entry = { name: im.name.split('/').slice(-3).join('/'), height: im.height, width: im.width, offset, heldOut: held.has(im.name) };
  offset += im.pixels.length;
  return entry;
});
const all = new Uint8Array(offset);
images.forEach((im, i) => all.set(im.pixels, index[i].offset));
writeFileSync('models/ar/train/gpu/data/images.bin', all);
writeFileSync('models/ar/train/gpu/data/images.json', JSON.stringify(index, null, 1));
console.log(images.length, 'images', validation.length, 'held out', offset, 'bytes');
