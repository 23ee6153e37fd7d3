/**
 * Independent parts of one layout (IDF tiles, autoregressive bands), each coded as its own message, on
 * this thread or on one shared pool of worker threads. Parts are independent, so the bytes do not
 * depend on the thread count.
 */
import { compiledSibling } from './assets.js';
import type { Progress, SampleArray, SampleLayout } from './types.js';
import { sharedPool, tileThreads, type WorkerPool } from './worker-pool.js';

export interface EncodePartJob {
  values: SampleArray;
  layout: SampleLayout;
  withPixelBits: boolean;
  /** Compute EncodedPart.floatBits (absent: yes); without them a coder may report 0 and save the time. */
  withFloatBits?: boolean;
  /** Which of the coder's variants codes the part (a route's choice, e.g. with online adaptation). */
  variant?: number;
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
  variant?: number;
}

/** What codes one part; a model module exports `partCoder(dir, backend)` for the worker threads. */
export interface PartCoder {
  /** `progress`: the fraction of this part done. */
  encodePart(job: EncodePartJob, progress?: Progress): EncodedPart;
  decodePart(job: DecodePartJob, progress?: Progress): SampleArray;
  /** Drop working memory kept between parts (called when an image's parts are done on this thread). */
  release?(): void;
}

/** Codes parts made on demand (`jobAt`), so that only the parts in flight are in memory. */
export interface PartRunner {
  encode(count: number, jobAt: (index: number) => EncodePartJob, progress?: Progress): Promise<EncodedPart[]>;
  /** `onPart` receives each decoded part as it is done (any order): place it, then it can go. */
  decode(count: number, jobAt: (index: number) => DecodePartJob, onPart: (index: number, values: SampleArray) => void, progress?: Progress): Promise<void>;
}

/** Where worker threads find a part coder: a compiled model module, its model directory, a tfjs backend. */
export interface PartWorkerSource {
  module: URL;
  dir: string;
  backend?: string;
}

/**
 * Parts here when one thread (or fewer than `minParts` parts) makes workers pointless; when there are no
 * more parts than threads, the last one here and the others on worker threads; else all on the shared
 * pool (one per model, backend and thread count; workers load the model once).
 */
export function partRunner(local: PartCoder, source: PartWorkerSource, parts: number, minParts = 2): PartRunner {
  const threads = Math.min(tileThreads(), parts);
  if (threads <= 1 || parts < minParts) {
    const within = (progress: Progress | undefined, i: number, count: number) => progress && ((f: number) => progress((i + f) / count));
    return {
      encode: async (count, jobAt, progress) => {
        try {
          return Array.from({ length: count }, (_, i) => local.encodePart(jobAt(i), within(progress, i, count)));
        } finally {
          local.release?.();
        }
      },
      decode: async (count, jobAt, onPart, progress) => {
        try {
          for (let i = 0; i < count; i++) onPart(i, local.decodePart(jobAt(i), within(progress, i, count)));
        } finally {
          local.release?.();
        }
      },
    };
  }
  const data = { module: source.module.href, dir: source.dir, backend: source.backend };
  const script = compiledSibling(import.meta.url, 'part-worker.js');
  const key = `${data.module}|${data.dir}|${data.backend ?? ''}`;
  if (parts <= threads) return sharedThreadRunner(local, sharedPool(script, key, data, threads - 1));
  const pool = sharedPool(script, key, data, threads);
  return {
    encode: async (count, jobAt, progress) => {
      const results = new Array<EncodedPart>(count);
      await pool.run<EncodePartJob, EncodedPart>('encode', count, jobAt, (i, r) => void (results[i] = r), progress);
      return results;
    },
    decode: (count, jobAt, onPart, progress) => pool.run<DecodePartJob, SampleArray>('decode', count, jobAt, onPart, progress),
  };
}

/**
 * At most one part per thread: workers take all parts but the last, and this thread codes the last one
 * meanwhile (one worker fewer to start and load the model; the workers' parts are posted before this
 * thread starts its own, so all run at once).
 */
function sharedThreadRunner(local: PartCoder, pool: WorkerPool): PartRunner {
  const split = (progress: Progress | undefined, count: number) => {
    const done = [0, 0];
    const report = () => progress?.((done[0] * (count - 1) + done[1]) / count);
    return {
      pool: progress && ((f: number) => ((done[0] = f), report())),
      local: progress && ((f: number) => ((done[1] = f), report())),
    };
  };
  const alongside = async <T>(running: Promise<void>, own: () => T): Promise<T> => {
    let value: T;
    try {
      value = own();
    } catch (e) {
      await running.catch(() => undefined);
      throw e;
    } finally {
      local.release?.();
    }
    await running;
    return value;
  };
  return {
    encode: async (count, jobAt, progress) => {
      const results = new Array<EncodedPart>(count);
      const p = split(progress, count);
      const running = pool.run<EncodePartJob, EncodedPart>('encode', count - 1, jobAt, (i, r) => void (results[i] = r), p.pool);
      results[count - 1] = await alongside(running, () => local.encodePart(jobAt(count - 1), p.local));
      return results;
    },
    decode: async (count, jobAt, onPart, progress) => {
      const p = split(progress, count);
      const running = pool.run<DecodePartJob, SampleArray>('decode', count - 1, jobAt, onPart, p.pool);
      onPart(count - 1, await alongside(running, () => local.decodePart(jobAt(count - 1), p.local)));
    },
  };
}
