// Regenerates fixtures/*.png|jpg from the real-image corpus (train split). Run on purpose only:
//   node test/tools/make-images.mjs
import sharp from 'sharp';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const corpus = here('../../../shared/data/corpus/');
const out = here('../../fixtures/');
const photo = corpus + 'photos-ds/train/';
const full = corpus + 'photos-full/train/';

const npy = (path) => {
  const b = readFileSync(path);
  const hl = b.readUInt16LE(8);
  const header = b.subarray(10, 10 + hl).toString('latin1');
  const shape = /'shape': \(([^)]*)\)/.exec(header)[1].split(',').filter((s) => s.trim()).map(Number);
  return { shape, data: new Uint16Array(b.buffer.slice(b.byteOffset + 10 + hl, b.byteOffset + b.length)) };
};
const crop = (src, left, top, width, height) => sharp(src).extract({ left, top, width, height });
const first = (await import('node:fs')).readdirSync(photo).sort();

await crop(photo + first[6], 60, 40, 37, 29).toColourspace('srgb').png().toFile(out + 'rgb-37x29.png');
await crop(photo + first[0], 40, 30, 96, 64).toColourspace('srgb').png({ compressionLevel: 9 }).toFile(out + 'photo-rgb.png');
// Two 256-pixel tiles wide (the fixed-point flow's chain: tile 0 bootstraps, tile 1 rides on it).
await crop(photo + first[7], 0, 40, 300, 72).toColourspace('srgb').png({ compressionLevel: 9 }).toFile(out + 'photo-300x72.png');
await crop(photo + first[1], 10, 10, 67, 53).toColourspace('b-w').png().toFile(out + 'grey-67x53.png');
await crop(photo + first[2], 0, 0, 1, 1).png().toFile(out + 'rgb-1x1.png');
await crop(photo + first[2], 0, 20, 41, 1).png().toFile(out + 'rgb-41x1.png');
await crop(photo + first[2], 20, 0, 1, 37).toColourspace('b-w').png().toFile(out + 'grey-1x37.png');
await crop(photo + first[3], 5, 5, 64, 48).jpeg({ quality: 90 }).toFile(out + 'photo.jpg');
// Alpha: a real second image's luminance as the alpha channel.
const alpha = await crop(photo + first[4], 0, 0, 53, 31).toColourspace('b-w').raw().toBuffer();
await crop(photo + first[5], 0, 0, 53, 31).joinChannel(alpha, { raw: { width: 53, height: 31, channels: 1 } })
  .png().toFile(out + 'rgba-53x31.png');
const g = await crop(photo + first[5], 0, 0, 53, 31).toColourspace('b-w').raw().toBuffer();
const ga = Buffer.alloc(53 * 31 * 2);
for (let i = 0; i < 53 * 31; i++) { ga[2 * i] = g[i]; ga[2 * i + 1] = alpha[i]; }
await sharp(ga, { raw: { width: 53, height: 31, channels: 2 } }).toColourspace('b-w').png().toFile(out + 'grey-alpha-53x31.png');
// 16-bit: a real depth map (grey16) and three astronomy planes as RGB16.
const depth = npy(corpus + 'arrays/train/visp_depth_castel_0001.npy');
const dw = depth.shape[1];
const d = new Uint16Array(48 * 71);
for (let y = 0; y < 48; y++) for (let x = 0; x < 71; x++) d[y * 71 + x] = depth.data[(200 + y) * dw + 300 + x];
await sharp(d, { raw: { width: 71, height: 48, channels: 1 } }).toColourspace('grey16').png().toFile(out + 'depth-grey16.png');
const fits = npy(corpus + 'arrays/train/skimage_fits_ngc1068.npy'); // 3 x 288 x 132
const [, fh, fw] = fits.shape;
const rgb = new Uint16Array(40 * 59 * 3);
for (let y = 0; y < 40; y++) for (let x = 0; x < 59; x++) for (let c = 0; c < 3; c++)
  rgb[(y * 59 + x) * 3 + c] = fits.data[c * fh * fw + (100 + y) * fw + 30 + x];
await sharp(rgb, { raw: { width: 59, height: 40, channels: 3 } }).toColourspace('rgb16').png().toFile(out + 'fits-rgb16.png');
console.log('done');
