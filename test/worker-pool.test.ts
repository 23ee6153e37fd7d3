/** The worker pool when a worker thread dies: its jobs fail, later jobs fail at once, a new pool replaces it. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WorkerPool, sharedPool } from '../models/shared/worker-pool.js';

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
    pool.broadcast('echo', { echo: 0 });
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

  it('a worker that fails to load fails the run', async () => {
    const pool = new WorkerPool(new URL('./workers/no-such-worker.mjs', import.meta.url), undefined, 1);
    await expect(run(pool, [{ echo: 1 }])).rejects.toBeTruthy();
  });
});
