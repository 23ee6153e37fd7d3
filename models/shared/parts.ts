/**
 * Independent parts of one layout (IDF tiles, autoregressive bands), each coded as its own message, on
 * this thread or on one shared pool of worker threads. Parts are independent, so the bytes do not
 * depend on the thread count.
 */
import { compiledSibling } from './assets.js';
import type { Progress, SampleLayout } from './types.js';
import { sharedPool, tileThreads } from './worker-pool.js';

export interface EncodePartJob {
  values: Int32Array;
  layout: SampleLayout;
  withPixelBits: boolean;
}

export interface EncodedPart {
  message: Uint8Array;
  bits: number;
  floatBits: number;
  /** layout.height * layout.width of the part, when asked for. */
  pixelBits?: Float32Array;
}

export interface DecodePartJob {
  message: Uint8Array;
  layout: SampleLayout;
}

/** What codes one part; a model module exports `partCoder(dir, backend)` for the worker threads. */
export interface PartCoder {
  /** `progress`: the fraction of this part done. */
  encodePart(job: EncodePartJob, progress?: Progress): EncodedPart;
  decodePart(job: DecodePartJob, progress?: Progress): Int32Array;
}

export interface PartRunner {
  encode(jobs: EncodePartJob[], progress?: Progress): Promise<EncodedPart[]>;
  decode(jobs: DecodePartJob[], progress?: Progress): Promise<Int32Array[]>;
}

/** Where worker threads find a part coder: a compiled model module, its model directory, a tfjs backend. */
export interface PartWorkerSource {
  module: URL;
  dir: string;
  backend?: string;
}

/**
 * Parts here when one thread (or fewer than `minParts` parts) makes workers pointless, else on the
 * shared pool (one per model, backend and thread count; workers load the model once).
 */
export function partRunner(local: PartCoder, source: PartWorkerSource, parts: number, minParts = 2): PartRunner {
  const threads = Math.min(tileThreads(), parts);
  if (threads <= 1 || parts < minParts) {
    return {
      encode: async (jobs, progress) => jobs.map((job, i) => local.encodePart(job, progress && ((f) => progress((i + f) / jobs.length)))),
      decode: async (jobs, progress) => jobs.map((job, i) => local.decodePart(job, progress && ((f) => progress((i + f) / jobs.length)))),
    };
  }
  const data = { module: source.module.href, dir: source.dir, backend: source.backend };
  const pool = sharedPool(compiledSibling(import.meta.url, 'part-worker.js'), `${data.module}|${data.dir}|${data.backend ?? ''}`, data, threads);
  return {
    encode: (jobs, progress) => pool.run<EncodePartJob, EncodedPart>('encode', jobs, progress),
    decode: (jobs, progress) => pool.run<DecodePartJob, Int32Array>('decode', jobs, progress),
  };
}
