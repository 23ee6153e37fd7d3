/** A tiny flow trained for a few steps on fixtures (real training code, seconds): for coding tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IdfConfig } from '../models/shared/multiscale/constants.js';
import { train } from '../models/shared/multiscale/train/train.js';
import { FIXTURES } from './helpers.js';

export async function trainTinyFlow(config: Partial<IdfConfig> = {}, options: { steps?: number; data?: string[] } = {}): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'flowzip-tiny-'));
  await train({
    data: options.data ?? [FIXTURES + 'photo-rgb.png', FIXTURES + 'rgb-37x29.png'],
    out,
    steps: options.steps ?? 3,
    batch: 2,
    crop: 16,
    config: { levels: 2, couplings: 2, hidden: 8, priorHidden: 8, ...config },
  });
  return out;
}
