/** Worker side of the IDF tile pool: loads the model once, then encodes or decodes tiles on request. */
import { parentPort, workerData } from 'node:worker_threads';
import { useBackend, type BackendName } from '../backend.js';
import { loadIntegerIdf } from './model.js';
import type { DecodeTileJob, EncodeTileJob } from './integer.js';

const { dir, backend } = workerData as { dir: string; backend?: BackendName };
await useBackend(backend);
const flow = await loadIntegerIdf(dir);

parentPort!.on('message', (msg: { id: number; op: 'encode'; job: EncodeTileJob } | { id: number; op: 'decode'; job: DecodeTileJob }) => {
  try {
    if (msg.op === 'encode') {
      const r = flow.encodeTileJob(msg.job);
      parentPort!.postMessage({ id: msg.id, ok: true, result: r });
    } else {
      const values = flow.decodeTileJob(msg.job);
      parentPort!.postMessage({ id: msg.id, ok: true, result: values }, [values.buffer as ArrayBuffer]);
    }
  } catch (e) {
    const err = e as Error & { code?: string };
    parentPort!.postMessage({ id: msg.id, ok: false, code: err.code, message: err.message });
  }
});
parentPort!.postMessage({ ready: true });
