/**
 * The page's worker: every model runs here (they read assets synchronously, which a worker may do),
 * one request at a time, with progress messages while a request runs.
 */
import { decodeFlz, describeError, encodeFile, pixelBits, setAssetBase } from './flowzip-web.js';

export type Request =
  | { id: number; op: 'decode'; bytes: Uint8Array }
  | { id: number; op: 'encode'; bytes: Uint8Array; name?: string; effort?: number }
  | { id: number; op: 'heatmap'; bytes: Uint8Array; model: string; effort?: number }
  | { id: number; op: 'assets'; base: string };

const PROGRESS_INTERVAL_MS = 50;

let queue = Promise.resolve();

self.onmessage = (event: MessageEvent<Request>) => {
  const request = event.data;
  queue = queue.then(() => handle(request));
};

async function handle(request: Request): Promise<void> {
  let last = 0;
  const progress = (fraction: number) => {
    const now = performance.now();
    if (now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    postMessage({ id: request.id, progress: fraction });
  };
  try {
    let result: unknown;
    if (request.op === 'decode') result = await decodeFlz(request.bytes, progress);
    else if (request.op === 'encode') result = await encodeFile(request.bytes, request.name, progress, request.effort);
    else if (request.op === 'heatmap') result = await pixelBits(request.bytes, request.model, progress, request.effort);
    else result = setAssetBase(request.base);
    postMessage({ id: request.id, result });
  } catch (e) {
    postMessage({ id: request.id, error: describeError(e) });
  }
}
