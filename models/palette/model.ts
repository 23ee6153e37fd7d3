/**
 * The 'palette' model: integer arrays that use few of their dtype's values (quantized or label-like
 * data, scans with gaps between levels) become the ranks of their values among the distinct values
 * used; the ranks are dense, so the baseline's predictor and adaptive tables see smooth small numbers
 * where the raw values jump between levels. The palette (sorted distinct values) is sent once.
 *
 * Payload: 1 byte route (0: the baseline coder, for layouts it does not take: images and 1-byte data;
 * 1: palette), then: K as 4 bytes (0: no palette, the samples themselves follow), K values as
 * zigzag LEB128 varints (the first value, then each gap minus one: strictly increasing), then one rANS
 * message of the ranks (or samples) under the baseline coder. A rank >= K is CORRUPT.
 */
import { Message, fail, pushVarint, readVarint, unzigzag, zigzag } from '../../codec/index.js';
import { baselineFamilyModel, decodeBaseline, encodeBaseline } from '../shared/baseline-coder.js';
import type { BaselineTables } from '../shared/baseline-tables.js';
import type { Route } from '../shared/routes.js';
import type { IntegerModel, SampleArray, SampleLayout } from '../shared/types.js';
import { paletteKind } from './kind.js';

const PALETTE_ALGORITHM = 'palette-1';
const ROUTE_PALETTE = 1;
/** Most distinct values a palette holds (ranks are coded as 16-bit samples). */
const MAX_PALETTE = 1 << 16;

/** Integer arrays of 16 bits or more (1-byte data has nothing to gain from ranks). */
function codes(layout: SampleLayout): boolean {
  return layout.dtype === 'uint16' || layout.dtype === 'int16' || layout.dtype === 'uint32' || layout.dtype === 'int32';
}

/** The sorted distinct values, or undefined when there are too many to pay. */
function paletteOf(data: SampleArray): Float64Array | undefined {
  const seen = new Set<number>();
  for (let i = 0; i < data.length; i++) {
    seen.add(data[i]);
    if (seen.size > MAX_PALETTE) return undefined;
  }
  const values = Float64Array.from(seen).sort();
  // Ranks help when the values leave gaps; a dense range gains nothing but costs the palette.
  return values.length > 0 && values[values.length - 1] - values[0] + 1 > 2 * values.length ? values : undefined;
}

function paletteRoute(tables: BaselineTables): Route {
  return {
    id: ROUTE_PALETTE,
    async encode(data, layout, progress, pixelBits) {
      const palette = paletteOf(data);
      const head: number[] = [];
      const count = palette?.length ?? 0;
      head.push(count & 0xff, (count >>> 8) & 0xff, (count >>> 16) & 0xff, (count >>> 24) & 0xff);
      let samples = data;
      let rankLayout = layout;
      if (palette) {
        pushVarint(head, zigzag(palette[0]));
        for (let k = 1; k < palette.length; k++) pushVarint(head, palette[k] - palette[k - 1] - 1);
        const rank = new Map<number, number>();
        palette.forEach((v, k) => rank.set(v, k));
        samples = Uint16Array.from(data, (v) => rank.get(v)!);
        rankLayout = { ...layout, dtype: 'uint16' };
      }
      const msg = new Message(1024);
      const modelBits = encodeBaseline(tables, msg, samples, rankLayout, progress, pixelBits) + 8 * head.length;
      return { modelBits, body: [Uint8Array.from(head), msg.flatten()] };
    },
    async decode(body, layout, out, progress) {
      if (body.length < 4) fail('CORRUPT', 'palette header is truncated');
      const count = body[0] + body[1] * 2 ** 8 + body[2] * 2 ** 16 + body[3] * 2 ** 24;
      if (count > MAX_PALETTE || count > body.length) fail('CORRUPT', 'palette larger than its payload');
      let o = 4;
      const palette = new Float64Array(count);
      for (let k = 0; k < count; k++) {
        const { value, next } = readVarint(body, o, body.length, 'palette value');
        o = next;
        palette[k] = k === 0 ? unzigzag(value) : palette[k - 1] + value + 1;
      }
      const msg = Message.unflatten(body.subarray(o));
      if (count === 0) decodeBaseline(tables, msg, layout, out, progress);
      else {
        const ranks = new Uint16Array(out.length);
        decodeBaseline(tables, msg, { ...layout, dtype: 'uint16' }, ranks, progress);
        for (let i = 0; i < out.length; i++) {
          if (ranks[i] >= count) fail('CORRUPT', 'rank outside the palette');
          out[i] = palette[ranks[i]];
        }
      }
      if (!msg.isEmpty()) fail('CORRUPT', 'payload does not end where the data does');
    },
  };
}

export function createPaletteModel(id = paletteKind.id): IntegerModel {
  const model = baselineFamilyModel({ ...paletteKind, id }, PALETTE_ALGORITHM, codes, paletteRoute);
  // Offered for data with a palette to send (one pass over the data), not for every 16-bit array.
  return { ...model, codes: (layout, data) => codes(layout) && (data === undefined || paletteOf(data) !== undefined) };
}
