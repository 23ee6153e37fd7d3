/**
 * The 'fixedpoint' model: a dequantized fixed-point flow coded with bits-back (see
 * models/shared/multiscale/integer.ts for the flow), for 8-bit RGB; the baseline coder for every other layout.
 *
 * The flow's tiles are chained through one rANS message: each tile pops its dequantization noise from
 * what the tiles before it pushed, so only the start of a chain pays "initial bits". A tile is coded by
 * the flow when the message already holds enough bits for its noise, otherwise by the baseline coder
 * (which only pushes): that bootstraps the chain instead of borrowing from nothing. After each tile one
 * raw bit says which (the decoder pops it first). Archives continue the same chain across files.
 *
 * Payload: 1 byte route (0 baseline, 2 chain) then one flattened rANS message. The decoder ends with the
 * message the encoder started from: empty, or the underflow words it borrowed (Message.borrowedWords).
 */
import { Message, fail } from '../../codec/index.js';
import { useBackend } from '../shared/backend.js';
import { BASELINE_ALGORITHM, baselineMinBits, decodeBaseline, encodeBaseline } from '../shared/baseline-coder.js';
import { loadBaselineTables, type BaselineTables } from '../shared/baseline-tables.js';
import { sha256 } from '../shared/hash.js';
import { IntegerIdf } from '../shared/multiscale/integer.js';
import { readMultiscaleFiles } from '../shared/multiscale/model-file.js';
import { loadFinePriorTables } from '../shared/prior-tables.js';
import { messageRoute, routedModel } from '../shared/routes.js';
import { extractTile, placeTile, tileGrid, type Tile } from '../shared/tiles.js';
import { fixedpointKind } from './kind.js';
import type { CodedBits, IntegerModel, MessageCoder, Progress, SampleArray, SampleLayout } from '../shared/types.js';


const ROUTE_BASELINE = 0;
const ROUTE_CHAIN = 2;
const TILE_BASELINE = 0;
const TILE_FLOW = 1;

export async function createFixedPointModel(dir: string, id: string): Promise<IntegerModel> {
  await useBackend();
  const files = readMultiscaleFiles(dir);
  if ((files.file.config.fractionBits ?? 0) === 0) fail('UNKNOWN_MODEL', `${dir} is an integer flow, not a fixed-point one`);
  const priorTables = loadFinePriorTables();
  const baseline = loadBaselineTables();
  const flow = new IntegerIdf(files.file, files.weights, priorTables, baseline);
  const minSide = 2 * 2 ** flow.config.levels;
  const usesFlow = (layout: SampleLayout) =>
    layout.channels === flow.config.channels && layout.dtype === 'uint8' && layout.height >= minSide && layout.width >= minSide;
  const chain: MessageCoder = {
    push: (msg, data, layout, progress, pixelBits) =>
      usesFlow(layout) ? encodeChain(flow, baseline, msg, data, layout, progress, pixelBits) : { modelBits: encodeBaseline(baseline, msg, data, layout, progress, pixelBits) },
    pop: (msg, layout, out, progress) => (usesFlow(layout) ? decodeChain(flow, baseline, msg, layout, out, progress) : decodeBaseline(baseline, msg, layout, out, progress)),
  };
  const baselineRoute = messageRoute(ROUTE_BASELINE, chain, { bitsBack: true });
  const chainRoute = messageRoute(ROUTE_CHAIN, chain, { bitsBack: true });
  const info = {
    id,
    description: fixedpointKind.description,
    hash: sha256(files.jsonBytes, files.weightBytes, priorTables.bytes, new TextEncoder().encode(BASELINE_ALGORITHM), baseline.hash),
    // Bits-back: a flow tile may pop more than it pushes, so this can be negative; routedModel clamps it to 0
    // (no bound from the payload), and the decoding limits bound such files instead.
    minBitsPerSample: Math.min(flow.minBits() - flow.fractionBits, baselineMinBits(baseline)),
    chain,
  };
  return routedModel(info, (layout) => (usesFlow(layout) ? chainRoute : baselineRoute));
}

/** Tiles in raster order, each by the flow (bits-back) when the message can lend its noise, else baseline. */
function encodeChain(
  flow: IntegerIdf,
  baseline: BaselineTables,
  msg: Message,
  data: SampleArray,
  layout: SampleLayout,
  progress?: Progress,
  pixelBits?: Float32Array,
): CodedBits {
  const c = flow.config.channels;
  const multiple = 2 ** flow.config.levels;
  const tiles = tileGrid(layout.height, layout.width);
  let modelBits = 0;
  let floatBits = 0;
  let flowTiles = 0;
  tiles.forEach((t, i) => {
    progress?.(i / tiles.length);
    const job = extractTile(data, layout.width, c, t, multiple);
    const tileBits = pixelBits ? new Float32Array(job.paddedHeight * job.paddedWidth) : undefined;
    let route = TILE_FLOW;
    if (msg.contentBits() >= flow.fractionBits * job.values.length) {
      const [bits, fbits] = flow.encodeTile(msg, job.values, job.paddedHeight, job.paddedWidth, tileBits);
      modelBits += bits;
      floatBits += fbits;
      flowTiles++;
    } else {
      route = TILE_BASELINE;
      const samples = tileSamples(data, layout.width, c, t);
      const bits = encodeBaseline(baseline, msg, samples, { height: t.height, width: t.width, channels: c }, undefined, tileBits);
      modelBits += bits;
      floatBits += bits;
    }
    msg.pushBits(route, 1);
    modelBits += 1;
    floatBits += 1;
    if (tileBits && pixelBits) {
      const w = route === TILE_FLOW ? job.paddedWidth : t.width;
      for (let y = 0; y < t.height; y++) for (let x = 0; x < t.width; x++) pixelBits[(t.y + y) * layout.width + t.x + x] = tileBits[y * w + x];
    }
  });
  return { modelBits, floatBits, details: { flowTiles, bootstrapTiles: tiles.length - flowTiles } };
}

function decodeChain(
  flow: IntegerIdf,
  baseline: BaselineTables,
  msg: Message,
  layout: SampleLayout,
  out: SampleArray,
  progress?: Progress,
): void {
  const c = flow.config.channels;
  const multiple = 2 ** flow.config.levels;
  const tiles = tileGrid(layout.height, layout.width);
  for (let i = tiles.length - 1; i >= 0; i--) {
    progress?.((tiles.length - 1 - i) / tiles.length);
    const t = tiles[i];
    const route = msg.popBits(1);
    if (route === TILE_FLOW) {
      const paddedHeight = Math.ceil(t.height / multiple) * multiple;
      const paddedWidth = Math.ceil(t.width / multiple) * multiple;
      placeTile(out, layout.width, c, t, flow.decodeTile(msg, paddedHeight, paddedWidth), paddedWidth, 128);
    } else {
      const samples = new Int32Array(t.height * t.width * c);
      decodeBaseline(baseline, msg, { height: t.height, width: t.width, channels: c }, samples);
      placeTile(out, layout.width, c, t, samples, t.width, 0);
    }
  }
}

function tileSamples(data: SampleArray, width: number, c: number, t: Tile): Int32Array {
  const out = new Int32Array(t.height * t.width * c);
  for (let y = 0; y < t.height; y++)
    for (let x = 0; x < t.width; x++)
      for (let ch = 0; ch < c; ch++) out[(y * t.width + x) * c + ch] = data[((t.y + y) * width + t.x + x) * c + ch];
  return out;
}
