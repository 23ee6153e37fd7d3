/**
 * The 'idf' model: the learned integer discrete flow for 8-bit RGB (models/shared/multiscale/), and
 * the baseline coder for every other layout (grey, alpha, 16-bit, arrays), so any input is codable
 * under one model id. Its nets run on tfjs (integer-valued float32, exact on every backend), loaded
 * only when this model is.
 *
 * Payload: 1 byte route (0 baseline, 1 flow); baseline: one rANS message; flow: u32 tile count, u32 byte
 * length per tile, then each tile's rANS message (tiles are independent: bounded memory).
 */
import { fail } from '../../codec/index.js';
import { compiledSibling } from '../shared/assets.js';
import { useBackend, type BackendName } from '../shared/backend.js';
import { BASELINE_ALGORITHM, baselineCoder, baselineMinBits } from '../shared/baseline-coder.js';
import { loadBaselineTables } from '../shared/baseline-tables.js';
import { sha256 } from '../shared/hash.js';
import { IntegerIdf } from '../shared/multiscale/integer.js';
import { readMultiscaleFiles } from '../shared/multiscale/model-file.js';
import { partRunner, type PartCoder } from '../shared/parts.js';
import { loadPriorTables } from '../shared/prior-tables.js';
import { messageRoute, partsRoute, routedModel } from '../shared/routes.js';
import { extractTile, placeTile, tileGrid } from '../shared/tiles.js';
import { idfKind } from './kind.js';
import type { IntegerModel, SampleLayout } from '../shared/types.js';


const ROUTE_BASELINE = 0;
const ROUTE_FLOW = 1;
/** Below this many tiles, starting workers (about a second each) costs more than it saves. */
const MIN_PARALLEL_TILES = 4;

function loadFlow(dir: string) {
  const files = readMultiscaleFiles(dir);
  if ((files.file.config.fractionBits ?? 0) !== 0) fail('UNKNOWN_MODEL', `${dir} is a fixed-point flow, not an integer one`);
  return { files, flow: new IntegerIdf(files.file, files.weights, loadPriorTables(), loadBaselineTables()) };
}

/** Worker threads' part coder (models/shared/part-worker.ts). */
export async function partCoder(dir: string, backend?: BackendName): Promise<PartCoder> {
  await useBackend(backend);
  return loadFlow(dir).flow;
}

/** Load an exported IDF (model.json + weights.bin) from `dir` (default: the shipped one). */
export async function createIdfModel(dir: string, id: string): Promise<IntegerModel> {
  const backend = await useBackend();
  const { files, flow } = loadFlow(dir);
  const baseline = loadBaselineTables();
  const { channels, levels } = flow.config;
  const multiple = 2 ** levels;
  const worker = { module: compiledSibling(import.meta.url, 'model.js'), dir, backend };
  const baselineRoute = messageRoute(ROUTE_BASELINE, baselineCoder(baseline));
  const padded = (size: number) => Math.ceil(size / multiple) * multiple;
  const flowRoute = partsRoute(ROUTE_FLOW, {
    framing: 'counted',
    parts: (layout) => tileGrid(layout.height, layout.width),
    runner: (_layout, tiles) => partRunner(flow, worker, tiles.length, MIN_PARALLEL_TILES),
    partLayout: (_layout, t) => ({ height: padded(t.height), width: padded(t.width), channels }),
    extract: (data, layout, t) => extractTile(data, layout.width, channels, t, multiple).values,
    place: (out, layout, t, values) => placeTile(out, layout.width, channels, t, values, padded(t.width), 128),
    placeBits: (pixelBits, layout, t, bits) => {
      for (let y = 0; y < t.height; y++) for (let x = 0; x < t.width; x++) pixelBits[(t.y + y) * layout.width + t.x + x] = bits[y * padded(t.width) + x];
    },
  });
  // Thin images would be mostly padding for the flow: they go to the baseline coder.
  const usesFlow = (layout: SampleLayout) =>
    layout.channels === channels && layout.dtype === 'uint8' && layout.height >= 2 * multiple && layout.width >= 2 * multiple;
  const info = {
    id,
    description: idfKind.description,
    hash: sha256(files.jsonBytes, files.weightBytes, loadPriorTables().bytes, new TextEncoder().encode(BASELINE_ALGORITHM), baseline.hash),
    minBitsPerSample: Math.min(flow.minBits(), baselineMinBits(baseline)),
  };
  return routedModel(info, (layout) => (usesFlow(layout) ? flowRoute : baselineRoute));
}
