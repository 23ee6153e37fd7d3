/**
 * The .flz container, format version 1 (docs/format.md is the contract; change both together and
 * bump FORMAT_VERSION on any incompatible change). All integers little-endian.
 */
import { crc32 } from './crc32.js';
import { fail } from './errors.js';

export const MAGIC = new Uint8Array([0x46, 0x4c, 0x5a, 0x1a]); // "FLZ" + 0x1A
export const FORMAT_VERSION = 1;
export const MAX_DIMS = 8;
/** Largest element count accepted (2^32): more is an "absurd shape", not an allocation attempt. */
export const MAX_ELEMENTS = 2 ** 32;

/** archive: several files chained through one rANS message (src/archive.ts; members listed in meta). */
export const KINDS = ['bytes', 'image', 'array', 'archive'] as const;
export type DataKind = (typeof KINDS)[number];
/**
 * stored: payload is the canonical data itself. model: payload is a rANS message. brotli: payload is the
 * stored payload compressed with Brotli (RFC 7932; chosen for text and other bytes when it is smaller).
 */
export const METHODS = ['stored', 'model', 'brotli'] as const;
export type Method = (typeof METHODS)[number];
/** Floats are coded as order-preserving integer words (float64: two 32-bit words an element; src/npy.ts). */
export const DTYPES = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float16', 'float32', 'float64'] as const;
export type DType = (typeof DTYPES)[number];

export interface ContainerHeader {
  kind: DataKind;
  method: Method;
  dtype: DType;
  shape: number[];
  /** Model id ('' when stored) and SHA-256 of its frozen tables (zeros when stored). */
  modelId: string;
  modelHash: Uint8Array;
  /** What is needed to restore the original file (format, name, .npy header...). */
  meta: Record<string, unknown>;
  /** CRC-32 of the canonical data (see docs/format.md), checked after decoding. */
  dataCrc: number;
}

export interface Container extends ContainerHeader {
  payload: Uint8Array;
  /** False only when read with `deferPayloadCrc` and the payload CRC did not match. */
  payloadIntact?: boolean;
}

/** Deepest metadata nesting accepted (archive member tables need 4): deeper is a forgery, not data. */
export const MAX_META_DEPTH = 16;

/** Nesting depth of a parsed JSON value, without recursion (a hostile file may nest deeply). */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > MAX_META_DEPTH) return deepest;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Whether bytes start like a .flz container (its magic). */
export function hasFlzMagic(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((m, i) => bytes[i] === m);
}

export function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Header bytes (everything before the payload) of a container with these fields. */
function headerLengthOf(c: ContainerHeader, modelIdBytes: number, metaBytes: number): number {
  return 4 + 1 + 4 + 4 + 4 * c.shape.length + 1 + modelIdBytes + 32 + 4 + metaBytes + 8 + 4 + 4;
}

/** Size of the container `writeContainer` would write, without writing it (to choose among candidates). */
export function containerSize(c: ContainerHeader, payloadLength: number): number {
  const encoder = new TextEncoder();
  return headerLengthOf(c, encoder.encode(c.modelId).length, encoder.encode(JSON.stringify(c.meta)).length) + payloadLength + 4;
}

export function writeContainer(c: Container): Uint8Array {
  const modelId = new TextEncoder().encode(c.modelId);
  const meta = new TextEncoder().encode(JSON.stringify(c.meta));
  if (modelId.length > 255) fail('INTERNAL', 'model id too long');
  if (c.shape.length > MAX_DIMS) fail('BAD_SHAPE', `${c.shape.length} dimensions`);
  if (c.modelHash.length !== 32) fail('INTERNAL', 'model hash must be 32 bytes');
  const headerLength = headerLengthOf(c, modelId.length, meta.length);
  const out = new Uint8Array(headerLength + c.payload.length + 4);
  const view = new DataView(out.buffer);
  let o = 0;
  out.set(MAGIC, o);
  o += 4;
  out[o++] = FORMAT_VERSION;
  view.setUint32(o, headerLength, true);
  o += 4;
  out[o++] = KINDS.indexOf(c.kind);
  out[o++] = METHODS.indexOf(c.method);
  out[o++] = DTYPES.indexOf(c.dtype);
  out[o++] = c.shape.length;
  for (const d of c.shape) {
    view.setUint32(o, d, true);
    o += 4;
  }
  out[o++] = modelId.length;
  out.set(modelId, o);
  o += modelId.length;
  out.set(c.modelHash, o);
  o += 32;
  view.setUint32(o, meta.length, true);
  o += 4;
  out.set(meta, o);
  o += meta.length;
  view.setUint32(o, c.payload.length % 2 ** 32, true);
  view.setUint32(o + 4, Math.floor(c.payload.length / 2 ** 32), true);
  o += 8;
  view.setUint32(o, c.dataCrc, true);
  o += 4;
  view.setUint32(o, crc32(out.subarray(0, o)), true);
  o += 4;
  out.set(c.payload, o);
  o += c.payload.length;
  view.setUint32(o, crc32(c.payload), true);
  return out;
}

/**
 * Parse and integrity-check a container. Throws FlowzipError with a specific code on any defect:
 * BAD_MAGIC, BAD_VERSION, TRUNCATED, CHECKSUM (header or payload), CORRUPT, BAD_SHAPE. The header
 * checksum is verified before any header field is interpreted.
 */
