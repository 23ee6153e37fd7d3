/**
 * Worker threads that code IDF tiles in parallel (tiles are independent, so the bytes do not depend on
 * the thread count). Started on first use for images with enough tiles; idle workers do not keep the
 * process alive.
 */
import { Worker } from 'node:worker_threads';
import { FlowzipError, type ErrorCode } from '../../codec/index.js';
import { compiledSibling } from '../assets.js';
import type { Progress } from '../types.js';
import type { DecodeTileJob, EncodeTileJob, EncodedTile, TileRunner } from './integer.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (e: Error) => void;
}

class TilePool implements TileRunner {
  private readonly workers: Promise<Worker>[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(dir: string, threads: number, backend?: string) {
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(compiledSibling(import.meta.url, 'tile-worker.js'), { workerData: { dir, backend } });
      worker.unref();
      worker.on('message', (m: { id?: number; ok?: boolean; result?: unknown; code?: string; message?: string }) => {
        if (m.id === undefined) return;
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.ok) p?.resolve(m.result);
        else p?.reject(m.code ? new FlowzipError(m.code as ErrorCode, m.message) : new Error(m.message));
      });
      worker.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      return new Promise<Worker>((resolve, reject) => {
        worker.once('message', () => resolve(worker));
        worker.once('error', reject);
      });
    });
  }

  private async runAll<J, R>(op: 'encode' | 'decode', jobs: J[], progress?: Progress): Promise<R[]> {
    const results = new Array<R>(jobs.length);
    let next = 0;
    let done = 0;
    await Promise.all(
      this.workers.map(async (ready) => {
        const worker = await ready;
        worker.ref();
        try {
          while (next < jobs.length) {
            const index = next++;
            const id = this.nextId++;
            results[index] = await new Promise<R>((resolve, reject) => {
              this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
              worker.postMessage({ id, op, job: jobs[index] });
            });
            progress?.(++done / jobs.length);
          }
        } finally {
          worker.unref();
        }
      }),
    );
    return results;
  }

  encode(jobs: EncodeTileJob[], progress?: Progress): Promise<EncodedTile[]> {
    return this.runAll('encode', jobs, progress);
  }

  decode(jobs: DecodeTileJob[], progress?: Progress): Promise<Int32Array[]> {
    return this.runAll('decode', jobs, progress);
  }
}

const pools = new Map<string, TilePool>();

/** A shared pool for the model in `dir`, or undefined when one thread (or few tiles) makes it pointless. */
export function tilePool(dir: string, tiles: number, threads: number, backend?: string): TileRunner | undefined {
  if (threads <= 1 || tiles < MIN_TILES) return undefined;
  const key = `${dir}|${threads}|${backend ?? ''}`;
  let pool = pools.get(key);
  if (!pool) pools.set(key, (pool = new TilePool(dir, threads, backend)));
  return pool;
}

/** Below this many tiles, starting workers (about a second each) costs more than it saves. */
export const MIN_TILES = 4;
