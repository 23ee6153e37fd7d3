/** Entropy coding, model-agnostic: rANS, quantized distributions, codec combinators, container. */
export * from './errors.js';
export * from './rans.js';
export * from './distributions.js';
export * from './codecs.js';
export * from './container.js';
export * from './varint.js';
export { crc32 } from './crc32.js';
export { bytesEqual, toHex, fromHex, toBase64, fromBase64 } from './bytes.js';
