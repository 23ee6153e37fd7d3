/** Flowzip's public library API. */
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
export { FlowzipError, ERROR_CODES, EXIT_STATUS, readContainer, type ErrorCode } from '../codec/index.js';
export { listModels, loadModel, DEFAULT_MODEL } from '../models/index.js';
export { parseNpy, buildNpy } from './npy.js';
export { decodeImage, encodePng, renderHeatmap } from './image.js';
export { useBackend, type BackendName } from '../models/backend.js';
export { train, type TrainOptions } from '../models/idf/train.js';
export { trainAr, AR_DEFAULTS, type ArTrainOptions } from '../models/ar/train.js';
export { setTileThreads } from '../models/idf/model.js';
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
export { FINE_FRACTION_BITS as FIXEDPOINT_FRACTION_BITS } from '../models/idf/tables.js';
