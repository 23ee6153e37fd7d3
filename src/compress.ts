/**
 * The library: compress / decompress / verify for images, .npy integer arrays and any other bytes.
 *
 * Every input is first turned into integer samples with a layout (height x width x channels) and a
 * canonical byte form (what the data checksum covers). The payload is the smallest of:
 *   model  - the model's rANS message (the point of Flowzip),
 *   stored - the canonical bytes themselves (raw fallback: a file never grows by more than the header),
 * and an image whose own file is smaller than both is kept as that file, coded as bytes.
 */
import { brotli, brotliWindow, unbrotli, unbrotliUpTo } from '../models/shared/brotli.js';
import {
  DTYPES,
  MAX_DIMS,
  FlowzipError,
  bytesEqual,
  crc32,
  elementCount,
  fromBase64,
  toBase64,
  fail,
  readContainer,
  writeContainer,
  containerSize,
  modelHashMatches,
  type Container,
  type DType,
  type DataKind,
  type Method,
} from '../codec/index.js';
import { DEFAULT_MODEL, checkEffort, alternativeModels, loadModel, shippedModelWithHash, type Progress, type SampleArray, type SampleLayout } from '../models/index.js';
import { decodeImage, encodePng } from './image.js';
import { imageSampleBytes } from './image-samples.js';
import { DTYPE_RANGE, ITEM_SIZE, npyHeader, parseNpy, readSamples, sampleArray, wordDtype, wordsPerElement, writeSamples } from './npy.js';

export type InputKind = 'auto' | DataKind;

export interface CompressOptions {
  /** Model id (see `listModels`); default: the shipped default. */
  model?: string;
  /** Force how the input is read; 'auto' tries .npy, then image, then bytes. */
  kind?: InputKind;
  /** Original file name, stored so that `decompress` can suggest it. */
  name?: string;
  /** Always use the model's payload, even when storing would be smaller (for measurements). */
  forceModel?: boolean;
  /** Also try Brotli on the stored data: bytes, arrays, images (default true). */
  brotli?: boolean;
  /** Also compute where the bits go, per pixel (verify's heatmap). */
  heatmap?: boolean;
  /**
   * Also compute the float model's bits (report.floatBits), where the model has one: default true for
   * `compressWithReport`, false for `compress` (no report; for `ar` they are ~20% of the encoding time).
   * The file is the same either way.
   */
  floatBits?: boolean;
  /** Images with more pixels are coded as bytes (decoding them would take memory in proportion). */
  maxPixels?: number;
  /**
   * How hard to work, 1 (default) to MAX_EFFORT: at 2 the default model codes photos through its residual
   * context mixer, 3-4% smaller at ~3x the coding time (both ways); at 3 with nets of three layers of 256
   * units and two smaller flows' second opinions in the mixer (models/ar/photo-opinions), each band also
   * tried with the sample's phase in the mixer's contexts, 2% smaller again at ~13-16x effort 1's time.
   * Builds that have the effort-3 model decode every effort's files.
   */
  effort?: number;
  progress?: Progress;
}

/** Default decode limits (as sharp's and libpng's): raise them with the options or the CLI's flags. */
export const DEFAULT_MAX_PIXELS = 0x3fff * 0x3fff;
export const DEFAULT_MAX_OUTPUT = 2 ** 32;

/** An input turned into samples: everything needed to code it and to restore it. */
export interface Prepared {
  kind: DataKind;
  dtype: DType;
  shape: number[];
  layout: SampleLayout;
  samples: SampleArray;
  /** The bytes the data checksum covers, and the stored-method payload's source. */
  canonical: Uint8Array;
  /** Stored payload (canonical bytes minus anything kept in meta, e.g. the .npy header). */
  storedPayload: Uint8Array;
  meta: Record<string, unknown>;
  /** For images: the original file, kept as bytes if it is smaller than anything we can make. */
  originalFile?: Uint8Array;
}

