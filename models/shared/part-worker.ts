/** Worker side of the part pool (parts.ts): loads one model's part coder once, then codes parts on request. */
import { parentPort, workerData } from 'node:worker_threads';
import type { DecodePartJob, EncodePartJob, PartCoder } from './parts.js';
import { serveJobs } from './worker-pool.js';

const { module, dir, backend } = workerData as { module: string; dir: string; backend?: string };
const coder = (await (await import(module)).partCoder(dir, backend)) as PartCoder;

serveJobs(parentPort!, {
  encode: (job: EncodePartJob, progress) => ({ result: coder.encodePart(job, progress) }),
  decode: (job: DecodePartJob, progress) => {
    const values = coder.decodePart(job, progress);
    return { result: values, transfer: [values.buffer as ArrayBuffer] };
  },
});
