/** Worker side of cli/pool.ts: compress or decompress one file per job; failures come back as results. */
import { parentPort } from 'node:worker_threads';
import { FlowzipError, compress, decompress, preferBackend, setTileThreads } from '../src/index.js';
import { serveJobs } from '../src/workers.js';
import { readInput } from './input.js';
import type { Job, JobResult } from './pool.js';

// Files are already spread over threads: each file's tiles and bands stay on this one.
setTileThreads(1);

async function run(job: Job): Promise<JobResult> {
  try {
    if (job.options.backend) preferBackend(job.options.backend as string);
    const input = readInput(job.file);
    if (job.op === 'compress') return { ok: true, bytes: await compress(input, job.options) };
    const r = await decompress(input, job.options);
    return { ok: true, bytes: r.data, kind: r.kind, format: r.format };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { ok: false, error: { code: e instanceof FlowzipError ? err.code : undefined, errno: e instanceof FlowzipError ? undefined : err.code, message: err.message } };
  }
}

serveJobs(parentPort!, {
  file: async (job: Job) => ({ result: await run(job) }),
});
