/** Flowzip's public library API (coding only: trainers are in `flowzip/train`, and no tfjs loads here). */
export {
  compress,
  compressWithReport,
  decompress,
  verify,
  arrayLayout,
  type CompressOptions,
  type CompressReport,
  type DecompressResult,
  type DecompressOptions,
  type VerifyReport,
  type InputKind,
} from './compress.js';
export { FlowzipError, ERROR_CODES, EXIT_STATUS, hasFlzMagic, peekKind, readContainer, splitContainers, type ErrorCode } from '../codec/index.js';
export { effortOfFile, listFlz, testFlz, type Listing } from './inspect.js';
export { listModels, loadModel, DEFAULT_MODEL, MODEL_KINDS, MAX_EFFORT, type ModelKind, type IntegerModel } from '../models/index.js';
export { parseNpy, buildNpy } from './npy.js';
export { decodeImage, encodePng, renderHeatmap } from './image.js';
export { preferBackend, type BackendName } from '../models/shared/backend.js';
export { setTileThreads } from '../models/shared/worker-pool.js';
export { startPartWorkers } from '../models/shared/parts.js';
export {
  compressArchive,
  decompressArchive,
  verifyArchive,
  defaultArchiveModel,
  type ArchiveInput,
  type ArchiveMember,
  type ArchiveReport,
  type ArchiveMemberReport,
} from './archive.js';
