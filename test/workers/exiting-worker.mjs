// A pool worker for test/worker-pool.test.ts: answers { echo } jobs, fails { fail } jobs, exits the thread on an { exit } job.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', ({ id, job }) => {
  if (job.exit) process.exit(job.exit);
  if (job.fail) return parentPort.postMessage({ id, ok: false, message: job.fail });
  parentPort.postMessage({ id, ok: true, result: job.echo });
});
parentPort.postMessage({ ready: true });
