/**
 * Per-file work on worker threads (`--threads N`), on the library's worker pool: each worker loads the
 * library (and its model) once and handles one file at a time. `onDone` hears of the files in input
 * order, each as soon as it and every file before it are done.
 */
import { WorkerPool } from '../src/workers.js';

export interface Job {
  op: 'compress' | 'decompress';
  file: string;
  options: Record<string, unknown>;
}

export type JobResult = { ok: true; bytes: Uint8Array; kind?: string; format?: string } | { ok: false; error: { code?: string; message: string; errno?: string } };

export async function runPool(jobs: Job[], threads: number, onDone: (index: number, result: JobResult) => Promise<void> | void): Promise<void> {
  const pool = new WorkerPool(new URL('./worker.js', import.meta.url), undefined, Math.max(1, Math.min(threads, jobs.length)));
  const arrived = new Map<number, JobResult>();
  let emitted = 0;
  await pool.run<Job, JobResult>('file', jobs.length, (i) => jobs[i], async (index, result) => {
    arrived.set(index, result);
    while (arrived.has(emitted)) {
      const r = arrived.get(emitted)!;
      arrived.delete(emitted);
      await onDone(emitted++, r);
    }
  });
}