export interface CompressReport {
  kind: DataKind;
  /** How the written file codes the data: the model, stored, Brotli, or (images) the original file kept as bytes. */
  method: Method | 'original';
  /** Why the method is not the model's, when it is not. */
  note?: string;
  dims: number;
  /** The model's ideal -log2 p(x) in bits under its integer tables. */
  modelBits: number;
  /** Bits of the model's rANS payload (whether or not it was chosen). */
  codedBits: number;
  /** The float model's -log2 p(x), for models that have one (the IDF). */
  floatBits?: number;
  /** Bits-back models: bits borrowed from nothing to start the chain (one-time; in codedBits, not modelBits). */
  initialBits?: number;
  /** Model-specific counts (a chained flow: flowTiles, bootstrapTiles), as the model reports them. */
  details?: Record<string, number | string>;
  /** Size of the whole .flz written. */
  fileBytes: number;
  model: string;
}

const metaBytes = (s: unknown): Uint8Array => {
  if (typeof s !== 'string') fail('CORRUPT', 'metadata field missing');
  return fromBase64(s);
};

/** An ICC profile in `meta.icc`: base64, or this prefix and the base64 of its Brotli stream (older builds refuse that as CORRUPT instead of dropping the profile). */
const ICC_BROTLI = 'brotli:';
/** Largest ICC profile written or read compressed. */
const ICC_LIMIT = 1 << 24;

/** `meta.icc` for a profile: compressed where that is shorter (a 3 kB display profile: about half). */
async function iccMeta(icc: Uint8Array): Promise<string> {
  const plain = toBase64(icc);
  if (icc.length > ICC_LIMIT) return plain;
  const packed = ICC_BROTLI + toBase64(await brotli(icc, 11));
  return packed.length < plain.length ? packed : plain;
}

/** The profile `iccMeta` wrote. */
function iccOfMeta(value: unknown): Uint8Array {
  if (typeof value === 'string' && value.startsWith(ICC_BROTLI)) return unbrotliUpTo(fromBase64(value.slice(ICC_BROTLI.length)), ICC_LIMIT, undefined, 'the ICC profile');
  return metaBytes(value);
}

/**
 * Layout of an n-d array for the model: the memory order's last axis is the row; a small last axis
 * (<= 4) of a 3+-d array is taken as channels, as in H x W x C images.
 */
export function arrayLayout(shape: number[], fortranOrder: boolean, wordsPerElement = 1): SampleLayout {
  const mem = fortranOrder ? [...shape].reverse() : shape;
  if (mem.length === 0) return { height: 1, width: 1, channels: wordsPerElement };
  // No elements: nothing to visit, whatever the other dimensions say (100000 x 100000 x 0 is empty).
  if (elementCount(mem) === 0) return { height: 0, width: 0, channels: 1 };
  // An element of several words (float64: high, low) is that many channels of one sample.
  if (mem.length >= 3 && mem[mem.length - 1] <= 4) {
    const channels = mem[mem.length - 1];
    const width = mem[mem.length - 2];
    const height = elementCount(mem.slice(0, -2));
    return { height, width, channels: channels * wordsPerElement, ...(mem.length >= 4 ? { planeRows: mem[mem.length - 3] } : {}) };
  }
  const height = elementCount(mem.slice(0, -1));
  return { height, width: mem[mem.length - 1], channels: wordsPerElement, ...(mem.length >= 3 ? { planeRows: mem[mem.length - 2] } : {}) };
}

/** How the models see an array: its layout, and the integer dtype of its words (floats: order-preserving words). */
function arraySampleLayout(dtype: DType, shape: number[], fortranOrder: boolean): SampleLayout {
  return { ...arrayLayout(shape, fortranOrder, wordsPerElement(dtype)), dtype: wordDtype(dtype) };
}

export function bytesPrepared(bytes: Uint8Array, name?: string): Prepared {
  return {
    kind: 'bytes',
    dtype: 'uint8',
    shape: [bytes.length],
    layout: { height: 1, width: bytes.length, channels: 1, dtype: 'uint8' },
    samples: bytes,
    canonical: bytes,
    storedPayload: bytes,
    meta: name ? { name } : {},
  };
}

