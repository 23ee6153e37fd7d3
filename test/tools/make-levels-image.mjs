// Writes fixtures/retina-levels-102x102.png (run on purpose only): skimage's microaneurysms retina photo
// (corpus photos-full train split) as it is, a real 8-bit grey image that uses 50 of the 92 levels in its range.
//   node test/tools/make-levels-image.mjs
import sharp from 'sharp';
import { fileURLToPath } from 'node:url';
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
await sharp(here('../../../shared/data/corpus/photos-full/train/skimage_microaneurysms.png'))
  .toColourspace('b-w')
  .png({ compressionLevel: 9 })
  .toFile(here('../../fixtures/retina-levels-102x102.png'));
