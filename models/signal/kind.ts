import type { ModelKind } from '../shared/kind.js';

export const signalKind: ModelKind = {
  id: 'signal',
  description: 'adaptive predictor for integer signals (1-D, or N x C as C channels: audio, biosignals): fixed second order, then sign-sign LMS stages updated while coding; baseline for other layouts',
  load: async (_dir, id) => (await import('./model.js')).createSignalModel(id),
};
