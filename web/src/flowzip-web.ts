/**
 * Flowzip in the browser: the same decoder and encoder as Node's library (src/, models/, codec/), built
 * by web/build.mjs with the browser's own pieces swapped in (web/platform: assets fetched from the
 * static folder, PNG through fast-png). Models read their assets synchronously, so run this module in
 * a Web Worker (the page does: web/src/worker.ts).
 */
import { FlowzipError, EXIT_STATUS, ERROR_CODES, peekKind, splitContainers, type DType, type ErrorCode } from '../../codec/index.js';
import { decompress, compressWithReport, type CompressReport } from '../../src/compress.js';
import { decompressArchive } from '../../src/archive.js';
import { effortOfFile, listFlz, type Listing } from '../../src/inspect.js';
import { parseNpy } from '../../src/npy.js';
import { preferBackend } from '../../models/shared/backend.js';
import { decodeImage } from '../platform/image.js';
import type { Progress, SampleArray } from '../../models/index.js';

export { setAssetBase } from '../platform/assets.js';
export { FlowzipError, ERROR_CODES, EXIT_STATUS, type DataKind } from '../../codec/index.js';

// Integer nets (idf, fixedpoint) run on tfjs's plain-JavaScript backend: the same numbers as Node's.
preferBackend('cpu');

/** What one decoded file (or archive member) is: enough to show it and to give it back. */
export interface DecodedEntry {
  name?: string;
  /** 'image', 'array', 'bytes'; archive members as their kind. */
  kind: string;
  method: string;
  model: string | null;
  dims: number;
  /** Bytes this entry takes in the .flz (an archive member: its share of the payload, from its coded bits). */
  fileBytes: number;
  bitsPerDim: number;
  /** The restored file: a PNG for images, the .npy for arrays, the bytes for bytes. */
  data: Uint8Array;
  /** Extension of `data`. */
  format: string;
  shape?: number[];
  dtype?: DType;
  /** Images and arrays: the samples, as the model coded them (images: H x W x C interleaved). */
  samples?: SampleArray;
  /** The effort it was written at, where the file tells (a container's model, an archive member's; else 1). */
  effort?: number;
}

export interface DecodedFile {
  entries: DecodedEntry[];
  /** Wall-clock milliseconds of decoding (checksums included), for throughput. */
  decodeMs: number;
}

/** Shape, dtype and samples of a restored file, for members that did not come with them. */
async function describe(entry: DecodedEntry): Promise<DecodedEntry> {
  if (entry.samples) return entry;
  // Restored PNGs, and image files kept as they were (a JPEG smaller than its pixels coded).
  if (entry.format === 'png' || entry.kind === 'image') {
    const image = await decodeImage(entry.data);
    if (!('unsupported' in image))
      return { ...entry, shape: [image.height, image.width, image.channels], dtype: image.bitDepth === 16 ? 'uint16' : 'uint8', samples: image.samples };
  }
  if (entry.kind === 'array') {
    const npy = parseNpy(entry.data);
    if (!('unsupported' in npy)) return { ...entry, shape: npy.shape, dtype: npy.dtype, samples: npy.values };
  }
  return entry;
}

function extension(name: string | undefined): string {
  const dot = name?.lastIndexOf('.') ?? -1;
  return dot > 0 ? name!.slice(dot + 1).toLowerCase() : 'bin';
}

/** Decode a .flz (one container, several back to back, or an archive): every checksum checked. */
export async function decodeFlz(bytes: Uint8Array, progress?: Progress): Promise<DecodedFile> {
  const start = performance.now();
  const parts = splitContainers(bytes);
  const listings = listFlz(bytes);
  const entries: DecodedEntry[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const listing: Listing = listings[i];
    const within = progress && ((f: number) => progress((i + f) / parts.length));
    if (peekKind(part) === 'archive') {
      const { members } = await decompressArchive(part, { progress: within });
      members.forEach((m, j) => {
        const r = listing.members![j];
        entries.push({ name: m.name, kind: m.kind, method: m.method, model: m.model ?? null, dims: r.dims,
          fileBytes: r.codedBits / 8, bitsPerDim: r.dims > 0 ? r.codedBits / r.dims : 0, data: m.data,
          format: m.kind === 'image' && m.method !== 'original' ? 'png' : extension(m.name), samples: undefined, effort: m.effort });
      });
    } else {
      const r = await decompress(part, { progress: within });
      entries.push({ name: r.name, kind: r.kind, method: listing.method, model: listing.model, dims: listing.dims, fileBytes: listing.fileBytes, bitsPerDim: listing.bitsPerDim,
        data: r.data, format: r.format ?? (r.kind === 'array' ? 'npy' : extension(r.name)), shape: r.shape, dtype: r.dtype, samples: r.samples, effort: await effortOfFile(part) });
    }
  }
  const decodeMs = performance.now() - start;
  return { entries: await Promise.all(entries.map(describe)), decodeMs };
}

export interface EncodedFile {
  flz: Uint8Array;
  report: CompressReport;
  encodeMs: number;
}

/**
 * Inputs up to this size also try Brotli, as the CLI does for bytes and float arrays (the page's Brotli
 * encoder is wasm, ~20x slower than Node's: a 256 KiB input costs seconds). Larger ones skip it, so
 * where Brotli would win their .flz differs from the CLI's (and is larger).
 */
export const WEB_BROTLI_MAX_BYTES = 256 * 1024;

/** Compress a file as the CLI does (images, .npy arrays, other bytes; `-e effort`): the CLI's bytes (see WEB_BROTLI_MAX_BYTES). */
export async function encodeFile(bytes: Uint8Array, name: string | undefined, progress?: Progress, effort?: number): Promise<EncodedFile> {
  const start = performance.now();
  const { bytes: flz, report } = await compressWithReport(bytes, { name, brotli: bytes.length <= WEB_BROTLI_MAX_BYTES, progress, effort });
  return { flz, report, encodeMs: performance.now() - start };
}

/** Bits per pixel of an image under a model at an effort (the heatmap): the model's own accounting, as verify's. */
export async function pixelBits(imageFile: Uint8Array, model: string, progress?: Progress, effort?: number): Promise<Float32Array | undefined> {
  const { pixelBits } = await compressWithReport(imageFile, { kind: 'image', model, heatmap: true, forceModel: true, brotli: false, progress, effort });
  return pixelBits;
}

/** An error as the CLI reports it: code, message, exit status. */
export function describeError(e: unknown): { code: ErrorCode; message: string; exitStatus: number } {
  if (e instanceof FlowzipError) return { code: e.code, message: e.message, exitStatus: EXIT_STATUS[e.code] };
  return { code: 'INTERNAL', message: `${ERROR_CODES.INTERNAL}: ${(e as Error)?.message ?? String(e)}`, exitStatus: EXIT_STATUS.INTERNAL };
}

