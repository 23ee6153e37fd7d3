/**
 * Level packing (models/shared/levels-route.ts, ar's route 15): 8-bit images whose channels use some of
 * their levels only (a levels edit, a real retina photo with a comb histogram) are coded as each
 * channel's level ranks; photos without such gaps keep their routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { FlowzipError, readContainer } from '../codec/index.js';
import { LEVEL_BITMAP_BYTES, hasLevelGaps } from '../models/shared/levels-route.js';
import type { IntegerModel, SampleLayout } from '../models/index.js';
import { compress, decompress, effortOfFile, loadModel, setTileThreads } from '../src/index.js';
import { decodeImage } from '../src/image.js';
import { fixture } from './helpers.js';

const ROUTE_LEVELS = 15;

async function samplesOf(file: Uint8Array): Promise<{ samples: Uint8Array; layout: SampleLayout }> {
  const im = await decodeImage(file);
  if ('unsupported' in im) throw new Error('not decodable');
  return { samples: new Uint8Array(im.samples), layout: { height: im.height, width: im.width, channels: im.channels, dtype: 'uint8' } };
}

/**
 * A photo as an under-exposed, low-contrast capture would have it (levels lo..lo+span), and the same after
 * an "auto levels" edit stretching that range to 0..255: the same information, the stretch has gaps.
 */
function exposures(photo: Uint8Array, lo: number, span: number): { dull: Uint8Array; stretched: Uint8Array } {
  const dull = photo.map((v) => lo + Math.round((v * (span - 1)) / 255));
  const stretched = dull.map((v) => Math.round(((v - lo) * 255) / (span - 1)));
  return { dull, stretched };
}

/** A grey PNG (sharp writes RGB from one raw channel unless told the colourspace). */
function greyPng(samples: Uint8Array, layout: SampleLayout): Promise<Buffer> {
  return sharp(Buffer.from(samples), { raw: { width: layout.width, height: layout.height, channels: 1 } }).toColourspace('b-w').png().toBuffer();
}

/** How many levels each channel uses. */
function levelCounts(samples: Uint8Array, channels: number): string {
  return Array.from({ length: channels }, (_, c) => new Set(samples.filter((_, i) => i % channels === c)).size).join('/');
}

