/**
 * node:zlib for the browser build: Brotli decoding (files and archive members stored with Brotli) from
 * the `brotli` package's JavaScript decoder. No Brotli encoder: the page compresses with the Brotli
 * candidate off (CompressOptions.brotli = false).
 */
import { decompress } from 'brotli/decompress.js';

export const constants = { BROTLI_PARAM_QUALITY: 1, BROTLI_PARAM_LGWIN: 2, BROTLI_PARAM_SIZE_HINT: 5 };

/** Node's semantics for what Flowzip uses: never more than maxOutputLength bytes (throws instead). */
export function brotliDecompressSync(input: Uint8Array, options?: { maxOutputLength?: number }): Uint8Array {
  return decompress(input, options?.maxOutputLength);
}

export function brotliCompressSync(): never {
  throw new Error('Brotli encoding is not part of the browser build');
}

export function deflateSync(): never {
  throw new Error('zlib deflate is not part of the browser build');
}
