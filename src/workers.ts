/** The worker-thread pool the models use, for the CLI's per-file threads (not part of the library API). */
export { WorkerPool, serveJobs } from '../models/shared/worker-pool.js';
