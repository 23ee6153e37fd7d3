import type { ModelKind } from '../shared/kind.js';
import { MULTISCALE_FORMAT } from '../shared/multiscale/model-file.js';
import { multiscaleTrainer } from '../shared/multiscale/trainer.js';

export const idfKind: ModelKind = {
  id: 'idf',
  description: 'learned integer discrete flow for 8-bit RGB (3 levels, conditional logistic priors); baseline for other layouts',
  shippedDir: 'models/idf/rgb',
  matches: (head) => head.format === MULTISCALE_FORMAT && !((head.config?.fractionBits as number) > 0),
  load: async (dir, id) => (await import('./model.js')).createIdfModel(dir, id),
  trainer: multiscaleTrainer('the multi-scale integer discrete flow on random crops of RGB images (resumable; hours)', 0),
};
