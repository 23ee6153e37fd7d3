import { fail } from '../../codec/index.js';
import { positiveInteger, positiveNumber, type ModelKind } from '../shared/kind.js';

/** model.json's format tag. */
export const AR_FORMAT = 'flowzip-ar';

export const arKind: ModelKind = {
  id: 'ar',
  description: 'learned autoregressive integer flow for 8-bit grey and RGB (integer MLP on causal context, logistic priors); baseline for other layouts',
  shippedDir: 'models/ar/photo-mix',
  // Files that name these hashes still decode: the first shipped model (one logistic per sample, routes
  // 1-4) and the earlier effort-3 models (the wide nets of the ninth session; the tenth's: the same
  // trained on, before net 0 had context 2; the eleventh's, before net 0 trained on grey copies; the
  // twelfth's, context 2; the thirteenth's, two hidden layers; the fifteenth's, photo-wide6 without a second opinion).
  retiredDirs: ['models/ar/photo-wide6', 'models/ar/photo-wide5', 'models/ar/photo-wide4', 'models/ar/photo-wide3', 'models/ar/photo-wide2', 'models/ar/photo-wide', 'models/ar/photo'],
  retiredEfforts: { 'models/ar/photo-wide6': 3, 'models/ar/photo-wide5': 3, 'models/ar/photo-wide4': 3, 'models/ar/photo-wide3': 3, 'models/ar/photo-wide2': 3, 'models/ar/photo-wide': 3 },
  // Effort 3: photo-wide6's nets (three hidden layers of 256 units, context 3: every net with its channel's
  // far window, the mean adaptation on the last hidden layer only) under the residual context mixer, with
  // the default model's nets (photo-mix) and photo-wide5's as second opinions (photo-opinions, a version-5
  // model.json: routes 16 and 17).
  effortDirs: { 3: 'models/ar/photo-opinions' },
  matches: (head) => head.format === AR_FORMAT,
  load: async (dir, id) => (await import('./model.js')).createArModel(dir, id),
  trainer: {
    summary: 'one small integer network per coded channel on sampled causal contexts (8-bit grey and RGB; minutes)',
    flags: [
      { flags: '--steps <n>', description: 'Adam steps per network (default 6000)', parse: positiveInteger('--steps') },
      { flags: '--samples <n>', description: 'sampled pixels per training image (default 100000)', parse: positiveInteger('--samples') },
      { flags: '--hidden <sizes>', description: 'hidden layer widths, comma-separated (default 64,64)', parse: hiddenSizes },
      { flags: '--lr <x>', description: 'Adam learning rate (default 2e-3)', parse: positiveNumber('--lr') },
      { flags: '--mixture', description: 'networks output a mixture of two logistics per sample (format route 5)' },
      { flags: '--init <dir>', description: "start every network from another ar model directory's (same --hidden); a run resumes from --out's checkpoint.json" },
    ],
    run: async (o) => {
      const { trainAr } = await import('./train/train.js');
      const file = await trainAr({ data: o.data, out: o.out, steps: o.steps as number | undefined, samplesPerImage: o.samples as number | undefined,
        hidden: o.hidden as number[] | undefined, learningRate: o.lr as number | undefined, init: o.init as string | undefined, mixture: o.mixture === true, onLog: o.onLog, onProgress: o.onProgress });
      const v = (file.training as { validation: Record<string, number | string> }).validation;
      const pooled = v.adaptScale === 'true' ? v.pooledAdapted : v.pooledFixed;
      return { out: o.out, heldOutBitsPerDim: pooled as number, shippedBitsPerDim: v.shippedPooled as number | undefined, measuredOn: 'held-out images (1 in 8), coded by the integer coder' };
    },
  },
};

function hiddenSizes(value: string): number[] {
  const hidden = value.split(',').map(Number);
  if (hidden.length === 0 || hidden.some((h) => !Number.isInteger(h) || h < 1 || h > 256))
    fail('USAGE', '--hidden takes widths 1..256, e.g. 64,64');
  return hidden;
}