export function readContainer(bytes: Uint8Array, options: { deferPayloadCrc?: boolean } = {}): Container {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) fail('TRUNCATED', `${bytes.length} bytes`);
  if (!hasFlzMagic(bytes)) fail('BAD_MAGIC');
  if (bytes.length < 9) fail('TRUNCATED', `${bytes.length} bytes`);
  const version = bytes[4];
  if (version !== FORMAT_VERSION) fail('BAD_VERSION', `version ${version}, this build reads ${FORMAT_VERSION}`);
  const headerLength = view.getUint32(5, true);
  if (headerLength > bytes.length) fail('TRUNCATED', `header needs ${headerLength} bytes, file has ${bytes.length}`);
  if (headerLength < 9 + 4 + 1 + 32 + 4 + 8 + 4 + 4) fail('CORRUPT', 'header too short');
  if (crc32(bytes.subarray(0, headerLength - 4)) !== view.getUint32(headerLength - 4, true))
    fail('CHECKSUM', 'header checksum mismatch');
  // From here the header is what the encoder wrote (or a deliberate forgery): still check every field.
  let o = 9;
  const need = (n: number) => {
    if (o + n > headerLength - 16) fail('CORRUPT', 'header fields overrun the header');
  };
  need(5);
  const kindCode = bytes[o++];
  const methodCode = bytes[o++];
  const dtypeCode = bytes[o++];
  const ndim = bytes[o++];
  if (kindCode >= KINDS.length || methodCode >= METHODS.length || dtypeCode >= DTYPES.length)
    fail('CORRUPT', 'unknown kind, method or dtype code');
  if (ndim > MAX_DIMS) fail('BAD_SHAPE', `${ndim} dimensions`);
  need(4 * ndim);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++, o += 4) shape.push(view.getUint32(o, true));
  if (elementCount(shape) > MAX_ELEMENTS) fail('BAD_SHAPE', `${shape.join('x')} has too many elements`);
  need(1);
  const idLength = bytes[o++];
  need(idLength + 32 + 4);
  const modelId = new TextDecoder().decode(bytes.subarray(o, o + idLength));
  o += idLength;
  const modelHash = bytes.slice(o, o + 32);
  o += 32;
  const metaLength = view.getUint32(o, true);
  o += 4;
  need(metaLength);
  const metaBytes = bytes.subarray(o, o + metaLength);
  o += metaLength;
  if (o !== headerLength - 16) fail('CORRUPT', 'header length does not match its fields');
  const payloadLength = view.getUint32(o, true) + view.getUint32(o + 4, true) * 2 ** 32;
  const dataCrc = view.getUint32(o + 8, true);
  o = headerLength;
  if (o + payloadLength + 4 > bytes.length) fail('TRUNCATED', `payload needs ${payloadLength} bytes`);
  if (o + payloadLength + 4 < bytes.length) fail('CORRUPT', 'trailing bytes after the payload');
  const payload = bytes.subarray(o, o + payloadLength);
  // Archives defer a payload mismatch so that they can name the damaged members (finer CRCs in meta).
  const payloadIntact = crc32(payload) === view.getUint32(o + payloadLength, true);
  if (!payloadIntact && !options.deferPayloadCrc) fail('CHECKSUM', 'payload checksum mismatch');
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(metaBytes));
  } catch {
    fail('CORRUPT', 'metadata is not valid JSON');
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) fail('CORRUPT', 'metadata is not an object');
  if (nestingDepth(meta) > MAX_META_DEPTH) fail('CORRUPT', `metadata nested deeper than ${MAX_META_DEPTH} levels`);
  return {
    kind: KINDS[kindCode],
    method: METHODS[methodCode],
    dtype: DTYPES[dtypeCode],
    shape,
    modelId,
    modelHash,
    meta,
    dataCrc,
    payload,
    payloadIntact,
  };
}

/**
 * The containers of a file that holds several back to back (`compress -c a b > ab.flz`, as zstd frames
 * concatenate): each one's bytes, cut at the length its own (checksummed) header gives. Anything after a
 * container that does not start like one is CORRUPT (trailing bytes); each part is then read in full by
 * `readContainer`.
 */
export function splitContainers(bytes: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let offset = 0;
  do {
    const rest = bytes.subarray(offset);
    if (offset > 0 && !hasFlzMagic(rest)) fail('CORRUPT', 'trailing bytes after the payload');
    const view = new DataView(rest.buffer, rest.byteOffset, rest.byteLength);
    const headerLength = rest.length >= 9 ? view.getUint32(5, true) : 0;
    if (headerLength < 9 + 4 + 1 + 32 + 4 + 8 + 4 + 4 || headerLength > rest.length || crc32(rest.subarray(0, headerLength - 4)) !== view.getUint32(headerLength - 4, true)) {
      // Not a readable header: let readContainer say precisely what is wrong.
      readContainer(rest);
      fail('CORRUPT', 'container header');
    }
    const payloadLength = view.getUint32(headerLength - 16, true) + view.getUint32(headerLength - 12, true) * 2 ** 32;
    const total = headerLength + payloadLength + 4;
    if (total > rest.length) fail('TRUNCATED', `payload needs ${payloadLength} bytes`);
    parts.push(rest.subarray(0, total));
    offset += total;
  } while (offset < bytes.length);
  return parts;
}
