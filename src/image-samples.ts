/** Image samples as bytes, the same for every image decoder (sharp here, the browser's in web/). */

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
