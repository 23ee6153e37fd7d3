/**
 * Independent parts of one layout (IDF tiles, autoregressive bands), each coded as its own message, on
 * this thread or on one shared pool of worker threads. Parts are independent, so the bytes do not
 * depend on the thread count.
 */
import { compiledSibling } from './assets.js';
import type { Progress, SampleArray, SampleLayout } from './types.js';
import { sharedPool, startedPool, tileThreads, type WorkerPool } from './worker-pool.js';

export interface EncodePartJob {
  values: SampleArray;
  layout: SampleLayout;
  withPixelBits: boolean;
  /** Compute EncodedPart.floatBits (absent: yes); without them a coder may report 0 and save the time. */
  withFloatBits?: boolean;
  /** Which of the coder's variants codes the part (a route's choice, e.g. with online adaptation). */
  variant?: number;
  /** Per row of the part, 1 where the row is coded elsewhere (strips-route.ts): read as context, not coded. */
  knownRows?: Uint8Array;
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
  /** As EncodePartJob.knownRows; `known` then holds the part's samples with those rows filled in. */
  knownRows?: Uint8Array;
  known?: SampleArray;
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

/** What a part worker receives: the part coder's source (as posted) and the job. */
export interface PartWorkerJob<J> {
  source: { module: string; dir: string; backend?: string };
  job: J;
}

/**
 * The part workers: one pool per thread setting, shared by every model (each worker loads a model's
 * part coder on the first job that names it, or when `preloadPartCoder` asks).
 */
function partPool(): WorkerPool {
  return sharedPool(compiledSibling(import.meta.url, 'part-worker.js'), 'parts', undefined, tileThreads());
}

/**
 * Start the worker threads that code one image's parts beside this thread (threads - 1 of them) before
 * any model needs them: they start while the caller reads the input and loads the model (the CLI does
 * this for one file and -T 2 or more). Nothing happens with one thread.
 */
export function startPartWorkers(): void {
  if (tileThreads() > 1) partPool().start(tileThreads() - 1);
}

/**
 * Have the part workers already started load this model's part coder now, ahead of its first part;
 * resolves when they have (at once when none are started). A caller that does not wait must catch: a
 * failed preload only means the first part loads the coder (and fails there, where it is reported).
 */
export function preloadPartCoder(source: PartWorkerSource): Promise<void> {
  const load: PartWorkerJob<undefined> = { source: postedSource(source), job: undefined };
  return startedPool(compiledSibling(import.meta.url, 'part-worker.js'), 'parts', tileThreads())?.broadcast('load', load) ?? Promise.resolve();
}

function postedSource(source: PartWorkerSource): PartWorkerJob<unknown>['source'] {
  return { module: source.module.href, dir: source.dir, ...(source.backend !== undefined ? { backend: source.backend } : {}) };
}

/** Jobs as the part workers take them: each with its part coder's source. */
function forWorkers<J>(source: PartWorkerJob<J>['source'], jobAt: (index: number) => J): (index: number) => PartWorkerJob<J> {
  return (index) => ({ source, job: jobAt(index) });
}

/**
 * Parts here when one thread (or fewer than `minParts` parts) makes workers pointless; when there are no
 * more parts than threads, the last one here and the others on worker threads; else all on the part
 * workers (one pool for every model; each worker loads a model once).
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
  const pool = partPool();
  const posted = postedSource(source);
  if (parts <= threads) return sharedThreadRunner(local, pool, posted, threads - 1);
  return {
    encode: async (count, jobAt, progress) => {
      const results = new Array<EncodedPart>(count);
      await pool.run<PartWorkerJob<EncodePartJob>, EncodedPart>('encode', count, forWorkers(posted, jobAt), (i, r) => void (results[i] = r), progress, threads);
      return results;
    },
    decode: (count, jobAt, onPart, progress) => pool.run<PartWorkerJob<DecodePartJob>, SampleArray>('decode', count, forWorkers(posted, jobAt), onPart, progress, threads),
  };
}

/**
 * At most one part per thread: workers take all parts but the last, and this thread codes the last one
 * meanwhile (one worker fewer to start and load the model; the workers' parts are posted before this
 * thread starts its own, so all run at once).
 */
function sharedThreadRunner(local: PartCoder, pool: WorkerPool, source: PartWorkerJob<unknown>['source'], workers: number): PartRunner {
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
      const running = pool.run<PartWorkerJob<EncodePartJob>, EncodedPart>('encode', count - 1, forWorkers(source, jobAt), (i, r) => void (results[i] = r), p.pool, workers);
      results[count - 1] = await alongside(running, () => local.encodePart(jobAt(count - 1), p.local));
      return results;
    },
    decode: async (count, jobAt, onPart, progress) => {
      const p = split(progress, count);
      const running = pool.run<PartWorkerJob<DecodePartJob>, SampleArray>('decode', count - 1, forWorkers(source, jobAt), onPart, p.pool, workers);
      onPart(count - 1, await alongside(running, () => local.decodePart(jobAt(count - 1), p.local)));
    },
  };
}
