/**
 * The 'fixedpoint' model: a dequantized fixed-point flow coded with bits-back (see models/idf/integer.ts
 * for the flow), for 8-bit RGB; the baseline coder for every other layout.
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
import { assetPath } from '../assets.js';
import { useBackend } from '../backend.js';
import { BASELINE_ALGORITHM, baselineMinBits, decodeBaseline, encodeBaseline } from '../baseline/model.js';
import { loadBaselineTables } from '../baseline/tables.js';
import type { IntegerIdf } from '../idf/integer.js';
import { extractTile, placeTile, tileGrid, type Tile } from '../idf/integer.js';
import { readIdfFiles, parseIdf } from '../idf/model.js';
import { loadFinePriorTables, sha256 } from '../idf/tables.js';
import type { ChainResult, IntegerModel, Progress, SampleArray, SampleLayout } from '../types.js';

export const FIXEDPOINT_DESCRIPTION =
  'dequantized fixed-point flow with bits-back coding for 8-bit RGB (tiles chained, baseline bootstrap); baseline for other layouts';
export const SHIPPED_FIXEDPOINT_DIR = 'models/fixedpoint/rgb';

const ROUTE_BASELINE = 0;
const ROUTE_CHAIN = 2;
const TILE_BASELINE = 0;
const TILE_FLOW = 1;

export async function createFixedPointModel(dir = assetPath(SHIPPED_FIXEDPOINT_DIR), id = 'fixedpoint'): Promise<IntegerModel> {
  await useBackend();
  const { jsonBytes, weightBytes } = readIdfFiles(dir);
  const priorTables = loadFinePriorTables();
  const flow = parseIdf(jsonBytes, weightBytes, dir, priorTables);
  if (flow.fractionBits === 0) fail('UNKNOWN_MODEL', `${dir} is an integer flow, not a fixed-point one`);
  const baseline = loadBaselineTables();
  const minSide = 2 * 2 ** flow.config.levels;
  const usesFlow = (layout: SampleLayout) =>
    layout.channels === flow.config.channels && layout.dtype === 'uint8' && layout.height >= minSide && layout.width >= minSide;

  const encodeInto = async (msg: Message, data: SampleArray, layout: SampleLayout, progress?: Progress, options?: { pixelBits?: boolean }): Promise<ChainResult> => {
    const pixelBits = options?.pixelBits ? new Float32Array(layout.height * layout.width) : undefined;
    if (!usesFlow(layout)) return { modelBits: encodeBaseline(baseline, msg, data, layout, progress, pixelBits), pixelBits };
    return encodeChain(flow, baseline, msg, data, layout, progress, pixelBits);
  };
  const decodeFrom = async (msg: Message, layout: SampleLayout, out: SampleArray, progress?: Progress): Promise<void> => {
    if (!usesFlow(layout)) return decodeBaseline(baseline, msg, layout, out, progress);
    decodeChain(flow, baseline, msg, layout, out, progress);
  };

  return {
    id,
    description: FIXEDPOINT_DESCRIPTION,
    hash: sha256(jsonBytes, weightBytes, priorTables.bytes, new TextEncoder().encode(BASELINE_ALGORITHM), baseline.hash),
    minBitsPerSample: Math.min(flow.minBits() - flow.fractionBits, baselineMinBits(baseline)),
    encodeInto,
    decodeFrom,
    async encode(data, layout, progress, options) {
      const msg = new Message(1024);
      const result = await encodeInto(msg, data, layout, progress, options);
      const body = msg.flatten();
      const payload = new Uint8Array(1 + body.length);
      payload[0] = usesFlow(layout) ? ROUTE_CHAIN : ROUTE_BASELINE;
      payload.set(body, 1);
      return { payload, ...result, initialBits: 16 * msg.underflowWords };
    },
    async decode(payload, layout, out, progress) {
      if (payload.length < 1) fail('CORRUPT', 'empty payload');
      if (payload[0] !== (usesFlow(layout) ? ROUTE_CHAIN : ROUTE_BASELINE)) fail('CORRUPT', 'payload route does not match the data layout');
      const msg = Message.unflatten(payload.subarray(1));
      await decodeFrom(msg, layout, out, progress);
      if (msg.borrowedWords() < 0) fail('CORRUPT', 'payload does not end where the data does');
    },
  };
}

/** Tiles in raster order, each by the flow (bits-back) when the message can lend its noise, else baseline. */
function encodeChain(
  flow: IntegerIdf,
  baseline: ReturnType<typeof loadBaselineTables>,
  msg: Message,
  data: SampleArray,
  layout: SampleLayout,
  progress?: Progress,
  pixelBits?: Float32Array,
): ChainResult {
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
  return { modelBits, floatBits, pixelBits, flowTiles, bootstrapTiles: tiles.length - flowTiles };
}

function decodeChain(
  flow: IntegerIdf,
  baseline: ReturnType<typeof loadBaselineTables>,
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
