/** Image pieces shared by every image library (sharp here, the browser's in web/): canonical sample bytes, PNG chunks. */
import { crc32 } from '../codec/index.js';

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Canonical bytes of image samples: 8-bit as is, 16-bit little-endian. The data checksum covers these. */
export function imageSampleBytes(samples: ArrayLike<number>, bitDepth: 8 | 16): Uint8Array {
  if (bitDepth === 8) return samples instanceof Uint8Array ? samples : Uint8Array.from(samples);
  if (samples instanceof Uint16Array && LITTLE_ENDIAN_HOST) return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  const out = new Uint8Array(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    out[2 * i] = samples[i] & 0xff;
    out[2 * i + 1] = samples[i] >>> 8;
  }
  return out;
}

/** A PNG chunk: length, type, data, CRC-32 of type and data. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(new TextEncoder().encode(type), 4);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  return chunk;
}

/** Insert an iCCP chunk right after IHDR (PNG spec: before PLTE and IDAT). */
export function insertIccChunk(png: Uint8Array, icc: Uint8Array, deflate: (bytes: Uint8Array) => Uint8Array): Uint8Array {
  const name = new TextEncoder().encode('icc');
  const compressed = deflate(icc);
  const body = new Uint8Array(name.length + 2 + compressed.length);
  body.set(name);
  body[name.length] = 0; // name terminator
  body[name.length + 1] = 0; // compression method: zlib
  body.set(compressed, name.length + 2);
  const chunk = pngChunk('iCCP', body);
  const ihdrEnd = 8 + 8 + 13 + 4; // signature, IHDR length+type, IHDR data, CRC
  const out = new Uint8Array(png.length + chunk.length);
  out.set(png.subarray(0, ihdrEnd));
  out.set(chunk, ihdrEnd);
  out.set(png.subarray(ihdrEnd), ihdrEnd + chunk.length);
  return out;
}

/** Bits per pixel as RGB: black (0) through red and yellow to white (the 99th percentile or more). */
export function heatmapRgb(bits: Float32Array): Uint8Array {
  const sorted = Float32Array.from(bits).sort();
  const top = Math.max(1e-9, sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]);
  const rgb = new Uint8Array(bits.length * 3);
  for (let i = 0; i < bits.length; i++) {
    const t = Math.min(1, bits[i] / top);
    rgb[3 * i] = Math.round(255 * Math.min(1, 3 * t));
    rgb[3 * i + 1] = Math.round(255 * Math.min(1, Math.max(0, 3 * t - 1)));
    rgb[3 * i + 2] = Math.round(255 * Math.max(0, 3 * t - 2));
  }
  return rgb;
}
