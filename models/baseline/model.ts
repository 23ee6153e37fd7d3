/** The 'baseline' model: the shared baseline coder (models/shared/baseline-coder.ts) as a model of its own. */
import { sha256 } from '../shared/hash.js';
import { BASELINE_ALGORITHM, baselineCoder, baselineMinBits } from '../shared/baseline-coder.js';
import { loadBaselineTables } from '../shared/baseline-tables.js';
import { messageRoute, routedModel } from '../shared/routes.js';
import type { IntegerModel } from '../shared/types.js';
import { baselineKind } from './kind.js';


/** Payload: one rANS message, no route byte. */
export function createBaselineModel(): IntegerModel {
  const tables = loadBaselineTables();
  const route = messageRoute(0, baselineCoder(tables));
  const info = {
    id: 'baseline',
    description: baselineKind.description,
    hash: sha256(new TextEncoder().encode(BASELINE_ALGORITHM), tables.hash),
    minBitsPerSample: baselineMinBits(tables),
  };
  return routedModel(info, () => route, false);
}
