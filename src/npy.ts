/**
 * .npy reading for the dtypes Flowzip models: integers (uint8, int8, uint16, int16, uint32, int32) and
 * floats (float16, float32, float64); either byte order; C or Fortran order. The header bytes are kept
 * verbatim so the file is restored byte-exact. Anything else (bool, int64, complex, object arrays, a
 * length that does not match the header) is not parsed here: the library codes such files as bytes.
 *
 * Floats become order-preserving unsigned integer words (as fpzip does): the bits b of a non-negative
 * float map to b + 2^(w-1), of a negative one to ~b, so that larger floats are larger words and a
 * predictor works on them as on integers. Every bit pattern maps and comes back: NaN payloads, -0.0,
 * infinities and denormals are restored bit-exact. float64 is two 32-bit words an element (high, low).
 */
import type { DType } from '../codec/index.js';
import type { SampleArray } from '../models/index.js';

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export interface NpyArray {
  dtype: DType;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  /** The file's bytes before the data: magic, version, header length, header dict, padding. */
  header: Uint8Array;
  /** Element values in file (memory) order. */
  values: SampleArray;
}

const DTYPE_OF: Record<string, DType> = {
  u1: 'uint8',
  i1: 'int8',
  u2: 'uint16',
  i2: 'int16',
  u4: 'uint32',
  i4: 'int32',
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
};

export const ITEM_SIZE: Record<DType, number> = { uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float16: 2, float32: 4, float64: 8 };

/** Integer words the models code per element (float64: high and low 32 bits). */
export function wordsPerElement(dtype: DType): number {
  return dtype === 'float64' ? 2 : 1;
}

/** The integer dtype of the words the models code for an element of `dtype`. */
export function wordDtype(dtype: DType): DType {
  return dtype === 'float16' ? 'uint16' : dtype === 'float32' || dtype === 'float64' ? 'uint32' : dtype;
}

export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 10 && NPY_MAGIC.every((b, i) => bytes[i] === b);
}

/** Parse an integer .npy file, or return a reason why it is not one Flowzip models. */
export function parseNpy(bytes: Uint8Array): NpyArray | { unsupported: string } {
  if (!isNpy(bytes)) return { unsupported: 'not a .npy file' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  let headerLength: number;
  let offset: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    offset = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) return { unsupported: 'truncated .npy header' };
    headerLength = view.getUint32(8, true);
    offset = 12;
  } else return { unsupported: `.npy version ${major}` };
  const dataStart = offset + headerLength;
  if (dataStart > bytes.length) return { unsupported: 'truncated .npy header' };
  const text = new TextDecoder('latin1').decode(bytes.subarray(offset, dataStart));
  const descr = /'descr'\s*:\s*'([<>|=])?([a-zA-Z]\d+)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shapeMatch = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shapeMatch) return { unsupported: 'unreadable .npy header' };
  const dtype = DTYPE_OF[descr[2]];
  if (!dtype) return { unsupported: `dtype ${descr[2]}` };
  const shape = shapeMatch[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0 || d >= 2 ** 32)) return { unsupported: 'bad shape' };
  const count = shape.reduce((a, b) => a * b, 1);
  const itemSize = ITEM_SIZE[dtype];
  if (count * itemSize !== bytes.length - dataStart)
    return { unsupported: `data length ${bytes.length - dataStart} does not match shape and dtype` };
  const littleEndian = descr[1] !== '>' || itemSize === 1;
  return {
    dtype,
    littleEndian,
    fortranOrder: fortran[1] === 'True',
    shape,
    header: bytes.slice(0, dataStart),
    values: readSamples(bytes.subarray(dataStart), dtype, littleEndian),
  };
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const ARRAY_OF = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float16: Uint16Array,
  float32: Uint32Array,
  float64: Uint32Array,
} as const;

export const isFloatDtype = (dtype: DType) => dtype === 'float16' || dtype === 'float32' || dtype === 'float64';

/** Float bits -> order-preserving word (w-bit): negative floats (sign set) flip all bits, others set the sign. */
function orderWord(bits: number, w: 16 | 32): number {
  const sign = 2 ** (w - 1);
  return bits >= sign ? 2 ** w - 1 - bits : bits + sign;
}

/** The inverse of orderWord. */
function floatBits(word: number, w: 16 | 32): number {
  const sign = 2 ** (w - 1);
  return word >= sign ? word - sign : 2 ** w - 1 - word;
}

