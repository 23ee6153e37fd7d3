/**
 * The .flz container (docs/format.md is the contract; change both together and bump FORMAT_VERSION on
 * any incompatible change). Version 2 (written) has a compact header: varints, a type byte, an 8-byte
 * model hash, the array/name metadata as flags and a string, JSON only for the rest; version 1 (fixed
 * fields, 32-byte hash, JSON metadata) is still read. All integers little-endian.
 */
import { crc32 } from './crc32.js';
import { fail } from './errors.js';
import { pushVarint, readVarint, varintSize } from './varint.js';

export const MAGIC = new Uint8Array([0x46, 0x4c, 0x5a, 0x1a]); // "FLZ" + 0x1A
export const FORMAT_VERSION = 2;
/** Versions this build reads. */
export const READABLE_VERSIONS = [1, 2];
/** Bytes of the model hash a version-2 header keeps (a wrong model is still refused: 2^-64 chance). */
export const MODEL_HASH_BYTES = 8;
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

/**
 * The kind a container's first bytes declare (16 are enough), before anything is checked: for routing
 * only (an archive goes to the archive reader, which checks everything); undefined when not readable.
 */
export function peekKind(head: Uint8Array): DataKind | undefined {
  if (!hasFlzMagic(head) || head.length < 10) return undefined;
  if (head[4] === 1) return KINDS[head[9]];
  if (head[4] !== 2) return undefined;
  let o = 5;
  while (o < head.length && head[o] >= 128) o++;
  return o + 1 < head.length ? KINDS[head[o + 1] & 3] : undefined;
}

export function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Whether the hash a file records (32 bytes in version 1, the first 8 in version 2) is this model's. */
export function modelHashMatches(modelHash: Uint8Array, recorded: Uint8Array): boolean {
  if (recorded.length !== 32 && recorded.length !== MODEL_HASH_BYTES) return false;
  for (let i = 0; i < recorded.length; i++) if (recorded[i] !== modelHash[i]) return false;
  return true;
}

/** The version-2 header between the version byte and the header CRC. */
function headerBody(c: ContainerHeader, payloadLength: number): Uint8Array {
  const encoder = new TextEncoder();
  const modelId = encoder.encode(c.modelId);
  if (modelId.length > 255) fail('INTERNAL', 'model id too long');
  if (c.shape.length > MAX_DIMS) fail('BAD_SHAPE', `${c.shape.length} dimensions`);
  if (modelId.length > 0 && c.modelHash.length < MODEL_HASH_BYTES) fail('INTERNAL', 'model hash too short');
  const out: number[] = [KINDS.indexOf(c.kind) | (METHODS.indexOf(c.method) << 2) | (DTYPES.indexOf(c.dtype) << 4), c.shape.length];
  for (const d of c.shape) pushVarint(out, d);
  out.push(modelId.length, ...modelId);
  if (modelId.length > 0) out.push(...c.modelHash.subarray(0, MODEL_HASH_BYTES));
  const { littleEndian, fortranOrder, name, format, ...rest } = c.meta;
  let flags = 0;
  if (typeof littleEndian === 'boolean') flags |= 1 | (littleEndian ? 2 : 0);
  if (typeof fortranOrder === 'boolean') flags |= 4 | (fortranOrder ? 8 : 0);
  const restKeys = { ...rest } as Record<string, unknown>;
  // Values of other types than the flags take (none that this library writes) travel in the JSON.
  if (littleEndian !== undefined && typeof littleEndian !== 'boolean') restKeys.littleEndian = littleEndian;
  if (fortranOrder !== undefined && typeof fortranOrder !== 'boolean') restKeys.fortranOrder = fortranOrder;
  if (name !== undefined && typeof name !== 'string') restKeys.name = name;
  if (format !== undefined && typeof format !== 'string') restKeys.format = format;
  const nameBytes = typeof name === 'string' ? encoder.encode(name) : undefined;
  const formatBytes = typeof format === 'string' ? encoder.encode(format) : undefined;
  if (nameBytes) flags |= 16;
  if (formatBytes) flags |= 64;
  const json = Object.keys(restKeys).length > 0 ? encoder.encode(JSON.stringify(restKeys)) : undefined;
  if (json) flags |= 32;
  out.push(flags);
  if (nameBytes) {
    pushVarint(out, nameBytes.length);
    for (const b of nameBytes) out.push(b);
  }
  if (formatBytes) {
    pushVarint(out, formatBytes.length);
    for (const b of formatBytes) out.push(b);
  }
  if (json) {
    pushVarint(out, json.length);
    for (const b of json) out.push(b);
  }
  pushVarint(out, payloadLength);
  out.push(c.dataCrc & 0xff, (c.dataCrc >>> 8) & 0xff, (c.dataCrc >>> 16) & 0xff, (c.dataCrc >>> 24) & 0xff);
  return Uint8Array.from(out);
}

