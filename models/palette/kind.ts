import type { ModelKind } from '../shared/kind.js';

export const paletteKind: ModelKind = {
  id: 'palette',
  description: 'integer arrays with few distinct values (quantized, label-like, scanned data): the sorted values sent once, their ranks coded by the baseline predictor',
  load: async (_dir, id) => (await import('./model.js')).createPaletteModel(id),
};
