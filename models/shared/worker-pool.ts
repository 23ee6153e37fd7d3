/**
 * Worker threads that run independent jobs of one kind in parallel: the parts of one image (IDF tiles,
 * autoregressive bands; parts.ts), or the CLI's files. Jobs are independent, so the bytes do not
 * depend on the thread count. Workers start when first needed (or `start`ed ahead), up to the pool's
 * size; idle workers do not keep the process alive. The worker script answers `{ ready: true }` once
 * loaded, then `{ id, ok, result }` or `{ id, ok: false, code, message }` for each `{ id, op, job }`.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { FlowzipError, type ErrorCode } from '../../codec/index.js';
import type { Progress } from './types.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (e: Error) => void;
  /** The job's own progress, as the worker reports it. */
  progress?: (fraction: number) => void;
}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Why the pool can run nothing more: a worker failed to load, threw outside a job, or exited. */
  private broken?: Error;

  /** `threads`: the most workers the pool starts. */
  constructor(
    private readonly script: URL,
    private readonly workerData: unknown,
    readonly threads: number,
  ) {}

  /** Start workers until `count` (at most the pool's size) run, e.g. while the caller still prepares its jobs. */
  start(count = this.threads): void {
    while (!this.broken && this.workers.length < Math.min(count, this.threads)) this.workers.push(this.spawn());
  }

  /**
   * Post a job to every started worker (a worker caching something ahead of the jobs that need it);
   * resolves when all have done it, rejects with the first failure (a caller that does not wait must
   * still catch it).
   */
  broadcast(op: string, job: unknown): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    const answers = this.workers.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          const id = this.nextId++;
          this.pending.set(id, { resolve: () => resolve(), reject });
          worker.postMessage({ id, op, job });
        }),
    );
    return Promise.all(answers).then(() => undefined);
  }

  private spawn(): Worker {
    const worker = new Worker(this.script, { workerData: this.workerData });
    worker.on('message', (m: { id?: number; ok?: boolean; result?: unknown; code?: string; message?: string; progress?: number }) => {
      if (m.id === undefined) return;
      if (m.progress !== undefined) return this.pending.get(m.id)?.progress?.(m.progress);
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) p?.resolve(m.result);
      else p?.reject(m.code ? new FlowzipError(m.code as ErrorCode, m.message) : new Error(m.message));
    });
    // A worker that fails to load, throws or exits breaks the pool: the jobs posted to it fail, and so
    // does every later run (a job posted to a dead worker would wait forever); the other workers go.
    const breakPool = (e: Error) => {
      if (!this.broken) {
        this.broken = e;
        for (const w of this.workers) if (w !== worker) void w.terminate();
      }
      for (const p of this.pending.values()) p.reject(this.broken);
      this.pending.clear();
    };
    worker.on('error', breakPool);
    worker.on('exit', (code) => breakPool(new FlowzipError('INTERNAL', `a worker thread exited (status ${code})`)));
    // After the listeners (adding one refs the worker again): an idle worker keeps nothing alive.
    worker.unref();
    return worker;
  }

  /** False once a worker has failed (every run then fails; sharedPool makes a new pool). */
  get usable(): boolean {
    return !this.broken;
  }

  /**
   * Run `count` jobs, made when a worker takes them (`jobAt(i)`: only the jobs in flight exist at once);
   * `onResult` hears of each result as it arrives (any order), so a caller need not keep them all.
   * The first job of each worker is posted before this returns (a worker still loading queues it), so
   * a caller may then block its own thread on other work while the workers run. `workers`: how many of
   * the pool's workers take jobs (default all; never more than jobs).
   */
  async run<J, R>(op: string, count: number, jobAt: (index: number) => J, onResult: (index: number, result: R) => void | Promise<void>, progress?: Progress, workers = this.threads): Promise<void> {
    if (this.broken) throw this.broken;
    const used = Math.max(1, Math.min(workers, count, this.threads));
    this.start(used);
    // Each job's fraction done: finished jobs count 1, running ones what their worker last reported.
    const fractions = new Float64Array(count);
    const report = () => progress?.(fractions.reduce((a, f) => a + f, 0) / count);
    let next = 0;
    await Promise.all(
      this.workers.slice(0, used).map(async (worker) => {
        worker.ref();
        try {
          while (next < count) {
            if (this.broken) throw this.broken;
            const index = next++;
            const id = this.nextId++;
            const result = await new Promise<R>((resolve, reject) => {
              const onProgress = progress && ((f: number) => ((fractions[index] = f), report()));
              this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, progress: onProgress });
              worker.postMessage({ id, op, job: jobAt(index) });
            });
            fractions[index] = 1;
            report();
            await onResult(index, result);
          }
        } finally {
          worker.unref();
        }
      }),
    );
  }
}

let threadSetting = Math.max(1, Number(process.env.FLOWZIP_THREADS) || availableParallelism());

/** Worker threads for the parts (tiles, bands) of one image (1: code them on the calling thread). */
export function setTileThreads(threads: number): void {
  threadSetting = Math.max(1, threads);
}

export function tileThreads(): number {
  return threadSetting;
}

const pools = new Map<string, WorkerPool>();

/** The shared pool for (script, key, threads) if one was made and still works. */
export function startedPool(script: URL, key: string, threads: number): WorkerPool | undefined {
  const pool = pools.get(`${script.href}|${key}|${threads}`);
  return pool?.usable ? pool : undefined;
}

/** One shared pool per (script, key, threads). */
export function sharedPool(script: URL, key: string, workerData: unknown, threads: number): WorkerPool {
  const id = `${script.href}|${key}|${threads}`;
  let pool = pools.get(id);
  if (!pool || !pool.usable) pools.set(id, (pool = new WorkerPool(script, workerData, threads)));
  return pool;
}

/**
 * Serve jobs in a worker thread, one at a time: `handlers[op](job, progress)` returns (or resolves to)
 * the result and the buffers to transfer. Errors go back with their FlowzipError code.
 */
export function serveJobs(
  port: import('node:worker_threads').MessagePort,
  handlers: Record<string, (job: never, progress: Progress) => Handled | Promise<Handled>>,
): void {
  port.on('message', async (msg: { id: number; op: string; job: never }) => {
    // A job's progress goes back to the pool, at most every 1% (a message per row would cost more than it tells).
    let reported = 0;
    const progress = (fraction: number) => {
      if (fraction - reported < 0.01) return;
      reported = fraction;
      port.postMessage({ id: msg.id, progress: fraction });
    };
    try {
      const { result, transfer } = await handlers[msg.op](msg.job, progress);
      port.postMessage({ id: msg.id, ok: true, result }, transfer ?? []);
    } catch (e) {
      const err = e as Error & { code?: string };
      port.postMessage({ id: msg.id, ok: false, code: err.code, message: err.message });
    }
  });
  port.postMessage({ ready: true });
}

interface Handled {
  result: unknown;
  transfer?: ArrayBuffer[];
}
