/** Model registry: shipped models by id. Learned flows register here as they land. */
import { fail } from '../codec/index.js';
import { BASELINE_DESCRIPTION, createBaselineModel } from './baseline/model.js';
import type { IntegerModel } from './types.js';

export type { IntegerModel, SampleArray, SampleLayout, EncodeResult, Progress } from './types.js';

interface ModelEntry {
  id: string;
  description: string;
  create: () => IntegerModel;
}

const REGISTRY: ModelEntry[] = [
  {
    id: 'baseline',
    description: BASELINE_DESCRIPTION,
    create: createBaselineModel,
  },
];

export const DEFAULT_MODEL = 'baseline';

const instances = new Map<string, IntegerModel>();

export function listModels(): { id: string; description: string; isDefault: boolean }[] {
  return REGISTRY.map((e) => ({ id: e.id, description: e.description, isDefault: e.id === DEFAULT_MODEL }));
}

export function getModel(id: string = DEFAULT_MODEL): IntegerModel {
  let model = instances.get(id);
  if (!model) {
    const entry = REGISTRY.find((e) => e.id === id);
    if (!entry) fail('UNKNOWN_MODEL', `'${id}' (shipped: ${REGISTRY.map((e) => e.id).join(', ')})`);
    model = entry.create();
    instances.set(id, model);
  }
  return model;
}
