import type { ModelKind } from '../shared/kind.js';

export const gridKind: ModelKind = {
  id: 'grid',
  description: 'integer arrays of 2+ dimensions (images of any depth, depth maps, rasters, stacks, volumes): weighted mix of neighbour predictors and binary contexts adapted while coding; baseline for other layouts',
  load: async (_dir, id) => (await import('./model.js')).createGridModel(id),
};
