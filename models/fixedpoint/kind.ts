import type { ModelKind } from '../shared/kind.js';
import { MULTISCALE_FORMAT } from '../shared/multiscale/model-file.js';
import { multiscaleTrainer } from '../shared/multiscale/trainer.js';
import { FINE_FRACTION_BITS } from '../shared/prior-tables.js';

export const fixedpointKind: ModelKind = {
  id: 'fixedpoint',
  description: 'dequantized fixed-point flow with bits-back coding for 8-bit RGB (tiles chained, baseline bootstrap); baseline for other layouts',
  shippedDir: 'models/fixedpoint/rgb',
  matches: (head) => head.format === MULTISCALE_FORMAT && (head.config?.fractionBits as number) > 0,
  load: async (dir, id) => (await import('./model.js')).createFixedPointModel(dir, id),
  trainer: multiscaleTrainer('the fixed-point flow coded with bits-back (loss: the dequantization bound; --init from an IDF)', FINE_FRACTION_BITS),
};
