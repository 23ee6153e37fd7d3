/**
 * Level packing (JPEG-XL's "channel palette" for 8-bit images): a photo after a levels or curves edit, or
 * from a 6- or 7-bit source, uses only some of the 256 levels of a channel, with gaps between them ("a comb
 * histogram"). A model that spreads its probability over the unused levels pays for them on every sample
 * (~2 bits a sample for a 6-bit source on a noisy photo). This route codes each sample as its rank among
 * its channel's used levels instead, so the inner route sees the image as it was before the stretch.
 *
 * Body: for each channel a 32-byte bitmap of its used levels (level v = bit v & 7 of byte v >> 3), then the
 * inner route's payload (its own route byte and body). A channel with no level is CORRUPT, and so is a
 * decoded rank at or above its channel's level count. Ranks are a bijection given the bitmaps, so the
 * inner route's bits (and per-pixel bits) are the image's.
 */
import { fail } from '../../codec/index.js';
import type { OptionalRoute, Route } from './routes.js';
import type { Progress, SampleArray, SampleLayout } from './types.js';

export const LEVEL_BITMAP_BYTES = 32;
const LEVELS = 256;
/**
 * Writers try packing when some channel, between the levels that hold its lowest and highest 0.5% of
 * samples, leaves at least 1/GAP_SHARE of them unused (and at least MIN_GAPS), counting only empty levels
 * whose nearest used levels on both sides hold at least GAP_EDGE_COUNT samples each: gaps in the tails of a
 * natural photo's histogram, and the empty levels of a small image's sparse one (a 32 x 32 crop), are not
 * a comb. Then both codings are made and the smaller kept.
 */
const TAIL_SHARE = 200;
const GAP_SHARE = 8;
const MIN_GAPS = 4;
const GAP_EDGE_COUNT = 8;

/** counts[c * 256 + v]: samples of channel c at level v (8-bit data). */
function levelCounts(data: SampleArray, channels: number): Float64Array {
  const counts = new Float64Array(channels * LEVELS);
  for (let i = 0, c = 0; i < data.length; i++) {
    counts[c * LEVELS + data[i]]++;
    if (++c === channels) c = 0;
  }
  return counts;
}

/** Whether some channel has enough unused levels inside its populated range to be worth a try. */
export function hasLevelGaps(counts: Float64Array, channels: number, pixels: number): boolean {
  const tail = Math.floor(pixels / TAIL_SHARE);
  for (let c = 0; c < channels; c++) {
    const at = (v: number) => counts[c * LEVELS + v];
    let lo = 0;
    for (let seen = 0; lo < LEVELS - 1 && (seen += at(lo)) <= tail; ) lo++;
    let hi = LEVELS - 1;
    for (let seen = 0; hi > lo && (seen += at(hi)) <= tail; ) hi--;
    // Runs of empty levels between two used ones (lo and hi are used), counted where both edges are populous.
    let gaps = 0;
    for (let used = lo, v = lo + 1; v <= hi; v++) {
      if (at(v) === 0) continue;
      if (v - used > 1 && Math.min(at(used), at(v)) >= GAP_EDGE_COUNT) gaps += v - used - 1;
      used = v;
    }
    if (gaps >= MIN_GAPS && gaps * GAP_SHARE >= hi - lo + 1) return true;
  }
  return false;
}

/**
 * `inner` on each channel's level ranks, behind the bitmaps (`inner` writes its own route byte: wrap it in
 * withRouteByte). Applies to 8-bit layouts with level gaps (hasLevelGaps); pair it with the plain route
 * in smallerRoute.
 */
