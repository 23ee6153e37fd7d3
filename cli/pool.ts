/**
 * A small worker-thread pool for per-file work (`--threads N`): each worker loads the library (and its
 * model) once and handles one file at a time. Results come back in input order.
 */
import { Worker } from 'node:worker_threads';

export interface Job {
  op: 'compress' | 'decompress';
  file: string;
  options: Record<string, unknown>;
}

export type JobResult = { ok: true; bytes: Uint8Array; kind?: string; format?: string } | { ok: false; error: { code?: string; message: string; errno?: string } };

export async function runPool(jobs: Job[], threads: number, onDone: (index: number, result: JobResult) => Promise<void> | void): Promise<void> {
  const workers = Array.from({ length: Math.max(1, Math.min(threads, jobs.length)) }, () => new Worker(new URL('./worker.js', import.meta.url)));
  let next = 0;
  const pending = new Map<number, JobResult>();
  let emitted = 0;
  const flush = async () => {
    while (pending.has(emitted)) {
      const r = pending.get(emitted)!;
      pending.delete(emitted);
      await onDone(emitted++, r);
    }
  };
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          const feed = () => {
            if (next >= jobs.length) {
              void worker.terminate();
              resolve();
              return;
            }
            const index = next++;
            worker.once('message', async (result: JobResult) => {
              pending.set(index, result);
              await flush();
              feed();
            });
            worker.postMessage(jobs[index]);
          };
          worker.once('error', (e) => {
            pending.set(next - 1, { ok: false, error: { message: e.message } });
            resolve();
          });
          feed();
        }),
    ),
  );
  await flush();
}