/** Size of the container `writeContainer` would write, without writing it (to choose among candidates). */
export function containerSize(c: ContainerHeader, payloadLength: number): number {
  const body = headerBody(c, payloadLength).length;
  return 5 + varintSize(body) + body + 4 + payloadLength + 4;
}

/** magic, version 2, varint body length, body, CRC-32 of all that, payload, CRC-32 of the payload. */
export function writeContainer(c: Container): Uint8Array {
  const body = headerBody(c, c.payload.length);
  const lengthBytes: number[] = [];
  pushVarint(lengthBytes, body.length);
  const headerLength = 5 + lengthBytes.length + body.length + 4;
  const out = new Uint8Array(headerLength + c.payload.length + 4);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = FORMAT_VERSION;
  out.set(lengthBytes, 5);
  out.set(body, 5 + lengthBytes.length);
  view.setUint32(headerLength - 4, crc32(out.subarray(0, headerLength - 4)), true);
  out.set(c.payload, headerLength);
  view.setUint32(headerLength + c.payload.length, crc32(c.payload), true);
  return out;
}

/** A parsed header: its fields, and where the payload lies. */
interface ParsedHeader {
  header: ContainerHeader;
  headerLength: number;
  payloadLength: number;
}

/**
 * Parse and check a container's header (either version): magic, version, the header CRC before any
 * field is used, then every field. Throws BAD_MAGIC, BAD_VERSION, TRUNCATED, CHECKSUM, CORRUPT, BAD_SHAPE.
 */
function parseHeader(bytes: Uint8Array): ParsedHeader {
  if (bytes.length < 4) fail('TRUNCATED', `${bytes.length} bytes`);
  if (!hasFlzMagic(bytes)) fail('BAD_MAGIC');
  if (bytes.length < 6) fail('TRUNCATED', `${bytes.length} bytes`);
  const version = bytes[4];
  if (!READABLE_VERSIONS.includes(version)) fail('BAD_VERSION', `version ${version}, this build reads ${READABLE_VERSIONS.join(' and ')}`);
  return version === 1 ? parseHeaderV1(bytes) : parseHeaderV2(bytes);
}

/** Metadata JSON (version 1: all of it; version 2: the keys without a field of their own): an object, not too deep. */
function parseMeta(text: string): Record<string, unknown> {
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch {
    fail('CORRUPT', 'metadata is not valid JSON');
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) fail('CORRUPT', 'metadata is not an object');
  if (nestingDepth(meta) > MAX_META_DEPTH) fail('CORRUPT', `metadata nested deeper than ${MAX_META_DEPTH} levels`);
  return meta as Record<string, unknown>;
}

