/** Worker side of the IDF tile pool: loads the model once, then encodes or decodes tiles on request. */
import { parentPort, workerData } from 'node:worker_threads';
import { useBackend, type BackendName } from '../backend.js';
import { serveJobs } from '../worker-pool.js';
import { loadIntegerIdf } from './model.js';
import type { DecodeTileJob, EncodeTileJob } from './integer.js';

const { dir, backend } = workerData as { dir: string; backend?: BackendName };
await useBackend(backend);
const flow = await loadIntegerIdf(dir);

serveJobs(parentPort!, {
  encode: (job: EncodeTileJob) => ({ result: flow.encodeTileJob(job) }),
  decode: (job: DecodeTileJob) => {
    const values = flow.decodeTileJob(job);
    return { result: values, transfer: [values.buffer as ArrayBuffer] };
  },
});
