/**
 * Worker side of the part pool (parts.ts): loads each model's part coder once (on the first job that
 * names it, or on a 'load' ahead of the jobs), then codes parts on request.
 */
import { parentPort } from 'node:worker_threads';
import type { DecodePartJob, EncodePartJob, PartCoder, PartWorkerJob } from './parts.js';
import { serveJobs } from './worker-pool.js';

const coders = new Map<string, Promise<PartCoder>>();

function coderFor({ module, dir, backend }: PartWorkerJob<unknown>['source']): Promise<PartCoder> {
  const key = `${module}|${dir}|${backend ?? ''}`;
  let coder = coders.get(key);
  if (!coder) coders.set(key, (coder = import(module).then((m: { partCoder(dir: string, backend?: string): PartCoder | Promise<PartCoder> }) => m.partCoder(dir, backend))));
  return coder;
}

serveJobs(parentPort!, {
  load: async ({ source }: PartWorkerJob<undefined>) => (await coderFor(source), { result: undefined }),
  encode: async ({ source, job }: PartWorkerJob<EncodePartJob>, progress) => ({ result: (await coderFor(source)).encodePart(job, progress) }),
  decode: async ({ source, job }: PartWorkerJob<DecodePartJob>, progress) => {
    const values = (await coderFor(source)).decodePart(job, progress);
    return { result: values, transfer: [values.buffer as ArrayBuffer] };
  },
});
