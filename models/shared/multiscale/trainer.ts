/** The multi-scale flows' trainer as `train --kind idf|fixedpoint` sees it (the trainer itself loads lazily). */
import { availableParallelism } from 'node:os';
import { fail } from '../../../codec/index.js';
import { positiveInteger, positiveNumber, type ModelKind, type TrainRun, type TrainSummary } from '../kind.js';

export function multiscaleTrainer(summary: string, fractionBits: number): NonNullable<ModelKind['trainer']> {
  return {
    summary,
    flags: [
      { flags: '--minutes <n>', description: 'stop after this many minutes of this run', parse: positiveNumber('--minutes') },
      { flags: '--steps <n>', description: 'stop at this many total steps, resumed ones included', parse: positiveInteger('--steps') },
      { flags: '--batch <n>', description: 'crops per step (default 8)', parse: positiveInteger('--batch') },
      { flags: '--crop <n>', description: 'crop size in pixels, a multiple of 8 (default 64)', parse: positiveInteger('--crop') },
      { flags: '--lr <x>', description: 'Adam learning rate (default 1e-3)', parse: positiveNumber('--lr') },
      { flags: '--checkpoint-minutes <n>', description: 'minutes between checkpoints (default 3)', parse: positiveNumber('--checkpoint-minutes') },
      { flags: '--workers <n>', description: 'data-parallel worker threads (default: cores)', parse: positiveInteger('--workers') },
      { flags: '--init <dir>', description: "start a new model from another model directory's checkpoint (e.g. a fixed-point flow from an IDF)" },
    ],
    run: async (o: TrainRun): Promise<TrainSummary> => {
      if (o.minutes === undefined && o.steps === undefined) fail('USAGE', 'give --minutes or --steps');
      const { train } = await import('./train/train.js');
      const validationBpd = await train({
        data: o.data,
        out: o.out,
        minutes: o.minutes as number | undefined,
        steps: o.steps as number | undefined,
        batch: (o.batch as number | undefined) ?? 8,
        crop: (o.crop as number | undefined) ?? 64,
        learningRate: (o.lr as number | undefined) ?? 1e-3,
        checkpointMinutes: (o.checkpointMinutes as number | undefined) ?? 3,
        workers: (o.workers as number | undefined) ?? availableParallelism(),
        config: { fractionBits },
        init: o.init as string | undefined,
        onProgress: o.onProgress,
        onLog: o.onLog,
      });
      return { out: o.out, heldOutBitsPerDim: validationBpd, measuredOn: 'held-out crops (1 image in 8), float model; the exported model is the best checkpoint so far' };
    },
  };
}
