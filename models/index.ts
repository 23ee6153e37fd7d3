/**
 * Model registry: the model kinds (one line each), shipped models by id, and exported model
 * directories given by path (their model.json says which kind; anything else is UNKNOWN_MODEL).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fail, modelHashMatches } from '../codec/index.js';
import { arKind } from './ar/kind.js';
import { baselineKind } from './baseline/kind.js';
import { fixedpointKind } from './fixedpoint/kind.js';
import { gridKind } from './grid/kind.js';
import { idfKind } from './idf/kind.js';
import { paletteKind } from './palette/kind.js';
import { signalKind } from './signal/kind.js';
import { assetExists, assetPath } from './shared/assets.js';
import type { ModelFileHead, ModelKind } from './shared/kind.js';
import type { IntegerModel, SampleLayout } from './shared/types.js';

export type { IntegerModel, MessageCoder, SampleArray, SampleLayout, EncodeResult, CodedBits, Progress } from './shared/types.js';
export type { ModelKind, TrainFlag, TrainRun, TrainSummary } from './shared/kind.js';
export { MAX_EFFORT, checkEffort } from './shared/types.js';

/** Every model kind Flowzip knows, in the order `flowzip models` lists them. */
export const MODEL_KINDS: readonly ModelKind[] = [baselineKind, arKind, signalKind, gridKind, paletteKind, idfKind, fixedpointKind];

export const DEFAULT_MODEL = 'ar';

/**
 * Models tried besides the default, per kind of input, when no model is asked for: each that codes the
 * layout itself (`codes`) competes, and the file records the one with the smaller payload.
 */
export const DEFAULT_ALTERNATIVES: Readonly<Record<string, readonly string[]>> = { array: ['signal', 'grid', 'palette'], image: ['grid'] };

/**
 * Kinds whose alternatives are tried only for layouts the default model does not code with its own
 * route (images: alpha and 16-bit go to grid instead of only the baseline; 8-bit grey and RGB photos
 * stay with `ar`, which codes them smaller, without paying for a second encode).
 */
const ALTERNATIVES_ONLY_FOR_FALLBACK_LAYOUTS: ReadonlySet<string> = new Set(['image']);

/** The models to try besides `chosen` for data of this kind and layout (a file alone, or an archive member). */
export function alternativeModels(kind: string, layout: SampleLayout, chosen: IntegerModel): readonly string[] {
  if (ALTERNATIVES_ONLY_FOR_FALLBACK_LAYOUTS.has(kind) && chosen.codes?.(layout) === true) return [];
  return DEFAULT_ALTERNATIVES[kind] ?? [];
}

function shipped(kind: ModelKind): boolean {
  return kind.shippedDir === undefined || assetExists(join(kind.shippedDir, 'model.json'));
}

export function listModels(): { id: string; description: string; isDefault: boolean }[] {
  const siblings = (k: ModelKind) => Object.entries(k.effortDirs ?? {}).map(([effort, dir]) => `; at effort ${effort}: ${dir}`).join('');
  return MODEL_KINDS.filter(shipped).map((k) => ({ id: k.id, description: k.description + siblings(k), isDefault: k.id === DEFAULT_MODEL }));
}

/** The kind of an exported model directory, from its model.json's format tag. */
export function modelKindOf(dir: string): ModelKind {
  let text: string;
  try {
    text = readFileSync(join(dir, 'model.json'), 'utf8');
  } catch {
    fail('UNKNOWN_MODEL', `no model.json in ${dir}`);
  }
  let head: ModelFileHead;
  try {
    head = JSON.parse(text) as ModelFileHead;
  } catch {
    fail('UNKNOWN_MODEL', `${dir}/model.json is not JSON`);
  }
  if (typeof head !== 'object' || head === null) fail('UNKNOWN_MODEL', `${dir}/model.json is not a model description`);
  const kind = MODEL_KINDS.find((k) => k.matches?.(head));
  if (!kind) fail('UNKNOWN_MODEL', `${dir}/model.json has format ${JSON.stringify(head.format)}, which no model kind reads`);
  return kind;
}

/** A trainable kind by name (`train --kind`). */
export function trainableKind(id: string): ModelKind & { trainer: NonNullable<ModelKind['trainer']> } {
  const kind = MODEL_KINDS.find((k) => k.id === id);
  if (!kind?.trainer) fail('USAGE', `no trainer for kind '${id}' (trainable: ${MODEL_KINDS.filter((k) => k.trainer).map((k) => k.id).join(', ')})`);
  return kind as ModelKind & { trainer: NonNullable<ModelKind['trainer']> };
}

