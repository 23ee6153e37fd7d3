/**
 * node:zlib for the browser build: Brotli from the `brotli` package, its JavaScript decoder and its
 * encoder (Google's C compiled to wasm, the same bytes as Node's zlib at the same settings; loaded on
 * first use, and about 20 times slower than Node's, so the page asks for it only on small inputs).
 */
import { decompress } from 'brotli/decompress.js';

export const constants = { BROTLI_PARAM_QUALITY: 1, BROTLI_PARAM_LGWIN: 2, BROTLI_PARAM_SIZE_HINT: 5 };

/** Node's semantics for what Flowzip uses: never more than maxOutputLength bytes (throws instead). */
export function brotliDecompressSync(input: Uint8Array, options?: { maxOutputLength?: number }): Uint8Array {
  return decompress(input, options?.maxOutputLength);
}

/** What Flowzip uses of Node's brotliCompress: quality and window (the size hint changes nothing in one-shot coding). */
export function brotliCompress(input: Uint8Array, options: { params: Record<number, number> }, callback: (e: Error | null, out: Uint8Array) => void): void {
  const quality = options.params[constants.BROTLI_PARAM_QUALITY];
  const lgwin = options.params[constants.BROTLI_PARAM_LGWIN];
  import('brotli/compress.js')
    .then(({ compress }) => compress(input, { quality, lgwin }))
    .then(
      (out) => (out ? callback(null, out) : callback(new Error('Brotli encoding failed'), new Uint8Array(0))),
      (e: Error) => callback(e, new Uint8Array(0)),
    );
}

export function deflateSync(): never {
  throw new Error('zlib deflate is not part of the browser build');
}
