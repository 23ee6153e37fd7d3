/** Model registry: shipped models by id, or an exported model directory given by path. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fail } from '../codec/index.js';
import { assetPath } from './assets.js';
import { BASELINE_DESCRIPTION, createBaselineModel } from './baseline/model.js';
import { IDF_DESCRIPTION, SHIPPED_IDF_DIR, createIdfModel } from './idf/model.js';
import { FIXEDPOINT_DESCRIPTION, SHIPPED_FIXEDPOINT_DIR, createFixedPointModel } from './fixedpoint/model.js';
import { AR_DESCRIPTION, AR_FORMAT, SHIPPED_AR_DIR, createArModel } from './ar/model.js';
import type { IntegerModel } from './types.js';

export type { IntegerModel, SampleArray, SampleLayout, EncodeResult, Progress } from './types.js';

interface ModelEntry {
  id: string;
  description: string;
  available: () => boolean;
  create: () => IntegerModel | Promise<IntegerModel>;
}

const REGISTRY: ModelEntry[] = [
  { id: 'baseline', description: BASELINE_DESCRIPTION, available: () => true, create: createBaselineModel },
  {
    id: 'ar',
    description: AR_DESCRIPTION,
    available: () => existsSync(assetPath(`${SHIPPED_AR_DIR}/model.json`)),
    create: () => createArModel(),
  },
  {
    id: 'idf',
    description: IDF_DESCRIPTION,
    available: () => existsSync(assetPath(`${SHIPPED_IDF_DIR}/model.json`)),
    create: () => createIdfModel(),
  },
  {
    id: 'fixedpoint',
    description: FIXEDPOINT_DESCRIPTION,
    available: () => existsSync(assetPath(`${SHIPPED_FIXEDPOINT_DIR}/model.json`)),
    create: () => createFixedPointModel(),
  },
];

/** What an exported model directory holds: an autoregressive flow, a fixed-point flow or an IDF. */
function modelKind(dir: string): 'ar' | 'fixedpoint' | 'idf' {
  try {
    const file = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { format?: string; config?: { fractionBits?: number } };
    if (file.format === AR_FORMAT) return 'ar';
    return (file.config?.fractionBits ?? 0) > 0 ? 'fixedpoint' : 'idf';
  } catch {
    return 'idf';
  }
}

export const DEFAULT_MODEL = 'ar';

const instances = new Map<string, Promise<IntegerModel>>();

export function listModels(): { id: string; description: string; isDefault: boolean }[] {
  return REGISTRY.filter((e) => e.available()).map((e) => ({ id: e.id, description: e.description, isDefault: e.id === DEFAULT_MODEL }));
}

/** A model's id as recorded in files: shipped ids as they are, directories as `path:<folder name>`. */
function isPath(idOrPath: string): boolean {
  return idOrPath.includes('/') || idOrPath.startsWith('.') || (existsSync(idOrPath) && statSync(idOrPath).isDirectory());
}

/** Load a shipped model by id, or an exported model from a directory (`--model path/to/dir`). */
export function loadModel(idOrPath: string = DEFAULT_MODEL): Promise<IntegerModel> {
  let model = instances.get(idOrPath);
  if (!model) {
    if (isPath(idOrPath)) {
      const dir = resolve(idOrPath);
      const id = `path:${basename(dir)}`;
      const kind = modelKind(dir);
      model = kind === 'ar' ? Promise.resolve().then(() => createArModel(dir, id)) : kind === 'fixedpoint' ? createFixedPointModel(dir, id) : createIdfModel(dir, id);
    } else {
      const entry = REGISTRY.find((e) => e.id === idOrPath && e.available());
      if (!entry) fail('UNKNOWN_MODEL', `'${idOrPath}' (shipped: ${listModels().map((e) => e.id).join(', ')}; or a model directory)`);
      model = Promise.resolve(entry.create());
    }
    model.catch(() => instances.delete(idOrPath));
    instances.set(idOrPath, model);
  }
  return model;
}
