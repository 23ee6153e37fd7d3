import type { ModelKind } from '../shared/kind.js';

export const baselineKind: ModelKind = {
  id: 'baseline',
  description: 'non-learned: median edge predictor + context-adaptive discretized logistic (LOCO-I style)',
  load: async () => (await import('./model.js')).createBaselineModel(),
};
