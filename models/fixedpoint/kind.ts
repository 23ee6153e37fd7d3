import { assetPath } from '../shared/assets.js';
import type { ModelKind } from '../shared/kind.js';
import { MULTISCALE_FORMAT } from '../shared/multiscale/model-file.js';
import { multiscaleTrainer } from '../shared/multiscale/trainer.js';
import { FINE_FRACTION_BITS } from '../shared/prior-tables.js';

export const SHIPPED_FIXEDPOINT_DIR = 'models/fixedpoint/rgb';
export const FIXEDPOINT_DESCRIPTION =
  'dequantized fixed-point flow with bits-back coding for 8-bit RGB (tiles chained, baseline bootstrap); baseline for other layouts';

export const fixedpointKind: ModelKind = {
  id: 'fixedpoint',
  description: FIXEDPOINT_DESCRIPTION,
  shippedDir: SHIPPED_FIXEDPOINT_DIR,
  matches: (head) => head.format === MULTISCALE_FORMAT && (head.config?.fractionBits as number) > 0,
  load: async (dir = assetPath(SHIPPED_FIXEDPOINT_DIR), id = 'fixedpoint') => (await import('./model.js')).createFixedPointModel(dir, id),
  trainer: multiscaleTrainer('the fixed-point flow coded with bits-back (loss: the dequantization bound; --init from an IDF)', FINE_FRACTION_BITS),
};
