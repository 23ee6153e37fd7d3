// Test images for the layouts photos do not come in, made from the corpus' test split (for the bench,
// not for training; nothing here is committed except this script):
//   rgba/        photos-full/test RGB photos with an alpha matte,
//   grey-alpha/  photos-full/test grey photos with an alpha matte,
//   grey16/      the 16-bit depth frames of arrays/test (a real 16-bit source) as 16-bit grey PNGs.
// The matte cuts the main object out of its background the way a product photo's is: pixels whose
// colour is far (mean |difference| > 28) from the median colour of the image border, that mask smoothed
// (Gaussian sigma 10) and thresholded at half, then feathered (sigma 1.2) for soft edges. The colour
// under fully transparent pixels is kept (lossless coders must restore it).
//   node test/tools/make-layout-images.mjs OUT_DIR [CORPUS_DIR]
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

const [out, corpus = '../shared/data/corpus'] = process.argv.slice(2);
if (!out) throw new Error('usage: node test/tools/make-layout-images.mjs OUT_DIR [CORPUS_DIR]');

async function matte(pixels, width, height, channels) {
  const border = [];
  for (let x = 0; x < width; x++) for (const y of [0, 1, height - 2, height - 1]) border.push(y * width + x);
  for (let y = 0; y < height; y++) for (const x of [0, 1, width - 2, width - 1]) border.push(y * width + x);
  const median = [];
  for (let c = 0; c < channels; c++) {
    const values = border.map((i) => pixels[i * channels + c]).sort((a, b) => a - b);
    median.push(values[values.length >> 1]);
  }
  const mask = Buffer.alloc(width * height);
  for (let i = 0; i < width * height; i++) {
    let d = 0;
    for (let c = 0; c < channels; c++) d += Math.abs(pixels[i * channels + c] - median[c]);
    mask[i] = d / channels > 28 ? 255 : 0;
  }
  const raw = { raw: { width, height, channels: 1 } };
  const smooth = (await sharp(mask, raw).blur(10).extractChannel(0).raw().toBuffer()).map((v) => (v >= 128 ? 255 : 0));
  return sharp(Buffer.from(smooth), raw).blur(1.2).extractChannel(0).raw().toBuffer();
}

const photos = join(corpus, 'photos-full/test');
for (const dir of ['rgba', 'grey-alpha', 'grey16']) mkdirSync(join(out, dir), { recursive: true });
for (const file of readdirSync(photos).filter((f) => f.endsWith('.png')).sort()) {
  const path = join(photos, file);
  const { channels } = await sharp(path).metadata();
  const grey = channels === 1;
  const { data, info } = await (grey ? sharp(path).toColourspace('b-w') : sharp(path).removeAlpha()).raw().toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  const c = info.channels;
  const alpha = await matte(data, width, height, c);
  const withAlpha = Buffer.alloc(width * height * (c + 1));
  for (let i = 0; i < width * height; i++) {
    for (let k = 0; k < c; k++) withAlpha[i * (c + 1) + k] = data[i * c + k];
    withAlpha[i * (c + 1) + c] = alpha[i];
  }
  let image = sharp(withAlpha, { raw: { width, height, channels: c + 1 } });
  if (grey) image = image.toColourspace('b-w');
  await image.png({ compressionLevel: 9 }).toFile(join(out, grey ? 'grey-alpha' : 'rgba', file));
}

// .npy uint16 depth frames (little-endian, 2-D) as 16-bit grey PNGs.
const arrays = join(corpus, 'arrays/test');
for (const file of readdirSync(arrays).filter((f) => /depth.*\.npy$/.test(f)).sort()) {
  const bytes = readFileSync(join(arrays, file));
  const headerLength = bytes.readUInt16LE(8) + 10;
  const header = bytes.subarray(10, headerLength).toString('latin1');
  const shape = /'shape': \((\d+), (\d+)\)/.exec(header);
  if (!header.includes("'<u2'") || !shape) continue;
  const [height, width] = [Number(shape[1]), Number(shape[2])];
  const values = new Uint16Array(bytes.buffer.slice(bytes.byteOffset + headerLength, bytes.byteOffset + headerLength + 2 * width * height));
  await sharp(values, { raw: { width, height, channels: 1 } }).toColourspace('grey16').png({ compressionLevel: 9 }).toFile(join(out, 'grey16', file.replace('.npy', '.png')));
}
console.log(`made ${out}/rgba, grey-alpha, grey16`);
