/** The worker pool when a worker thread dies: its jobs fail, later jobs fail at once, a new pool replaces it. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WorkerPool, sharedPool } from '../models/shared/worker-pool.js';
import { preloadPartCoder } from '../models/shared/parts.js';
import { arKind } from '../models/ar/kind.js';
import { assetPath, compiledSibling } from '../models/shared/assets.js';
import { setTileThreads, startPartWorkers } from '../src/index.js';

const SCRIPT = new URL('./workers/exiting-worker.mjs', import.meta.url);
type Job = { echo?: number; exit?: number };

const run = (pool: WorkerPool, jobs: Job[]) => {
  const results: number[] = [];
  return pool.run<Job, number>('echo', jobs.length, (i) => jobs[i], (i, r) => void (results[i] = r)).then(() => results);
};

describe('worker pool', () => {
  it('runs jobs on its threads', async () => {
    const pool = new WorkerPool(SCRIPT, undefined, 2);
    expect(await run(pool, [{ echo: 1 }, { echo: 2 }, { echo: 3 }])).toEqual([1, 2, 3]);
  });

  it('a worker that exits fails its jobs and every later run (no hang); the shared pool is replaced', async () => {
    const pool = sharedPool(SCRIPT, 'exit-test', undefined, 2);
    await expect(run(pool, [{ echo: 1 }, { exit: 3 }, { echo: 2 }, { echo: 4 }])).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(run(pool, [{ echo: 5 }, { echo: 6 }])).rejects.toMatchObject({ code: 'INTERNAL' });
    const fresh = sharedPool(SCRIPT, 'exit-test', undefined, 2);
    expect(fresh).not.toBe(pool);
    expect(await run(fresh, [{ echo: 7 }, { echo: 8 }])).toEqual([7, 8]);
  });

  it('starts workers when first needed, at most its size; `workers` caps how many take jobs', async () => {
    const pool = new WorkerPool(SCRIPT, undefined, 3);
    const started = () => (pool as unknown as { workers: unknown[] }).workers.length;
    expect(started()).toBe(0);
    expect(await run(pool, [{ echo: 1 }])).toEqual([1]);
    expect(started()).toBe(1);
    pool.start(2);
    expect(started()).toBe(2);
    await pool.broadcast('echo', { echo: 0 });
    const results: number[] = [];
    await pool.run<Job, number>('echo', 4, (i) => ({ echo: i }), (i, r) => void (results[i] = r), undefined, 2);
    expect(results).toEqual([0, 1, 2, 3]);
    expect(started()).toBe(2);
    pool.start();
    expect(started()).toBe(3);
  });

  it('workers started ahead and never used keep no process alive', () => {
    const index = fileURLToPath(new URL('../dist/src/index.js', import.meta.url));
    const script = `import { setTileThreads, startPartWorkers, loadModel } from ${JSON.stringify(index)}; setTileThreads(2); startPartWorkers(); await loadModel('ar');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
  });

  it('a broadcast resolves when every started worker has done it, and rejects when one fails', async () => {
    const pool = new WorkerPool(SCRIPT, undefined, 2);
    await expect(pool.broadcast('echo', { echo: 1 })).resolves.toBeUndefined();
    pool.start(2);
    await expect(pool.broadcast('echo', { echo: 2 })).resolves.toBeUndefined();
    await expect(pool.broadcast('fail', { fail: 'no such coder' })).rejects.toThrow('no such coder');
  });

  it("the part workers preload a model's coder ahead of its parts (the 'load' job is one they take)", async () => {
    setTileThreads(2);
    try {
      startPartWorkers();
      const source = { module: compiledSibling(new URL('../models/ar/model.js', import.meta.url).href, 'model.js'), dir: assetPath(arKind.shippedDir!) };
      await expect(preloadPartCoder(source)).resolves.toBeUndefined();
      await expect(preloadPartCoder({ ...source, dir: '/no/such/model' })).rejects.toMatchObject({ code: 'UNKNOWN_MODEL' });
    } finally {
      setTileThreads(1);
    }
  });

  it('a worker that fails to load fails the run', async () => {
    const pool = new WorkerPool(new URL('./workers/no-such-worker.mjs', import.meta.url), undefined, 1);
    await expect(run(pool, [{ echo: 1 }])).rejects.toBeTruthy();
  });
});