export async function prepare(input: Uint8Array, options: CompressOptions): Promise<Prepared> {
  const kind = options.kind ?? 'auto';
  const name = options.name;
  if (kind === 'array' || kind === 'auto') {
    const npy = parseNpy(input);
    if ('unsupported' in npy) {
      if (kind === 'array') fail('UNSUPPORTED', `not an integer .npy array: ${npy.unsupported}`);
    } else if (npy.shape.length > MAX_DIMS) {
      // The container holds up to MAX_DIMS dimensions: more are coded as the file's bytes (restored byte-exact).
      if (kind === 'array') fail('UNSUPPORTED', `${npy.shape.length} dimensions (at most ${MAX_DIMS} as an array; --kind auto codes it as bytes)`);
    } else {
      return {
        kind: 'array',
        dtype: npy.dtype,
        shape: npy.shape,
        layout: arraySampleLayout(npy.dtype, npy.shape, npy.fortranOrder),
        samples: npy.values,
        canonical: input,
        storedPayload: input.subarray(npy.header.length),
        meta: {
          ...(name ? { name } : {}),
          // numpy's own header for this dtype/shape/order is rebuilt on decode; any other is kept verbatim.
          ...(bytesEqual(npy.header, npyHeader(npy.dtype, npy.shape, npy)) ? {} : { npyHeader: toBase64(npy.header) }),
          littleEndian: npy.littleEndian,
          fortranOrder: npy.fortranOrder,
        },
      };
    }
  }
  if (kind === 'image' || kind === 'auto') {
    const image = await decodeImage(input, options.maxPixels ?? DEFAULT_MAX_PIXELS);
    if ('unsupported' in image) {
      if (kind === 'image') fail('UNSUPPORTED', `not a supported image: ${image.unsupported}`);
    } else {
      const canonical = imageSampleBytes(image.samples, image.bitDepth);
      return {
        kind: 'image',
        dtype: image.bitDepth === 16 ? 'uint16' : 'uint8',
        shape: [image.height, image.width, image.channels],
        layout: { height: image.height, width: image.width, channels: image.channels, dtype: image.bitDepth === 16 ? 'uint16' : 'uint8' },
        samples: image.samples,
        canonical,
        storedPayload: canonical,
        meta: { ...(name ? { name } : {}), format: image.format, ...(image.icc ? { icc: await iccMeta(image.icc) } : {}) },
        originalFile: input,
      };
    }
  }
  return bytesPrepared(input, name);
}

interface Encoded {
  /** The .flz to write: the smallest of model, stored, and (images) the original file as bytes. */
  bytes: Uint8Array;
  /** The .flz with the model's payload, whichever was chosen (what verify measures; written on demand). */
  modelBytes: Uint8Array | (() => Uint8Array);
  /** Bits per pixel, when `heatmap` was asked for. */
  pixelBits?: Float32Array;
  report: CompressReport;
}

const NO_MODEL_HASH = new Uint8Array(32);

export { brotli, unbrotli } from '../models/shared/brotli.js';

/** A fast Brotli (quality 5) more than this times the best size so far will not win at its strongest. */
const BROTLI_HOPELESS = 1.25;
/** Inputs above this size are judged by a fast Brotli of strips spread over them, not of all of them. */
const BROTLI_SAMPLE_FROM = 1 << 20;
const BROTLI_STRIP = 1 << 16;

/**
 * Brotli at its strongest when it may beat `best` bytes, else undefined. A fast pass judges first (strong
 * Brotli is rarely 20% smaller than quality 5, and takes seconds a megabyte on a photo's pixels); on a
 * large input the fast pass reads about 1 MiB plus 1/32 of it, in 64 KiB strips spread evenly, and its
 * size is scaled up: photos are turned down in ~5 ms a megabyte, and what repeats (text, graphics)
 * repeats within a strip too.
 */
export async function brotliIfPromising(bytes: Uint8Array, best: number): Promise<Uint8Array | undefined> {
  if ((await fastBrotliEstimate(bytes)) > BROTLI_HOPELESS * best) return undefined;
  return brotli(bytes);
}

/** The size a quality-5 Brotli would give `bytes`, measured on all of them or on strips of a large input. */
async function fastBrotliEstimate(bytes: Uint8Array): Promise<number> {
  if (bytes.length <= BROTLI_SAMPLE_FROM) return (await brotli(bytes, 5, brotliWindow(bytes.length))).length;
  const strips = Math.ceil((BROTLI_SAMPLE_FROM + bytes.length / 32) / BROTLI_STRIP);
  const sample = new Uint8Array(strips * BROTLI_STRIP);
  const spacing = Math.floor((bytes.length - BROTLI_STRIP) / (strips - 1));
  for (let k = 0; k < strips; k++) sample.set(bytes.subarray(k * spacing, k * spacing + BROTLI_STRIP), k * BROTLI_STRIP);
  return ((await brotli(sample, 5, brotliWindow(sample.length))).length * bytes.length) / sample.length;
}

