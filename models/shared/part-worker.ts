/**
 * Worker side of the part pool (parts.ts): loads each model's part coder once (on the first job that
 * names it, or on a 'load' ahead of the jobs), then codes parts on request.
 */
import { parentPort } from 'node:worker_threads';
import type { DecodePartJob, EncodePartJob, PartCoder, PartWorkerJob } from './parts.js';
import { serveJobs } from './worker-pool.js';

/** Part coders by model, least recently used first; at most MAX_CODERS kept (a process decoding files of many model versions keeps a few). */
const coders = new Map<string, Promise<PartCoder>>();
const MAX_CODERS = 4;

function coderFor({ module, dir, backend }: PartWorkerJob<unknown>['source']): Promise<PartCoder> {
  const key = `${module}|${dir}|${backend ?? ''}`;
  let coder = coders.get(key);
  if (coder) coders.delete(key);
  else coder = import(module).then((m: { partCoder(dir: string, backend?: string): PartCoder | Promise<PartCoder> }) => m.partCoder(dir, backend));
  coders.set(key, coder);
  // A job holding an evicted coder finishes with it; the next job for that model loads it again.
  if (coders.size > MAX_CODERS) coders.delete(coders.keys().next().value!);
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
