// The train split's 8-bit RGB and grey photos as raw bytes for the GPU experiments (context.py,
// wide.py): data/images.bin (H x W x C uint8 each, back to back) and data/images.json (name, height,
// width, channels, offset, heldOut: the trainer's split, made per layout as trainAr does). Run from the
// repository root after `npm run build`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadImages, splitHeldOut } from '../../../../dist/models/shared/train-data.js';
const dirs = ['../shared/data/corpus/photos-ds/train', '../shared/data/corpus/photos-full/train'];
mkdirSync('models/ar/train/gpu/data', { recursive: true });
const index = [];
const parts = [];
let offset = 0;
for (const channels of [3, 1]) {
  const images = await loadImages(dirs, 1, channels);
  const held = new Set(splitHeldOut(images).validation.map((im) => im.name));
  for (const im of images) {
    index.push({ name: im.name.split('/').slice(-3).join('/'), height: im.height, width: im.width, channels, offset, heldOut: held.has(im.name) });
    parts.push(im.pixels);
    offset += im.pixels.length;
  }
}
const all = new Uint8Array(offset);
let at = 0;
for (const p of parts) all.set(p, (at += p.length) - p.length);
writeFileSync('models/ar/train/gpu/data/images.bin', all);
writeFileSync('models/ar/train/gpu/data/images.json', JSON.stringify(index, null, 1));
console.log(index.length, 'images', index.filter((e) => e.heldOut).length, 'held out', offset, 'bytes');