/** The model's coding of the input: the default, or an alternative that codes this layout in a smaller payload. */
async function encodeWithModel(p: Prepared, options: CompressOptions) {
  let model = await loadModel(options.model ?? DEFAULT_MODEL, options.effort);
  const wanted = { pixelBits: options.heatmap, floatBits: options.floatBits, effort: options.effort };
  let encoded = await model.encode(p.samples, p.layout, options.progress, wanted);
  if (options.model === undefined)
    for (const id of alternativeModels(p.kind, p.layout, model)) {
      const other = await loadModel(id);
      if (!other.codes?.(p.layout, p.samples)) continue;
      const tried = await other.encode(p.samples, p.layout, options.progress, wanted);
      if (tried.payload.length < encoded.payload.length) [model, encoded] = [other, tried];
    }
  return { model, ...encoded };
}

async function encodePrepared(p: Prepared, options: CompressOptions): Promise<Encoded> {
  const { model, payload, modelBits, floatBits, pixelBits, initialBits, details } = await encodeWithModel(p, options);
  const base = { kind: p.kind, dtype: p.dtype, shape: p.shape, meta: p.meta, dataCrc: crc32(p.canonical) };
  const modelContainer: Container = { ...base, method: 'model', modelId: model.id, modelHash: model.hash, payload };
  // Candidates are compared by size; only the chosen one (and the model's, for verify) is written out.
  const candidates: { container: () => Container; size: number; kind: DataKind; method: Method | 'original'; note?: string }[] = [
    { container: () => modelContainer, size: containerSize(modelContainer, payload.length), kind: p.kind, method: 'model' },
  ];
  if (!options.forceModel) {
    const stored = { ...base, method: 'stored' as const, modelId: '', modelHash: NO_MODEL_HASH };
    candidates.push({ container: () => ({ ...stored, payload: p.storedPayload }), size: containerSize(stored, p.storedPayload.length), kind: p.kind, method: 'stored', note: `the model (${model.id}) would cost more than the data itself` });
    // A strong general-purpose coder, so that no file loses badly to xz or to cwebp: text and other bytes,
    // floats (often quantized or full of fill values, which it finds and a predictor does not), and
    // images that are graphics, not photos (screenshots, charts, text: repeated shapes that LZ77 finds
    // and a pixel predictor does not).
    const compressed = options.brotli !== false && p.storedPayload.length > 0 && !model.triesBrotli?.(p.layout) ? await brotliIfPromising(p.storedPayload, Math.min(payload.length, p.storedPayload.length, p.originalFile?.length ?? Infinity)) : undefined;
    if (compressed)
      candidates.push({ container: () => ({ ...stored, method: 'brotli', payload: compressed }), size: containerSize(stored, compressed.length), kind: p.kind, method: 'brotli', note: `Brotli codes these ${p.kind === 'image' ? 'pixels' : p.kind === 'array' ? 'samples' : 'bytes'} smaller than the model` });
    if (p.originalFile) {
      // An image whose own file beats anything we make is kept as that file, byte-exact.
      const file = bytesPrepared(p.originalFile, p.meta.name as string | undefined);
      // meta.format says what the kept bytes are (list and info tell why such a file is stored).
      const asBytes = { ...stored, kind: 'bytes' as const, dtype: 'uint8' as const, shape: file.shape, meta: { ...file.meta, format: p.meta.format } };
      const why = p.meta.format === 'jpeg'
        ? 'a JPEG is smaller than its pixels coded losslessly (recompressing JPEG coefficients is not implemented)'
        : `the ${String(p.meta.format ?? 'image')} file is smaller than its pixels coded by the model`;
      candidates.push({ container: () => ({ ...asBytes, dataCrc: crc32(file.canonical), payload: file.canonical }), size: containerSize(asBytes, file.canonical.length), kind: 'bytes', method: 'original', note: `kept the original file as it is: ${why}` });
    }
  }
  const best = candidates.reduce((a, b) => (b.size < a.size ? b : a));
  const bytes = writeContainer(best.container());
  return {
    bytes,
    modelBytes: best.method === 'model' ? bytes : () => writeContainer(modelContainer),
    pixelBits,
    report: { kind: best.kind, method: best.method, note: best.note, dims: elementCount(p.shape), modelBits, floatBits, initialBits, details, codedBits: 8 * payload.length,
      fileBytes: bytes.length, model: model.id },
  };
}

