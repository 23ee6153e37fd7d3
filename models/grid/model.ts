/** The 'grid' model: the grid coder (models/shared/grid-coder.ts) for what it codes, the baseline coder for the rest. */
import { baselineFamilyModel } from '../shared/baseline-coder.js';
import { GRID_ALGORITHM, GRID_MIN_BITS_PER_SAMPLE, gridCodes, gridRoute } from '../shared/grid-coder.js';
import type { IntegerModel } from '../shared/types.js';
import { gridKind } from './kind.js';

export { CHUNK_SAMPLES, GRID_PARAMS, gridRoute, type GridParams } from '../shared/grid-coder.js';

export function createGridModel(id = gridKind.id): IntegerModel {
  const model = baselineFamilyModel({ ...gridKind, id }, GRID_ALGORITHM, gridCodes, () => gridRoute());
  return { ...model, minBitsPerSample: Math.min(model.minBitsPerSample, GRID_MIN_BITS_PER_SAMPLE) };
}
