/** Training data for the IDF: RGB 8-bit images (files or directories of them), random crops. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fail } from '../../codec/index.js';
import { join } from 'node:path';
import sharp, { type Metadata } from 'sharp';

export interface TrainImage {
  name: string;
  width: number;
  height: number;
  /** RGB, 8-bit, interleaved. */
  pixels: Uint8Array;
}

function listImages(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) fail('BAD_INPUT', `training data ${p}: no such file or directory`);
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) if (/\.(png|jpe?g|webp|tiff?)$/i.test(f)) out.push(join(p, f));
    } else out.push(p);
  }
  return out;
}

/** Load RGB images with at least `minSize` pixels on each side; grey and 16-bit images are skipped. */
export async function loadImages(paths: string[], minSize: number, channels = 3): Promise<TrainImage[]> {
  const images: TrainImage[] = [];
  for (const file of listImages(paths)) {
    let meta: Metadata;
    try {
      meta = await sharp(readFileSync(file)).metadata();
    } catch (e) {
      fail('BAD_INPUT', `training image ${file}: ${(e as Error).message}`);
    }
    if (meta.depth !== 'uchar' || (channels === 3 ? (meta.channels ?? 0) < 3 : meta.channels !== 1)) continue;
    const { data, info } = await sharp(readFileSync(file))
      .removeAlpha()
      .toColourspace(channels === 3 ? 'srgb' : 'b-w')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.width < minSize || info.height < minSize || info.channels !== channels) continue;
    images.push({ name: file, width: info.width, height: info.height, pixels: new Uint8Array(data) });
  }
  return images;
}

/** Deterministic split by file name: about 1 in `every` images is held out for validation. */
export function splitHeldOut(images: TrainImage[], every = 8): { train: TrainImage[]; validation: TrainImage[] } {
  const hash = (s: string) => [...s].reduce((h, ch) => (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0, 7);
  const validation = images.filter((im) => hash(im.name) % every === 0);
  const train = images.filter((im) => hash(im.name) % every !== 0);
  return validation.length > 0 && train.length > 0 ? { train, validation } : { train: images, validation: images.slice(0, 1) };
}

/** A batch of random crops (centered: value - 128), random horizontal flips. */
export function randomCrops(images: TrainImage[], count: number, size: number, rand: () => number, channels = 3): Float32Array {
  const out = new Float32Array(count * size * size * channels);
  for (let n = 0; n < count; n++) {
    const im = images[Math.floor(rand() * images.length)];
    const x0 = Math.floor(rand() * (im.width - size + 1));
    const y0 = Math.floor(rand() * (im.height - size + 1));
    const flip = rand() < 0.5;
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const sx = x0 + (flip ? size - 1 - x : x);
        for (let c = 0; c < channels; c++)
          out[((n * size + y) * size + x) * channels + c] = im.pixels[((y0 + y) * im.width + sx) * channels + c] - 128;
      }
  }
  return out;
}

export { seededRandom } from './random.js';

/**
 * Uniform dequantization noise on the 2^-k grid, in place: x -> x + u, u in {0, 1/2^k, ..., 1 - 1/2^k}.
 * What a fixed-point flow is trained on (and what its coder pops from the message).
 */
export function dequantize(values: Float32Array, fractionBits: number, rand: () => number): Float32Array {
  if (fractionBits > 0) {
    const steps = 2 ** fractionBits;
    for (let i = 0; i < values.length; i++) values[i] += Math.floor(rand() * steps) / steps;
  }
  return values;
}