/** Compress one input (file contents) to a .flz container. */
export async function compress(input: Uint8Array, options: CompressOptions = {}): Promise<Uint8Array> {
  return (await compressWithReport(input, { ...options, floatBits: options.floatBits ?? false })).bytes;
}

export async function compressWithReport(input: Uint8Array, options: CompressOptions = {}): Promise<Encoded> {
  checkEffort(options.effort);
  // The model loads before the input decodes, so that part workers started ahead (startPartWorkers)
  // load it meanwhile; encodeWithModel reports a model that fails to load.
  loadModel(options.model ?? DEFAULT_MODEL, options.effort).catch(() => undefined);
  return await encodePrepared(await prepare(input, options), options);
}

export interface DecompressResult {
  kind: DataKind;
  /** The restored file: the original bytes (arrays, bytes) or a PNG (images). */
  data: Uint8Array;
  /** Original name when it was recorded. */
  name?: string;
  /** Extension of `data`'s format ('.png' for images, else the original's). */
  format?: string;
  shape: number[];
  dtype: DType;
  /** For images and arrays: the restored samples (what the checksum covered). */
  samples?: SampleArray;
  container: Container;
}

export function checkShape(c: Pick<Container, 'kind' | 'shape' | 'dtype' | 'meta'>): SampleLayout {
  const n = elementCount(c.shape);
  if (c.kind === 'image') {
    if (c.shape.length !== 3 || c.shape[2] < 1 || c.shape[2] > 4 || (c.dtype !== 'uint8' && c.dtype !== 'uint16'))
      fail('BAD_SHAPE', `image shape ${c.shape.join('x')} ${c.dtype}`);
    if (c.shape[0] === 0 || c.shape[1] === 0) fail('BAD_SHAPE', 'image with no pixels');
    return { height: c.shape[0], width: c.shape[1], channels: c.shape[2], dtype: c.dtype };
  }
  if (c.kind === 'bytes') {
    if (c.shape.length !== 1 || c.dtype !== 'uint8') fail('BAD_SHAPE', 'bytes must be 1-d uint8');
    return { height: 1, width: n, channels: 1, dtype: 'uint8' };
  }
  return arraySampleLayout(c.dtype, c.shape, c.meta.fortranOrder === true);
}

/** Bytes of the canonical data (docs/format.md): the original file, except images (their raw samples). */
export function canonicalSize(c: Pick<Container, 'kind' | 'dtype' | 'shape' | 'meta'>): number {
  if (c.kind !== 'array') return storedSize(c);
  const header =
    typeof c.meta.npyHeader === 'string'
      ? metaBytes(c.meta.npyHeader).length
      : npyHeader(c.dtype, c.shape, { littleEndian: c.meta.littleEndian !== false, fortranOrder: c.meta.fortranOrder === true }).length;
  return header + storedSize(c);
}

/** Bytes of a stored payload: the canonical data without an array's .npy header. */
function storedSize(c: Pick<Container, 'dtype' | 'shape'>): number {
  return elementCount(c.shape) * ITEM_SIZE[c.dtype];
}

/**
 * Decode samples from a container's payload (any method). Order of refusals: what the payload cannot
 * hold is BAD_SHAPE or CORRUPT; what it could hold but exceeds the limits is LIMIT; both before allocating.
 */
