/**
 * The browser's src/image.ts (the build swaps it in). PNG is decoded by fast-png into exactly the
 * samples sharp gives in Node (the same channels and depth: palettes and colour keys expanded, low
 * bit depths scaled to 8 bits, the ICC profile kept), so a PNG compressed in the page is the same
 * .flz as the CLI's. Other formats go through the browser's own decoder (createImageBitmap, no colour
 * conversion): lossless for what they hold, but a JPEG's pixels may differ from libjpeg's by rounding.
 */
import { decode as decodePngFile, encode as encodePngFile, hasPngSignature, type DecodedPng } from 'fast-png';
import { zlibSync } from 'fflate';
import type { DecodedImage } from '../../src/image.js';

export type { DecodedImage } from '../../src/image.js';
import { heatmapRgb, insertIccChunk } from '../../src/image-samples.js';

export { imageSampleBytes } from '../../src/image-samples.js';

const SIGNATURES: [string, number[]][] = [
  ['jpeg', [0xff, 0xd8, 0xff]],
  ['gif', [0x47, 0x49, 0x46, 0x38]],
  ['webp', [0x52, 0x49, 0x46, 0x46]],
];

function sniff(bytes: Uint8Array): string | undefined {
  if (hasPngSignature(bytes)) return 'png';
  return SIGNATURES.find(([, sig]) => sig.every((b, i) => bytes[i] === b))?.[0];
}

/** Low bit depth samples (1, 2, 4 bits, packed per row) unpacked to one value each. */
function unpackRows(png: DecodedPng, perPixel: number): Uint8Array {
  const { width, height, depth } = png;
  const packed = png.data as Uint8Array;
  const rowBytes = Math.ceil((depth * perPixel * width) / 8);
  const out = new Uint8Array(width * height * perPixel);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++)
    for (let i = 0; i < width * perPixel; i++) {
      const bit = i * depth;
      out[y * width * perPixel + i] = (packed[y * rowBytes + (bit >> 3)] >> (8 - depth - (bit & 7))) & mask;
    }
  return out;
}

/** A decoded PNG as sharp presents it: 1-4 channels of 8 or 16 bits. */
function pngSamples(png: DecodedPng): { channels: number; bitDepth: 8 | 16; samples: Uint8Array | Uint16Array } {
  const { width, height, depth } = png;
  const pixels = width * height;
  const key = png.transparency;
  if (png.palette) {
    const index = depth === 8 ? (png.data as Uint8Array) : unpackRows(png, 1);
    // fast-png appends a tRNS alpha to every palette entry (255 past the chunk's end).
    const alpha = png.palette.some((entry) => entry.length > 3);
    const channels = alpha ? 4 : 3;
    const out = new Uint8Array(pixels * channels);
    for (let i = 0; i < pixels; i++) {
      const entry = png.palette[index[i]] ?? [0, 0, 0, 255];
      for (let c = 0; c < channels; c++) out[i * channels + c] = entry[c] ?? 255;
    }
    return { channels, bitDepth: 8, samples: out };
  }
  const bitDepth = depth === 16 ? 16 : 8;
  let data: Uint8Array | Uint16Array = depth >= 8 ? (png.data as Uint8Array | Uint16Array) : unpackRows(png, png.channels);
  if (depth < 8) {
    const scale = 255 / ((1 << depth) - 1);
    data = data.map((v) => v * scale);
  }
  // A colour key (tRNS on grey or RGB) becomes an alpha channel, as libvips makes it.
  if (key !== undefined && key.length > 0 && (png.channels === 1 || png.channels === 3)) {
    const colour = png.channels;
    const keyValues = Array.from(key.subarray(0, colour), (v) => (depth < 8 ? v * (255 / ((1 << depth) - 1)) : v));
    const max = bitDepth === 16 ? 65535 : 255;
    const out = bitDepth === 16 ? new Uint16Array(pixels * (colour + 1)) : new Uint8Array(pixels * (colour + 1));
    for (let i = 0; i < pixels; i++) {
      let match = true;
      for (let c = 0; c < colour; c++) {
        const v = data[i * colour + c];
        out[i * (colour + 1) + c] = v;
        if (v !== keyValues[c]) match = false;
      }
      out[i * (colour + 1) + colour] = match ? 0 : max;
    }
    return { channels: colour + 1, bitDepth, samples: out };
  }
  return { channels: png.channels, bitDepth, samples: data };
}

async function browserDecode(bytes: Uint8Array): Promise<{ width: number; height: number; rgba: Uint8ClampedArray } | undefined> {
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function') return undefined;
  try {
    const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d')!;
    context.drawImage(bitmap, 0, 0);
    const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
    return { width: bitmap.width, height: bitmap.height, rgba: data };
  } catch {
    return undefined;
  }
}

/** Decode an image, or say why it cannot be coded as one (then it is coded as bytes), as src/image.ts does. */
export async function decodeImage(bytes: Uint8Array, maxPixels: number | false = false): Promise<DecodedImage | { unsupported: string }> {
  const format = sniff(bytes);
  if (!format) return { unsupported: 'not an image this page can read' };
  if (format === 'png') {
    let png: DecodedPng;
    try {
      png = decodePngFile(bytes);
    } catch (e) {
      return { unsupported: `decode failed (${(e as Error).message})` };
    }
    if (maxPixels !== false && png.width * png.height > maxPixels) return { unsupported: `${png.width}x${png.height} pixels, above the pixel limit` };
    const { channels, bitDepth, samples } = pngSamples(png);
    return { width: png.width, height: png.height, channels, bitDepth, format, icc: png.iccEmbeddedProfile?.profile, samples };
  }
  const decoded = await browserDecode(bytes);
  if (!decoded) return { unsupported: `${format} that this browser cannot decode` };
  const { width, height, rgba } = decoded;
  if (maxPixels !== false && width * height > maxPixels) return { unsupported: `${width}x${height} pixels, above the pixel limit` };
  let opaque = true;
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) opaque = false;
  const channels = opaque ? 3 : 4;
  const samples = new Uint8Array(width * height * channels);
  for (let i = 0; i < width * height; i++) for (let c = 0; c < channels; c++) samples[i * channels + c] = rgba[i * 4 + c];
  return { width, height, channels, bitDepth: 8, format, samples };
}

/** Samples as a PNG file (with the ICC profile when there was one). */
export async function encodePng(
  image: Pick<DecodedImage, 'width' | 'height' | 'channels' | 'bitDepth' | 'icc'>,
  samples: ArrayLike<number>,
): Promise<Uint8Array> {
  const { width, height, channels, bitDepth } = image;
  const data = bitDepth === 16 ? (samples instanceof Uint16Array ? samples : Uint16Array.from(samples)) : samples instanceof Uint8Array ? samples : Uint8Array.from(samples);
  const png = encodePngFile({ width, height, channels, depth: bitDepth, data });
  return image.icc ? insertIccChunk(png, image.icc, (bytes) => zlibSync(bytes)) : png;
}

export async function renderHeatmap(bits: Float32Array, width: number, height: number): Promise<Uint8Array> {
  return encodePngFile({ width, height, channels: 3, depth: 8, data: heatmapRgb(bits) });
}