const instances = new Map<string, Promise<IntegerModel>>();

/** A model directory given as a path (anything with a slash or a leading dot, or an existing directory). */
function isPath(idOrPath: string): boolean {
  return idOrPath.includes('/') || idOrPath.startsWith('.') || (existsSync(idOrPath) && statSync(idOrPath).isDirectory());
}

/** One load per key (a failed one is forgotten, so that a later call tries again). */
function cachedModel(key: string, load: () => Promise<IntegerModel>): Promise<IntegerModel> {
  let model = instances.get(key);
  if (!model) {
    model = load();
    model.catch(() => instances.delete(key));
    instances.set(key, model);
  }
  return model;
}

/**
 * Load a shipped model by id (at an effort with a sibling of its own, `effortDirs`, that sibling), or an
 * exported model from a directory (`--model path/to/dir`), recorded in files as `path:<folder name>`.
 */
export function loadModel(idOrPath: string = DEFAULT_MODEL, effort?: number): Promise<IntegerModel> {
  // Loaded before (and no effort that could pick a sibling): no file-system check.
  const loaded = effort === undefined ? instances.get(idOrPath) : undefined;
  if (loaded) return loaded;
  if (!isPath(idOrPath)) {
    const kind = MODEL_KINDS.find((k) => k.id === idOrPath);
    const sibling = effort === undefined ? undefined : kind?.effortDirs?.[effort];
    return sibling === undefined ? loadShippedModel(idOrPath) : effortSibling(kind!, sibling);
  }
  const dir = resolve(idOrPath);
  return cachedModel(idOrPath, () => Promise.resolve().then(() => modelKindOf(dir).load(dir, `path:${basename(dir)}`)));
}

/**
 * The shipped model a file was made with, from the id and hash it records: the current version, an effort
 * sibling, or a retired one the kind keeps for decoding (`retiredDirs`); undefined when no version here has
 * that hash.
 */
export async function shippedModelWithHash(id: string, hash: Uint8Array): Promise<IntegerModel | undefined> {
  await loadShippedModel(id);
  return (await versionWithHash(MODEL_KINDS.find((k) => k.id === id)!, hash))?.model;
}

/**
 * The effort a shipped model's file was written at, as far as it tells: an effort sibling's hash gives its
 * effort, and so does a retired sibling's (`retiredEfforts`); else the model's routes (`effortOf`), else 1.
 */
export async function writtenEffort(id: string, hash: Uint8Array, payload: Uint8Array, layout: SampleLayout): Promise<number> {
  const kind = MODEL_KINDS.find((k) => k.id === id && shipped(k));
  const version = kind && (await versionWithHash(kind, hash));
  if (!version) return 1;
  return version.effort ?? version.model.effortOf?.(payload, layout) ?? 1;
}

/**
 * The version of a shipped kind with this hash, and the effort it serves or served where that is its own:
 * the current version first (an effort-1 file loads no sibling), then the effort siblings, then the
 * retired ones, each loaded once.
 */
async function versionWithHash(kind: ModelKind, hash: Uint8Array): Promise<{ model: IntegerModel; effort?: number } | undefined> {
  const current = await loadShippedModel(kind.id);
  if (modelHashMatches(current.hash, hash)) return { model: current };
  for (const [effort, dir] of Object.entries(kind.effortDirs ?? {})) {
    const model = await effortSibling(kind, dir);
    if (modelHashMatches(model.hash, hash)) return { model, effort: Number(effort) };
  }
  for (const dir of kind.retiredDirs ?? []) {
    const model = await cachedModel(`retired:${dir}`, () => kind.load(assetPath(dir), kind.id));
    if (modelHashMatches(model.hash, hash)) return { model, effort: kind.retiredEfforts?.[dir] };
  }
  return undefined;
}

/** A kind's model for one effort (`effortDirs`), recorded in files under the kind's id like the current version. */
function effortSibling(kind: ModelKind, dir: string): Promise<IntegerModel> {
  return cachedModel(`effort:${dir}`, () => kind.load(assetPath(dir), kind.id));
}

/** A shipped model by id only: what a file's recorded model id may choose (never a path to read). */
export function loadShippedModel(id: string): Promise<IntegerModel> {
  return cachedModel(id, () => {
    const kind = MODEL_KINDS.find((k) => k.id === id && shipped(k));
    if (!kind) fail('UNKNOWN_MODEL', `'${id}' (shipped: ${listModels().map((e) => e.id).join(', ')}; or a model directory)`);
    return kind.load(kind.shippedDir === undefined ? '' : assetPath(kind.shippedDir), kind.id);
  });
}
