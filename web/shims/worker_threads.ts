/** node:worker_threads for the browser build: never started (one thread: see shims/os.ts). */
export class Worker {
  constructor() {
    throw new Error('worker_threads are not part of the browser build');
  }
}
export const parentPort = null;
export const workerData = undefined;
export type MessagePort = never;