async function decodeSamples(c: Container, layout: SampleLayout, options: DecompressOptions): Promise<SampleArray> {
  const n = elementCount(c.shape);
  const words = n * wordsPerElement(c.dtype);
  if (c.method === 'brotli') {
    checkLimits(c, options);
    const expanded = unbrotli(c.payload, storedSize(c), 'Brotli payload');
    return readSamples(expanded, c.dtype, c.kind !== 'array' || c.meta.littleEndian !== false);
  }
  if (c.method === 'stored') {
    if (c.payload.length !== storedSize(c)) fail('CORRUPT', 'stored payload size does not match the shape');
    const little = c.kind !== 'array' || c.meta.littleEndian !== false;
    return readSamples(c.payload, c.dtype, little);
  }
  // The file names a shipped model, or says it was made with a directory: it never chooses a path to read.
  const model = c.modelId.startsWith('path:')
    ? await loadModel(options.model ?? fail('UNKNOWN_MODEL', `${c.modelId}: made with a model directory; pass it with --model`))
    : await shippedModelWithHash(c.modelId, c.modelHash);
  if (!model || !modelHashMatches(model.hash, c.modelHash))
    fail('MODEL_MISMATCH', `model '${c.modelId}' here is not the one the file was made with`);
  if ((model.minPayloadBits?.(c.payload, layout) ?? words * model.minBitsPerSample) > 8 * c.payload.length + 64)
    fail('BAD_SHAPE', `${c.shape.join('x')} cannot fit in a ${c.payload.length}-byte payload`);
  checkLimits(c, options);
  const out = allocateSamples(c.dtype, words);
  await model.decode(c.payload, layout, out, options.progress);
  const [lo, hi] = DTYPE_RANGE[c.dtype];
  for (let i = 0; i < words; i++) if (!(out[i] >= lo && out[i] <= hi)) fail('CORRUPT', 'decoded value outside its dtype');
  return out;
}

/**
 * The restored file from decoded samples: the original bytes (bytes, arrays) or a PNG (images), after
 * checking the data CRC (CHECKSUM on mismatch).
 */
export async function restoreFile(
  c: Pick<Container, 'kind' | 'shape' | 'dtype' | 'meta' | 'dataCrc'>,
  layout: SampleLayout,
  samples: SampleArray,
  what = 'restored data',
): Promise<Uint8Array> {
  let data: Uint8Array;
  let canonical: Uint8Array;
  if (c.kind === 'bytes') {
    data = canonical = Uint8Array.from(samples);
  } else if (c.kind === 'array') {
    const littleEndian = c.meta.littleEndian !== false;
    const header =
      c.meta.npyHeader === undefined
        ? npyHeader(c.dtype, c.shape, { littleEndian, fortranOrder: c.meta.fortranOrder === true })
        : metaBytes(c.meta.npyHeader);
    const body = writeSamples(samples, c.dtype, c.meta.littleEndian !== false);
    data = canonical = new Uint8Array(header.length + body.length);
    data.set(header);
    data.set(body, header.length);
  } else {
    const bitDepth = c.dtype === 'uint16' ? 16 : 8;
    canonical = imageSampleBytes(samples, bitDepth);
    data = new Uint8Array(0);
  }
  if (crc32(canonical) !== c.dataCrc) fail('CHECKSUM', `${what} does not match the original checksum`);
  if (c.kind === 'image') {
    const icc = c.meta.icc === undefined ? undefined : iccOfMeta(c.meta.icc);
    data = await encodePng(
      { width: layout.width, height: layout.height, channels: layout.channels, bitDepth: c.dtype === 'uint16' ? 16 : 8, icc },
      samples,
    );
  }
  return data;
}

export interface DecompressOptions {
  /** A model directory, for files made with `--model PATH`. */
  model?: string;
  /** Refuse (LIMIT) before allocating when the restored data would be larger (bytes; default 4 GiB). */
  maxOutputBytes?: number;
  /** Refuse (LIMIT) images with more pixels (default 268 million, as sharp). */
  maxPixels?: number;
  progress?: Progress;
}

/** Room for n decoded samples; an allocation the machine refuses is a LIMIT, not a crash. */
export function allocateSamples(dtype: DType, n: number): SampleArray {
  try {
    return sampleArray(dtype, n);
  } catch {
    fail('LIMIT', `cannot allocate ${n} samples on this machine`);
  }
}

