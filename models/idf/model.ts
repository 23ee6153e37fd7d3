/**
 * The 'idf' model: the learned integer discrete flow for 8-bit RGB, and the baseline coder for every
 * other layout (grey, alpha, 16-bit, arrays), so any input is codable under one model id.
 *
 * Payload: 1 byte route (0 baseline, 1 flow); baseline: one rANS message; flow: u32 tile count, u32 byte
 * length per tile, then each tile's rANS message (tiles are independent: bounded memory).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Message, fail } from '../../codec/index.js';
import { assetPath } from '../assets.js';
import { currentBackend, useBackend } from '../backend.js';
import { BASELINE_ALGORITHM, baselineMinBits, decodeBaseline, encodeBaseline } from '../baseline/model.js';
import { loadBaselineTables } from '../baseline/tables.js';
import type { IntegerModel, SampleLayout } from '../types.js';
import type { IntegerModelFile } from './export.js';
import { IntegerIdf, tileGrid } from './integer.js';
import { tilePool } from './tile-pool.js';
import { tileThreads } from '../worker-pool.js';
import { joinParts, splitParts, withRoute } from '../framing.js';
import { loadPriorTables, sha256, type PriorTables } from './tables.js';

export const IDF_DESCRIPTION = 'learned integer discrete flow for 8-bit RGB (3 levels, conditional logistic priors); baseline for other layouts';
export const SHIPPED_IDF_DIR = 'models/idf/rgb';

const ROUTE_BASELINE = 0;
const ROUTE_FLOW = 1;

export { setTileThreads } from '../worker-pool.js';

export function readIdfFiles(dir: string): { jsonBytes: Uint8Array; weightBytes: Uint8Array } {
  try {
    return { jsonBytes: new Uint8Array(readFileSync(join(dir, 'model.json'))), weightBytes: new Uint8Array(readFileSync(join(dir, 'weights.bin'))) };
  } catch {
    fail('UNKNOWN_MODEL', `no exported model (model.json, weights.bin) in ${dir}`);
  }
}

/** The integer flow of an exported model's files (IDF or, with the fine tables, fixed-point). */
export function parseIdf(jsonBytes: Uint8Array, weightBytes: Uint8Array, dir: string, priorTables: PriorTables): IntegerIdf {
  let file: IntegerModelFile;
  try {
    file = JSON.parse(new TextDecoder().decode(jsonBytes)) as IntegerModelFile;
  } catch {
    fail('UNKNOWN_MODEL', `${dir}/model.json is not JSON`);
  }
  if (file.format !== 'flowzip-idf') fail('UNKNOWN_MODEL', `${dir} is not a flowzip flow model`);
  if (weightBytes.length % 4 !== 0) fail('MODEL_MISMATCH', 'flow weights file has a partial word');
  const weights = new Int32Array(weightBytes.buffer.slice(weightBytes.byteOffset, weightBytes.byteOffset + weightBytes.byteLength));
  return new IntegerIdf(file, weights, priorTables, loadBaselineTables());
}

function parseModel(jsonBytes: Uint8Array, weightBytes: Uint8Array, dir: string): IntegerIdf {
  return parseIdf(jsonBytes, weightBytes, dir, loadPriorTables());
}

/** The integer flow alone (tile workers use it). */
export async function loadIntegerIdf(dir: string): Promise<IntegerIdf> {
  await useBackend();
  const { jsonBytes, weightBytes } = readIdfFiles(dir);
  return parseModel(jsonBytes, weightBytes, dir);
}

/** Load an exported IDF (model.json + weights.bin) from `dir` (default: the shipped one). */
export async function createIdfModel(dir = assetPath(SHIPPED_IDF_DIR), id = 'idf'): Promise<IntegerModel> {
  await useBackend();
  let jsonBytes: Uint8Array;
  let weightBytes: Uint8Array;
  ({ jsonBytes, weightBytes } = readIdfFiles(dir));
  const flow = parseModel(jsonBytes, weightBytes, dir);
  const priorTables = loadPriorTables();
  const baseline = loadBaselineTables();
  const pool = (layout: SampleLayout) => tilePool(dir, tileGrid(layout.height, layout.width).length, tileThreads(), currentBackend());
  // Thin images would be mostly padding for the flow: they go to the baseline coder.
  const minSide = 2 * 2 ** flow.config.levels;
  const usesFlow = (layout: SampleLayout) =>
    layout.channels === flow.config.channels && layout.dtype === 'uint8' && layout.height >= minSide && layout.width >= minSide;
  return {
    id,
    description: IDF_DESCRIPTION,
    hash: sha256(jsonBytes, weightBytes, priorTables.bytes, new TextEncoder().encode(BASELINE_ALGORITHM), baseline.hash),
    minBitsPerSample: Math.min(flow.minBits(), baselineMinBits(baseline)),
    async encode(data, layout, progress, options) {
      if (!usesFlow(layout)) {
        const msg = new Message(1024);
        const pixelBits = options?.pixelBits ? new Float32Array(layout.height * layout.width) : undefined;
        const modelBits = encodeBaseline(baseline, msg, data, layout, progress, pixelBits);
        return { payload: withRoute(ROUTE_BASELINE, msg.flatten()), modelBits, pixelBits };
      }
      const { messages, bits, floatBits, pixelBits } = await flow.encodeImage(data, layout.height, layout.width, {
        progress,
        withPixelBits: options?.pixelBits,
        run: pool(layout),
      });
      return { payload: withRoute(ROUTE_FLOW, joinParts(messages)), modelBits: bits, floatBits, pixelBits };
    },
    async decode(payload, layout, out, progress) {
      if (payload.length < 1) fail('CORRUPT', 'empty payload');
      const route = payload[0];
      if (route !== (usesFlow(layout) ? ROUTE_FLOW : ROUTE_BASELINE)) fail('CORRUPT', 'payload route does not match the data layout');
      if (route === ROUTE_BASELINE) {
        const msg = Message.unflatten(payload.subarray(1));
        decodeBaseline(baseline, msg, layout, out, progress);
        if (!msg.isEmpty()) fail('CORRUPT', 'payload does not end where the data does');
        return;
      }
      await flow.decodeImage(splitParts(payload.subarray(1)), layout.height, layout.width, out, { progress, run: pool(layout) });
    },
  };
}
