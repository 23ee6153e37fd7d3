/**
 * `flowzip/train`: the trainers, apart from the coding library (they load tfjs and the float nets).
 * `trainKind` runs any kind's trainer with its flags as `flowzip train --kind` does.
 */
import { trainableKind, type TrainRun, type TrainSummary } from '../models/index.js';

export { train, type TrainOptions } from '../models/shared/multiscale/train/train.js';
export { trainAr, AR_DEFAULTS, type ArTrainOptions } from '../models/ar/train/train.js';
export { useBackend, type BackendName } from '../models/shared/backend.js';

/** Train a model of kind `kind` (see MODEL_KINDS' trainers and their flags). */
export async function trainKind(kind: string, options: TrainRun): Promise<TrainSummary> {
  return trainableKind(kind).trainer.run(options);
}
