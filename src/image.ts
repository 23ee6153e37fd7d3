/**
 * Images through sharp: decode to integer samples (8- or 16-bit; grey, grey+alpha, RGB, RGBA) and
 * restore as PNG. Colourspace and depth are always set explicitly: left alone, sharp decodes 16-bit
 * PNGs as 8-bit and grey as RGB. An embedded ICC profile is kept as it is: pixel values are not
 * converted on decode, and the profile is written back into the restored PNG (iCCP chunk).
 */
import type { Metadata, OutputInfo, default as Sharp } from 'sharp';
import { deflateSync } from 'node:zlib';

import { heatmapRgb, insertIccChunk } from './image-samples.js';

export { imageSampleBytes } from './image-samples.js';

/** Raster formats coded as images; anything else (SVG, PDF, multi-page files...) is coded as bytes. */
const RASTER_FORMATS = new Set(['png', 'jpeg', 'webp', 'tiff', 'gif', 'avif', 'heif', 'jp2', 'jxl']);
const SPACES = new Set(['srgb', 'rgb', 'b-w', 'grey16', 'rgb16']);

export interface DecodedImage {
  width: number;
  height: number;
  channels: number;
  bitDepth: 8 | 16;
  format: string;
  icc?: Uint8Array;
  /** Samples in raster order, channels interleaved. */
  samples: Uint8Array | Uint16Array;
}

let loaded: Promise<typeof Sharp> | undefined;

/** sharp, loaded on first use (decoding a non-image file needs no image library). */
function sharpLibrary(): Promise<typeof Sharp> {
  return (loaded ??= import('sharp').then(({ default: sharp }) => {
    sharp.cache(false);
    return sharp;
  }));
}

/** Decode an image, or return a reason why it cannot be coded as one (then it is coded as bytes). */
export async function decodeImage(bytes: Uint8Array, maxPixels: number | false = false): Promise<DecodedImage | { unsupported: string }> {
  const sharp = await sharpLibrary();
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: maxPixels }).metadata();
  } catch {
    return { unsupported: 'not an image sharp can read' };
  }
  const { format, width, height, channels, depth, space } = meta;
  if (!format || !RASTER_FORMATS.has(format)) return { unsupported: `format ${format ?? 'unknown'}` };
  if ((meta.pages ?? 1) > 1) return { unsupported: 'multi-page image' };
  if (!width || !height || !channels || channels > 4) return { unsupported: 'unsupported channel layout' };
  if (maxPixels !== false && width * height > maxPixels) return { unsupported: `${width}x${height} pixels, above the pixel limit (--max-pixels)` };
  if (!space || !SPACES.has(space)) return { unsupported: `colour space ${space}` };
  const bitDepth = depth === 'ushort' ? 16 : depth === 'uchar' ? 8 : 0;
  if (bitDepth === 0) return { unsupported: `sample depth ${depth}` };
  const space16 = channels <= 2 ? 'grey16' : 'rgb16';
  const space8 = channels <= 2 ? 'b-w' : 'srgb';
  const depthName = bitDepth === 16 ? 'ushort' : 'uchar';
  // Grey+alpha: sharp's 8-bit grey conversion drops alpha, so each band is read on its own.
  const bands: (0 | 1 | undefined)[] = channels === 2 ? [0, 1] : [undefined];
  const planes: Buffer[] = [];
  for (const band of bands) {
    let pipeline = sharp(bytes, { limitInputPixels: maxPixels });
    if (meta.icc) pipeline = pipeline.keepIccProfile();
    if (band !== undefined) pipeline = pipeline.extractChannel(band);
    pipeline = pipeline.toColourspace(bitDepth === 16 ? space16 : space8);
    let info: OutputInfo;
    let data: Buffer;
    try {
      ({ data, info } = await pipeline.raw({ depth: depthName }).toBuffer({ resolveWithObject: true }));
    } catch (e) {
      return { unsupported: `decode failed (${(e as Error).message})` };
    }
    const want = band === undefined ? channels : 1;
    if (info.channels !== want || info.width !== width || info.height !== height)
      return { unsupported: `decoded as ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x${want}` };
    planes.push(data);
  }
  const data = planes.length === 1 ? planes[0] : interleave(planes, bitDepth === 16 ? 2 : 1);
  // Views of sharp's buffer (raw 16-bit output is in the host's byte order): no copy.
  const samples = bitDepth === 16 ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : new Uint8Array(data.buffer, data.byteOffset, data.length);
  return { width, height, channels, bitDepth, format, icc: meta.icc ? new Uint8Array(meta.icc) : undefined, samples };
}

/** Encode samples as a PNG (zlib level 6: restoring should be fast; `flowzip compress` again for size), with the ICC profile when there was one. */
export async function encodePng(
  image: Pick<DecodedImage, 'width' | 'height' | 'channels' | 'bitDepth' | 'icc'>,
  samples: ArrayLike<number>,
): Promise<Uint8Array> {
  const { width, height, channels, bitDepth } = image;
  const sharp = await sharpLibrary();
  const raw = bitDepth === 16 ? (samples instanceof Uint16Array ? samples : Uint16Array.from(samples)) : samples instanceof Uint8Array ? samples : Uint8Array.from(samples);
  const grey = channels <= 2;
  const png = await sharp(raw, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 }, limitInputPixels: false })
    .toColourspace(bitDepth === 16 ? (grey ? 'grey16' : 'rgb16') : grey ? 'b-w' : 'srgb')
    // Adaptive row filters, as libpng writes by default: sharp's default (none) made photos' PNGs ~1.65x larger.
    .png({ compressionLevel: 6, adaptiveFiltering: true })
    .toBuffer();
  const bytes = new Uint8Array(png.buffer, png.byteOffset, png.length);
  return image.icc ? insertIccChunk(bytes, image.icc, deflateSync) : bytes;
}

/** Interleave single-band raw buffers (bytesPerSample each) into one multi-band buffer. */
function interleave(planes: Buffer[], bytesPerSample: number): Buffer {
  const bands = planes.length;
  const pixels = planes[0].length / bytesPerSample;
  const out = Buffer.alloc(planes[0].length * bands);
  for (let i = 0; i < pixels; i++)
    for (let b = 0; b < bands; b++)
      for (let k = 0; k < bytesPerSample; k++) out[(i * bands + b) * bytesPerSample + k] = planes[b][i * bytesPerSample + k];
  return out;
}

/**
 * A heatmap PNG of bits per pixel: black (0) through red and yellow to white (the 99th percentile or
 * more), so that a glance shows where the file's bits go.
 */
export async function renderHeatmap(bits: Float32Array, width: number, height: number): Promise<Uint8Array> {
  const sharp = await sharpLibrary();
  const rgb = heatmapRgb(bits);
  return new Uint8Array(await sharp(rgb, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 6, adaptiveFiltering: true }).toBuffer());
}
