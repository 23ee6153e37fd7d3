import type { ModelKind } from '../shared/kind.js';

export const signalKind: ModelKind = {
  id: 'signal',
  description: 'adaptive predictor for 1-D integer signals (audio, biosignals): fixed second order, then two sign-sign LMS stages updated while coding; baseline for other layouts',
  load: async (_dir, id) => (await import('./model.js')).createSignalModel(id),
};