/** Order-preserving words of float data (see the module comment). */
function readFloatWords(data: Uint8Array, dtype: DType, littleEndian: boolean): SampleArray {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (dtype === 'float16') {
    const out = new Uint16Array(data.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = orderWord(view.getUint16(2 * i, littleEndian), 16);
    return out;
  }
  if (dtype === 'float32') {
    const out = new Uint32Array(data.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = orderWord(view.getUint32(4 * i, littleEndian), 32);
    return out;
  }
  const out = new Uint32Array(data.length / 4);
  for (let i = 0; i < out.length; i += 2) {
    const hi = view.getUint32(4 * i + (littleEndian ? 4 : 0), littleEndian);
    const lo = view.getUint32(4 * i + (littleEndian ? 0 : 4), littleEndian);
    // 64-bit order: a negative float flips all 64 bits, a non-negative one sets the top bit.
    const negative = hi >= 2 ** 31;
    out[i] = negative ? 2 ** 32 - 1 - hi : hi + 2 ** 31;
    out[i + 1] = negative ? 2 ** 32 - 1 - lo : lo;
  }
  return out;
}

function writeFloatWords(words: ArrayLike<number>, dtype: DType, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(words.length * (dtype === 'float16' ? 2 : 4));
  const view = new DataView(out.buffer);
  if (dtype === 'float16') for (let i = 0; i < words.length; i++) view.setUint16(2 * i, floatBits(words[i] & 0xffff, 16), littleEndian);
  else if (dtype === 'float32') for (let i = 0; i < words.length; i++) view.setUint32(4 * i, floatBits(words[i] >>> 0, 32), littleEndian);
  else
    for (let i = 0; i < words.length; i += 2) {
      const hiWord = words[i] >>> 0;
      const loWord = words[i + 1] >>> 0;
      const negative = hiWord < 2 ** 31;
      view.setUint32(4 * i + (littleEndian ? 4 : 0), negative ? 2 ** 32 - 1 - hiWord : hiWord - 2 ** 31, littleEndian);
      view.setUint32(4 * i + (littleEndian ? 0 : 4), negative ? 2 ** 32 - 1 - loWord : loWord, littleEndian);
    }
  return out;
}

/**
 * Sample values of raw little/big-endian data, in the dtype's own typed array: a view of `data` when its
 * byte order and alignment allow (no copy), else a converted copy.
 */
export function readSamples(data: Uint8Array, dtype: DType, littleEndian: boolean): SampleArray {
  if (isFloatDtype(dtype)) return readFloatWords(data, dtype, littleEndian);
  const size = ITEM_SIZE[dtype];
  const n = data.length / size;
  const Type = ARRAY_OF[dtype];
  if (size === 1 || (littleEndian === LITTLE_ENDIAN_HOST && data.byteOffset % size === 0)) return new Type(data.buffer as ArrayBuffer, data.byteOffset, n);
  const out = new Type(n);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const get = { 2: dtype === 'int16' ? view.getInt16 : view.getUint16, 4: dtype === 'int32' ? view.getInt32 : view.getUint32 }[size as 2 | 4];
  for (let i = 0; i < n; i++) out[i] = get.call(view, size * i, littleEndian);
  return out;
}

/** Room for n samples (words, for floats) of a dtype. */
export function sampleArray(dtype: DType, n: number): SampleArray {
  return new ARRAY_OF[dtype](n);
}

/** Inverse of readSamples. Values are written modulo the dtype's range (a valid decode is always in range). */
export function writeSamples(values: SampleArray | ArrayLike<number>, dtype: DType, littleEndian: boolean): Uint8Array {
  if (isFloatDtype(dtype)) return writeFloatWords(values, dtype, littleEndian);
  const size = ITEM_SIZE[dtype];
  // The dtype's own array in the host's byte order: its bytes are the data (no copy).
  if (values instanceof ARRAY_OF[dtype] && (size === 1 || littleEndian === LITTLE_ENDIAN_HOST)) {
    const typed = values as SampleArray;
    return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  }
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (size === 1) out[i] = v & 0xff;
    else if (size === 2) view.setUint16(2 * i, v & 0xffff, littleEndian);
    else view.setUint32(4 * i, v >>> 0, littleEndian);
  }
  return out;
}

export const DTYPE_RANGE: Record<DType, [number, number]> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 2 ** 32 - 1],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  float16: [0, 2 ** 16 - 1],
  float32: [0, 2 ** 32 - 1],
  float64: [0, 2 ** 32 - 1],
};

/** The header numpy's `np.save` writes (format 1.0, padded so the data starts on a 64-byte boundary). */
export function npyHeader(dtype: DType, shape: number[], opts: { littleEndian: boolean; fortranOrder: boolean }): Uint8Array {
  const code = Object.entries(DTYPE_OF).find(([, d]) => d === dtype)![0];
  const order = ITEM_SIZE[dtype] === 1 ? '|' : opts.littleEndian ? '<' : '>';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${order}${code}', 'fortran_order': ${opts.fortranOrder ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  dict += ' '.repeat((64 - ((10 + dict.length + 1) % 64)) % 64) + '\n';
  const header = new Uint8Array(10 + dict.length);
  header.set(NPY_MAGIC);
  header[6] = 1;
  header[7] = 0;
  new DataView(header.buffer).setUint16(8, dict.length, true);
  header.set(new TextEncoder().encode(dict), 10);
  return header;
}

/**
 * Build a .npy file the way numpy does (used by tests and tools that make arrays). `values` are the
 * integers, or for float dtypes their order-preserving words (wordsPerElement of them an element).
 */
export function buildNpy(
  values: ArrayLike<number>,
  dtype: DType,
  shape: number[],
  opts: { bigEndian?: boolean; fortranOrder?: boolean } = {},
): Uint8Array {
  const header = npyHeader(dtype, shape, { littleEndian: !opts.bigEndian, fortranOrder: !!opts.fortranOrder });
  const data = writeSamples(values, dtype, !opts.bigEndian);
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}
