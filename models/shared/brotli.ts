/**
 * Brotli (RFC 7932) for the `brotli` method of files and archive members and for the rows a model leaves
 * to it (strips-route.ts). Asynchronous: Node runs it off the main thread; the browser build's encoder
 * (wasm, web/shims/zlib.ts) loads on first use and makes the same bytes at the same settings.
 */
import * as zlib from 'node:zlib';
import { fail } from '../../codec/index.js';

/** Brotli at its strongest for inputs up to this size, one quality lower above (about twice as fast). */
const BROTLI_MAX_QUALITY_BYTES = 4 << 20;

/**
 * Brotli at the strongest setting the size affords, or at `quality` (0-11); `window`: log2 of the LZ77
 * window (10-24), smaller for small inputs so that several coders at once do not each hold 16 MiB.
 */
export function brotli(bytes: Uint8Array, quality = bytes.length <= BROTLI_MAX_QUALITY_BYTES ? 11 : 10, window = 24): Promise<Uint8Array> {
  const { constants } = zlib;
  const params = { [constants.BROTLI_PARAM_QUALITY]: quality, [constants.BROTLI_PARAM_LGWIN]: window, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length };
  return new Promise((resolve, reject) => zlib.brotliCompress(bytes, { params }, (e, out) => (e ? reject(e) : resolve(new Uint8Array(out.buffer, out.byteOffset, out.byteLength)))));
}

/** The smallest window (10-24) that holds `size` bytes. */
export function brotliWindow(size: number): number {
  return Math.min(24, Math.max(10, Math.ceil(Math.log2(Math.max(1, size)))));
}

/** Expand Brotli to exactly `size` bytes, never past it (CORRUPT otherwise). */
export function unbrotli(compressed: Uint8Array, size: number, what: string): Uint8Array {
  return unbrotliUpTo(compressed, size, size, what);
}

/** Expand Brotli to at most `limit` bytes, and to exactly `size` when given (CORRUPT otherwise). */
export function unbrotliUpTo(compressed: Uint8Array, limit: number, size?: number, what = 'the rows coded by Brotli'): Uint8Array {
  let expanded: Uint8Array;
  try {
    expanded = new Uint8Array(zlib.brotliDecompressSync(compressed, { maxOutputLength: Math.max(1, limit) }));
  } catch {
    fail('CORRUPT', `${what} does not expand to its declared size`);
  }
  if (size !== undefined && expanded.length !== size) fail('CORRUPT', `${what} does not expand to its declared size`);
  return expanded;
}