export function levelsRoute(id: number, inner: Route): OptionalRoute {
  /** `data` coded as its level ranks, given its level counts. */
  const encodeRanks = async (data: SampleArray, counts: Float64Array, layout: SampleLayout, progress?: Progress, pixelBits?: Float32Array, floatBits?: boolean) => {
    const channels = layout.channels;
    const bitmaps = new Uint8Array(channels * LEVEL_BITMAP_BYTES);
    const rank = new Uint8Array(channels * LEVELS);
    const count: number[] = [];
    for (let c = 0; c < channels; c++) {
      let r = 0;
      for (let v = 0; v < LEVELS; v++) {
        rank[c * LEVELS + v] = r;
        if (counts[c * LEVELS + v] > 0) {
          bitmaps[c * LEVEL_BITMAP_BYTES + (v >> 3)] |= 1 << (v & 7);
          r++;
        }
      }
      count.push(r);
    }
    const packed = new (data.constructor as new (n: number) => SampleArray)(data.length);
    for (let i = 0, c = 0; i < data.length; i++) {
      packed[i] = rank[c * LEVELS + data[i]];
      if (++c === channels) c = 0;
    }
    const { body, id: innerId, ...coded } = await inner.encode(packed, layout, progress, pixelBits, floatBits);
    if (innerId !== undefined) fail('INTERNAL', 'level packing needs an inner route that writes its own byte');
    // The bitmaps are part of what the image costs: counted in its bits, spread evenly over its pixels.
    const headerBits = 8 * bitmaps.length;
    if (pixelBits) for (let i = 0; i < pixelBits.length; i++) pixelBits[i] += headerBits / pixelBits.length;
    return {
      ...coded,
      details: { ...coded.details, levels: count.join('/') },
      modelBits: coded.modelBits + headerBits,
      ...(coded.floatBits !== undefined ? { floatBits: coded.floatBits + headerBits } : {}),
      body: [bitmaps, ...body],
    };
  };
  return {
    id,
    async tryEncode(data, layout, pixelBits, floatBits, progress) {
      if (layout.dtype !== 'uint8' || data.length === 0) return undefined;
      const counts = levelCounts(data, layout.channels);
      if (!hasLevelGaps(counts, layout.channels, layout.height * layout.width)) return undefined;
      return encodeRanks(data, counts, layout, progress, pixelBits, floatBits);
    },
    async encode(data, layout, progress, pixelBits, floatBits, knownRows) {
      if (knownRows) fail('INTERNAL', 'level packing takes no known rows');
      return encodeRanks(data, levelCounts(data, layout.channels), layout, progress, pixelBits, floatBits);
    },
    async decode(body, layout, out, progress, knownRows) {
      if (knownRows) fail('INTERNAL', 'level packing takes no known rows');
      const channels = layout.channels;
      if (layout.dtype !== 'uint8') fail('CORRUPT', 'level packing on a layout that is not 8-bit');
      const header = levelsHeaderBytes(layout);
      if (body.length < header + 1) fail('CORRUPT', 'level packing body shorter than its bitmaps');
      // levels[c * 256 + r]: channel c's r-th used level; count[c]: how many it has.
      const levels = new Uint8Array(channels * LEVELS);
      const count = new Int32Array(channels);
      for (let c = 0; c < channels; c++) {
        for (let v = 0; v < LEVELS; v++) if ((body[c * LEVEL_BITMAP_BYTES + (v >> 3)] >> (v & 7)) & 1) levels[c * LEVELS + count[c]++] = v;
        if (count[c] === 0) fail('CORRUPT', `level packing: channel ${c} has no levels`);
      }
      await inner.decode(body.subarray(header), layout, out, progress);
      for (let i = 0, c = 0; i < out.length; i++) {
        const r = out[i];
        if (r >= count[c]) fail('CORRUPT', `level packing: a rank ${r} beyond channel ${c}'s ${count[c]} levels`);
        out[i] = levels[c * LEVELS + r];
        if (++c === channels) c = 0;
      }
    },
  };
}

/** Bytes before the inner payload in a level-packed body of `layout`. */
export function levelsHeaderBytes(layout: SampleLayout): number {
  return layout.channels * LEVEL_BITMAP_BYTES;
}