function parseHeaderV2(bytes: Uint8Array): ParsedHeader {
  // The body length, then the CRC over everything before it: nothing else is read unchecked.
  let o = 5;
  let bodyLength = 0;
  for (let unit = 1, k = 0; ; k++, unit *= 128) {
    if (o >= bytes.length) fail('TRUNCATED', `${bytes.length} bytes`);
    if (k === 4) fail('CORRUPT', 'header length is malformed');
    const b = bytes[o++];
    bodyLength += (b & 127) * unit;
    if (b < 128) break;
  }
  const headerLength = o + bodyLength + 4;
  if (headerLength > bytes.length) fail('TRUNCATED', `header needs ${headerLength} bytes, file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (crc32(bytes.subarray(0, headerLength - 4)) !== view.getUint32(headerLength - 4, true)) fail('CHECKSUM', 'header checksum mismatch');
  const end = headerLength - 4;
  const need = (n: number) => {
    if (o + n > end) fail('CORRUPT', 'header fields overrun the header');
  };
  const varint = (limit: number, what: string) => {
    const { value, next } = readVarint(bytes, o, end, what);
    if (value > limit) fail('CORRUPT', `${what} is out of range`);
    o = next;
    return value;
  };
  need(2);
  const type = bytes[o++];
  const kindCode = type & 3;
  const methodCode = (type >> 2) & 3;
  const dtypeCode = type >> 4;
  const ndim = bytes[o++];
  if (methodCode >= METHODS.length || dtypeCode >= DTYPES.length) fail('CORRUPT', 'unknown kind, method or dtype code');
  if (ndim > MAX_DIMS) fail('BAD_SHAPE', `${ndim} dimensions`);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(varint(2 ** 32 - 1, 'shape'));
  if (elementCount(shape) > MAX_ELEMENTS) fail('BAD_SHAPE', `${shape.join('x')} has too many elements`);
  need(1);
  const idLength = bytes[o++];
  need(idLength);
  const modelId = new TextDecoder().decode(bytes.subarray(o, o + idLength));
  o += idLength;
  let modelHash = new Uint8Array(32);
  if (idLength > 0) {
    need(MODEL_HASH_BYTES);
    modelHash = bytes.slice(o, o + MODEL_HASH_BYTES);
    o += MODEL_HASH_BYTES;
  }
  need(1);
  const flags = bytes[o++];
  if (flags >= 128) fail('CORRUPT', 'unknown metadata flags');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const meta: Record<string, unknown> = {};
  if (flags & 1) meta.littleEndian = (flags & 2) !== 0;
  else if (flags & 2) fail('CORRUPT', 'metadata flags are inconsistent');
  if (flags & 4) meta.fortranOrder = (flags & 8) !== 0;
  else if (flags & 8) fail('CORRUPT', 'metadata flags are inconsistent');
  const text = (what: string) => {
    const length = varint(end, what);
    need(length);
    try {
      return utf8.decode(bytes.subarray(o, (o += length)));
    } catch {
      fail('CORRUPT', `${what} is not UTF-8`);
    }
  };
  if (flags & 16) meta.name = text('name');
  if (flags & 64) meta.format = text('format');
  if (flags & 32) {
    for (const [key, value] of Object.entries(parseMeta(text('metadata')))) {
      // One place per value: a flag key in the JSON must be one the flags cannot hold.
      if (key in meta || ((key === 'name' || key === 'format') && typeof value === 'string') || ((key === 'littleEndian' || key === 'fortranOrder') && typeof value === 'boolean'))
        fail('CORRUPT', `metadata key ${key} is written twice`);
      meta[key] = value;
    }
  }
  const payloadLength = varint(2 ** 53 - 1, 'payload length');
  need(4);
  const dataCrc = view.getUint32(o, true);
  o += 4;
  if (o !== end) fail('CORRUPT', 'header length does not match its fields');
  return { header: { kind: KINDS[kindCode], method: METHODS[methodCode], dtype: DTYPES[dtypeCode], shape, modelId, modelHash, meta, dataCrc }, headerLength, payloadLength };
}

function parseHeaderV1(bytes: Uint8Array): ParsedHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 9) fail('TRUNCATED', `${bytes.length} bytes`);
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
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(metaBytes);
  } catch {
    fail('CORRUPT', 'metadata is not valid JSON');
  }
  const meta = parseMeta(text);
  return { header: { kind: KINDS[kindCode], method: METHODS[methodCode], dtype: DTYPES[dtypeCode], shape, modelId, modelHash, meta, dataCrc }, headerLength, payloadLength };
}

/**
 * Parse and integrity-check a container (version 1 or 2). Throws FlowzipError with a specific code on
 * any defect: BAD_MAGIC, BAD_VERSION, TRUNCATED, CHECKSUM (header or payload), CORRUPT, BAD_SHAPE. The
 * header checksum is verified before any header field is interpreted.
 */
export function readContainer(bytes: Uint8Array, options: { deferPayloadCrc?: boolean } = {}): Container {
  const { header, headerLength, payloadLength } = parseHeader(bytes);
  const o = headerLength;
  if (o + payloadLength + 4 > bytes.length) fail('TRUNCATED', `payload needs ${payloadLength} bytes`);
  if (o + payloadLength + 4 < bytes.length) fail('CORRUPT', 'trailing bytes after the payload');
  const payload = bytes.subarray(o, o + payloadLength);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Archives defer a payload mismatch so that they can name the damaged members (finer CRCs in meta).
  const payloadIntact = crc32(payload) === view.getUint32(o + payloadLength, true);
  if (!payloadIntact && !options.deferPayloadCrc) fail('CHECKSUM', 'payload checksum mismatch');
  return { ...header, payload, payloadIntact };
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
    const { headerLength, payloadLength } = parseHeader(rest);
    const total = headerLength + payloadLength + 4;
    if (total > rest.length) fail('TRUNCATED', `payload needs ${payloadLength} bytes`);
    parts.push(rest.subarray(0, total));
    offset += total;
  } while (offset < bytes.length);
  return parts;
}