describe('level packing in ar (route 15)', () => {
  let ar: IntegerModel;
  beforeAll(async () => {
    ar = await loadModel('ar');
  });
  afterAll(() => setTileThreads(1));

  it('a stretched photo costs about what the unstretched one does (route 15), bit-exact at efforts 1 and 2, its bits add up', async () => {
    const { samples, layout } = await samplesOf(fixture('photo-300x72.png'));
    const { dull, stretched } = exposures(samples, 40, 80);
    for (const effort of [1, 2]) {
      const coded = await ar.encode(stretched, layout, undefined, { pixelBits: true, effort });
      expect(coded.payload[0]).toBe(ROUTE_LEVELS);
      // The inner payload, behind the bitmaps, is one of the image routes that effort writes.
      expect(effort === 1 ? [5, 6] : [13, 14]).toContain(coded.payload[1 + 3 * LEVEL_BITMAP_BYTES]);
      const out = new Uint8Array(stretched.length);
      await ar.decode(coded.payload, layout, out);
      expect(Buffer.from(out).equals(Buffer.from(stretched))).toBe(true);
      // The ranks are the dull photo's levels less its lowest: the stretch costs the bitmaps, not ~1.7 bits a sample.
      const plain = await ar.encode(dull, layout, undefined, { effort });
      expect(plain.payload[0]).not.toBe(ROUTE_LEVELS);
      expect(coded.payload.length).toBeLessThan(plain.payload.length * 1.03 + 3 * LEVEL_BITMAP_BYTES);
      const perPixel = coded.pixelBits!.reduce((a, b) => a + b, 0);
      expect(Math.abs(perPixel - coded.modelBits) / coded.modelBits).toBeLessThan(1e-4);
      expect(8 * coded.payload.length).toBeLessThanOrEqual(coded.modelBits * 1.01 + 400);
      expect(coded.details).toMatchObject({ levels: levelCounts(dull, 3) });
    }
  });

  it('a real grey photo with a comb histogram (50 of 92 levels) is written packed (the smaller coding) and restores exactly', async () => {
    const file = fixture('retina-levels-102x102.png');
    const { samples } = await samplesOf(file);
    const flz = await compress(file);
    expect(readContainer(flz).payload[0]).toBe(ROUTE_LEVELS);
    const back = await samplesOf((await decompress(flz)).data);
    expect(Buffer.from(back.samples).equals(Buffer.from(samples))).toBe(true);
    // The file tells the effort it was written at through the packed payload (what the page's heatmap re-codes with).
    expect(await effortOfFile(flz)).toBe(1);
    const flz2 = await compress(file, { effort: 2 });
    expect(readContainer(flz2).payload[0]).toBe(ROUTE_LEVELS);
    expect(await effortOfFile(flz2)).toBe(2);
  });

  it('does not try packing on a small crop of a photo, whose sparse histogram is no comb', async () => {
    const { samples, layout } = await samplesOf(fixture('photo-300x72.png'));
    for (const [top, left] of [[0, 0], [20, 100], [40, 260]]) {
      const crop = new Uint8Array(32 * 32 * 3);
      for (let y = 0; y < 32; y++) crop.set(samples.subarray(((top + y) * layout.width + left) * 3, ((top + y) * layout.width + left + 32) * 3), y * 32 * 3);
      const counts = new Float64Array(3 * 256);
      crop.forEach((v, i) => counts[(i % 3) * 256 + v]++);
      // Its empty levels are many, but they lie between levels of few samples.
      let empty = 0;
      for (let c = 0; c < 3; c++) for (let v = 0; v < 256; v++) if (counts[c * 256 + v] === 0) empty++;
      expect(empty).toBeGreaterThan(300);
      expect(hasLevelGaps(counts, 3, 32 * 32)).toBe(false);
    }
  });

  it('tries packing for gaps inside a channel\'s populated levels, not for gaps in its tails', () => {
    const pixels = 10_000;
    const counts = (fill: (v: number) => number) => Float64Array.from({ length: 256 }, (_, v) => fill(v));
    // A natural histogram: every level from 30 to 220, sparse tails with gaps below 30 and above 220 (under 0.5% of samples each).
    const natural = counts((v) => (v >= 30 && v <= 220 ? 52 : v % 3 === 0 && (v < 30 || v > 220) ? 1 : 0));
    expect(hasLevelGaps(natural, 1, pixels)).toBe(false);
    // The same range stretched: every other level.
    expect(hasLevelGaps(counts((v) => (v >= 30 && v <= 220 && v % 2 === 0 ? 104 : 0)), 1, pixels)).toBe(true);
    // A few missing levels (under an eighth of the range) are not worth a second coding.
    expect(hasLevelGaps(counts((v) => (v >= 30 && v <= 220 && v % 40 !== 0 ? 53 : 0)), 1, pixels)).toBe(false);
    // Any channel: G alone with gaps.
    const three = new Float64Array(3 * 256);
    three.set(natural, 0);
    three.set(counts((v) => (v % 4 === 0 ? 40 : 0)), 256);
    three.set(natural, 512);
    expect(hasLevelGaps(three, 3, pixels)).toBe(true);
  });

  it('photos without gaps in their histograms keep their routes, RGBA colour is packed too, and grey', async () => {
    const { samples, layout } = await samplesOf(fixture('photo-300x72.png'));
    expect((await ar.encode(samples, layout, undefined, {})).payload[0]).not.toBe(ROUTE_LEVELS);
    const { stretched } = exposures(samples, 40, 80);
    // RGBA: route 7 whose colour body (behind the route byte and its u32 length) is route 15.
    const rgba = new Uint8Array((stretched.length / 3) * 4);
    for (let i = 0, j = 0; i < stretched.length; i += 3, j += 4) {
      rgba.set(stretched.subarray(i, i + 3), j);
      rgba[j + 3] = (i / 3) % layout.width < 150 ? 255 : 128;
    }
    const rgbaLayout = { ...layout, channels: 4 };
    const coded = await ar.encode(rgba, rgbaLayout, undefined, {});
    expect(coded.payload[0]).toBe(7);
    expect(coded.payload[5]).toBe(ROUTE_LEVELS);
    const out = new Uint8Array(rgba.length);
    await ar.decode(coded.payload, rgbaLayout, out);
    expect(Buffer.from(out).equals(Buffer.from(rgba))).toBe(true);
    // Grey, through files.
    const grey = stretched.filter((_, i) => i % 3 === 1);
    const greyLayout = { ...layout, channels: 1 };
    const flz = await compress(await greyPng(grey, greyLayout));
    expect(readContainer(flz).payload[0]).toBe(ROUTE_LEVELS);
    const back = await samplesOf((await decompress(flz)).data);
    expect(Buffer.from(back.samples).equals(Buffer.from(grey))).toBe(true);
  });

  it('forged bitmaps are refused: a channel with no levels, ranks beyond a channel\'s levels', async () => {
    const { samples, layout } = await samplesOf(fixture('photo-300x72.png'));
    const { stretched } = exposures(samples, 40, 80);
    const coded = await ar.encode(stretched, layout, undefined, {});
    const out = new Uint8Array(stretched.length);
    const refused = async (payload: Uint8Array) => {
      const e = await ar.decode(payload, layout, out).then(() => undefined, (e: unknown) => e);
      expect(e).toBeInstanceOf(FlowzipError);
      expect((e as FlowzipError).code).toBe('CORRUPT');
    };
    // Channel 1 (G) with no levels.
    const empty = coded.payload.slice();
    empty.fill(0, 1 + LEVEL_BITMAP_BYTES, 1 + 2 * LEVEL_BITMAP_BYTES);
    await refused(empty);
    // Channel 0 with one level only: the decoded ranks go beyond it.
    const one = coded.payload.slice();
    one.fill(0, 1, 1 + LEVEL_BITMAP_BYTES);
    one[1] = 1;
    await refused(one);
    // A body shorter than its bitmaps.
    await refused(coded.payload.subarray(0, 1 + 3 * LEVEL_BITMAP_BYTES));
    // A level-packed body inside a level-packed body.
    const nested = new Uint8Array(1 + 3 * LEVEL_BITMAP_BYTES + coded.payload.length);
    nested.set(coded.payload.subarray(0, 1 + 3 * LEVEL_BITMAP_BYTES));
    nested.set(coded.payload, 1 + 3 * LEVEL_BITMAP_BYTES);
    await refused(nested);
  });
});
