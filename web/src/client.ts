/**
 * The page's side of the worker: one promise per request, progress through a callback. The page's UI
 * and the browser tests (window.flowzip) both go through this.
 */
import type { DecodedFile, EncodedFile, describeError } from './flowzip-web.js';
import type { Request } from './worker.js';

export type WorkerError = ReturnType<typeof describeError>;

/** A request that the worker answered with an error: the CLI's code, message and exit status. */
export class FlowzipPageError extends Error {
  constructor(readonly detail: WorkerError) {
    super(detail.message);
  }
}

type Pending = { resolve: (value: unknown) => void; reject: (e: Error) => void; progress?: (fraction: number) => void };

type RequestBody = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export class FlowzipClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private next = 1;

  constructor(workerUrl: URL) {
    this.worker = new Worker(workerUrl, { type: 'module' });
    this.worker.onmessage = (event: MessageEvent<{ id: number; progress?: number; result?: unknown; error?: WorkerError }>) => {
      const { id, progress, result, error } = event.data;
      const waiting = this.pending.get(id);
      if (!waiting) return;
      if (progress !== undefined) return waiting.progress?.(progress);
      this.pending.delete(id);
      if (error) waiting.reject(new FlowzipPageError(error));
      else waiting.resolve(result);
    };
    this.worker.onerror = (event) => {
      for (const waiting of this.pending.values()) waiting.reject(new FlowzipPageError({ code: 'INTERNAL', message: `the worker failed: ${event.message}`, exitStatus: 1 }));
      this.pending.clear();
    };
  }

  private call<T>(body: RequestBody, progress?: (fraction: number) => void): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, progress });
      this.worker.postMessage({ id, ...body });
    });
  }

  decode(bytes: Uint8Array, progress?: (fraction: number) => void): Promise<DecodedFile> {
    return this.call({ op: 'decode', bytes }, progress);
  }

  /** Compress as `flowzip compress [-e effort]` would. */
  encode(bytes: Uint8Array, name?: string, progress?: (fraction: number) => void, effort?: number): Promise<EncodedFile> {
    return this.call({ op: 'encode', bytes, name, effort }, progress);
  }

  heatmap(imageFile: Uint8Array, model: string, progress?: (fraction: number) => void, effort?: number): Promise<Float32Array | undefined> {
    return this.call({ op: 'heatmap', bytes: imageFile, model, effort }, progress);
  }
}
