/** Worker side of cli/pool.ts: compress or decompress one file per message. */
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { FlowzipError, compressWithReport, decompress, preferBackend, setTileThreads } from '../src/index.js';
import type { Job, JobResult } from './pool.js';

// Files are already spread over threads: each file's tiles stay on this one.
setTileThreads(1);

parentPort!.on('message', async (job: Job) => {
  let result: JobResult;
  try {
    if (job.options.backend) preferBackend(job.options.backend as string);
    const input = new Uint8Array(readFileSync(job.file));
    if (job.op === 'compress') {
      const { bytes } = await compressWithReport(input, job.options);
      result = { ok: true, bytes };
    } else {
      const r = await decompress(input, job.options);
      result = { ok: true, bytes: r.data, kind: r.kind, format: r.format };
    }
  } catch (e) {
    const err = e as Error & { code?: string };
    result = { ok: false, error: { code: e instanceof FlowzipError ? err.code : undefined, errno: e instanceof FlowzipError ? undefined : err.code, message: err.message } };
  }
  parentPort!.postMessage(result);
});