/** LIMIT before anything is allocated: what a file declares against the decoder's limits. */
export function checkLimits(c: Pick<Container, 'kind' | 'dtype' | 'shape' | 'meta'>, options: DecompressOptions): void {
  const size = canonicalSize(c);
  const maxOutput = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  if (size > maxOutput) fail('LIMIT', `${c.shape.join('x')} ${c.dtype} restores to ${size} bytes, above the output limit of ${maxOutput} (raise it with --max-output)`);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (c.kind === 'image' && c.shape[0] * c.shape[1] > maxPixels)
    fail('LIMIT', `${c.shape[0]}x${c.shape[1]} pixels, above the limit of ${maxPixels} (raise it with --max-pixels)`);
}

export async function decompress(bytes: Uint8Array, options: DecompressOptions = {}): Promise<DecompressResult> {
  const c = readContainer(bytes);
  if (c.kind === 'archive') fail('USAGE', 'this .flz is an archive of several files: use decompressArchive (CLI: decompress -o DIR)');
  if (!DTYPES.includes(c.dtype)) fail('CORRUPT', 'dtype');
  const layout = checkShape(c);
  const samples = await decodeSamples(c, layout, options);
  const name = typeof c.meta.name === 'string' ? c.meta.name : undefined;
  const data = await restoreFile(c, layout, samples);
  return {
    kind: c.kind,
    data,
    name,
    format: c.kind === 'image' ? 'png' : undefined,
    shape: c.shape,
    dtype: c.dtype,
    samples: c.kind === 'bytes' ? undefined : samples,
    container: c,
  };
}

export interface VerifyReport {
  file: string;
  kind: DataKind;
  /** The model measured (its id as files record it). */
  model: string;
  /** How `compress` writes this input: model, stored, brotli, or original (an image's own file kept). */
  method: Method | 'original';
  /** Why the method is not the model's, when it is not. */
  note?: string;
  dims: number;
  /** The model's ideal -log2 p(x), bits. */
  modelBits: number;
  /** Bits of the model's coded payload (the rANS message). */
  codedBits: number;
  /** Size of the .flz that `compress` writes, header included. */
  fileBytes: number;
  /** 8 * fileBytes / dims: what the file really costs per sample. */
  bitsPerDim: number;
  /** 100 * (codedBits - modelBits - initialBits) / (modelBits + initialBits). */
  overheadPct: number;
  /**
   * The float model's -log2 p(x) in bits, for models that have one; for the fixed-point flow the
   * variational dequantization bound -log2 p(x + u) + log2 q(u | x) at the u that was coded.
   */
  floatBits?: number;
  /** Bits-back models: one-time bits borrowed to start the chain (see CompressReport). */
  initialBits?: number;
  /** Model-specific counts (see CompressReport). */
  details?: Record<string, number | string>;
  /** With `heatmap`: bits per pixel, height x width. */
  heatmap?: { bits: Float32Array; width: number; height: number };
}

/**
 * Compress, decompress, check that everything comes back exactly, and report the model's ideal cost
 * next to the real one. Throws FlowzipError('INTERNAL') on any mismatch: that would be a bug.
 */
export async function verify(input: Uint8Array, options: CompressOptions & { file?: string } = {}): Promise<VerifyReport> {
  checkEffort(options.effort);
  const prepared = await prepare(input, options);
  const encoded = await encodePrepared(prepared, options);
  const restored = await decompress(typeof encoded.modelBytes === 'function' ? encoded.modelBytes() : encoded.modelBytes, { model: options.model });
  const expected = prepared.samples;
  const got = restored.samples ?? Int32Array.from(restored.data);
  if (got.length !== expected.length || got.some((v, i) => v !== expected[i]))
    fail('INTERNAL', 'round trip mismatch: please report this file');
  const { dims, modelBits, codedBits, fileBytes, floatBits, initialBits, details, model, method, note } = encoded.report;
  const idealBits = modelBits + (initialBits ?? 0);
  return {
    file: options.file ?? options.name ?? '',
    kind: prepared.kind,
    model,
    method,
    note,
    dims,
    modelBits,
    codedBits,
    fileBytes,
    bitsPerDim: dims > 0 ? (8 * fileBytes) / dims : 0,
    overheadPct: idealBits > 0 ? (100 * (codedBits - idealBits)) / idealBits : 0,
    floatBits,
    initialBits,
    details,
    heatmap: encoded.pixelBits ? { bits: encoded.pixelBits, width: prepared.layout.width, height: prepared.layout.height } : undefined,
  };
}

export { FlowzipError };
