/** Worker side of the autoregressive flow's band pool: loads the model once, then codes bands on request. */
import { parentPort, workerData } from 'node:worker_threads';
import { serveJobs } from '../worker-pool.js';
import { parseArFlow, readArFile, type DecodeBandJob, type EncodeBandJob } from './model.js';

const { dir } = workerData as { dir: string };
const flow = parseArFlow(readArFile(dir), dir);

serveJobs(parentPort!, {
  encode: (job: EncodeBandJob) => ({ result: flow.encodeBand(job) }),
  decode: (job: DecodeBandJob) => {
    const values = flow.decodeBand(job);
    return { result: values, transfer: [values.buffer as ArrayBuffer] };
  },
});
